// Saved ruleset (a rules file) against the live one (iptables-save output), compared by meaning, not text.
//
// iptables-save does not print what was restored verbatim: it drops counters and comments-as-lines, adds the
// explicit protocol match (`-p tcp --dport 22` comes back as `-p tcp -m tcp --dport 22`), fills in option
// defaults (`-m recent --set --name SSH` comes back with `--mask 255.255.255.255`, REJECT with
// `--reject-with icmp-port-unreachable`), canonicalises values (`-s 10.0.0.1` -> `10.0.0.1/32`, `--dport ssh`
// -> `22`, `--ctstate ESTABLISHED,RELATED` -> `RELATED,ESTABLISHED`, `--syn` -> `--tcp-flags FIN,SYN,RST,ACK
// SYN`) and may order tables and chain headers differently (lab capture healthy: rules.v4 vs iptables-save).
// So a saved rule is "present" when the live chain has a rule with the same protocol, addresses, interfaces,
// match names and target, whose options include every saved option (defaults may be added, none dropped).
// Extra live rules and chains (Docker, fail2ban, kube-proxy add their own) are not differences.
import type { ChainDecl, OptionUse, Rule, Ruleset, Table } from '../parsers/iptables-save.ts';

export interface MissingRule {
  readonly table: string;
  readonly chain: string;
  readonly line: number;
  readonly raw: string;
}

export interface ChangedRule extends MissingRule {
  /** The live rule with the same shape whose options differ. */
  readonly live: string;
}

export interface PolicyDifference {
  readonly table: string;
  readonly chain: string;
  readonly line: number;
  readonly saved: string;
  readonly live: string;
}

export interface RulesetComparison {
  /** Saved tables that hold something (rules, user chains, a non-ACCEPT policy) and are absent live. */
  readonly missingTables: readonly { readonly name: string; readonly line: number; readonly rules: number }[];
  readonly missingChains: readonly {
    readonly table: string;
    readonly chain: string;
    readonly line: number;
  }[];
  readonly policyDifferences: readonly PolicyDifference[];
  /** Saved rules with no live counterpart at all. */
  readonly missingRules: readonly MissingRule[];
  /** Saved rules whose live counterpart has the same shape but other values. */
  readonly changedRules: readonly ChangedRule[];
  readonly savedRuleCount: number;
  readonly liveRuleCount: number;
  /** True when nothing the saved file defines is missing or different live. */
  readonly equivalent: boolean;
}

/** Rules of a table in the order the restore leaves them (-A appends, -I inserts). */
function effectiveRules(table: Table): Map<string, Rule[]> {
  const chains = new Map<string, Rule[]>();
  for (const rule of table.rules) {
    const list = chains.get(rule.chain) ?? [];
    if (rule.command === 'append') {
      list.push(rule);
    } else if (rule.command === 'insert') {
      const n = Number(rule.ruleNumber ?? '1');
      list.splice(Number.isInteger(n) && n > 0 ? n - 1 : 0, 0, rule);
    }
    chains.set(rule.chain, list);
  }
  return chains;
}

/** Chain headers plus `-P` commands (a handwritten file may set policies that way). */
function effectivePolicies(table: Table): Map<string, { policy: string; line: number }> {
  const out = new Map<string, { policy: string; line: number }>();
  for (const c of table.chains) {
    out.set(c.name, { policy: c.policy, line: c.line });
  }
  for (const c of table.commands) {
    if (c.command === 'policy' && c.chain !== undefined && c.args[0] !== undefined) {
      out.set(c.chain, { policy: c.args[0], line: c.line });
    }
  }
  return out;
}

const PROTOCOL_NAMES: ReadonlyMap<string, string> = new Map([
  ['6', 'tcp'],
  ['17', 'udp'],
  ['1', 'icmp'],
  ['58', 'ipv6-icmp'],
  ['icmpv6', 'ipv6-icmp'],
  ['icmp6', 'ipv6-icmp'],
  ['132', 'sctp'],
  ['33', 'dccp'],
  ['50', 'esp'],
  ['51', 'ah'],
  ['136', 'udplite'],
  ['0', 'all'],
]);

function protocolOf(rule: Rule): string {
  const p = rule.protocol;
  if (p === undefined) {
    return 'all';
  }
  const name = p.value.toLowerCase();
  return `${p.negated ? '!' : ''}${PROTOCOL_NAMES.get(name) ?? name}`;
}

/** Long option spellings iptables-save prints in their short canonical form. */
const OPTION_ALIASES: ReadonlyMap<string, string> = new Map([
  ['--destination-port', '--dport'],
  ['--source-port', '--sport'],
  ['--destination-ports', '--dports'],
  ['--source-ports', '--sports'],
  // libxt_geoip.c geoip_save() prints the long names (xtables-addons 3.23; lab scenario geoip-healthy).
  ['--src-cc', '--source-country'],
  ['--dst-cc', '--destination-country'],
]);

