// Targets the kernel accepts only in one table and from some hooks: xt_check_target()
// (net/netfilter/x_tables.c) compares xt_target.table and .hooks with where the rule sits, for both
// backends (iptables-nft passes the table name through nft_compat). Kernel 6.1 registrations:
//   SNAT        net/netfilter/xt_nat.c        table "nat", hooks POST_ROUTING | LOCAL_IN
//   DNAT        net/netfilter/xt_nat.c        table "nat", hooks PRE_ROUTING | LOCAL_OUT
//   MASQUERADE  net/netfilter/xt_MASQUERADE.c table "nat", hooks POST_ROUTING
//   REDIRECT    net/netfilter/xt_REDIRECT.c   table "nat", hooks PRE_ROUTING | LOCAL_OUT
//   NETMAP      net/netfilter/xt_NETMAP.c     table "nat"
//   REJECT      net/ipv4/netfilter/ipt_REJECT.c, net/ipv6/netfilter/ip6t_REJECT.c
//                                             table "filter", hooks LOCAL_IN | FORWARD | LOCAL_OUT
//   TPROXY      net/netfilter/xt_TPROXY.c     table "mangle", hooks PRE_ROUTING
//   CT, NOTRACK net/netfilter/xt_CT.c         table "raw"
//   TTL, HL     net/netfilter/xt_HL.c         table "mangle"
//   DSCP, TOS   net/netfilter/xt_DSCP.c       table "mangle"
//   ECN         net/ipv4/netfilter/ipt_ECN.c  table "mangle"
// Hooks are checked for built-in chains only: a user chain's hooks are those it is reached from.
// Protocols (the rule's -p, not inverted) the kernel's checkentry insists on:
//   TCPMSS       net/netfilter/xt_TCPMSS.c       .proto = IPPROTO_TCP
//   TCPOPTSTRIP  net/netfilter/xt_TCPOPTSTRIP.c  .proto = IPPROTO_TCP
//   SYNPROXY     net/netfilter/xt_SYNPROXY.c     synproxy_tg4/6_check: proto TCP
//   TPROXY       net/netfilter/xt_TPROXY.c       tproxy_tg4/6_check: "Can be used only with -p tcp or -p udp"
//   REJECT --reject-with tcp-reset               reject_tg_check: "TCP_RESET invalid for non-tcp"
//   -m tcpmss    net/netfilter/xt_tcpmss.c       .proto = IPPROTO_TCP
//   -m cgroup    net/netfilter/xt_cgroup.c       exactly one of --path / --cgroup
// and matches usable only from some hooks: owner (xt_owner.c: OUTPUT, POSTROUTING), mac (xt_mac.c) and
// eui64 (ip6t_eui64.c): PREROUTING, INPUT, FORWARD.
import type { MatchUse, Rule } from '../parsers/iptables-save.ts';
import { nftNativeTranslation, type Family } from '../knowledge/extensions.ts';
import {
  hmarkOptionsGiven,
  ownerRange,
  byteRateCost,
  hashlimitRate,
  isByteRate,
  parseRate,
  rejectsWithTcpReset,
  XT_HASHLIMIT_SCALE_V2,
  XT_LIMIT_SCALE,
} from './extension-values.ts';
import { inetAtonValue, isNullMask, L4_PROTOCOLS, strtoumax } from './values.ts';
import { ipv6Bits } from './addresses.ts';
import { classicBpfError } from './bpf.ts';
import type { VersionDependent } from './kernel-release.ts';

interface Placement {
  /** Undefined: the target registers no table, only hooks. */
  readonly table?: string;
  /** Tables the target's own checkentry allows (CONNSECMARK, SECMARK: mangle or security). */
  readonly tables?: readonly string[];
  readonly hooks?: readonly string[];
}

const PLACEMENTS: ReadonlyMap<string, Placement> = new Map([
  ['SNAT', { table: 'nat', hooks: ['POSTROUTING', 'INPUT'] }],
  ['DNAT', { table: 'nat', hooks: ['PREROUTING', 'OUTPUT'] }],
  ['MASQUERADE', { table: 'nat', hooks: ['POSTROUTING'] }],
  ['REDIRECT', { table: 'nat', hooks: ['PREROUTING', 'OUTPUT'] }],
  ['NETMAP', { table: 'nat' }],
  ['REJECT', { table: 'filter', hooks: ['INPUT', 'FORWARD', 'OUTPUT'] }],
  ['TPROXY', { table: 'mangle', hooks: ['PREROUTING'] }],
  ['CT', { table: 'raw' }],
  ['NOTRACK', { table: 'raw' }],
  ['TTL', { table: 'mangle' }],
  ['HL', { table: 'mangle' }],
  ['DSCP', { table: 'mangle' }],
  ['TOS', { table: 'mangle' }],
  ['ECN', { table: 'mangle' }],
  // xt_CHECKSUM.c; net/ipv6/netfilter/ip6t_NPT.c (SNPT: LOCAL_IN, POST_ROUTING; DNPT: PRE_ROUTING, LOCAL_OUT).
  ['CHECKSUM', { table: 'mangle' }],
  ['SNPT', { table: 'mangle', hooks: ['INPUT', 'POSTROUTING'] }],
  ['DNPT', { table: 'mangle', hooks: ['PREROUTING', 'OUTPUT'] }],
  // xt_CLASSIFY.c: any table, hooks LOCAL_OUT, FORWARD, POST_ROUTING.
  ['CLASSIFY', { hooks: ['OUTPUT', 'FORWARD', 'POSTROUTING'] }],
  // net/ipv4/netfilter/ipt_SYNPROXY.c, ip6t_SYNPROXY.c: any table, hooks LOCAL_IN and FORWARD.
  ['SYNPROXY', { hooks: ['INPUT', 'FORWARD'] }],
  // xt_CONNSECMARK.c connsecmark_tg_check(), xt_SECMARK.c secmark_tg_check(): "only valid in 'mangle' or
  // 'security' table" (SECMARK then asks the security module, which this check cannot know).
  ['CONNSECMARK', { tables: ['mangle', 'security'] }],
  ['SECMARK', { tables: ['mangle', 'security'] }],
]);

