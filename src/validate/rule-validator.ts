// The validation stage of `check`: each parsed rule against what iptables-restore 1.8.9 and the kernel
// accept, fed by the option grammar generated from iptables' own sources (grammar.generated.ts). A
// rejected rule is one "rule-rejected" error at its line with the message iptables prints. Rules come
// one at a time (from visitIptablesSave) and nothing is kept but the few jumps a table must resolve.
import { readGeoip } from './geoip.ts';
import type { OptionUse, Rule } from '../parsers/iptables-save.ts';
import type { Diagnostic } from '../parsers/types.ts';
import type { Services } from '../parsers/services.ts';
import { isKnownTarget, matchLookupName, registrationsFor, type Family } from '../knowledge/extensions.ts';
import { grammarFor, XTOPT_INVERT, XTOPT_MAND, XTOPT_MULTI, type LoadedGrammar } from './grammar.ts';
import {
  hostError,
  L4_PROTOCOLS,
  natPortsError,
  portOk,
  protocolNameError,
  resolvedAtLoad,
  strtoumax,
  valueError,
} from './values.ts';
import { enumError } from './enums.ts';
import { splitRestoreWords } from '../parsers/iptables-tokenize.ts';
import { extensionChecks, extensionValueError } from './extension-values.ts';
import {
  backendCheckentryErrors,
  checkentryError,
  hzCheckentryRefusal,
  KERNEL_HZ_CHOICES,
  kernelVersionRefusal,
  securityContextWarning,
  cgroupPathWarning,
  targetPlacementError,
  type HzDependent,
} from './targets.ts';
import type { NameSet } from '../parsers/name-databases.ts';
import { ChainFlow, type FlowBackends, type FlowTable } from './chain-flow.ts';
import { builtinChains } from '../parsers/iptables-save.ts';
import type { VersionDependentRule } from './kernel-release.ts';

export const RULE_REJECTED = 'rule-rejected';
/**
 * An extension iptables ships for the other family only (`-m icmp` in ip6tables, `-m icmp6` in iptables):
 * xtables_find_match() finds no libip6t_/libxt_ library and iptables-restore fails with "Couldn't load match
 * `icmp':No such file or directory" (measured with ip6tables-restore 1.8.9, both backends). Extensions
 * iptables does not know for either family (xtables-addons' geoip ...) are left to the library checks.
 */
function otherFamilyExtensionError(rule: Rule, family: 'ipv4' | 'ipv6'): string | undefined {
  const other = family === 'ipv6' ? 'ipv4' : 'ipv6';
  const onlyOther = (kind: 'match' | 'target', name: string): boolean =>
    grammarFor(kind, name, family) === undefined && grammarFor(kind, name, other) !== undefined;
  const message = (kind: 'match' | 'target', name: string): string => {
    const hint =
      name === 'icmp'
        ? ': ip6tables matches ICMPv6 with -p ipv6-icmp -m icmp6 --icmpv6-type'
        : name === 'icmp6'
          ? ': iptables matches ICMP with -p icmp -m icmp --icmp-type'
          : `: ${name} is an ${other === 'ipv4' ? 'IPv4' : 'IPv6'}-only extension`;
    return `Couldn't load ${kind} \`${name}':No such file or directory${hint}`;
  };
  for (const m of rule.matches) {
    const name = matchLookupName(m.name);
    if (onlyOther('match', name)) {
      return message('match', m.name);
    }
  }
  const target = rule.target;
  if (target?.kind === 'extension' && onlyOther('target', target.name)) {
    return message('target', target.name);
  }
  return undefined;
}

/**
 * `-m CONNMARK`, `-m MARK`: libxt_CONNMARK.so exists but registers targets only, and xtables_find_match()
 * compares names exactly, so iptables-restore fails with "Couldn't load match `CONNMARK':No such file or
 * directory" (measured, 1.8.9, both backends), although the kernel module behind the name would load.
 */
function targetUsedAsMatchError(rule: Rule, family: Family): string | undefined {
  for (const m of rule.matches) {
    const name = matchLookupName(m.name);
    if (
      grammarFor('match', name, family) === undefined &&
      registrationsFor(name, 'match').length === 0 &&
      registrationsFor(name, 'target').length > 0
    ) {
      const lower = name.toLowerCase();
      const hint = grammarFor('match', lower, family) !== undefined ? `; the match is -m ${lower}` : '';
      return `Couldn't load match \`${m.name}':No such file or directory: ${name} is a target (-j ${name})${hint}`;
    }
  }
  return undefined;
}

/**
 * `-j mark --set-mark 1`: no library registers a target "mark" (libxt_mark registers the match), so iptables
 * takes "mark" for a chain and stops at the first option it cannot place ("unknown option \"--set-mark\"",
 * measured, 1.8.9). Without options the jump is left to the undeclared-chain test.
 */
