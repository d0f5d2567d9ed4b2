// A saved rules file that `check` refuses, on a host where nothing has failed yet: the rules loaded now are
// older (loaded before the edit, or by hand), and the next boot or loader restart loads none of the table.
import { defineCheck, notApplicable, type Finding, type FindingInput } from '../../types.ts';
import type { HostModel, SavedRules } from '../../../model/host-model.ts';
import type { Diagnostic } from '../../../parsers/types.ts';
import { evidenceAt } from '../../../findings/evidence.ts';
import { loaderUnitFor } from '../../host-commands.ts';
import { manual, rawLine } from '../../fix-actions.ts';
import { shQuote } from '../../../fixes/actions.ts';
import { isLoadRefusal, testCommand } from '../evidence.ts';

const ID = 'loader/saved-rules-refused';

/**
 * The line of the saved file that a loader check already explained as refused on this boot, or that fails
 * because the whole file holds the other family's rules (loader/rules-file-family).
 */
function explainedAlready(findings: readonly Finding[], file: string, line: number): boolean {
  const key = `${file}:${String(line)}`;
  return findings.some(
    (f) =>
      f.id === `loader/restore-failed#${key}` ||
      f.id === `loader/silent-failure#${key}` ||
      f.id === `loader/rules-file-family#${file}`,
  );
}

function findingFor(model: HostModel, saved: SavedRules, d: Diagnostic, line: number): FindingInput {
  const unit = loaderUnitFor(saved);
  const certain = d.severity === 'error';
  return {
    messageId: certain ? 'refused' : 'mayBeRefused',
    key: `${saved.path}:${String(line)}`,
    severity: certain ? 'error' : 'warning',
    data: { file: saved.path, line, unit, reason: d.message },
    evidence: [evidenceAt(saved.path, line, rawLine(model, saved.path, line), d.message)],
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

/**
 * A file written for another iptables, or one option repeated on every rule, can give hundreds of lines: the
 * first ones each get their finding, the rest one finding that lists them.
 */
const SHOWN_PER_FILE = 10;

/** Each line of `saved` that check refuses or may refuse, once, in file order. */
export function refusedLines(
  diagnostics: readonly Diagnostic[],
  saved: SavedRules,
): { d: Diagnostic; line: number }[] {
  const byLine = new Map<number, Diagnostic>();
  for (const d of diagnostics) {
    const line = d.at.line;
    if (d.at.file === saved.path && line !== undefined && isLoadRefusal(d) && !byLine.has(line)) {
      byLine.set(line, d);
    }
  }
  return [...byLine].sort((a, b) => a[0] - b[0]).map(([line, d]) => ({ d, line }));
}

function moreFinding(
  model: HostModel,
  saved: SavedRules,
  rest: readonly { d: Diagnostic; line: number }[],
): FindingInput {
  const lines = rest.map((r) => r.line);
  return {
    messageId: 'more',
    key: `${saved.path}:more`,
    severity: rest.some((r) => r.d.severity === 'error') ? 'error' : 'warning',
    data: {
      file: saved.path,
      count: rest.length,
      unit: loaderUnitFor(saved),
      lines: lines.length > 20 ? `${lines.slice(0, 20).join(', ')}, ...` : lines.join(', '),
    },
    evidence: rest
      .slice(0, 3)
      .map((r) => evidenceAt(saved.path, r.line, rawLine(model, saved.path, r.line), r.d.message)),
    subjects: lines.map((l) => `rules:${saved.path}:${String(l)}`),
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
      more: '{{file}}: {{count}} more line(s) that {{unit}} will or may refuse: line {{lines}} (nfdoctor check {{file}} lists them all)',
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
      const refused = refusedLines(model.needs.diagnostics, saved).filter(
        ({ line }) => !explainedAlready(ctx.findings, saved.path, line),
      );
      for (const { d, line } of refused.slice(0, SHOWN_PER_FILE)) {
        ctx.report(findingFor(model, saved, d, line));
      }
      const rest = refused.slice(SHOWN_PER_FILE);
      if (rest.length > 0) {
        ctx.report(moreFinding(model, saved, rest));
      }
    }
    return undefined;
  },
});