const BUILTIN_HOOKS: ReadonlySet<string> = new Set([
  'PREROUTING',
  'INPUT',
  'FORWARD',
  'OUTPUT',
  'POSTROUTING',
]);

export function targetPlacementError(rule: Rule, family: Family): string | undefined {
  const target = rule.target;
  // iptables/xshared.c do_parse(): -j DROP in the nat table is refused before anything reaches the kernel.
  if (target?.name === 'DROP' && rule.table === 'nat') {
    return 'The "nat" table is not intended for filtering, the use of DROP is therefore inhibited.';
  }
  if (target === undefined || target.kind !== 'extension') {
    return undefined;
  }
  const placement = PLACEMENTS.get(target.name);
  if (placement === undefined) {
    return undefined;
  }
  const prefix = family === 'ipv4' ? 'ip' : 'ip6';
  const refused = REFUSED;
  if (placement.table !== undefined && rule.table !== placement.table) {
    return `${target.name} target: only valid in ${placement.table} table, not ${rule.table}: ${refused}; dmesg says "x_tables: ${prefix}_tables: ${target.name} target: only valid in ${placement.table} table, not ${rule.table}"`;
  }
  const tables = placement.tables;
  if (tables !== undefined && !tables.includes(rule.table)) {
    return `${target.name} target: only valid in ${tables.map((t) => `'${t}'`).join(' or ')} table, not '${rule.table}': ${refused}`;
  }
  const hooks = placement.hooks;
  if (hooks !== undefined && BUILTIN_HOOKS.has(rule.chain) && !hooks.includes(rule.chain)) {
    return `${target.name} target: used from hooks ${rule.chain}, but only usable from ${hooks.join('/')}: ${refused}`;
  }
  return undefined;
}

const TCP = ['tcp', '6'];
const TCP_UDP = ['tcp', '6', 'udp', '17'];

const TARGET_PROTOCOLS: ReadonlyMap<string, readonly string[]> = new Map([
  ['TCPMSS', TCP],
  ['TCPOPTSTRIP', TCP],
  ['SYNPROXY', TCP],
  ['TPROXY', TCP_UDP],
]);

const MATCH_HOOKS: ReadonlyMap<string, readonly string[]> = new Map([
  ['owner', ['OUTPUT', 'POSTROUTING']],
  ['mac', ['PREROUTING', 'INPUT', 'FORWARD']],
  ['eui64', ['PREROUTING', 'INPUT', 'FORWARD']],
  // xt_socket.c: PRE_ROUTING and LOCAL_IN; xt_rpfilter.c: PRE_ROUTING.
  ['socket', ['PREROUTING', 'INPUT']],
  ['rpfilter', ['PREROUTING']],
  // xt_osf.c: PRE_ROUTING, LOCAL_IN and FORWARD (measured: OUTPUT is refused on both backends).
  ['osf', ['PREROUTING', 'INPUT', 'FORWARD']],
]);

interface HookLimit {
  readonly hooks: readonly string[];
  readonly what: string;
}

const TARGET_HOOK_LIMITS: ReadonlyMap<string, HookLimit> = new Map(
  [...PLACEMENTS].flatMap(([name, p]) =>
    p.hooks === undefined ? [] : [[name, { hooks: p.hooks, what: `${name} target` }]],
  ),
);
const MATCH_HOOK_LIMITS: ReadonlyMap<string, HookLimit> = new Map(
  [...MATCH_HOOKS].map(([name, hooks]) => [name, { hooks, what: `${name} match` }]),
);

/**
 * The hooks the rule's target and matches register for (.hooks in their kernel modules), each that limits
 * them: both backends check them for every hook that reaches the rule, through jumps too. Undefined when none.
 */
export function hookRestrictions(rule: Rule): HookLimit[] | undefined {
  const target = rule.target;
  const byTarget = target?.kind === 'extension' ? TARGET_HOOK_LIMITS.get(target.name) : undefined;
  let limits = byTarget === undefined ? undefined : [byTarget];
  for (const match of rule.matches) {
    const byMatch = MATCH_HOOK_LIMITS.get(match.name);
    if (byMatch !== undefined) {
      (limits ??= []).push(byMatch);
    }
  }
  return limits;
}

/**
 * Extensions whose checkentry looks at the hook mask (physdev_mt_check, policy_mt_check, tcpmss_tg4_check):
 * iptables-legacy passes the hooks that reach a user chain, nf_tables passes none for a user chain.
 */
export const LEGACY_HOOK_CHECKED: ReadonlySet<string> = new Set(['physdev', 'policy', 'TCPMSS']);

/** NF_CT_LABELS_MAX_SIZE * 8 (include/net/netfilter/nf_conntrack_labels.h). */
const CONNLABEL_BITS = 128;

/** INT_MAX / 1000 (xt_IDLETIMER.c). */
const IDLETIMER_MAX_TIMEOUT = 2147483n;

const REFUSED =
  'the kernel refuses the rule (iptables-restore: line N failed / RULE_APPEND failed (Invalid argument))';

function hasProtocol(rule: Rule, wanted: readonly string[]): boolean {
  const p = rule.protocol;
  return p !== undefined && !p.negated && wanted.includes(p.value.toLowerCase());
}

