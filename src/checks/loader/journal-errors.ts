// What a firewall loader unit logged while restoring the saved rules, read from `journalctl -b`, and where
// each message points in the rules file. Shared by loader/restore-failed and loader/silent-failure.
//
// Message shapes (iptables 1.8.9, both backends, ../shared/research/real-error-messages.md; the nflab
// captures missing-xt-recent, ipset-missing-set, healthy):
// - nf_tables, kernel rejects a rule: "line N: RULE_APPEND failed (No such file or directory): rule in chain
//   INPUT" with N the rule's line (xtables-restore.c), preceded by "Warning: Extension X revision 0 not
//   supported, missing kernel module?" (libxtables revision probe).
// - legacy, kernel rejects: "iptables-restore: line N failed" with N the COMMIT line: the whole table was
//   rejected in one iptc_commit(), the message cannot say which rule (iptables-restore.c).
// - parse or userspace error, both backends: a reason ("Couldn't load match `X'", "Set X doesn't exist.",
//   "Chain 'X' does not exist", "Bad argument `X'") then "Error occurred at line: N" with N the offending
//   line; for nf_tables' "Chain 'X' does not exist" N is the COMMIT line (the jump is resolved at commit).
// - "COMMIT expected at line N": the file ends inside a table.
// - netfilter-persistent (plugins 15-ip4tables / 25-ip6tables, run by `run-parts -v -a start`):
//   "run-parts: executing .../15-ip4tables start" starts a plugin, "run-parts: ... exited with return code
//   N" ends a failed one; with IPTABLES_TEST_RULESET=yes (default since 1.0.17) a failed `--test` prints
//   "Error: IPv4 rules failed test load. New rules NOT loaded" and the plugin returns 0. In 1.0.20 the
//   25-ip6tables plugin lacks a `return` after "Warning: skipping IPv6 (no rules to load)", so without
//   rules.v6 it logs "cannot open /etc/iptables/rules.v6: No such file" and the "Error: IPv6 rules failed test
//   load" line on every boot: harmless (nflab healthy capture; plugin source in the lab image).
// - RHEL iptables-services: iptables.init echoes "iptables: Applying firewall rules: " without a newline and
//   runs `iptables-restore $IPTABLES_DATA`, so the first error shares that line ("iptables: Applying firewall
//   rules: iptables-restore: line 9 failed"); Arch's iptables.service runs iptables-restore directly.
//   The script's other lines (src/parsers/__samples__/iptables-services, RHEL 7 and 8 alike): "iptables: No
//   config file." (start() without /etc/sysconfig/iptables, returns 6), "iptables: Applying firewall fallback
//   rules: " (the restore failed and /etc/sysconfig/iptables.fallback exists: the unit may still succeed),
//   "iptables: Loading additional modules: xt_foo [FAILED]" (a modprobe of IPTABLES_MODULES failed after the
//   restore). `failure`/`success` print "[FAILED]"/"[  OK  ]" under the unit's BOOTUP=serial.
// - iptables-restore given a file it cannot open (Arch's ExecStart= names the file): "Can't open
//   /etc/iptables/iptables.rules: No such file or directory" (iptables 1.8.9, both backends, run here).
import { geoipDatabaseCountry, readGeoip } from '../../validate/geoip.ts';
import type { JournalEntry } from '../../parsers/journal.ts';
import type { Rule, Table } from '../../parsers/iptables-save.ts';
import { allRules } from '../../parsers/iptables-save.ts';
import type { Family } from '../../knowledge/extensions.ts';
import type { SavedRules } from '../../model/host-model.ts';
import type { CheckResult } from '../../resolve/check-rules.ts';
import type { RequirementResult } from '../../resolve/evaluate.ts';
import { escapeRe, loaderUnitFor } from '../host-commands.ts';

export type LoaderMessageKind =
  | 'restore-header'
  | 'usage-printed'
  | 'rule-failed'
  | 'commit-failed'
  | 'error-at-line'
  | 'commit-expected'
  | 'cannot-load'
  | 'extension-warning'
  | 'no-such-name'
  | 'invalid-argument'
  | 'table-missing'
  | 'set-missing'
  | 'chain-missing'
  | 'nft-unavailable'
  | 'geoip-database'
  | 'parse-detail'
  | 'plugin-start'
  | 'plugin-exit'
  | 'test-load-failed'
  | 'no-rules-file'
  | 'fallback-applied'
  | 'modules-failed'
  | 'unit-exit'
  | 'unit-result'
  | 'unit-failed-start'
  | 'unit-dependency'
  | 'unit-done';

