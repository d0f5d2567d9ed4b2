// The SARIF 2.1.0 form of a `check` result (OASIS SARIF v2.1.0, sections 3.13 run, 3.27 result, 3.49
// reportingDescriptor), for code scanning in CI: GitHub and GitLab show each result at its rules line.
import type { Log, ReportingDescriptor, Result, Location } from 'sarif';
import type { CheckResult, SetResult } from '../resolve/check-rules.ts';
import type { RequirementResult } from '../resolve/evaluate.ts';
import type { ModuleStatus } from '../resolve/module-state.ts';
import type { Diagnostic } from '../parsers/types.ts';
import { formatEvidence } from '../findings/evidence.ts';
import { RULE_REJECTED_BEFORE_KERNEL } from '../validate/kernel-release.ts';

const SARIF_SCHEMA =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** GitHub keeps at most 1000 locations per result; more would only be cut there. */
const MAX_RELATED = 1000;

interface RuleDoc {
  readonly id: string;
  readonly name: string;
  readonly short: string;
  readonly help: string;
}

const MODULE_UNAVAILABLE: RuleDoc = {
  id: 'module-unavailable',
  name: 'ModuleUnavailable',
  short: 'A kernel module these rules need cannot be provided by the target kernel',
  help:
    'When iptables-restore inserts the rule, the kernel asks modprobe for the module behind each table, ' +
    'match, target, set type, logger, text search algorithm or conntrack helper the rule uses. If the ' +
    'module is not built, its file is missing, or modprobe.d blocks it, the whole restore fails and the ' +
    'host boots with no firewall. Fix: install the module (the kernel or modules package, or DKMS for ' +
    'xtables-addons), remove the blocking modprobe.d line, or change the rule.',
};

const MODULE_UNKNOWN: RuleDoc = {
  id: 'module-unknown',
  name: 'ModuleUnknown',
  short: 'Whether the target kernel provides a module these rules need could not be decided',
  help:
    'The kernel metadata nfdoctor needs to decide (modules.dep, modules.alias, the kernel config) is ' +
    'missing. Give the target kernel with --kernel DIR (see "CI preflight" in the README).',
};

const LIBRARY_MISSING: RuleDoc = {
  id: 'extension-library-missing',
  name: 'ExtensionLibraryMissing',
  short: 'The iptables userspace extension library for a match or target is missing',
  help:
    'iptables-restore loads libxt_NAME.so (or libipt_/libip6t_) from its xtables directory to parse the ' +
    'options of each extension; without it the restore stops at that line. Install the package named.',
};

const SET_UNDEFINED: RuleDoc = {
  id: 'ipset-undefined',
  name: 'IpsetUndefined',
  short: 'A rule uses an ipset that no ipsets file defines',
  help:
    'iptables-restore looks the set up when the rule is inserted and stops with "Set NAME doesn\'t exist." ' +
    'when no set of that name was created before the rules are restored. Define it in the ipsets file ' +
    'restored first (ipset-persistent: /etc/iptables/ipsets).',
};

/** Help for the diagnostics about rules iptables or the kernel refuse (src/validate). */
const REJECTION_HELP: ReadonlyMap<string, { readonly short: string; readonly help: string }> = new Map([
  [
    'rule-rejected',
    {
      short: 'iptables-restore refuses this rule',
      help:
        'iptables-restore 1.8.9 of this backend, or the kernel when the rule is inserted, refuses the rule ' +
        'with the message shown. The whole file then fails to load: at boot the firewall stays empty.',
    },
  ],
  [
    'rule-rejected-legacy',
    {
      short: 'iptables-legacy-restore would refuse this rule',
      help:
        'The chosen backend (nf_tables) loads the rule, but iptables-legacy-restore would refuse it: a host ' +
        'that uses the legacy backend fails to load the whole file.',
    },
  ],
  [
    'geoip-database-missing',
    {
      short: 'The host has no xt_geoip database for a country the rule names',
      help:
        'libxt_geoip reads /usr/share/xt_geoip/CC.iv4 (CC.iv6 for ip6tables) while it parses the rule and ' +
        'fails with "Could not read geoip database" when the file is missing, so the whole file fails to ' +
        'load. xtables-addons ships no database: build one with xt_geoip_dl and xt_geoip_build -s.',
    },
  ],
  [
    'geoip-database-corrupt',
    {
      short: "The host's xt_geoip database file for a country is not whole records",
      help:
        'libxt_geoip reads /usr/share/xt_geoip/CC.iv4 (8 bytes per range) or CC.iv6 (32 bytes) while it parses ' +
        'the rule and fails with "Database file ... seems to be corrupted" when the size is not a whole number ' +
        'of ranges (a cut-off copy or download). Rebuild the database with xt_geoip_dl and xt_geoip_build -s.',
    },
  ],
  [
    RULE_REJECTED_BEFORE_KERNEL,
    {
      short: 'The kernel refuses this rule before some Linux version',
      help:
        'Kernels older than the version the message names refuse this rule when it is inserted (for -m recent, ' +
        'a --hitcount of 256 or more before Linux 6.11), and the target kernel release named no version. ' +
        'Give check --kernel-release, or lower the value.',
    },
  ],
  [
    'rule-rejected-at-hz',
    {
      short: 'The kernel refuses this rule when built with some CONFIG_HZ values',
      help:
        "The kernel's xt_limit (through iptables-legacy-restore) or xt_hashlimit (both backends) refuses this " +
        "rate and burst when it was built with one of the CONFIG_HZ values named; the kernel's config was not " +
        'found to tell. Lower the burst or raise the rate.',
    },
  ],
]);