/** What the kernel's checkentry refuses about the rule's protocol or hook for its target and matches. */
export function checkentryError(rule: Rule, family: Family): string | undefined {
  const target = rule.target;
  if (target !== undefined && target.kind === 'extension') {
    const wanted = TARGET_PROTOCOLS.get(target.name);
    if (wanted !== undefined && !hasProtocol(rule, wanted)) {
      return `${target.name} target: only valid with ${wanted.length > 2 ? '-p tcp or -p udp' : '-p tcp'}: ${REFUSED}`;
    }
    if (target.name === 'REJECT' && !hasProtocol(rule, TCP)) {
      const withReset = target.options.some(
        (o) => o.name === '--reject-with' && rejectsWithTcpReset(o.values[0] ?? '', family),
      );
      if (withReset) {
        return `REJECT --reject-with tcp-reset: TCP_RESET invalid for non-tcp: ${REFUSED}`;
      }
    }
  }
  for (const match of rule.matches) {
    // x_tables.c xt_check_match(): tcp and udp are registered for their protocol and refuse an inverted -p.
    // iptables-nft writes ports and flags as native expressions, which have no such check, but any other use
    // (no such option, --tcp-option) goes through nft_compat, which runs the same check (measured, 1.8.9:
    // both backends fail); the native case is legacy's alone (backendCheckentryErrors).
    if (
      (match.name === 'tcp' || match.name === 'udp') &&
      rule.protocol?.negated === true &&
      nftNativeTranslation(match.name, match.options) === undefined
    ) {
      return `${match.name} match: only valid for protocol ${match.name === 'tcp' ? 6 : 17} (the rule has ! -p): ${REFUSED}`;
    }
    // xt_ecn.c ecn_mt_check4/6: the TCP ECE/CWR bits need -p tcp.
    const tcpEcn = match.name === 'ecn' && match.options.some((o) => o.name.startsWith('--ecn-tcp-'));
    if (tcpEcn && !hasProtocol(rule, TCP)) {
      return `ecn match: --ecn-tcp-cwr/--ecn-tcp-ece only valid for protocol 6: ${REFUSED}`;
    }
    // xt_cgroup.c cgroup_mt_check_v1/v2: exactly one of a path and a classid.
    if (match.name === 'cgroup') {
      const given = match.options.filter((o) => o.name === '--path' || o.name === '--cgroup').length;
      if (given !== 1) {
        return `cgroup match: ${given === 0 ? 'no path or classid specified' : 'path and classid specified'}: ${REFUSED}`;
      }
    }
    // xt_tcpmss.c and xt_osf.c register for IPPROTO_TCP (measured for osf: -p tcp loads, without it refused).
    if ((match.name === 'tcpmss' || match.name === 'osf') && !hasProtocol(rule, TCP)) {
      return `${match.name} match: only valid for protocol 6: ${REFUSED}`;
    }
    const hooks = MATCH_HOOKS.get(match.name);
    if (hooks !== undefined && BUILTIN_HOOKS.has(rule.chain) && !hooks.includes(rule.chain)) {
      return `${match.name} match: used from hooks ${rule.chain}, but only valid from ${hooks.join('/')}: ${REFUSED}`;
    }
    const error = MATCH_CHECKS.get(match.name)?.(match, rule, family);
    if (error !== undefined) {
      return `${error}: ${REFUSED}`;
    }
  }
  return target?.kind === 'extension' ? targetCheckError(rule, family) : undefined;
}

function option(use: { readonly options: MatchUse['options'] }, name: string): string | undefined {
  return use.options.find((o) => o.name === name)?.values[0];
}

function has(use: { readonly options: MatchUse['options'] }, name: string): boolean {
  return use.options.some((o) => o.name === name);
}

/** net/netfilter/xt_string.c string_mt_check(): textsearch_prepare() knows lib/ts_bm.c, ts_kmp.c, ts_fsm.c. */
const TEXT_SEARCH_ALGORITHMS: ReadonlySet<string> = new Set(['bm', 'kmp', 'fsm']);

/**
 * xt_hashlimit.c hashlimit_mt_check_common(): --hashlimit-srcmask/-dstmask beyond the family's bits. libxtables
 * passes a number above them, or a mask that is no prefix, as such (xtables_ipmask_to_cidr() gives -1).
 */
function hashlimitMaskError(m: MatchUse, family: Family): string | undefined {
  const bits = family === 'ipv4' ? 32 : 128;
  for (const name of ['--hashlimit-srcmask', '--hashlimit-dstmask']) {
    const value = option(m, name);
    if (value === undefined) {
      continue;
    }
    const n = strtoumax(value);
    const prefix =
      n !== undefined && n.rest === '' && n.value <= BigInt(bits)
        ? Number(n.value)
        : maskPrefixLength(value, family);
    if (prefix === undefined || prefix > bits) {
      return `hashlimit match: ${name} ${value} is no prefix length of ${bits} bits or less`;
    }
  }
  return undefined;
}

/**
 * xt_hashlimit.c hashlimit_mt_check_common(): in byte mode, user2credits_byte(avg) == 0 is -EINVAL ("overflow,
 * rate too high"). It multiplies the cost by HZ * CREDITS_PER_JIFFY_BYTES (2^31 to 2^32 at every CONFIG_HZ)
 * and keeps the high 32 bits: zero exactly when the cost is 1, that is when the chunk count (bytes / 16, cut
 * to 32 bits) is 2^31 or more: 32768mb/s to 65535mb/s, and 4294967295mb/s, whose count wraps (measured).
 */
function hashlimitByteRateError(m: MatchUse): string | undefined {
  const rate = hashlimitRate(m.options);
  if (rate === undefined || !isByteRate(rate) || has(m, '--hashlimit-rate-match')) {
    return undefined;
  }
  const cost = byteRateCost(rate);
  return cost !== undefined && cost <= 1n ? `hashlimit match: overflow, rate too high: ${cost}` : undefined;
}

/** xt_hashlimit.c hashlimit_mt_check_common(): gc_interval == 0 || expire == 0 is -EINVAL. */
function hashlimitTableError(m: MatchUse): string | undefined {
  for (const name of ['--hashlimit-htable-expire', '--hashlimit-htable-gcinterval']) {
    if (has(m, name) && numberOption(m, name, 1n) === 0n) {
      return `hashlimit match: ${name} 0`;
    }
  }
  return undefined;
}

/**
 * xtopt_parse_plen() takes a value that is no prefix length as a mask, through getaddrinfo(AI_NUMERICHOST)
 * (every inet_aton(3) form for IPv4: 0xffffff00 and 255.255.0xff00 are /24, 4294967295 is /32, measured), and
 * xtables_ipmask_to_cidr() makes it a prefix length, or -1 when its ones are not contiguous. Undefined then.
 */
function maskPrefixLength(value: string, family: Family): number | undefined {
  const address = family === 'ipv4' ? inetAtonValue(value) : undefined;
  const bits = family === 'ipv4' ? address?.toString(2).padStart(32, '0') : ipv6Bits(value);
  if (bits === undefined || !/^1*0*$/.test(bits)) {
    return undefined;
  }
  const zero = bits.indexOf('0');
  return zero === -1 ? bits.length : zero;
}