export interface LoaderMessage {
  readonly kind: LoaderMessageKind;
  readonly entry: JournalEntry;
  /** The text of the matched message line (an entry may hold several lines). */
  readonly text: string;
  readonly pid?: number;
  readonly family?: Family;
  readonly backend?: 'nft' | 'legacy';
  /** Rules-file line named by the message. */
  readonly fileLine?: number;
  /** Extension, set, chain or table named by the message. */
  readonly name?: string;
  readonly extensionKind?: 'match' | 'target';
  readonly errno?: string;
  readonly plugin?: string;
  readonly code?: string;
}

/** What a pattern extracts; capture groups that did not participate are undefined. */
type Built = { [K in keyof LoaderMessage]?: LoaderMessage[K] | undefined };

interface Pattern {
  readonly kind: LoaderMessageKind;
  readonly re: RegExp;
  readonly build?: (m: RegExpExecArray) => Built;
}

const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

function familyOfTool(tool: string | undefined): Family | undefined {
  if (tool === undefined) {
    return undefined;
  }
  return tool.startsWith('ip6') ? 'ipv6' : 'ipv4';
}

// Order matters: the first pattern that matches a line wins.
const PATTERNS: readonly Pattern[] = [
  {
    kind: 'rule-failed',
    re: /\bline (\d+): ([A-Z_]+) failed \(([^)]*)\)(?:: rule in chain (\S+))?/,
    build: (m) => ({ fileLine: num(m[1]), code: m[2], errno: m[3], name: m[4], backend: 'nft' }),
  },
  {
    kind: 'commit-failed',
    re: /\b(ip6?tables)-restore: line (\d+) failed/,
    build: (m) => ({ fileLine: num(m[2]), family: familyOfTool(m[1]), backend: 'legacy' }),
  },
  { kind: 'error-at-line', re: /Error occurred at line: (\d+)/, build: (m) => ({ fileLine: num(m[1]) }) },
  { kind: 'commit-expected', re: /COMMIT expected at line (\d+)/, build: (m) => ({ fileLine: num(m[1]) }) },
  {
    kind: 'extension-warning',
    re: /Extension (\S+) (?:revision \d+ not supported|is not supported), missing kernel module\?/,
    build: (m) => ({ name: m[1] }),
  },
  {
    kind: 'cannot-load',
    re: /Couldn't load (match|target) `([^']+)'/,
    build: (m) => ({ extensionKind: m[1] === 'target' ? 'target' : 'match', name: m[2] }),
  },
  { kind: 'no-such-name', re: /No chain\/target\/match by that name/ },
  { kind: 'invalid-argument', re: /ip6?tables: Invalid argument\. Run `dmesg'/ },
  {
    kind: 'table-missing',
    re: /can't initialize ip6?tables table `([^']+)'|unable to initialize table '([^']+)'|table name '([^']+)' invalid/,
    build: (m) => ({ name: m[1] ?? m[2] ?? m[3] }),
  },
  { kind: 'table-missing', re: /Table does not exist \(do you need to insmod\?\)/ },
  { kind: 'set-missing', re: /Set (\S+) doesn't exist/, build: (m) => ({ name: m[1] }) },
  { kind: 'chain-missing', re: /Chain '([^']+)' does not exist/, build: (m) => ({ name: m[1] }) },
  { kind: 'nft-unavailable', re: /Failed to initialize nft: (.*)/, build: (m) => ({ errno: m[1] }) },
  // libxt_geoip.c geoip_get_subnets(): printed before xtables_error(OTHER_PROBLEM, "Could not read geoip
  // database"), which exits at once: no "Error occurred at line" follows (lab scenario geoip-no-database).
  {
    kind: 'geoip-database',
    re: /Could not open (\/\S*\/xt_geoip\/[^:\s]+): |Database file (\/\S*\/xt_geoip\/\S+) seems to be corrupted/,
    build: (m) => ({ name: m[1] ?? m[2] }),
  },
  {
    kind: 'plugin-start',
    re: /run-parts: executing (\S+) (?:start|restart|reload)/,
    build: (m) => ({ plugin: m[1] }),
  },
  {
    kind: 'plugin-exit',
    re: /run-parts: (\S+) exited with return code (\d+)/,
    build: (m) => ({ plugin: m[1], code: m[2] }),
  },
  {
    kind: 'test-load-failed',
    re: /Error: IPv(4|6) rules failed test load\. New rules NOT loaded/,
    build: (m) => ({ family: m[1] === '6' ? 'ipv6' : 'ipv4' }),
  },
  {
    kind: 'no-rules-file',
    re: /Warning: skipping IPv(4|6) \(no rules to load\)/,
    build: (m) => ({ family: m[1] === '6' ? 'ipv6' : 'ipv4' }),
  },
  {
    kind: 'no-rules-file',
    re: /cannot open (\/etc\/\S+): No such file/,
    build: (m) => ({ name: m[1], family: /v6|ip6/.test(m[1] ?? '') ? 'ipv6' : 'ipv4' }),
  },
  {
    kind: 'no-rules-file',
    re: /\b(ip6?tables): No config file\./,
    build: (m) => ({ family: familyOfTool(m[1]), name: `/etc/sysconfig/${m[1] ?? 'iptables'}` }),
  },
  {
    kind: 'no-rules-file',
    re: /Can't open (\/\S+): No such file or directory/,
    build: (m) => ({ name: m[1], family: /ip6|v6/.test(m[1] ?? '') ? 'ipv6' : 'ipv4' }),
  },
  {
    kind: 'fallback-applied',
    re: /\b(ip6?tables): Applying firewall fallback rules: /,
    build: (m) => ({ family: familyOfTool(m[1]), name: `/etc/sysconfig/${m[1] ?? 'iptables'}.fallback` }),
  },
  {
    kind: 'modules-failed',
    re: /\b(ip6?tables): Loading additional modules: (.*?)\s*\[FAILED\]/,
    build: (m) => ({ family: familyOfTool(m[1]), name: (m[2] ?? '').trim() }),
  },
  {
    // -h/--help in the rules file: iptables-restore printed its usage and exited 0 (lab capture help-in-rules).
    kind: 'usage-printed',
    re: /^Usage: (ip6?tables)(?:-nft|-legacy)?-restore -\[ACD\]/,
    build: (m) => ({ family: familyOfTool(m[1]) }),
  },
  {
    kind: 'restore-header',
    re: /(ip6?tables)-restore v[\d.]+ \((nf_tables|legacy)\):?\s*$/,
    build: (m) => ({ family: familyOfTool(m[1]), backend: m[2] === 'legacy' ? 'legacy' : 'nft' }),
  },
  {
    kind: 'parse-detail',
    re: /Bad argument `|unknown option|invalid |Unknown arg|option ".*" requires|Parameter problem|can't be|not supported|must be specified|requires '-p/,
  },
  // Anything else xtables_error() prints behind the program's own prefix ("iptables-restore v1.8.9
  // (nf_tables): host/network `admin.example.org' not found"): the reason of the line that follows.
  { kind: 'parse-detail', re: /\bip6?tables-restore v[\d.]+ \((?:nf_tables|legacy)\): \S/ },
];

/** Identifiers a loader's own processes log under when the journal has no unit field (short formats). */
function identifiersFor(unit: string): readonly string[] {
  switch (unit) {
    case 'netfilter-persistent.service':
      return ['netfilter-persistent'];
    case 'iptables.service':
      return ['iptables.init', 'iptables', 'iptables-restore'];
    case 'ip6tables.service':
      return ['ip6tables.init', 'ip6tables', 'ip6tables-restore'];
    default:
      return [unit.replace(/\.service$/, '')];
  }
}

interface Pid1Patterns {
  readonly exit: RegExp;
  readonly result: RegExp;
  readonly dependency: RegExp;
  readonly failedStart: RegExp;
  readonly done: RegExp;
}

/** Per unit: a boot has hundreds of PID 1 lines and each loader unit is scanned for them. */
const PID1_PATTERNS = new Map<string, Pid1Patterns>();

function pid1Patterns(unit: string): Pid1Patterns {
  let p = PID1_PATTERNS.get(unit);
  if (p === undefined) {
    const u = escapeRe(unit);
    p = {
      exit: new RegExp(`^${u}: Main process exited, code=\\w+, status=\\d+/(?!SUCCESS)`),
      result: new RegExp(`^${u}: Failed with result '`),
      dependency: new RegExp(
        `^Dependency failed for ${u}\\b|^${u}: Job ${u}/start failed with result 'dependency'`,
      ),
      failedStart: new RegExp(`^Failed to start ${u}\\b`),
      done: new RegExp(`^(Finished|Started) ${u}\\b`),
    };
    PID1_PATTERNS.set(unit, p);
  }
  return p;
}

function pid1Kind(text: string, unit: string, entry: JournalEntry): LoaderMessageKind | undefined {
  const p = pid1Patterns(unit);
  const about = entry.unit === unit;
  if (p.exit.test(text)) {
    return 'unit-exit';
  }
  if (p.result.test(text)) {
    return 'unit-result';
  }
  if (p.dependency.test(text)) {
    return 'unit-dependency';
  }
  if (p.failedStart.test(text) || (about && text.startsWith('Failed to start '))) {
    return 'unit-failed-start';
  }
  if (p.done.test(text) || (about && /^(Finished|Started) /.test(text))) {
    return 'unit-done';
  }
  return undefined;
}

function fromLoader(entry: JournalEntry, unit: string): boolean {
  if (entry.sourceUnit === unit) {
    return true;
  }
  if (entry.sourceUnit !== undefined && entry.sourceUnit !== 'init.scope') {
    return false;
  }
  return entry.syslogIdentifier !== undefined && identifiersFor(unit).includes(entry.syslogIdentifier);
}

function pluginFamily(plugin: string | undefined): Family | undefined {
  if (plugin === undefined) {
    return undefined;
  }
  const base = plugin.slice(plugin.lastIndexOf('/') + 1);
  if (/ip6/.test(base)) {
    return 'ipv6';
  }
  return /ip4|iptables/.test(base) ? 'ipv4' : undefined;
}

function unitFamily(unit: string): Family | undefined {
  if (unit === 'ip6tables.service') {
    return 'ipv6';
  }
  return unit === 'iptables.service' ? 'ipv4' : undefined;
}

/** Per journal and unit: three loader checks scan the same boot for the same unit. */
const SCANNED = new WeakMap<readonly JournalEntry[], Map<string, readonly LoaderMessage[]>>();

/** Every message the loader unit (and PID 1 about it) logged this boot that nfdoctor understands, in order. */
export function scanLoaderJournal(entries: readonly JournalEntry[], unit: string): readonly LoaderMessage[] {
  let byUnit = SCANNED.get(entries);
  if (byUnit === undefined) {
    byUnit = new Map();
    SCANNED.set(entries, byUnit);
  }
  let messages = byUnit.get(unit);
  if (messages === undefined) {
    messages = Object.freeze(scanUnit(entries, unit));
    byUnit.set(unit, messages);
  }
  return messages;
}

function scanUnit(entries: readonly JournalEntry[], unit: string): LoaderMessage[] {
  const out: LoaderMessage[] = [];
  let plugin: string | undefined;
  for (const entry of entries) {
    const pid1 = entry.syslogIdentifier === 'systemd' || entry.pid === 1;
    if (pid1) {
      for (const text of entry.message.split('\n')) {
        const kind = pid1Kind(text, unit, entry);
        if (kind !== undefined) {
          out.push({ kind, entry, text, pid: 1 });
          if (kind === 'unit-done' || kind === 'unit-failed-start') {
            plugin = undefined;
          }
        }
      }
      continue;
    }
    if (!fromLoader(entry, unit)) {
      continue;
    }
    for (const text of entry.message.split('\n')) {
      const p = PATTERNS.find((x) => x.re.test(text));
      if (p === undefined) {
        continue;
      }
      const m = p.re.exec(text);
      const built = m == null || p.build === undefined ? {} : p.build(m);
      if (p.kind === 'plugin-start') {
        plugin = built.plugin;
      }
      const family =
        built.family ??
        (p.kind === 'plugin-exit' ? pluginFamily(built.plugin) : undefined) ??
        pluginFamily(plugin) ??
        unitFamily(unit) ??
        (/^ip6tables|ip6tables-restore/.test(text) ? 'ipv6' : undefined);
      const banner = /-restore v[\d.]+ \((nf_tables|legacy)\)/.exec(text)?.[1];
      const backend =
        built.backend ?? (banner === undefined ? undefined : banner === 'legacy' ? 'legacy' : 'nft');
      const msg: LoaderMessage = {
        ...stripUndefined(built),
        kind: p.kind,
        entry,
        text,
        ...(entry.pid === undefined ? {} : { pid: entry.pid }),
        ...(family === undefined ? {} : { family }),
        ...(backend === undefined ? {} : { backend }),
        ...(plugin === undefined || built.plugin !== undefined ? {} : { plugin }),
      };
      out.push(msg);
      if (p.kind === 'plugin-exit') {
        plugin = undefined;
      }
    }
  }
  return out;
}

function stripUndefined(o: Built): Partial<LoaderMessage> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export type RestoreIssueKind =
  | 'missing-extension'
  | 'kernel-rejected'
  | 'table-rejected'
  | 'unknown-extension'
  | 'set-missing'
  | 'chain-missing'
  | 'table-unavailable'
  | 'nft-unavailable'
  | 'commit-missing'
  | 'geoip-database'
  | 'parse-error';

/** One thing iptables-restore refused, with every journal line that says so. */
export interface RestoreIssue {
  readonly kind: RestoreIssueKind;
  readonly family?: Family;
  readonly backend?: 'nft' | 'legacy';
  readonly fileLine?: number;
  /** Extension named by the journal (warnings, "Couldn't load"), with its kind when the message says it. */
  readonly extensions: readonly { readonly name: string; readonly kind?: 'match' | 'target' }[];
  readonly set?: string;
  /** The -m geoip country file iptables could not open (geoip-database). */
  readonly database?: string;
  readonly chain?: string;
  readonly table?: string;
  readonly errno?: string;
  /** The journal lines, in journal order (warnings of every pass, the header, the reason, the line). */
  readonly messages: readonly LoaderMessage[];
  /** Process ids of the restore passes that logged it (the --test pass and the real one log the same warnings). */
  readonly pids: readonly number[];
  /** From a netfilter-persistent test load (followed by "New rules NOT loaded"): nothing was loaded. */
  readonly testLoad: boolean;
}

const DETAIL_KINDS: ReadonlySet<LoaderMessageKind> = new Set([
  'cannot-load',
  'set-missing',
  'chain-missing',
  'table-missing',
  'parse-detail',
  'no-such-name',
  'invalid-argument',
  'nft-unavailable',
  'geoip-database',
]);

function issueKindFromDetail(detail: LoaderMessage | undefined): RestoreIssueKind {
  switch (detail?.kind) {
    case 'cannot-load':
      return 'unknown-extension';
    case 'set-missing':
      return 'set-missing';
    case 'chain-missing':
      return 'chain-missing';
    case 'table-missing':
      return 'table-unavailable';
    case 'nft-unavailable':
      return 'nft-unavailable';
    case 'geoip-database':
      return 'geoip-database';
    default:
      return 'parse-error';
  }
}

/** Groups the restore messages of one family into issues; the pids of a --test pass are marked. */
export function restoreIssues(messages: readonly LoaderMessage[], family: Family): RestoreIssue[] {
  const mine = messages.filter((m) => m.family === family || m.family === undefined);
  const testPids = new Set<number>();
  // A test-load failure line is printed by the plugin shell right after its `iptables-restore --test` child
  // exited: the restore messages since the plugin started belong to that test pass.
  let since = 0;
  mine.forEach((m, i) => {
    if (m.kind === 'plugin-start' || m.kind === 'plugin-exit') {
      since = i + 1;
    }
    if (m.kind === 'test-load-failed' && m.family === family) {
      for (const x of mine.slice(since, i)) {
        if (x.pid !== undefined && x.pid !== m.pid) {
          testPids.add(x.pid);
        }
      }
      since = i + 1;
    }
  });
  const warnings = mine.filter((m) => m.kind === 'extension-warning');
  const issues: RestoreIssue[] = [];
  const byPid = new Map<number | undefined, LoaderMessage[]>();
  for (const m of mine) {
    if (
      m.pid === 1 ||
      [
        'plugin-start',
        'plugin-exit',
        'test-load-failed',
        'no-rules-file',
        'fallback-applied',
        'modules-failed',
      ].includes(m.kind)
    ) {
      continue;
    }
    const list = byPid.get(m.pid) ?? [];
    list.push(m);
    byPid.set(m.pid, list);
  }
  for (const [pid, list] of byPid) {
    const header = list.find((m) => m.kind === 'restore-header');
    const pidWarnings = list.filter((m) => m.kind === 'extension-warning');
    const named = pidWarnings.map((w) => ({ name: w.name ?? '' }));
    const backend = header?.backend ?? list.find((m) => m.backend !== undefined)?.backend;
    let details: LoaderMessage[] = [];
    const base = (
      kind: RestoreIssueKind,
      own: LoaderMessage[],
      extra: Partial<RestoreIssue>,
    ): RestoreIssue => {
      const names = [...(extra.extensions ?? []), ...named];
      const related = warnings.filter((w) => names.some((n) => n.name === w.name));
      const all = uniqueMessages([...related, ...(header === undefined ? [] : [header]), ...own]);
      return {
        kind,
        family,
        ...(backend === undefined ? {} : { backend }),
        ...extra,
        extensions: dedupeExtensions(names),
        messages: all,
        pids: [...new Set(all.map((m) => m.pid).filter((p): p is number => p !== undefined))],
        testLoad: pid !== undefined && testPids.has(pid),
      };
    };
    for (const m of list) {
      if (DETAIL_KINDS.has(m.kind)) {
        details.push(m);
        continue;
      }
      if (m.kind === 'rule-failed') {
        issues.push(
          base(m.errno === 'No such file or directory' ? 'missing-extension' : 'kernel-rejected', [m], {
            ...(m.fileLine === undefined ? {} : { fileLine: m.fileLine }),
            ...(m.errno === undefined ? {} : { errno: m.errno }),
            ...(m.name === undefined ? {} : { chain: m.name }),
          }),
        );
      } else if (m.kind === 'commit-failed') {
        issues.push(
          base('table-rejected', [...details, m], m.fileLine === undefined ? {} : { fileLine: m.fileLine }),
        );
        details = [];
      } else if (m.kind === 'error-at-line' || m.kind === 'commit-expected') {
        const detail = details.at(-1);
        const kind = m.kind === 'commit-expected' ? 'commit-missing' : issueKindFromDetail(detail);
        issues.push(
          base(kind, [...details, m], {
            ...(m.fileLine === undefined ? {} : { fileLine: m.fileLine }),
            ...detailFields(detail),
          }),
        );
        details = [];
      }
    }
    // A reason with no line (nft could not start at all, a table missing before any line was read, a geoip
    // database libxt_geoip could not open while it parsed a rule).
    for (const d of details.filter((x) => x.kind === 'nft-unavailable' || x.kind === 'table-missing')) {
      issues.push(base(issueKindFromDetail(d), [d], detailFields(d)));
    }
    const geoip = details.find((x) => x.kind === 'geoip-database');
    if (geoip !== undefined) {
      issues.push(base('geoip-database', details, detailFields(geoip)));
    }
  }
  return issues;
}

function detailFields(detail: LoaderMessage | undefined): Partial<RestoreIssue> {
  if (detail === undefined || detail.name === undefined) {
    return {};
  }
  switch (detail.kind) {
    case 'cannot-load':
      return {
        extensions: [
          {
            name: detail.name,
            ...(detail.extensionKind === undefined ? {} : { kind: detail.extensionKind }),
          },
        ],
      };
    case 'set-missing':
      return { set: detail.name };
    case 'chain-missing':
      return { chain: detail.name };
    case 'table-missing':
      return { table: detail.name };
    case 'geoip-database':
      return { database: detail.name };
    default:
      return {};
  }
}

function uniqueMessages(list: readonly LoaderMessage[]): LoaderMessage[] {
  const seen = new Set<string>();
  const out: LoaderMessage[] = [];
  for (const m of list) {
    const k = `${String(m.entry.line)}\u0000${m.text}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(m);
    }
  }
  return out.sort((a, b) => a.entry.line - b.entry.line);
}

function dedupeExtensions(
  list: readonly { name: string; kind?: 'match' | 'target' }[],
): { name: string; kind?: 'match' | 'target' }[] {
  const out = new Map<string, { name: string; kind?: 'match' | 'target' }>();
  for (const e of list) {
    if (e.name !== '' && !out.has(e.name)) {
      out.set(e.name, e);
    }
  }
  return [...out.values()];
}

/** netfilter-persistent's "Error: IPvN rules failed test load" lines, minus the harmless missing-rules.v6 one. */
export function testLoadRejections(
  messages: readonly LoaderMessage[],
  family: Family,
): { readonly line: LoaderMessage; readonly benign: boolean }[] {
  const out: { line: LoaderMessage; benign: boolean }[] = [];
  let noFile = false;
  for (const m of messages) {
    if (m.kind === 'plugin-start') {
      noFile = false;
    }
    if (m.kind === 'no-rules-file' && m.family === family) {
      noFile = true;
    }
    if (m.kind === 'test-load-failed' && m.family === family) {
      out.push({ line: m, benign: noFile });
    }
  }
  return out;
}

/** What PID 1 said about the unit's last start this boot. */
export interface UnitOutcome {
  readonly failed: readonly LoaderMessage[];
  readonly dependency: readonly LoaderMessage[];
  /** A later successful start superseded the failure (someone restarted the unit). */
  readonly recovered?: LoaderMessage;
  readonly pluginExits: readonly LoaderMessage[];
}

export function unitOutcome(messages: readonly LoaderMessage[]): UnitOutcome {
  const failed: LoaderMessage[] = [];
  const dependency: LoaderMessage[] = [];
  const pluginExits: LoaderMessage[] = [];
  let recovered: LoaderMessage | undefined;
  for (const m of messages) {
    if (m.kind === 'unit-exit' || m.kind === 'unit-result' || m.kind === 'unit-failed-start') {
      failed.push(m);
      recovered = undefined;
    } else if (m.kind === 'unit-dependency') {
      dependency.push(m);
      recovered = undefined;
    } else if (m.kind === 'plugin-exit') {
      pluginExits.push(m);
    } else if (m.kind === 'unit-done' && (failed.length > 0 || dependency.length > 0)) {
      recovered = m;
    }
  }
  return { failed, dependency, pluginExits, ...(recovered === undefined ? {} : { recovered }) };
}

// ---------------------------------------------------------------------------------------------------
// From a journal message to the rules file

export interface LocatedRule {
  readonly line: number;
  readonly raw: string;
  readonly table: string;
}

export interface Location {
  readonly rules: readonly LocatedRule[];
  readonly table?: Table;
  /** Requirements of these rules the running kernel or userspace cannot satisfy, or that the journal names. */
  readonly requirements: readonly RequirementResult[];
  /** Set uses with no definition. */
  readonly sets: readonly string[];
}

function tableAt(saved: SavedRules, line: number): Table | undefined {
  return saved.ruleset.tables.find((t) => t.line <= line && (t.commitLine ?? Infinity) >= line);
}

function usesExtension(rule: Rule, name: string): 'match' | 'target' | undefined {
  if (rule.target?.name === name) {
    return 'target';
  }
  return rule.matches.some((m) => m.name === name) ? 'match' : undefined;
}

function located(rule: Rule): LocatedRule {
  return { line: rule.line, raw: rule.raw, table: rule.table };
}

function usesSet(rule: Rule, set: string): boolean {
  const opts = [...rule.matches.flatMap((m) => m.options), ...(rule.target?.options ?? [])];
  return opts.some((o) => o.values[0] === set && /set$/.test(o.name));
}

/** The rules file lines and the requirements an issue is about. */
export function locateIssue(
  issue: RestoreIssue,
  saved: SavedRules,
  needs: CheckResult | undefined,
): Location {
  const rules = allRules(saved.ruleset);
  const results = (needs?.results ?? []).filter(
    (r) => r.requirement.file === saved.path && r.requirement.family === saved.family,
  );
  const named = new Set(issue.extensions.map((e) => e.name));
  const reqsFor = (candidates: readonly Rule[]): RequirementResult[] => {
    const lines = new Set(candidates.map((r) => r.line));
    return results.filter(
      (r) =>
        r.requirement.lines.some((l) => lines.has(l)) &&
        (named.has(r.requirement.extension) || (named.size === 0 && !r.ok)),
    );
  };
  const line = issue.fileLine;
  const atLine = line === undefined ? undefined : rules.find((r) => r.line === line);
  switch (issue.kind) {
    case 'missing-extension':
    case 'kernel-rejected':
    case 'parse-error':
    case 'unknown-extension': {
      if (atLine !== undefined) {
        return { rules: [located(atLine)], requirements: reqsFor([atLine]), sets: [] };
      }
      // No line (or the line is not a rule): every rule using a named extension.
      const users = rules.filter((r) => [...named].some((n) => usesExtension(r, n) !== undefined));
      const table = line === undefined ? undefined : tableAt(saved, line);
      return {
        rules: users.map(located),
        requirements: reqsFor(users),
        sets: [],
        ...(table === undefined ? {} : { table }),
      };
    }
    case 'table-rejected': {
      // Legacy: the COMMIT line of the table the kernel refused; name every rule in it that cannot load.
      const table = line === undefined ? undefined : tableAt(saved, line);
      const inTable =
        table === undefined
          ? rules
          : rules.filter(
              (r) =>
                r.table === table.name && r.line >= table.line && r.line <= (table.commitLine ?? Infinity),
            );
      const reqs =
        reqsFor(inTable).length > 0
          ? reqsFor(inTable)
          : results.filter((r) => !r.ok && r.requirement.tables.includes(table?.name ?? ''));
      const lines = new Set(reqs.flatMap((r) => r.requirement.lines));
      // Without verdicts for this kernel, the extensions the warnings name point at the rules.
      const byWarning = inTable.filter((r) => [...named].some((n) => usesExtension(r, n) !== undefined));
      return {
        rules: (lines.size > 0 ? inTable.filter((r) => lines.has(r.line)) : byWarning).map(located),
        requirements: reqs,
        sets: [],
        ...(table === undefined ? {} : { table }),
      };
    }
    case 'set-missing': {
      const set = issue.set ?? '';
      const users = atLine !== undefined ? [atLine] : rules.filter((r) => usesSet(r, set));
      return { rules: users.map(located), requirements: [], sets: set === '' ? [] : [set] };
    }
    case 'chain-missing': {
      const chain = issue.chain ?? '';
      const jumps = rules.filter((r) => r.target?.name === chain);
      const users = atLine !== undefined && jumps.length === 0 ? [atLine] : jumps;
      const table = line === undefined ? undefined : tableAt(saved, line);
      return {
        rules: users.map(located),
        requirements: reqsFor(users),
        sets: [],
        ...(table === undefined ? {} : { table }),
      };
    }
    case 'table-unavailable': {
      const table =
        saved.ruleset.tables.find((t) => t.name === issue.table) ??
        (line === undefined ? undefined : tableAt(saved, line));
      const reqs = results.filter(
        (r) => r.requirement.kind === 'table' && r.requirement.extension === table?.name,
      );
      return { rules: [], requirements: reqs, sets: [], ...(table === undefined ? {} : { table }) };
    }
    case 'nft-unavailable':
      return { rules: [], requirements: results.filter((r) => r.requirement.kind === 'backend'), sets: [] };
    case 'geoip-database': {
      // The rules that name the country of the file (CN.iv4 -> CN): libxt_geoip opens it for each of them.
      const country = geoipDatabaseCountry(issue.database ?? '');
      const users = rules.filter((r) =>
        r.matches.some((m) => {
          const reading = m.name === 'geoip' ? readGeoip(m.options) : undefined;
          return reading?.ok === true && reading.countries.includes(country);
        }),
      );
      return { rules: users.map(located), requirements: reqsFor(users), sets: [] };
    }
    case 'commit-missing': {
      const table = saved.ruleset.tables.at(-1);
      return { rules: [], requirements: [], sets: [], ...(table === undefined ? {} : { table }) };
    }
  }
}

/** The saved file a loader restores for a family (rules.v4, /etc/sysconfig/iptables, iptables.rules). */
export function savedFileFor(
  saved: readonly SavedRules[],
  unit: string,
  family: Family,
): SavedRules | undefined {
  return saved.find((s) => s.family === family && loaderUnitFor(s) === unit);
}