function matchUsedAsTargetError(rule: Rule, family: Family): string | undefined {
  const target = rule.target;
  const first = target?.options[0];
  if (
    target?.kind !== 'extension' ||
    first === undefined ||
    isKnownTarget(target.name) ||
    registrationsFor(target.name, 'match').length === 0
  ) {
    return undefined;
  }
  const upper = target.name.toUpperCase();
  const hint = grammarFor('target', upper, family) !== undefined ? `; the target is -j ${upper}` : '';
  return `unknown option "${first.name}": ${target.name} is a match (-m ${target.name}), so -j ${target.name} jumps to a chain of that name${hint}`;
}

/** A rule that loads but can match nothing: the other family's ICMP protocol (otherFamilyIcmpWarning). */
export const OTHER_FAMILY_ICMP = 'protocol-of-other-family';

/**
 * The family whose ICMP `-p` names (MATCH_PROTOCOLS' icmp and icmp6 names), or undefined for another protocol
 * or a negated one.
 */
export function icmpFamilyOf(
  protocol: { readonly value: string; readonly negated: boolean } | undefined,
): 'ipv4' | 'ipv6' | undefined {
  if (protocol === undefined || protocol.negated) {
    return undefined;
  }
  // Every name in question starts with "i" (icmp, ipv6-icmp, icmpv6, icmp6): tcp and udp, the protocol of most
  // rules of a big file, are let go without a lower-cased copy.
  const first = protocol.value.charCodeAt(0) | 0x20;
  if (first !== 0x69 && protocol.value !== '1' && protocol.value !== '58') {
    return undefined;
  }
  const value = protocol.value.toLowerCase();
  return MATCH_PROTOCOLS.get('icmp')?.names.has(value) === true
    ? 'ipv4'
    : MATCH_PROTOCOLS.get('icmp6')?.names.has(value) === true
      ? 'ipv6'
      : undefined;
}

/**
 * `-p icmp` in an IPv6 rule (a rules.v4 copied to rules.v6) asks for next header 1, which IPv6 packets do not
 * carry: ip6tables-restore loads it and it matches nothing, so with a DROP policy ping and neighbor
 * discovery (ICMPv6, 58; RFC 4861) are dropped and IPv6 stops working. The other way round, `-p ipv6-icmp`
 * in an IPv4 rule matches nothing either. Neither iptables prints a word (measured with iptables 1.8.9).
 */
export function otherFamilyIcmpWarning(
  protocol: { readonly value: string; readonly negated: boolean } | undefined,
  family: 'ipv4' | 'ipv6',
): string | undefined {
  const icmp = icmpFamilyOf(protocol);
  if (icmp === undefined || icmp === family || protocol === undefined) {
    return undefined;
  }
  if (icmp === 'ipv4') {
    return `-p ${protocol.value} in an IPv6 rule is protocol 1 (ICMP for IPv4), which IPv6 packets do not carry: the rule loads and matches nothing; ICMPv6 (ping, neighbor discovery) is -p ipv6-icmp`;
  }
  return `-p ${protocol.value} in an IPv4 rule is protocol 58 (ICMPv6), which IPv4 packets do not carry: the rule loads and matches nothing; ICMP is -p icmp`;
}
/** A rule only iptables-legacy-restore refuses (the kernel's checkentry where nf_tables uses its own expressions). */
export const RULE_REJECTED_LEGACY = 'rule-rejected-legacy';
/** A rule only iptables-nft-restore refuses (forBackend in resolve/check-rules.ts makes it an error there). */
export const RULE_REJECTED_NFT = 'rule-rejected-nft';

const FLOW_CODES: Readonly<Record<FlowBackends, string>> = {
  both: RULE_REJECTED,
  legacy: RULE_REJECTED_LEGACY,
  nft: RULE_REJECTED_NFT,
};

export interface ValidateOptions {
  readonly family: Family;
  readonly file: string;
  /** /etc/services of the host that will load the rules; undefined: service names are not checked. */
  readonly services?: Services;
  /** /etc/protocols of that host; undefined: protocol names outside iptables' own list are not checked. */
  readonly protocols?: NameSet;
  /** Its users and groups (owner --uid-owner/--gid-owner names); undefined: not checked. */
  readonly users?: NameSet;
  readonly groups?: NameSet;
}

/** The -p values (lower-cased, as xshared.c canonicalizes them) the kernel's protocol matches accept (xt_match.proto). */
const MATCH_PROTOCOLS: ReadonlyMap<string, { readonly number: number; readonly names: ReadonlySet<string> }> =
  new Map([
    ['tcp', { number: 6, names: new Set(['tcp', '6']) }],
    ['udp', { number: 17, names: new Set(['udp', '17']) }],
    ['udplite', { number: 136, names: new Set(['udplite', '136']) }],
    ['sctp', { number: 132, names: new Set(['sctp', '132']) }],
    ['dccp', { number: 33, names: new Set(['dccp', '33']) }],
    ['icmp', { number: 1, names: new Set(['icmp', '1']) }],
    ['icmp6', { number: 58, names: new Set(['icmpv6', 'ipv6-icmp', 'icmp6', '58']) }],
    ['esp', { number: 50, names: new Set(['esp', '50']) }],
    ['ah', { number: 51, names: new Set(['ah', '51']) }],
    ['mh', { number: 135, names: new Set(['mh', 'ipv6-mh', 'mobility-header', '135']) }],
    ['ipcomp', { number: 108, names: new Set(['ipcomp', '108']) }],
  ]);