/** A number option's value (strtoul of the whole string), or the default. */
function numberOption(use: MatchUse, name: string, fallback: bigint): bigint {
  const value = option(use, name);
  const n = value === undefined ? undefined : strtoumax(value);
  return n === undefined ? fallback : n.value;
}

/**
 * xt_addrtype.c addrtype_mt_checkentry_v1() for IPv6: BLACKHOLE, BROADCAST and the types from PROHIBIT on
 * (rtn_names order: PROHIBIT, THROW, NAT, XRESOLVE) cannot be matched. Types are prefixes (strncasecmp).
 */
function ipv6AddrtypeError(m: MatchUse): string | undefined {
  for (const o of m.options) {
    if (o.name !== '--src-type' && o.name !== '--dst-type') {
      continue;
    }
    for (const type of (o.values[0] ?? '').toUpperCase().split(',')) {
      if (type !== '' && 'BLACKHOLE'.startsWith(type) && !'BROADCAST'.startsWith(type)) {
        return 'addrtype match: ipv6 BLACKHOLE matching not supported';
      }
      if (type !== '' && ['PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'].some((t) => t.startsWith(type))) {
        return 'addrtype match: ipv6 PROHIBIT (THROW, NAT ..) matching not supported';
      }
      if (type !== '' && 'BROADCAST'.startsWith(type)) {
        return 'addrtype match: ipv6 does not support BROADCAST matching';
      }
    }
  }
  return undefined;
}

/**
 * xt_recent.c and xt_hashlimit.c name a /proc/net/xt_recent or /proc/net/ipt_hashlimit file after the table,
 * and proc_create_data() refuses a name with '/' or one that is "." or ".." (fs/proc/generic.c
 * __xlate_proc_name / proc_create_reg), so the rule is refused on both backends (measured, 1.8.9).
 */
function procEntryNameError(ext: 'recent' | 'hashlimit', name: string | undefined): string | undefined {
  if (name === undefined || !(name.includes('/') || name === '.' || name === '..')) {
    return undefined;
  }
  const option = ext === 'recent' ? '--name' : '--hashlimit-name';
  return `${ext} match: ${option} "${name}" cannot name a file in /proc/net ("/", "." and ".." are refused)`;
}

/** The kernel's checkentry of a match, in its words (checkentryError adds that the kernel refuses the rule). */
const MATCH_CHECKS: ReadonlyMap<string, (match: MatchUse, rule: Rule, family: Family) => string | undefined> =
  new Map<string, (match: MatchUse, rule: Rule, family: Family) => string | undefined>([
    [
      'bpf',
      (m) => {
        const bytecode = option(m, '--bytecode');
        const error = bytecode === undefined ? undefined : classicBpfError(bytecode);
        return error === undefined
          ? undefined
          : `bpf match: the kernel's classic BPF check refuses the program: ${error}`;
      },
    ],
    [
      'string',
      (m) => {
        const algo = option(m, '--algo');
        if (algo !== undefined && !TEXT_SEARCH_ALGORITHMS.has(algo)) {
          return `string match: no text search algorithm "${algo}" in the kernel (bm, kmp or fsm)`;
        }
        // lib/textsearch.c textsearch_prepare() refuses an empty pattern (-EINVAL), which libxt_string.c
        // passes on from `--string ""`: both backends fail the load while --test passes (measured, r22).
        if (option(m, '--string') === '') {
          return 'string match: the pattern of --string is empty';
        }
        // string_mt_check(): from_offset > to_offset is -EINVAL (to defaults to UINT16_MAX).
        return numberOption(m, '--from', 0n) > numberOption(m, '--to', 0xffffn)
          ? 'string match: --from is past --to'
          : undefined;
      },
    ],
    [
      'hashlimit',
      (m, _rule, family) =>
        hashlimitMaskError(m, family) ??
        hashlimitTableError(m) ??
        hashlimitByteRateError(m) ??
        procEntryNameError('hashlimit', option(m, '--hashlimit-name')),
    ],
    [
      'devgroup',
      (m, rule) => {
        // xt_devgroup.c devgroup_mt_checkentry(): the source group from PREROUTING, INPUT and FORWARD,
        // the destination group from FORWARD, OUTPUT and POSTROUTING.
        if (has(m, '--src-group') && ['OUTPUT', 'POSTROUTING'].includes(rule.chain)) {
          return `devgroup match: --src-group is not usable from ${rule.chain}`;
        }
        if (has(m, '--dst-group') && ['PREROUTING', 'INPUT'].includes(rule.chain)) {
          return `devgroup match: --dst-group is not usable from ${rule.chain}`;
        }
        return undefined;
      },
    ],
    [
      'owner',
      // xt_owner.c owner_check(): a uid or gid range whose end is below its start is -EINVAL.
      (m) => {
        const reversed = m.options.find((o) => {
          const range =
            o.name === '--uid-owner' || o.name === '--gid-owner' ? ownerRange(o.values[0] ?? '') : undefined;
          return range !== undefined && range.to < range.from;
        });
        return reversed === undefined
          ? undefined
          : `owner match: ${reversed.name} ${reversed.values[0] ?? ''} ends below its start`;
      },
    ],
    [
      'connlabel',
      (m) => {
        // libxt_connlabel.c takes a whole number as the bit (kept in a u16); xt_connlabel.c
        // connlabel_mt_check() -> nf_connlabels_get() refuses a bit past the 128 the conntrack entry has
        // (-ERANGE; measured, 1.8.9: --label 255 fails on both backends).
        const label = option(m, '--label') ?? '';
        const n = strtoumax(label);
        const bit =
          n !== undefined && n.rest === '' && n.value < 2n ** 31n ? Number(n.value & 0xffffn) : undefined;
        return bit !== undefined && bit >= CONNLABEL_BITS
          ? `connlabel match: label bit ${bit} is past the ${CONNLABEL_BITS} labels a connection has`
          : undefined;
      },
    ],
    [
      'recent',
      (m) => {
        // xt_recent.c recent_mt_check(): an empty --name is -EINVAL, and so is --set or --remove with a
        // --seconds or --hitcount (those only mean something to --rcheck and --update).
        const name = option(m, '--name');
        if (name === '') {
          return 'recent match: empty --name';
        }
        const procError = procEntryNameError('recent', name);
        if (procError !== undefined) {
          return procError;
        }
        const hitcount = option(m, '--hitcount');
        const hits = hitcount === undefined ? undefined : strtoumax(hitcount)?.value;
        if (hits !== undefined && hits > RECENT_MAX_HITCOUNT) {
          return `recent match: hitcount (${hits}) is larger than allowed maximum (${RECENT_MAX_HITCOUNT})`;
        }
        const when =
          has(m, '--seconds') || (hitcount !== undefined && strtoumax(hitcount)?.value !== 0n)
            ? ['--set', '--remove'].find((o) => has(m, o))
            : undefined;
        return when === undefined
          ? undefined
          : `recent match: ${when} takes no --seconds or --hitcount (only --rcheck and --update do)`;
      },
    ],
    [
      'rpfilter',
      // xt_rpfilter.c rpfilter_check().
      (_m, rule) =>
        rule.table === 'raw' || rule.table === 'mangle'
          ? undefined
          : `rpfilter match: only valid in 'raw' or 'mangle' table, not '${rule.table}'`,
    ],
    [
      'policy',
      (m, rule) => {
        // xt_policy.c policy_mt_check().
        const dir = option(m, '--dir');
        if (dir === 'out' && (rule.chain === 'PREROUTING' || rule.chain === 'INPUT')) {
          return 'policy match: output policy not valid in PREROUTING and INPUT';
        }
        if (dir === 'in' && (rule.chain === 'POSTROUTING' || rule.chain === 'OUTPUT')) {
          return 'policy match: input policy not valid in POSTROUTING and OUTPUT';
        }
        return undefined;
      },
    ],
    [
      'physdev',
      (m, rule) => {
        // xt_physdev.c physdev_mt_check(): from the OUTPUT hook the output port is known only for bridged
        // traffic, so --physdev-out / --physdev-is-out there need --physdev-is-bridged (not inverted).
        const out = has(m, '--physdev-out') || has(m, '--physdev-is-out');
        const bridged = m.options.some((o) => o.name === '--physdev-is-bridged' && !o.negated);
        return out && !bridged && rule.chain === 'OUTPUT'
          ? 'physdev match: --physdev-out and --physdev-is-out only supported in the FORWARD and POSTROUTING chains with bridged traffic'
          : undefined;
      },
    ],
    [
      'addrtype',
      (m, rule, family) => {
        // xt_addrtype.c addrtype_mt_checkentry_v1().
        const inIface = has(m, '--limit-iface-in');
        const outIface = has(m, '--limit-iface-out');
        if (inIface && outIface) {
          return 'addrtype match: both incoming and outgoing interface limitation cannot be selected';
        }
        if (outIface && (rule.chain === 'PREROUTING' || rule.chain === 'INPUT')) {
          return 'addrtype match: output interface limitation not valid in PREROUTING and INPUT';
        }
        if (inIface && (rule.chain === 'POSTROUTING' || rule.chain === 'OUTPUT')) {
          return 'addrtype match: input interface limitation not valid in POSTROUTING and OUTPUT';
        }
        return family === 'ipv6' ? ipv6AddrtypeError(m) : undefined;
      },
    ],
  ]);

