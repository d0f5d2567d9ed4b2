// Evidence and fix pieces shared by the loader checks: journal lines, rules-file lines, unit state.
import type { Evidence } from '../../findings/evidence.ts';
import type { HostModel, SavedRules } from '../../model/host-model.ts';
import type { Finding } from '../types.ts';
import type { Action } from '../../fixes/actions.ts';
import type { LoaderMessage, Location, RestoreIssue } from './journal-errors.ts';
import { parseSystemctlListUnits } from '../../parsers/systemctl-text.ts';
import type { Diagnostic } from '../../parsers/types.ts';
import { RULE_REJECTED, RULE_REJECTED_LEGACY, RULE_REJECTED_NFT } from '../../validate/rule-validator.ts';
import { GEOIP_DATABASE_CORRUPT, GEOIP_DATABASE_MISSING } from '../../resolve/geoip-database.ts';
import { RULE_REJECTED_BEFORE_KERNEL } from '../../validate/kernel-release.ts';

export function journalLine(model: HostModel, m: LoaderMessage, note?: string): Evidence {
  return {
    source: model.journal.source,
    line: m.entry.line,
    text: m.entry.message,
    ...(note === undefined ? {} : { note }),
  };
}

/**
 * The journal lines of an issue. With netfilter-persistent's test load on, the same warnings come from two
 * processes: the `--test` pass (which passed on nf_tables, lab capture missing-xt-recent) and the real restore.
 */
export function issueEvidence(model: HostModel, issue: RestoreIssue, firstPassIsTest: boolean): Evidence[] {
  const first = issue.pids[0];
  return issue.messages.map((m) => {
    const note =
      firstPassIsTest && issue.pids.length > 1 && !issue.testLoad && m.pid !== undefined
        ? m.pid === first
          ? `pid ${String(m.pid)}: the iptables-restore --test pass, which passed`
          : `pid ${String(m.pid)}: the real restore`
        : undefined;
    return journalLine(model, m, note);
  });
}

export function locationEvidence(saved: SavedRules, loc: Location): Evidence[] {
  const out: Evidence[] = loc.rules
    .slice(0, 5)
    .map((r) => ({ source: saved.path, line: r.line, text: r.raw }));
  if (loc.table !== undefined && loc.rules.length === 0) {
    out.push({ source: saved.path, line: loc.table.line, text: `*${loc.table.name}` });
  }
  if (loc.table?.commitLine !== undefined) {
    out.push({
      source: saved.path,
      line: loc.table.commitLine,
      text: 'COMMIT',
      note: `end of table ${loc.table.name}`,
    });
  }
  return out;
}

/** `systemctl show` properties that say how the unit ended. */
export function unitStateEvidence(model: HostModel, unit: string): Evidence[] {
  const show = model.units.get(unit)?.show;
  if (show === undefined) {
    return [];
  }
  const props = ['ActiveState', 'SubState', 'Result', 'ExecMainStatus']
    .filter((k) => show.get(k) !== undefined)
    .map((k) => `${k}=${show.get(k) ?? ''}`);
  return props.length === 0 ? [] : [{ source: `command: systemctl show ${unit}`, text: props.join(' ') }];
}

/** The unit's row in `systemctl --failed`, when that was collected and lists it. */
export function failedListEvidence(model: HostModel, unit: string): Evidence[] {
  const fact = model.commands.get('systemctl.failed');
  if (fact === undefined || (fact.status !== 'ok' && fact.status !== 'exit-nonzero')) {
    return [];
  }
  const row = parseSystemctlListUnits(fact.stdout, 'systemctl --failed').value.units.find(
    (u) => u.unit === unit,
  );
  return row === undefined
    ? []
    : [
        {
          source: 'command: systemctl --failed',
          line: row.line,
          text: `${row.unit} ${row.load} ${row.active} ${row.sub} ${row.description}`.trim(),
        },
      ];
}

/** `iptables-restore --test` for the file's family: parses and (legacy) checks everything, changes nothing. */
/** The restore tool the loaders run on a saved file of this family. */
export function restoreTool(saved: { readonly family: 'ipv4' | 'ipv6' }): string {
  return saved.family === 'ipv6' ? 'ip6tables-restore' : 'iptables-restore';
}

export function testCommand(saved: SavedRules): string {
  return `sudo ${restoreTool(saved)} --test < ${saved.path}`;
}

export function saveTool(saved: SavedRules): string {
  return saved.family === 'ipv6' ? 'ip6tables-save' : 'iptables-save';
}

/**
 * The fix actions of the first root cause that has one, to repeat next to the symptom (without its restarts:
 * the symptom's own fix restarts its loader). The same action objects, so a planner can tell they are one.
 */
export function causeActions(causes: readonly Finding[]): Action[] {
  const withFix = causes.find((c) => c.fix !== undefined);
  if (withFix?.fix === undefined) {
    return [];
  }
  return withFix.fix.actions.filter(
    (a) =>
      !(a.kind === 'systemctl' && (a.verb === 'restart' || a.verb === 'start')) &&
      !(a.kind === 'manual' && /systemctl (re)?start|service \S+ (re)?start/.test(a.command ?? '')),
  );
}

export function uniqueIds(findings: readonly Finding[]): string[] {
  return [...new Set(findings.map((f) => f.id))];
}

/** `check`'s codes for a line the loader will refuse, or may, depending on the host that loads it. */
const LOAD_REFUSALS: ReadonlySet<string> = new Set([RULE_REJECTED, 'state-dependent-load']);

/**
 * Errors of `check` that are not a refusal of the line itself for every host: one backend's only (weighed
 * against the host's backend by the callers), one HZ's only, or a missing or cut-off geoip database (the line
 * is fine; userspace/geoip-database tells what to build).
 */
const NOT_A_LINE_REFUSAL: ReadonlySet<string> = new Set([
  RULE_REJECTED_NFT,
  RULE_REJECTED_LEGACY,
  'rule-rejected-at-hz',
  RULE_REJECTED_BEFORE_KERNEL,
  'jump-before-chain-declared',
  GEOIP_DATABASE_MISSING,
  GEOIP_DATABASE_CORRUPT,
]);

/**
 * A refusal by the kernel or the extensions (rule-rejected), a load that depends on the host, or a line the
 * parser already refuses (an unknown option, -h/--help where iptables-restore exits early ...).
 */
export function isLoadRefusal(d: Diagnostic): boolean {
  return LOAD_REFUSALS.has(d.code) || (d.severity === 'error' && !NOT_A_LINE_REFUSAL.has(d.code));
}

/**
 * What `check` says the loader does with `line` of the saved file, if it says anything. `refusedOnly`: only a
 * certain refusal, not a load that depends on the host. `backend`: the backend the journal says refused the
 * line, whose own refusals count too, even when the model could not tell the host's backend (a mounted disk
 * without /etc/alternatives, say).
 */
export function checkReadingAt(
  model: HostModel,
  file: string,
  line: number | undefined,
  opts: { readonly refusedOnly?: boolean; readonly backend?: 'nft' | 'legacy' } = {},
): Diagnostic | undefined {
  const backendCode =
    opts.backend === 'nft' ? RULE_REJECTED_NFT : opts.backend === 'legacy' ? RULE_REJECTED_LEGACY : undefined;
  const counts = (d: Diagnostic): boolean =>
    (opts.refusedOnly === true ? d.code === RULE_REJECTED : isLoadRefusal(d)) || d.code === backendCode;
  return model.needs?.diagnostics.find((d) => d.at.file === file && d.at.line === line && counts(d));
}