/** libxt_multiport.c proto_to_name(): the protocols whose ports multiport matches. */
const MULTIPORT_PROTOCOLS: ReadonlyMap<string, string> = new Map(
  [...L4_PROTOCOLS].filter(([, name]) => name !== 'icmp'),
);

const TCP_PORT_OPTIONS: ReadonlySet<string> = new Set([
  '--source-port',
  '--sport',
  '--destination-port',
  '--dport',
]);

const NAT_TARGETS: ReadonlySet<string> = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT']);

/** libxt_NAT.c __NAT_parse() portok: IPPROTO_TCP, UDP, SCTP, DCCP, ICMP. */
const NAT_PORT_PROTOCOLS: ReadonlySet<string> = new Set(
  [...L4_PROTOCOLS].filter(([, name]) => name !== 'udplite').map(([value]) => value),
);

/** The ports of "addr[-addr]:ports" (IPv4) or "[addr[-addr]]:ports" (IPv6), as libxt_NAT.c parse_to() splits it. */
function natPortPart(value: string, family: Family): string | undefined {
  if (family === 'ipv4') {
    const colon = value.indexOf(':');
    return colon === -1 ? undefined : value.slice(colon + 1);
  }
  const close = value.startsWith('[') ? value.indexOf(']') : -1;
  return close !== -1 && value[close + 1] === ':' ? value.slice(close + 2) : undefined;
}

/** An empty side of a range is allowed; anything else must be a port number or a known service. */
function portError(port: string, ext: 'tcp' | 'sctp', services: Services | undefined): string | undefined {
  return port === '' || portOk(port, ext, services) ? undefined : `invalid port/service \`${port}' specified`;
}

/** xtables_parse_port()'s value for a port already known to parse: the number, or the service's port. */
function portNumber(
  port: string,
  proto: string | undefined,
  services: Services | undefined,
): number | undefined {
  const n = strtoumax(port);
  if (n !== undefined && n.rest === '' && n.value <= 65535n) {
    return Number(n.value);
  }
  const byProto = services?.get(port);
  return proto === undefined ? byProto?.values().next().value : byProto?.get(proto);
}

/** libxt_tcp.c parse_tcp_ports() / libxt_sctp.c parse_sctp_ports(): "min:max" with min > max is refused. */
function reversedPortRange(
  from: string,
  to: string,
  proto: string,
  services: Services | undefined,
): string | undefined {
  const min = from === '' ? 0 : portNumber(from, proto, services);
  const max = to === '' ? 0xffff : portNumber(to, proto, services);
  return min !== undefined && max !== undefined && min > max ? 'invalid portrange (min > max)' : undefined;
}

/**
 * Extensions that check the rule's protocol when their option is parsed (libxt_multiport.c check_proto(),
 * libxt_NAT.c __NAT_parse() portok): a -p written after that option is not there yet. Words are split
 * only when the line's first "-p" follows the extension's name.
 */
function protocolAfterOptionsOf(raw: string, flag: '-m' | '-j', name: string): boolean {
  const p = raw.search(/\s(-p|--protocol)\s/);
  if (p === -1 || p < raw.indexOf(name)) {
    return false;
  }
  const long = flag === '-m' ? '--match' : '--jump';
  const { words, quoted, count } = splitRestoreWords(raw);
  let at = -1;
  for (let i = 0; i < count; i++) {
    const word = words[i] ?? '';
    if (quoted[i] === true) {
      continue;
    }
    if ((word === flag || word === long) && words[i + 1] === name) {
      at = i + 1;
    } else if (word === '-p' || word === '--protocol') {
      return at !== -1 && words.slice(at + 1, i).some((w) => w.startsWith('--'));
    }
  }
  return false;
}

/** x6_fcheck "at least one of" tests (generated): the first unmet one, in iptables' words. */
function requiresError(grammar: LoadedGrammar, seen: number): string | undefined {
  const requires = grammar.extension.requires;
  if (requires === undefined) {
    return undefined;
  }
  for (const need of requires) {
    if (need.mask === -1 ? seen === 0 : (seen & need.mask) === 0) {
      return need.message;
    }
  }
  return undefined;
}

/** Long options of xshared.c that getopt_long may also match by an unambiguous prefix. */
const GENERIC_LONG_OPTIONS: readonly string[] = [
  '--append',
  '--delete',
  '--insert',
  '--replace',
  '--protocol',
  '--source',
  '--src',
  '--destination',
  '--dst',
  '--in-interface',
  '--out-interface',
  '--fragment',
  '--jump',
  '--goto',
  '--match',
  '--set-counters',
  '--ipv4',
  '--ipv6',
];

/**
 * getopt_long(3) accepts an option by its exact name or an unambiguous prefix; the names it knows are
 * the generic ones and those of every extension loaded so far (and the -p protocol's match, which
 * libxtables load_proto() loads on demand).
 */