/**
 * The conntrack helpers of Linux 6.1 as they register (struct nf_conntrack_helper .name, .tuple.src.l3num
 * and .tuple.dst.protonum): nf_conntrack_ftp.c, _irc.c, _sip.c, _tftp.c, _amanda.c, _h323_main.c, _pptp.c,
 * _sane.c, _snmp.c, _netbios_ns.c, and nf_nat_snmp_basic_main.c.
 */
const CONNTRACK_HELPERS: ReadonlyMap<
  string,
  { readonly protocols: readonly string[]; readonly families: readonly Family[] }
> = new Map([
  ['ftp', { protocols: ['tcp'], families: ['ipv4', 'ipv6'] }],
  ['irc', { protocols: ['tcp'], families: ['ipv4'] }],
  ['sip', { protocols: ['udp', 'tcp'], families: ['ipv4', 'ipv6'] }],
  ['tftp', { protocols: ['udp'], families: ['ipv4', 'ipv6'] }],
  ['amanda', { protocols: ['udp'], families: ['ipv4', 'ipv6'] }],
  ['RAS', { protocols: ['udp'], families: ['ipv4', 'ipv6'] }],
  ['Q.931', { protocols: ['tcp'], families: ['ipv4', 'ipv6'] }],
  ['pptp', { protocols: ['tcp'], families: ['ipv4'] }],
  ['sane', { protocols: ['tcp'], families: ['ipv4', 'ipv6'] }],
  ['snmp', { protocols: ['udp'], families: ['ipv4'] }],
  ['snmp_trap', { protocols: ['udp'], families: ['ipv4'] }],
  ['netbios-ns', { protocols: ['udp'], families: ['ipv4'] }],
]);

/** Target checkentry refusals both backends meet (nft_compat runs the same xt check). */
/**
 * net/ipv6/netfilter/ip6t_NPT.c ip6t_npt_checkentry(): each prefix at most /64 (a value without a length is
 * /128), with no bit set past its length (measured: dead::beef, 2001:db8::1/64 and a /72 are refused).
 */
function nptPrefixError(target: NonNullable<Rule['target']>): string | undefined {
  for (const name of ['--src-pfx', '--dst-pfx']) {
    const value = option(target, name);
    if (value === undefined) {
      continue;
    }
    const slash = value.indexOf('/');
    const length = slash === -1 ? 128 : Number(strtoumax(value.slice(slash + 1))?.value ?? 128n);
    const bits = ipv6Bits(slash === -1 ? value : value.slice(0, slash));
    if (length > 64) {
      return `${name} ${value}: the prefix is longer than 64 bits${slash === -1 ? ' (no length is /128)' : ''}`;
    }
    if (bits !== undefined && bits.slice(length).includes('1')) {
      return `${name} ${value}: the address has bits set past its /${length} prefix (write the network address)`;
    }
  }
  return undefined;
}

