// A saved rules file that `check` refuses, on a host where nothing has failed yet: the rules loaded now are
// older (loaded before the edit, or by hand), and the next boot or loader restart loads none of the table.
import { defineCheck, notApplicable, type Finding, type FindingInput } from '../../types.ts';
import type { HostModel, SavedRules } from '../../../model/host-model.ts';
import type { Diagnostic } from '../../../parsers/types.ts';
import { evidenceAt } from '../../../findings/evidence.ts';
import { loaderUnitFor } from '../../host-commands.ts';
import { manual } from '../../fix-actions.ts';
import { shQuote } from '../../../fixes/actions.ts';
import { testCommand } from '../evidence.ts';

const ID = 'loader/saved-rules-refused';

/** Codes of `check` that mean the loader will refuse the line, or may, depending on the host. */
const REFUSING = new Set(['rule-rejected', 'state-dependent-load']);

/** The line of the saved file that a loader check already explained as refused on this boot. */
function explainedAlready(findings: readonly Finding[], file: string, line: number): boolean {
  const key = `${file}:${String(line)}`;
  return findings.some(
    (f) => f.id === `loader/restore-failed#${key}` || f.id === `loader/silent-failure#${key}`,
  );
}

function rawLine(saved: SavedRules, line: number): string {
  return saved.text.split('\n')[line - 1]?.replace(/\r$/, '') ?? '';
}

function findingFor(model: HostModel, saved: SavedRules, d: Diagnostic, line: number): FindingInput {
  const unit = loaderUnitFor(saved);
  const certain = d.severity === 'error';
  return {
    messageId: certain ? 'refused' : 'mayBeRefused',
    key: `${saved.path}:${String(line)}`,
    severity: certain ? 'error' : 'warning',
    data: { file: saved.path, line, unit, reason: d.message },
    evidence: [evidenceAt(saved.path, line, rawLine(saved, line), d.message)],
    subjects: [`rules:${saved.path}:${String(line)}`],
    fix: {
      actions: [
        manual(
          `Correct ${saved.path} line ${String(line)} before the next boot or restart of ${unit}: ${d.message}`,
          'iptables-restore is atomic: one refused line and the whole table stays unloaded.',
          `sudoedit ${shQuote(saved.path)}`,
        ),
      ],
      persistence: `${unit} loads ${saved.path} at every boot; once the file passes, every boot loads it.`,
      verify: `nfdoctor check ${saved.path} && ${testCommand(saved)}`,
    },
    next: model.systemd
      ? `Until the file is corrected, do not restart ${unit} or reboot: either leaves the table empty.`
      : 'Until the file is corrected, do not reload the rules or reboot: either leaves the table empty.',
  };
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'The saved rules will load the next time the loader reads them (boot, restart)',
    severity: 'error',
    messages: {
      refused:
        '{{file}} line {{line}} will be refused the next time {{unit}} loads the file (at boot or a restart), and with it the whole table: {{reason}}',
      mayBeRefused: '{{file}} line {{line}} may be refused when {{unit}} loads the file at boot: {{reason}}',
    },
  },
  run(ctx) {
    const { model } = ctx;
    if (model.savedRules.length === 0 || model.needs === undefined) {
      return notApplicable(
        model.savedRules.length === 0
          ? 'no saved iptables rules on this host'
          : 'the saved rules were not checked',
      );
    }
    for (const saved of model.savedRules) {
      const seen = new Set<number>();
      for (const d of model.needs.diagnostics) {
        const line = d.at.line;
        if (d.at.file !== saved.path || line === undefined || !REFUSING.has(d.code) || seen.has(line)) {
          continue;
        }
        seen.add(line);
        if (!explainedAlready(ctx.findings, saved.path, line)) {
          ctx.report(findingFor(model, saved, d, line));
        }
      }
    }
    return undefined;
  },
});