function knownOrPrefix(name: string, loaded: readonly Loaded[], rule: Rule, family: Family): boolean {
  const grammars = loaded.flatMap((l) => (l.grammar === undefined ? [] : [l.grammar]));
  const protocol = rule.protocol?.value.toLowerCase();
  if (protocol !== undefined) {
    for (const [ext, p] of MATCH_PROTOCOLS) {
      const g = p.names.has(protocol) ? grammarFor('match', ext, family) : undefined;
      if (g !== undefined) {
        grammars.push(g);
      }
    }
  }
  const names = [
    ...GENERIC_LONG_OPTIONS,
    ...grammars.flatMap((g) => [...g.options.keys(), ...g.getopt.keys()]),
  ];
  return names.some((n) => n === name || n.startsWith(name));
}

/** The option is the last word of the line: getopt has nothing left to give it. */
function endsWithWord(raw: string, word: string): boolean {
  const trimmed = raw.trimEnd();
  return trimmed.endsWith(word) && /\s/.test(trimmed.charAt(trimmed.length - word.length - 1));
}

/**
 * Options of the old getopt-API parsers of tcp and sctp that may appear once per match (libxt_tcp.c
 * tcp_parse(), libxt_sctp.c sctp_parse()): the flag bit each sets and the message for a second use.
 */
const GETOPT_ONCE: ReadonlyMap<string, { readonly bit: number; readonly message: string }> = new Map([
  ['--source-port', { bit: 1, message: "Only one `--source-port' allowed" }],
  ['--sport', { bit: 1, message: "Only one `--source-port' allowed" }],
  ['--destination-port', { bit: 2, message: "Only one `--destination-port' allowed" }],
  ['--dport', { bit: 2, message: "Only one `--destination-port' allowed" }],
  ['--syn', { bit: 4, message: "Only one of `--syn' or `--tcp-flags'  allowed" }],
  ['--tcp-flags', { bit: 4, message: "Only one of `--syn' or `--tcp-flags'  allowed" }],
  ['--tcp-option', { bit: 8, message: "Only one `--tcp-option' allowed" }],
  ['--chunk-types', { bit: 16, message: "Only one `--chunk-types' allowed" }],
]);

/** IFNAMSIZ is 16 with the NUL (xtables_parse_interface). */
const MAX_INTERFACE = 15;

/** What sscanf("%llu") reads a number from: blanks, a sign, then a digit. */
const SCANS_AS_NUMBER = /^\s*[+-]?\d/;

export interface HzDependentRule extends HzDependent {
  readonly line: number;
}

/**
 * The legacy rejections of rules that depend on CONFIG_HZ, against the kernel's value; without it, a
 * warning that names the values that refuse the rule.
 */
/** -m geoip's country list, which libxt_geoip.c parses itself (geoip.ts): its grammar is not iptables'. */
function geoipError(rule: Rule): string | undefined {
  for (const match of rule.matches) {
    if (match.name === 'geoip') {
      const reading = readGeoip(match.options);
      if (!reading.ok) {
        return reading.error;
      }
    }
  }
  return undefined;
}

export function hzRejections(
  file: string,
  rules: readonly HzDependentRule[],
  hz: number | undefined,
): Diagnostic[] {
  return rules.flatMap((r): Diagnostic[] => {
    if (hz !== undefined) {
      return r.hz.includes(hz)
        ? [
            {
              at: { file, line: r.line },
              severity: 'error',
              code: r.backends === 'both' ? RULE_REJECTED : RULE_REJECTED_LEGACY,
              message: `${r.message} (CONFIG_HZ=${hz})`,
            },
          ]
        : [];
    }
    return [
      {
        at: { file, line: r.line },
        severity: 'warning',
        code: 'rule-rejected-at-hz',
        message: `${r.message}, on a kernel built with CONFIG_HZ=${r.hz.join(' or ')} (the kernel's config was not found to tell)`,
      },
    ];
  });
}

interface Loaded {
  ext: string;
  grammar: LoadedGrammar | undefined;
  options: readonly OptionUse[];
}

export class RuleValidator {
  private readonly diagnostics: Diagnostic[] = [];
  /** Lines whose -j/-g names no known target and no chain declared so far, per name (resolved at COMMIT). */
  private pendingJumps = new Map<string, number[]>();
  private readonly parseFailedLines = new Set<number>();
  /** IDLETIMER label -> whether its first rule used --alarm, and that rule's line (idleTimerError). */
  private readonly idleTimers = new Map<string, { readonly alarm: boolean; readonly line: number }>();
  /**
   * The extensions of the rule being checked: the first loadedCount records, refilled for every rule (a
   * 100k-rule file would otherwise allocate a list and a record per match and target).
   */
  private readonly loadedRecords: Loaded[] = [];
  private loadedCount = 0;
  private readonly hzDependent: HzDependentRule[] = [];
  private readonly versionDependent: VersionDependentRule[] = [];
  /** The first host name an extension option of the rule being checked gives (TPROXY --on-ip, recent --mask). */
  private extensionHostName: { readonly option: string; readonly host: string } | undefined;
  /** The open table's jumps and commands (chain-flow.ts). */
  private flow: ChainFlow | undefined;

  constructor(private readonly opts: ValidateOptions) {}