function targetCheckError(rule: Rule, family: Family): string | undefined {
  const target = rule.target;
  if (target === undefined) {
    return undefined;
  }
  // xt_CT.c xt_ct_set_helper() / xt_ct_find_proto(): a helper needs the rule's -p, not inverted, and is
  // looked up by name, family and that protocol (nf_conntrack_helper_try_module_get()).
  const helper = target.name === 'CT' ? option(target, '--helper') : undefined;
  // xt_ct_tg_check() with XT_CT_NOTRACK set returns before the helper is looked at.
  if (helper !== undefined && !has(target, '--notrack')) {
    const p = rule.protocol;
    if (p === undefined || p.negated || ['0', 'all'].includes(p.value.toLowerCase())) {
      return `CT target: You must specify a L4 protocol and not use inversions on it (--helper): ${REFUSED}`;
    }
    const known = CONNTRACK_HELPERS.get(helper);
    const proto = L4_PROTOCOLS.get(p.value.toLowerCase());
    if (
      known !== undefined &&
      proto !== undefined &&
      (!known.protocols.includes(proto) || !known.families.includes(family))
    ) {
      return `CT target: No such helper "${helper}" for ${family === 'ipv4' ? 'IPv4' : 'IPv6'} -p ${proto} (it tracks ${known.protocols.join('/')} over ${known.families.join('/')}): ${REFUSED}`;
    }
  }
  if (target.name === 'SNPT' || target.name === 'DNPT') {
    const error = nptPrefixError(target);
    if (error !== undefined) {
      return `${target.name} target: ${error}: ${REFUSED}`;
    }
  }
  // net/ipv4/netfilter/ipt_ECN.c ecn_tg_check(): the TCP ECE/CWR operations need -p tcp.
  if (
    target.name === 'ECN' &&
    target.options.some((o) => o.name.startsWith('--ecn-tcp-')) &&
    !hasProtocol(rule, TCP)
  ) {
    return `ECN target: cannot use operation on non-tcp rule: ${REFUSED}`;
  }
  // xt_IDLETIMER.c idletimer_tg_checkentry(): "timeout value is zero".
  const timeout = target.name === 'IDLETIMER' ? option(target, '--timeout') : undefined;
  if (timeout !== undefined && strtoumax(timeout)?.value === 0n) {
    return `IDLETIMER target: timeout value is zero: ${REFUSED}`;
  }
  // xt_IDLETIMER.c idletimer_tg_checkentry(_v1)(): "timeout value is too big" from INT_MAX / 1000 seconds
  // (measured on both backends: 2147482 loads, 2147483 fails).
  if (timeout !== undefined && (strtoumax(timeout)?.value ?? 0n) >= IDLETIMER_MAX_TIMEOUT) {
    return `IDLETIMER target: timeout value is too big (${IDLETIMER_MAX_TIMEOUT - 1n} seconds at most): ${REFUSED}`;
  }
  const hmark = target.name === 'HMARK' ? hmarkError(target.options) : undefined;
  if (hmark !== undefined) {
    return hmark;
  }
  // xt_TCPMSS.c tcpmss_tg4/6_check(): path-MTU clamping only from FORWARD, OUTPUT and POSTROUTING.
  if (
    target.name === 'TCPMSS' &&
    has(target, '--clamp-mss-to-pmtu') &&
    (rule.chain === 'PREROUTING' || rule.chain === 'INPUT')
  ) {
    return `TCPMSS target: path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks: ${REFUSED}`;
  }
  return undefined;
}

/**
 * xt_HMARK.c hmark_tg_check(): no SPI mask (or value) with a port mask (or value); a --hmark-tuple type counts
 * as its mask option. (Its zero-modulus check is unreachable: libxt_HMARK.c already refuses --hmark-mod 0.)
 */
function hmarkError(options: MatchUse['options']): string | undefined {
  const given = hmarkOptionsGiven(options);
  if (given.has('--hmark-spi-mask') && (given.has('--hmark-sport-mask') || given.has('--hmark-dport-mask'))) {
    return `HMARK target: spi-mask and port-mask can't be combined: ${REFUSED}`;
  }
  if (given.has('--hmark-spi') && (given.has('--hmark-sport') || given.has('--hmark-dport'))) {
    return `HMARK target: spi-set and port-set can't be combined: ${REFUSED}`;
  }
  return undefined;
}

/** libxt_tcp.c: --syn is "--tcp-flags SYN,RST,ACK,FIN SYN"; xt_TCPMSS.c find_syn_match() wants SYN compared set. */
function hasSynMatch(rule: Rule): boolean {
  return rule.matches.some(
    (m) =>
      m.name === 'tcp' &&
      m.options.some(
        (o) =>
          !o.negated &&
          (o.name === '--syn' ||
            (o.name === '--tcp-flags' &&
              (o.values[1] ?? '')
                .toLowerCase()
                .split(',')
                .some((f) => f === 'syn' || f === 'all'))),
      ),
  );
}

/** The CONFIG_HZ choices of kernel/Kconfig.hz. */
export const KERNEL_HZ_CHOICES: readonly number[] = [100, 250, 300, 1000];

/**
 * net/netfilter/xt_limit.c limit_mt_check(): burst 0, or avg * burst (u32) whose credits come out below
 * avg's, is -ERANGE ("Overflow, try lower"). user2credits() depends on CONFIG_HZ: the values of
 * KERNEL_HZ_CHOICES that refuse avg/burst (decided against the kernel's config by check-rules).
 */
export function limitOverflowsAt(avg: number, burst: number): number[] {
  if (burst === 0) {
    return [...KERNEL_HZ_CHOICES];
  }
  const product = Number((BigInt(avg) * BigInt(burst)) & 0xffffffffn);
  return KERNEL_HZ_CHOICES.filter((hz) => userToCredits(product, hz) < userToCredits(avg, hz));
}

function userToCredits(user: number, hz: number): number {
  const maxCpj = Math.floor(0xffffffff / (hz * 86400));
  const creditsPerJiffy = 2 ** Math.floor(Math.log2(maxCpj));
  const u = BigInt(user);
  const factor = BigInt(hz * creditsPerJiffy);
  const credits =
    user > Math.floor(0xffffffff / (hz * creditsPerJiffy))
      ? (u / BigInt(XT_LIMIT_SCALE)) * factor
      : (u * factor) / BigInt(XT_LIMIT_SCALE);
  return Number(credits & 0xffffffffn);
}