/** /etc/services names iptables resolves when parsing; iptables-save prints numbers. */
const SERVICES: ReadonlyMap<string, string> = new Map([
  ['ftp', '21'],
  ['ssh', '22'],
  ['telnet', '23'],
  ['smtp', '25'],
  ['domain', '53'],
  ['http', '80'],
  ['www', '80'],
  ['pop3', '110'],
  ['ntp', '123'],
  ['imap', '143'],
  ['imap2', '143'],
  ['snmp', '161'],
  ['ldap', '389'],
  ['https', '443'],
  ['submission', '587'],
  ['imaps', '993'],
  ['pop3s', '995'],
  ['mysql', '3306'],
  ['postgresql', '5432'],
]);

function ipv4MaskBits(mask: string): number | undefined {
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    return undefined;
  }
  const bits = parts.map((p) => p.toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : undefined;
}

/** `10.0.0.1` == `10.0.0.1/32`, `10.0.0.0/255.255.255.0` == `10.0.0.0/24`, IPv6 case-insensitive. */
function normalizeAddress(value: string): string {
  const lower = value.toLowerCase();
  const [addr = '', mask] = lower.split('/');
  if (mask === undefined) {
    return addr;
  }
  if (mask.includes('.')) {
    const bits = ipv4MaskBits(mask);
    return bits === undefined ? lower : bits === 32 ? addr : `${addr}/${String(bits)}`;
  }
  return (mask === '32' && !addr.includes(':')) || mask === '128' ? addr : `${addr}/${mask}`;
}

function normalizeValue(option: string, value: string): string {
  if (option === '-s' || option === '-d') {
    return value.split(',').map(normalizeAddress).sort().join(',');
  }
  if (option === '--dport' || option === '--sport' || option === '--dports' || option === '--sports') {
    return value
      .split(',')
      .map((p) =>
        p
          .split(':')
          .map((x) => SERVICES.get(x) ?? x)
          .join(':'),
      )
      .join(',');
  }
  if (option === '--source-country' || option === '--destination-country') {
    // Upper-cased and each country once, as libxt_geoip parsed them (geoip.ts readGeoip).
    return [...new Set(value.toUpperCase().split(','))].sort().join(',');
  }
  // Flag and state lists come back in the kernel's bit order, not the order written.
  return value.includes(',') ? value.split(',').sort().join(',') : value;
}

function optionKey(o: OptionUse): string {
  const name = OPTION_ALIASES.get(o.name) ?? o.name;
  return `${o.negated ? '!' : ''}${name}=${o.values.map((v) => normalizeValue(name, v)).join(' ')}`;
}

/** `--syn` is how iptables-save never prints it: it prints the flags it stands for (libxt_tcp.c). */
function expandOption(o: OptionUse): OptionUse {
  return o.name === '--syn'
    ? { name: '--tcp-flags', values: ['FIN,SYN,RST,ACK', 'SYN'], negated: o.negated }
    : o;
}

interface Shape {
  /** Chain, protocol, addresses, interfaces, match names, target: what a rule is about. */
  readonly key: string;
  /** Per match (in name order) and for the target: option keys. */
  readonly parts: readonly { readonly name: string; readonly options: ReadonlySet<string> }[];
  readonly rule: Rule;
}