  private reject(
    line: number,
    message: string,
    code = RULE_REJECTED,
    severity: 'error' | 'warning' = 'error',
  ): void {
    this.diagnostics.push({
      at: { file: this.opts.file, line },
      severity,
      code,
      message,
    });
  }

  /** The parser refused the line (iptables-restore stops there): its rule gets no second verdict. */
  ruleParseFailed(line: number): void {
    this.parseFailedLines.add(line);
  }

  rule(rule: Rule): void {
    this.flow ??= new ChainFlow(this.opts.family, builtinChains(rule.table));
    this.flow.rule(rule);
    if (this.parseFailedLines.size > 0 && this.parseFailedLines.has(rule.line)) {
      return;
    }
    this.extensionHostName = undefined;
    const message = this.firstError(rule) ?? this.idleTimerError(rule);
    if (message !== undefined) {
      this.reject(rule.line, message);
    } else {
      const byBackend = backendCheckentryErrors(rule, this.opts.family);
      if (byBackend !== undefined) {
        if (byBackend.legacy !== undefined) {
          this.reject(rule.line, byBackend.legacy, RULE_REJECTED_LEGACY);
        }
        if (byBackend.nft !== undefined) {
          this.reject(rule.line, byBackend.nft, RULE_REJECTED_NFT);
        }
        if (byBackend.legacyAtHz !== undefined) {
          this.hzDependent.push({ line: rule.line, ...byBackend.legacyAtHz });
        }
      }
      const atHz = hzCheckentryRefusal(rule);
      if (atHz !== undefined) {
        if (atHz.hz.length === KERNEL_HZ_CHOICES.length) {
          this.reject(rule.line, atHz.message);
        } else {
          this.hzDependent.push({ line: rule.line, ...atHz });
        }
      }
      const byVersion = kernelVersionRefusal(rule);
      if (byVersion !== undefined) {
        this.versionDependent.push({ line: rule.line, ...byVersion });
      }
      const hostDependent =
        securityContextWarning(rule) ?? cgroupPathWarning(rule) ?? this.resolvedAtLoadWarning(rule);
      if (hostDependent !== undefined) {
        this.reject(rule.line, hostDependent, 'state-dependent-load', 'warning');
      }
      const otherIcmp = otherFamilyIcmpWarning(rule.protocol, this.opts.family);
      if (otherIcmp !== undefined) {
        this.reject(rule.line, otherIcmp, OTHER_FAMILY_ICMP, 'warning');
      }
    }
    const target = rule.target;
    // iptables stops at a line's first error: a rejected line is not also a jump to an undeclared chain.
    if (message === undefined && target?.kind === 'extension' && !isKnownTarget(target.name)) {
      const lines = this.pendingJumps.get(target.name) ?? [];
      lines.push(rule.line);
      this.pendingJumps.set(target.name, lines);
    }
  }

  /**
   * xt_IDLETIMER.c idletimer_tg_checkentry_v1(): the kernel keeps one timer per label, for every table, and
   * refuses a rule that wants another timer type for a label in use ("Adding/Replacing rule with same label
   * and different timer type is not allowed"). Both backends fail the load; `iptables-restore --test` passes.
   */
  private idleTimerError(rule: Rule): string | undefined {
    const target = rule.target;
    if (target?.name !== 'IDLETIMER' || target.kind !== 'extension') {
      return undefined;
    }
    const label = target.options.find((o) => o.name === '--label')?.values[0];
    if (label === undefined) {
      return undefined;
    }
    const alarm = target.options.some((o) => o.name === '--alarm');
    const first = this.idleTimers.get(label);
    if (first === undefined) {
      this.idleTimers.set(label, { alarm, line: rule.line });
      return undefined;
    }
    if (first.alarm === alarm) {
      return undefined;
    }
    return `IDLETIMER target: label "${label}" already has a ${first.alarm ? '--alarm' : 'plain'} timer (line ${first.line}): the kernel refuses another timer type for one label ("Adding/Replacing rule with same label and different timer type is not allowed"), so the load fails although iptables-restore --test passes`;
  }

  /**
   * At COMMIT: a jump to a name that is neither a target nor a chain of the table fails both backends; then
   * what the table's lines do to each other (chain-flow.ts).
   */
  closeTable(table: FlowTable): void {
    const flow = this.flow ?? new ChainFlow(this.opts.family, builtinChains(table.name));
    this.flow = undefined;
    this.undeclaredJumps(table);
    for (const finding of flow.close(table)) {
      if (finding.warning === true) {
        this.reject(finding.line, finding.message, 'state-dependent-load', 'warning');
      } else {
        this.reject(finding.line, finding.message, FLOW_CODES[finding.backends]);
      }
    }
  }

  private undeclaredJumps(table: FlowTable): void {
    if (this.pendingJumps.size === 0) {
      return;
    }
    const declared = new Set(table.chains.map((c) => c.name));
    for (const [name, lines] of this.pendingJumps) {
      if (declared.has(name)) {
        continue;
      }
      for (const line of lines) {
        this.reject(
          line,
          `chain ${name} is not declared in table ${table.name} and no extension is called ${name}: ` +
            `iptables-restore fails with "Chain '${name}' does not exist" (nf_tables) / ` +
            `"Couldn't load target \`${name}':No such file or directory" (legacy); declare it with ":${name} - [0:0]"`,
        );
      }
    }
    this.pendingJumps = new Map();
  }