/** XT_LIMIT_AVG / XT_LIMIT_BURST (libxt_limit.c limit_init()). */
const LIMIT_DEFAULT_AVG = '3/hour';
const LIMIT_DEFAULT_BURST = 5;

function limitRefusal(match: MatchUse): HzDependent | undefined {
  const avg = parseRate(option(match, '--limit') ?? LIMIT_DEFAULT_AVG, XT_LIMIT_SCALE);
  const burstValue = option(match, '--limit-burst');
  const burst = burstValue === undefined ? LIMIT_DEFAULT_BURST : Number(strtoumax(burstValue)?.value ?? 0n);
  const hz = avg > 0 ? limitOverflowsAt(avg, burst) : [];
  return hz.length === 0
    ? undefined
    : { hz, message: `limit match: Overflow, try lower: ${avg}/${burst}`, backends: 'legacy' };
}

const U64 = 2n ** 64n - 1n;
const HASHLIMIT_SCALE = BigInt(XT_HASHLIMIT_SCALE_V2);
const HASHLIMIT_DEFAULT_BURST = 5n;

/**
 * xt_hashlimit.c user2credits() for revision 2 and 3: CREDITS_PER_JIFFY is the power of two below
 * 2^64 / (HZ * 86400), and the product wraps at 64 bits.
 */
function hashlimitCredits(user: bigint, hz: number): bigint {
  const maxCpj = U64 / BigInt(hz * 86400);
  const creditsPerJiffy = 1n << BigInt(maxCpj.toString(2).length - 1);
  const hzCpj = BigInt(hz) * creditsPerJiffy;
  return HASHLIMIT_SCALE >= hzCpj
    ? user / (HASHLIMIT_SCALE / hzCpj)
    : (user * (hzCpj / HASHLIMIT_SCALE)) & U64;
}

/**
 * xt_hashlimit.c hashlimit_mt_check_common(): in packet mode, avg * burst whose credits come out below avg's
 * is -ERANGE ("overflow, try lower: AVG/BURST"), on both backends (nft_compat runs the same checkentry).
 * Measured on this host's kernel: --hashlimit-above 1/day (default burst 5) fails, with --hashlimit-burst 1
 * it loads. Byte rates ("1kb/s") and --hashlimit-rate-match take other paths.
 */
function hashlimitRefusal(match: MatchUse): HzDependent | undefined {
  const rate = hashlimitRate(match.options);
  if (rate === undefined || isByteRate(rate) || has(match, '--hashlimit-rate-match')) {
    return undefined;
  }
  const avg = BigInt(parseRate(rate, XT_HASHLIMIT_SCALE_V2));
  const burstValue = option(match, '--hashlimit-burst');
  const burst = burstValue === undefined ? HASHLIMIT_DEFAULT_BURST : (strtoumax(burstValue)?.value ?? 0n);
  if (avg === 0n || burst === 0n) {
    return undefined; // refused by the parser already
  }
  const product = (avg * burst) & U64;
  const hz = KERNEL_HZ_CHOICES.filter((h) => hashlimitCredits(product, h) < hashlimitCredits(avg, h));
  return hz.length === 0
    ? undefined
    : {
        hz,
        message: `hashlimit match: overflow, try lower: ${avg}/${burst}: the kernel refuses the rule (iptables-restore: line N failed / RULE_APPEND failed (Numerical result out of range)); lower --hashlimit-burst or raise the rate`,
        backends: 'both',
      };
}

/** What only some CONFIG_HZ values refuse on both backends (the legacy-only ones: backendCheckentryErrors). */
export function hzCheckentryRefusal(rule: Rule): HzDependent | undefined {
  for (const match of rule.matches) {
    if (match.name === 'hashlimit') {
      return hashlimitRefusal(match);
    }
  }
  return undefined;
}

/**
 * xt_recent.c recent_mt_check() refuses a hitcount of XT_RECENT_MAX_NSTAMPS or more: 256 until Linux 6.10,
 * 65536 since "netfilter: xt_recent: Lift restrictions on max hitcount value" (nf-next, June 2024; Linux
 * 6.11). Measured: --hitcount 65536 fails and 65535 loads on Linux 6.18; Debian 12's 6.1 source has 256.
 */
const RECENT_MAX_HITCOUNT = 65535n;
const RECENT_MAX_HITCOUNT_BEFORE_6_11 = 255n;

/** A refusal by kernels older than some version (versionRejections decides with the target's release). */
export function kernelVersionRefusal(rule: Rule): VersionDependent | undefined {
  for (const match of rule.matches) {
    if (match.name !== 'recent') {
      continue;
    }
    const hitcount = option(match, '--hitcount');
    const hits = hitcount === undefined ? undefined : strtoumax(hitcount)?.value;
    if (hits !== undefined && hits > RECENT_MAX_HITCOUNT_BEFORE_6_11 && hits <= RECENT_MAX_HITCOUNT) {
      return {
        fixedIn: [6, 11],
        message: `recent match: hitcount (${hits}) is larger than allowed maximum (${RECENT_MAX_HITCOUNT_BEFORE_6_11}): ${REFUSED}`,
      };
    }
  }
  return undefined;
}

/** A refusal that depends on the kernel's CONFIG_HZ: the values that refuse, and the kernel's words. */
export interface HzDependent {
  readonly hz: readonly number[];
  readonly message: string;
  /** Who refuses it at those values: iptables-legacy only (xt_limit), or both backends (xt_hashlimit). */
  readonly backends: 'legacy' | 'both';
}

export interface BackendErrors {
  readonly legacy?: string;
  readonly nft?: string;
  /** Legacy refuses it only under some CONFIG_HZ values (decided against the kernel's config). */
  readonly legacyAtHz?: HzDependent;
}

const LEGACY_REFUSED =
  'iptables-legacy-restore fails ("line N failed"); nf_tables loads the rule (it uses its own expressions there)';

/**
 * What the kernel refuses only when the rule goes through x_tables (iptables-legacy): iptables-nft turns
 * these into native nf_tables expressions, or nft_compat skips the check (xt_TCPMSS.c: par->nft_compat).
 */