function diagnosticRule(code: string): RuleDoc {
  const name = code.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase());
  const rejection = REJECTION_HELP.get(code);
  if (rejection !== undefined) {
    return { id: code, name, ...rejection };
  }
  return {
    id: code,
    name,
    short: `Problem reading the rules or the kernel metadata (${code})`,
    help:
      'nfdoctor could not use this line as iptables-restore would; the message says what is wrong. ' +
      'A rule iptables-restore rejects makes the whole file fail to load.',
  };
}

function uriOf(path: string): string {
  return path.startsWith('/') ? `file://${encodeURI(path)}` : encodeURI(path.replace(/\\/g, '/'));
}

function location(file: string, line: number | undefined): Location {
  return {
    physicalLocation: {
      artifactLocation: { uri: uriOf(file), ...(file.startsWith('/') ? {} : { uriBaseId: '%SRCROOT%' }) },
      ...(line === undefined ? {} : { region: { startLine: line } }),
    },
  };
}

function locations(file: string, lines: readonly number[]): Pick<Result, 'locations' | 'relatedLocations'> {
  const [first, ...rest] = lines;
  return {
    locations: [location(file, first)],
    ...(rest.length === 0
      ? {}
      : {
          relatedLocations: rest.slice(0, MAX_RELATED).map((l, i) => ({ id: i + 1, ...location(file, l) })),
        }),
  };
}

function moduleText(m: ModuleStatus): string {
  const via = m.requestedAs === m.name ? m.name : `${m.requestedAs} -> ${m.name}`;
  const evidence = m.evidence.map(formatEvidence).join('; ');
  return `${via}: ${m.state}${m.reason === undefined ? '' : ` (${m.reason})`}${evidence === '' ? '' : ` [${evidence}]`}`;
}

function requirementResults(x: RequirementResult, kernel: string): { rule: RuleDoc; result: Result }[] {
  const r = x.requirement;
  const what = `${r.kind} ${r.extension} (${r.family}, table ${r.tables.join('/')})`;
  const out: { rule: RuleDoc; result: Result }[] = [];
  if (x.satisfiedBy === undefined) {
    const unknown = x.modules.length > 0 && x.modules.every((m) => m.state === 'unknown');
    const rule = unknown ? MODULE_UNKNOWN : MODULE_UNAVAILABLE;
    out.push({
      rule,
      result: {
        ruleId: rule.id,
        level: unknown ? 'warning' : 'error',
        message: {
          text: `${what} needs a module kernel ${kernel} cannot provide: ${x.modules.map(moduleText).join(' | ')}`,
        },
        ...locations(r.file, r.lines),
        properties: { extension: r.extension, kind: r.kind, family: r.family },
      },
    });
  }
  const u = x.userspace;
  if (u !== undefined && (u.present === false || u.registersNothing === true)) {
    out.push({
      rule: LIBRARY_MISSING,
      result: {
        ruleId: LIBRARY_MISSING.id,
        level: 'error',
        message: {
          text: `${what}: ${u.library} ${u.present === false ? 'is missing' : 'registers nothing'}${u.package === undefined ? '' : ` (package ${u.package})`}${u.reason === undefined ? '' : `: ${u.reason}`}`,
        },
        ...locations(r.file, r.lines),
      },
    });
  }
  return out;
}

function setResult(s: SetResult): { rule: RuleDoc; result: Result } | undefined {
  if (s.defined !== false) {
    return undefined;
  }
  return {
    rule: SET_UNDEFINED,
    result: {
      ruleId: SET_UNDEFINED.id,
      level: 'error',
      message: { text: `ipset ${s.set} is defined in no ipsets file given: "Set ${s.set} doesn't exist."` },
      ...locations(s.file, s.lines),
    },
  };
}

function diagnosticResult(d: Diagnostic): { rule: RuleDoc; result: Result } {
  const rule = diagnosticRule(d.code);
  return {
    rule,
    result: {
      ruleId: rule.id,
      level: d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'note',
      message: { text: d.message },
      locations: [location(d.at.file, d.at.line)],
    },
  };
}

function descriptor(rule: RuleDoc): ReportingDescriptor {
  return {
    id: rule.id,
    name: rule.name,
    shortDescription: { text: rule.short },
    fullDescription: { text: rule.help },
    help: { text: rule.help },
  };
}

/** One SARIF log with one run: a result per failing requirement, undefined set and diagnostic. */
export function checkResultToSarif(r: CheckResult, toolVersion: string): Log {
  const found = [
    ...r.results.flatMap((x) => requirementResults(x, r.kernel.release)),
    ...r.sets.flatMap((s) => setResult(s) ?? []),
    ...r.diagnostics.map(diagnosticResult),
  ];
  const rules: RuleDoc[] = [];
  const index = new Map<string, number>();
  for (const { rule } of found) {
    if (!index.has(rule.id)) {
      index.set(rule.id, rules.length);
      rules.push(rule);
    }
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'nfdoctor',
            version: toolVersion,
            rules: rules.map(descriptor),
          },
        },
        results: found.map(({ rule, result }) => ({ ...result, ruleIndex: index.get(rule.id) ?? 0 })),
        properties: {
          kernel: r.kernel.release,
          kernelSource: r.kernel.sourceLabel,
          backend: r.backend.value,
        },
      },
    ],
  };
}