  finish(): Diagnostic[] {
    return this.diagnostics.sort((a, b) => (a.at.line ?? 0) - (b.at.line ?? 0));
  }

  /** Rules legacy refuses only under some CONFIG_HZ (decided with the kernel's config: hzRejections). */
  hzDependentRules(): readonly HzDependentRule[] {
    return this.hzDependent;
  }

  /** Rules that kernels before some version refuse (decided with the target kernel's release: versionRejections). */
  versionDependentRules(): readonly VersionDependentRule[] {
    return this.versionDependent;
  }

  /** iptables stops at the first problem of a line: one message per rule. */
  private firstError(rule: Rule): string | undefined {
    return (
      this.genericError(rule) ??
      this.extensionsError(rule) ??
      geoipError(rule) ??
      this.protocolError(rule) ??
      targetPlacementError(rule, this.opts.family) ??
      checkentryError(rule, this.opts.family)
    );
  }

  private genericError(rule: Rule): string | undefined {
    const protocol = rule.protocol;
    // xshared.c: protocol 0 ("all") inverted matches nothing.
    if (protocol !== undefined) {
      const error = protocolNameError(protocol.value, this.opts.protocols);
      if (error !== undefined) {
        return error;
      }
    }
    if (protocol?.negated === true && ['0', 'all'].includes(protocol.value.toLowerCase())) {
      return 'rule would never match protocol';
    }
    for (const option of rule.generic) {
      const value = option.values[0];
      if (value === undefined) {
        continue;
      }
      if (option.name === '-c') {
        // xshared.c: sscanf("%llu") of each counter must read a number.
        const [packets = '', bytes = ''] = option.values;
        const bad = !SCANS_AS_NUMBER.test(packets)
          ? 'packet'
          : !SCANS_AS_NUMBER.test(bytes)
            ? 'byte'
            : undefined;
        if (bad !== undefined) {
          return `-c ${bad} counter not numeric`;
        }
      } else if (option.name === '-i' || option.name === '-o') {
        if (value.length > MAX_INTERFACE) {
          return `interface name \`${value}' must be shorter than IFNAMSIZ (${MAX_INTERFACE})`;
        }
      } else if (option.name === '-s' || option.name === '-d') {
        if (option.negated && value.includes(',')) {
          // xshared.c do_parse(): checked after the addresses are parsed; a list has no inverse there.
          return '! not allowed with multiple source or destination IP addresses';
        }
        if (!value.includes(',')) {
          const error = hostError(value, this.opts.family, true);
          if (error !== undefined) {
            return error;
          }
          continue;
        }
        for (const host of value.split(',')) {
          const error = hostError(host, this.opts.family, true);
          if (error !== undefined) {
            return error;
          }
        }
      }
    }
    return undefined;
  }

  private resolvedAtLoadWarning(rule: Rule): string | undefined {
    for (const option of rule.generic) {
      const value = option.values[0];
      if ((option.name === '-s' || option.name === '-d') && value !== undefined) {
        const warning = resolvedAtLoad(value, this.opts.family);
        if (warning !== undefined) {
          return warning;
        }
      }
    }
    const named = this.extensionHostName;
    const warning = named === undefined ? undefined : resolvedAtLoad(named.host, this.opts.family);
    return warning === undefined ? undefined : `${named?.option ?? ''} ${warning}`;
  }

  /** Fills the loaded records with the rule's matches, then its extension target. */
  private load(rule: Rule): void {
    const family = this.opts.family;
    this.loadedCount = 0;
    for (const m of rule.matches) {
      const name = matchLookupName(m.name);
      this.addLoaded(name, grammarFor('match', name, family), m.options);
    }
    const target = rule.target;
    if (target !== undefined && target.kind === 'extension') {
      this.addLoaded(target.name, grammarFor('target', target.name, family), target.options);
    }
  }

  private addLoaded(ext: string, grammar: LoadedGrammar | undefined, options: readonly OptionUse[]): void {
    const record = this.loadedRecords[this.loadedCount];
    if (record === undefined) {
      this.loadedRecords.push({ ext, grammar, options });
    } else {
      record.ext = ext;
      record.grammar = grammar;
      record.options = options;
    }
    this.loadedCount++;
  }

  private extensionsError(rule: Rule): string | undefined {
    if (rule.matches.length === 0 && rule.target?.kind !== 'extension') {
      return undefined;
    }
    this.load(rule);
    const records = this.loadedRecords;
    let allKnown = true;
    for (let i = 0; i < this.loadedCount; i++) {
      if (records[i]?.grammar === undefined) {
        allKnown = false;
        break;
      }
    }
    if (!allKnown) {
      const otherFamily =
        otherFamilyExtensionError(rule, this.opts.family) ??
        targetUsedAsMatchError(rule, this.opts.family) ??
        matchUsedAsTargetError(rule, this.opts.family);
      if (otherFamily !== undefined) {
        return otherFamily;
      }
    }
    for (let i = 0; i < this.loadedCount; i++) {
      const error = this.optionsError(rule, records[i] as Loaded, allKnown);
      if (error !== undefined) {
        return error;
      }
    }
    return undefined;
  }