export function backendCheckentryErrors(rule: Rule, family: Family): BackendErrors | undefined {
  const neverMatches = invertedNullMask(rule, family);
  if (neverMatches !== undefined) {
    return {
      nft: `! ${neverMatches.name} ${neverMatches.value}: the inverted zero-length prefix matches no packet, and iptables-nft 1.8.9 sends it as a comparison of no bytes, which the kernel refuses: iptables-nft-restore fails with "RULE_APPEND failed (Invalid argument)" (measured; iptables-legacy loads it as a rule that never matches). Remove the rule, or the "!" if the rule should match every address`,
    };
  }
  const target = rule.target;
  // iptables/nft.c add_action() writes ACCEPT, DROP and RETURN as verdicts but QUEUE as an xtables target
  // named "QUEUE" (add_target), which nft_compat.c nft_target_select_ops() looks up with
  // xt_request_find_target(): request_module("ipt_QUEUE"). No kernel has had it since ip_queue went in
  // Linux 3.5, so the load fails (measured: "RULE_APPEND failed (No such file or directory)"), while
  // iptables-legacy makes QUEUE the NF_QUEUE verdict, which NFQUEUE --queue-num 0 gives on both backends.
  if (target?.name === 'QUEUE' && target.kind === 'standard') {
    return {
      nft: `-j QUEUE: iptables-nft sends QUEUE to the kernel as an xtables target of that name, which no kernel since Linux 3.5 has (modprobe ipt_QUEUE finds nothing): iptables-nft-restore fails with "RULE_APPEND failed (No such file or directory)"; iptables-legacy makes it the NF_QUEUE verdict. Write -j NFQUEUE --queue-num 0, which queues to the same queue 0 on both backends`,
    };
  }
  // xt_TRACE.c registers the target for table "raw"; iptables-nft makes it "meta nftrace set 1".
  if (target?.kind === 'extension' && target.name === 'TRACE' && rule.table !== 'raw') {
    return { legacy: `TRACE target: only valid in raw table, not ${rule.table}: ${LEGACY_REFUSED}` };
  }
  if (target?.kind === 'extension' && target.name === 'TCPMSS' && !hasSynMatch(rule)) {
    return {
      legacy: `TCPMSS target: Only works on TCP SYN packets (add -m tcp --tcp-flags SYN,RST SYN): ${LEGACY_REFUSED}`,
    };
  }
  for (const match of rule.matches) {
    const name = match.name;
    if ((name === 'tcp' || name === 'udp') && rule.protocol?.negated === true) {
      const number = name === 'tcp' ? 6 : 17;
      return {
        legacy: `${name} match: only valid for protocol ${number} (the rule has ! -p): ${LEGACY_REFUSED}`,
      };
    }
    if (name === 'limit') {
      const refusal = limitRefusal(match);
      if (refusal !== undefined) {
        const message = `${refusal.message}: ${LEGACY_REFUSED}`;
        return refusal.hz.length === KERNEL_HZ_CHOICES.length
          ? { legacy: message }
          : { legacyAtHz: { hz: refusal.hz, message, backends: 'legacy' } };
      }
    }
  }
  return undefined;
}

/** `! -s ADDR/0` or `! -d ADDR/0` (a null mask: 0, 0.0.0.0 or ::), which iptables-nft cannot express. */
function invertedNullMask(rule: Rule, family: Family): { name: string; value: string } | undefined {
  for (const option of rule.generic) {
    const value = option.values[0];
    if (!option.negated || value === undefined || (option.name !== '-s' && option.name !== '-d')) {
      continue;
    }
    const slash = value.lastIndexOf('/');
    if (slash !== -1 && !value.includes(',') && isNullMask(value.slice(slash + 1), family)) {
      return { name: option.name, value };
    }
  }
  return undefined;
}

/**
 * xt_SECMARK.c checkentry_lsm(): the kernel has the security module map --selctx to a secid when the rule is
 * inserted (security_secctx_to_secid). Without SELinux running (Debian and Ubuntu enable AppArmor), or with a
 * context its policy does not define, the insert fails on both backends while `iptables-restore --test`
 * passes (measured without SELinux: nf_tables prints an empty error, legacy "line N failed"). Whether the
 * target host runs SELinux is not in the rules, so this is a warning.
 */
export function securityContextWarning(rule: Rule): string | undefined {
  const target = rule.target;
  if (target?.kind !== 'extension' || target.name !== 'SECMARK') {
    return undefined;
  }
  const context = target.options.find((o) => o.name === '--selctx')?.values[0] ?? '?';
  return `SECMARK target: the kernel asks SELinux to map --selctx ${context} when the rule loads (xt_SECMARK.c checkentry_lsm): on a kernel without SELinux enabled, or whose policy lacks that context, the whole table is refused although iptables-restore --test passes`;
}

/**
 * xt_cgroup.c cgroup_mt_check_v1/v2(): --path is looked up in the cgroup v2 hierarchy when the rule is
 * inserted (cgroup_get_from_path), and a cgroup that does not exist then is -EINVAL on both backends while
 * `iptables-restore --test` passes (measured: dmesg "xt_cgroup: invalid path, errno=-2"; "/" loads). A unit's
 * cgroup exists only while the unit runs, and netfilter-persistent starts before the services. Whether the
 * path exists at that moment is not in the rules, so this is a warning.
 */
export function cgroupPathWarning(rule: Rule): string | undefined {
  for (const match of rule.matches) {
    const path = match.name === 'cgroup' ? option(match, '--path') : undefined;
    if (path === undefined || /^\/*$/.test(path)) {
      continue;
    }
    const unit = /\.(service|scope|socket|mount|swap)\/*$/.test(path);
    return `cgroup match: the kernel looks up --path ${path} when the rule loads and refuses the whole table if that cgroup does not exist then (xt_cgroup: invalid path, errno=-2), although iptables-restore --test passes${unit ? ": a unit's cgroup exists only while the unit runs, and netfilter-persistent loads the rules before the services start; add such rules from the unit (ExecStartPost=) or match its traffic by --uid-owner or a --cgroup classid" : ''}`;
  }
  return undefined;
}