function shapeOf(rule: Rule): Shape {
  const generic = rule.generic
    .filter((g) => g.name !== '-c')
    .map(
      (g) => `${g.negated ? '!' : ''}${g.name}=${g.values.map((v) => normalizeValue(g.name, v)).join(' ')}`,
    )
    .sort();
  const matches = [...rule.matches]
    .map((m) => ({ name: m.name, options: new Set(m.options.map(expandOption).map(optionKey)) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const target = rule.target;
  const targetName = target === undefined ? '' : `${target.goto ? 'goto' : 'jump'}:${target.name}`;
  const parts = [
    ...matches,
    { name: `target:${targetName}`, options: new Set((target?.options ?? []).map(optionKey)) },
  ];
  const key = [
    rule.chain,
    protocolOf(rule),
    generic.join(' '),
    matches.map((m) => m.name).join(','),
    targetName,
  ].join('|');
  return { key, parts, rule };
}

/** Every saved option is in the live rule (live may add defaults). */
function covers(live: Shape, saved: Shape): boolean {
  return saved.parts.every((p, i) => {
    const l = live.parts[i];
    return l !== undefined && l.name === p.name && [...p.options].every((o) => l.options.has(o));
  });
}

interface Alignment {
  readonly missing: Rule[];
  readonly changed: { saved: Rule; live: Rule }[];
}

/**
 * Aligns one chain: a saved rule takes the first unused live rule of the same shape at or after the previous
 * match that covers its options, else any unused one that covers them, else one of the same shape (changed).
 * Bucketing by shape keeps this linear on large chains (kube-proxy writes thousands of rules).
 */
function alignChain(saved: readonly Rule[], live: readonly Rule[]): Alignment {
  const buckets = new Map<string, { shape: Shape; index: number; used: boolean }[]>();
  live.map(shapeOf).forEach((shape, index) => {
    const list = buckets.get(shape.key) ?? [];
    list.push({ shape, index, used: false });
    buckets.set(shape.key, list);
  });
  const missing: Rule[] = [];
  const pendingChanged: Shape[] = [];
  let position = -1;
  for (const rule of saved) {
    const shape = shapeOf(rule);
    const candidates = buckets.get(shape.key) ?? [];
    const unused = candidates.filter((c) => !c.used && covers(c.shape, shape));
    const pick = unused.find((c) => c.index > position) ?? unused[0];
    if (pick !== undefined) {
      pick.used = true;
      position = pick.index;
    } else if (candidates.length > 0) {
      pendingChanged.push(shape);
    } else {
      missing.push(rule);
    }
  }
  const changed: { saved: Rule; live: Rule }[] = [];
  for (const shape of pendingChanged) {
    const pick = (buckets.get(shape.key) ?? []).find((c) => !c.used);
    if (pick === undefined) {
      missing.push(shape.rule);
    } else {
      pick.used = true;
      changed.push({ saved: shape.rule, live: pick.shape.rule });
    }
  }
  missing.sort((a, b) => a.line - b.line);
  return { missing, changed };
}

function holdsSomething(table: Table): boolean {
  return (
    table.rules.length > 0 ||
    table.chains.some((c) => !c.builtin || (c.policy !== 'ACCEPT' && c.policy !== '-'))
  );
}

/** A built-in chain with ACCEPT policy and no rules is what the kernel has anyway (nft creates it lazily). */
function isDefaultChain(c: ChainDecl, rules: readonly Rule[] | undefined): boolean {
  return c.builtin && (c.policy === 'ACCEPT' || c.policy === '-') && (rules?.length ?? 0) === 0;
}

export function countRules(rs: Ruleset | undefined): number {
  return rs === undefined ? 0 : rs.tables.reduce((n, t) => n + t.rules.length, 0);
}

export function compareRulesets(saved: Ruleset, live: Ruleset | undefined): RulesetComparison {
  const missingTables: { name: string; line: number; rules: number }[] = [];
  const missingChains: { table: string; chain: string; line: number }[] = [];
  const policyDifferences: PolicyDifference[] = [];
  const missingRules: MissingRule[] = [];
  const changedRules: ChangedRule[] = [];
  for (const table of saved.tables) {
    const liveTable = live?.tables.find((t) => t.name === table.name);
    const savedChains = effectiveRules(table);
    if (liveTable === undefined) {
      if (holdsSomething(table)) {
        missingTables.push({ name: table.name, line: table.line, rules: table.rules.length });
        for (const rules of savedChains.values()) {
          missingRules.push(
            ...rules.map((r) => ({ table: table.name, chain: r.chain, line: r.line, raw: r.raw })),
          );
        }
      }
      continue;
    }
    const livePolicies = effectivePolicies(liveTable);
    const liveChains = effectiveRules(liveTable);
    for (const [chain, { policy, line }] of effectivePolicies(table)) {
      const decl = table.chains.find((c) => c.name === chain);
      const livePolicy = livePolicies.get(chain);
      if (livePolicy === undefined) {
        if (decl === undefined || !isDefaultChain(decl, savedChains.get(chain))) {
          missingChains.push({ table: table.name, chain, line });
        }
      } else if (policy !== '-' && livePolicy.policy !== policy) {
        policyDifferences.push({ table: table.name, chain, line, saved: policy, live: livePolicy.policy });
      }
    }
    for (const [chain, rules] of savedChains) {
      const { missing, changed } = alignChain(rules, liveChains.get(chain) ?? []);
      missingRules.push(...missing.map((r) => ({ table: table.name, chain, line: r.line, raw: r.raw })));
      changedRules.push(
        ...changed.map((c) => ({
          table: table.name,
          chain,
          line: c.saved.line,
          raw: c.saved.raw,
          live: c.live.raw,
        })),
      );
    }
  }
  missingRules.sort((a, b) => a.line - b.line);
  return {
    missingTables,
    missingChains,
    policyDifferences,
    missingRules,
    changedRules,
    savedRuleCount: countRules(saved),
    liveRuleCount: countRules(live),
    equivalent:
      missingTables.length === 0 &&
      missingChains.length === 0 &&
      policyDifferences.length === 0 &&
      missingRules.length === 0 &&
      changedRules.length === 0,
  };
}

/** No rule anywhere and every built-in policy ACCEPT: nothing filters (an empty iptables-save is this too). */
export function isOpenRuleset(rs: Ruleset | undefined): boolean {
  if (rs === undefined) {
    return true;
  }
  return rs.tables.every(
    (t) => t.rules.length === 0 && t.chains.every((c) => c.policy === 'ACCEPT' || c.policy === '-'),
  );
}