  private optionsError(rule: Rule, l: Loaded, allKnown: boolean): string | undefined {
    const grammar = l.grammar;
    if (grammar === undefined) {
      return undefined;
    }
    let seen = 0;
    let getoptSeen = 0;
    const onceChecked = l.ext === 'tcp' || l.ext === 'sctp';
    const checks = extensionChecks(l.ext);
    const valueChecks = checks?.values;
    for (const option of l.options) {
      const entry = grammar.options.get(option.name);
      if (entry === undefined) {
        if (grammar.getopt.has(option.name)) {
          const once = onceChecked ? GETOPT_ONCE.get(option.name) : undefined;
          if (once !== undefined) {
            if ((getoptSeen & once.bit) !== 0) {
              return once.message;
            }
            getoptSeen |= once.bit;
          }
          const error = this.getoptValueError(l.ext, option);
          if (error !== undefined) {
            return error;
          }
          continue;
        }
        if (
          allKnown &&
          !knownOrPrefix(option.name, this.loadedRecords.slice(0, this.loadedCount), rule, this.opts.family)
        ) {
          return `unknown option "${option.name}"`;
        }
        continue;
      }
      const bit = 2 ** entry.id;
      const excl = entry.excl ?? 0;
      if ((seen & bit) !== 0 && ((entry.flags & XTOPT_MULTI) === 0 || (excl & bit) !== 0)) {
        return `${l.ext}: option "--${entry.name}" can only be used once.`;
      }
      if (option.negated && (entry.flags & XTOPT_INVERT) === 0) {
        return `${l.ext}: option "--${entry.name}" cannot be inverted.`;
      }
      const [value, extra] = option.values;
      if (entry.type !== 'NONE' && value === undefined && endsWithWord(rule.raw, option.name)) {
        return `option "${option.name}" requires an argument`;
      }
      if (entry.type === 'NONE') {
        if (value !== undefined) {
          return `Bad argument \`${value}'`;
        }
      } else if (value !== undefined) {
        if (extra !== undefined) {
          return `Bad argument \`${extra}'`;
        }
        const error =
          valueError(l.ext, entry, value, this.opts.family, this.opts.services, this.opts.protocols) ??
          enumError(l.ext, option) ??
          (valueChecks === undefined ? undefined : extensionValueError(valueChecks, option, this.opts));
        if (error !== undefined) {
          return error;
        }
        if ((entry.type === 'HOST' || entry.type === 'HOSTMASK') && this.extensionHostName === undefined) {
          const slash = value.indexOf('/');
          this.extensionHostName = {
            option: option.name,
            host: slash === -1 ? value : value.slice(0, slash),
          };
        }
      }
      seen |= bit;
      // libxt_owner.c owner_parse(): --suppl-groups applies to a --gid-owner given before it.
      if (
        l.ext === 'owner' &&
        option.name === '--suppl-groups' &&
        !l.options.slice(0, l.options.indexOf(option)).some((o) => o.name === '--gid-owner')
      ) {
        return 'owner: Bad value for "--suppl-groups" option: "you need to use --gid-owner first"';
      }
    }
    return (
      this.finalCheckError(l.ext, grammar, seen) ??
      requiresError(grammar, seen) ??
      checks?.final?.(l.options) ??
      this.multiportError(rule, l) ??
      this.natError(rule, l)
    );
  }

  /** xtables_options_fcheck(): mandatory options, "also requires", "cannot be used together". */
  private finalCheckError(ext: string, grammar: LoadedGrammar, seen: number): string | undefined {
    if ((grammar.mandatory & ~seen) !== 0) {
      const missing = (grammar.extension.options ?? []).find(
        (e) => (e.flags & XTOPT_MAND) !== 0 && (seen & (2 ** e.id)) === 0,
      );
      return `${ext}: option "--${missing?.name ?? ''}" must be specified`;
    }
    if (seen === 0) {
      return undefined;
    }
    const entries = grammar.extension.options ?? [];
    for (const entry of grammar.constrained) {
      if ((seen & (2 ** entry.id)) === 0) {
        continue;
      }
      for (const other of entries) {
        const otherBit = 2 ** other.id;
        if (other.id === entry.id) {
          continue;
        }
        if (((entry.also ?? 0) & otherBit) !== 0 && (seen & otherBit) === 0) {
          return `${ext}: option "--${entry.name}" also requires "--${other.name}".`;
        }
        if (((entry.excl ?? 0) & otherBit) !== 0 && (seen & otherBit) !== 0) {
          return `${ext}: option "--${entry.name}" cannot be used together with "--${other.name}".`;
        }
      }
    }
    return undefined;
  }

  /**
   * libxt_tcp.c parse_tcp_ports() / libxt_sctp.c parse_sctp_ports(): xtables_parse_port(port, "tcp" or
   * "sctp"), so a UDP-only service name is refused.
   */
  private getoptValueError(ext: string, option: OptionUse): string | undefined {
    const value = option.values[0];
    if ((ext !== 'tcp' && ext !== 'sctp') || value === undefined || !TCP_PORT_OPTIONS.has(option.name)) {
      const checks = extensionChecks(ext)?.values;
      return value === undefined || checks === undefined
        ? undefined
        : extensionValueError(checks, option, this.opts);
    }
    const colon = value.indexOf(':');
    if (colon === -1) {
      return portError(value, ext, this.opts.services); // the common single port, without the split's arrays
    }
    const [from = '', to = '', extra] = value.split(':');
    if (extra !== undefined) {
      return `invalid port/service \`${value}' specified`;
    }
    return (
      portError(from, ext, this.opts.services) ??
      portError(to, ext, this.opts.services) ??
      reversedPortRange(from, to, ext, this.opts.services)
    );
  }

  /** libxt_multiport.c check_proto() and parse_multi_ports(): a port protocol, service names of it, 15 ports. */
  private multiportError(rule: Rule, l: Loaded): string | undefined {
    if (l.ext !== 'multiport' || l.options.length === 0) {
      return undefined;
    }
    const protocol = rule.protocol;
    const proto = protocol === undefined ? undefined : MULTIPORT_PROTOCOLS.get(protocol.value.toLowerCase());
    if (protocol === undefined || protocol.value === '0' || protocol.value.toLowerCase() === 'all') {
      return "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'";
    }
    if (proto === undefined || protocol.negated) {
      return 'multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP';
    }
    if (protocolAfterOptionsOf(rule.raw, '-m', 'multiport')) {
      return "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'";
    }
    for (const option of l.options) {
      const list = option.values[0] ?? '';
      const ports = list.split(',');
      let slots = 0;
      for (const item of ports) {
        const [from = '', to] = item.split(':');
        slots += to === undefined ? 1 : 2;
        for (const port of to === undefined ? [from] : [from, to]) {
          if (!portOk(port, proto, this.opts.services)) {
            return `invalid port/service \`${port}' specified`;
          }
        }
        // parse_multi_ports_v1(): a range's first port must be below its last.
        const first = to === undefined ? undefined : portNumber(from, proto, this.opts.services);
        const last = to === undefined ? undefined : portNumber(to, proto, this.opts.services);
        if (first !== undefined && last !== undefined && first >= last) {
          return 'invalid portrange specified';
        }
      }
      if (slots > 15) {
        return 'too many ports specified';
      }
    }
    return undefined;
  }

  /** libxt_NAT.c: ports in --to-destination / --to-source / --to-ports, and only for port protocols. */
  private natError(rule: Rule, l: Loaded): string | undefined {
    if (!NAT_TARGETS.has(l.ext)) {
      return undefined;
    }
    const protocol = rule.protocol?.value.toLowerCase();
    const portOk =
      protocol !== undefined &&
      NAT_PORT_PROTOCOLS.has(protocol) &&
      !protocolAfterOptionsOf(rule.raw, '-j', l.ext);
    for (const option of l.options) {
      const value = option.values[0];
      if (value === undefined) {
        continue;
      }
      const ports = option.name === '--to-ports' ? value : natPortPart(value, this.opts.family);
      if (ports !== undefined) {
        const error = natPortsError(ports, portOk, this.opts.services);
        if (error !== undefined) {
          return error;
        }
      }
    }
    return undefined;
  }

  /**
   * The kernel's protocol matches carry xt_match.proto: xt_check_match() (net/netfilter/x_tables.c)
   * refuses them unless the rule has that -p, not inverted ("only valid for protocol N"). iptables-nft
   * already refuses tcp/udp with ports in userspace (iptables/nft.c add_nft_tcp/add_nft_udp).
   */
  private protocolError(rule: Rule): string | undefined {
    const protocol = rule.protocol;
    for (const match of rule.matches) {
      const name = matchLookupName(match.name);
      const wanted = MATCH_PROTOCOLS.get(name);
      if (wanted === undefined || grammarFor('match', name, this.opts.family) === undefined) {
        continue;
      }
      // ip6t_ah.c registers no .proto: in IPv6 AH is an extension header, found by ipv6_find_hdr().
      if (name === 'ah' && this.opts.family === 'ipv6') {
        continue;
      }
      const named = protocol !== undefined && wanted.names.has(protocol.value.toLowerCase());
      // `! -p tcp` with a tcp/udp match: nf_tables loads it (its own expressions); the kernel's
      // xt_check_match() refuses it for legacy (targets.ts backendCheckentryErrors).
      if (named && (!protocol.negated || name === 'tcp' || name === 'udp')) {
        continue;
      }
      if (name === 'tcp' || name === 'udp') {
        return `${name.toUpperCase()} match requires '-p ${name}' (nf_tables; iptables-legacy-restore: the kernel refuses the rule, "${name} match: only valid for protocol ${wanted.number}" in dmesg)`;
      }
      return `${name} match: only valid for protocol ${wanted.number}: the kernel refuses the rule (iptables-restore: line N failed / RULE_APPEND failed (Invalid argument))`;
    }
    return undefined;
  }
}
