// Option values that iptables 1.8.9 extensions parse in their own parse functions (beyond the XTTYPE of
// their option entry), with the message each prints. Each check cites the function it follows; all of
// them run in userspace, so both backends refuse alike.
import type { Family } from '../knowledge/extensions.ts';
import type { OptionUse } from '../parsers/iptables-save.ts';
import type { NameSet } from '../parsers/name-databases.ts';
import { numericIpv4Parts, strtod, strtoul, strtoumax } from './values.ts';
import { isIpv4Literal, isIpv6Literal } from './addresses.ts';

export interface ValueContext {
  readonly family: Family;
  /** Users and groups of the host that loads the rules (getpwnam/getgrnam); undefined: names not checked. */
  readonly users?: NameSet | undefined;
  readonly groups?: NameSet | undefined;
  /** /etc/protocols of that host (getprotobyname); undefined: protocol names not checked. */
  readonly protocols?: NameSet | undefined;
}

export type ValueCheck = (option: OptionUse, ctx: ValueContext) => string | undefined;

/** xtables_strtoui(s, &end, ..., 0, max): a number at the start of s within max, and what follows it. */
function leadingNumber(s: string, max: bigint): { value: bigint; rest: string } | undefined {
  const n = strtoumax(s);
  return n === undefined || n.value > max ? undefined : n;
}

/** xtables_strtoui(s, NULL, ..., min, max): the whole string a number within [min, max]. */
function numberIn(s: string, min: bigint, max: bigint): bigint | undefined {
  const n = strtoumax(s);
  return n === undefined || n.rest !== '' || n.value < min || n.value > max ? undefined : n.value;
}

/** strncasecmp(a, b, strlen(b)) === 0: b is a case-insensitive prefix of a (an empty b matches anything). */
function startsWithCaseless(a: string, b: string): boolean {
  return a.slice(0, b.length).toLowerCase() === b.toLowerCase();
}

/** atoi(3)/atoll(3): leading blanks, a sign, decimal digits; 0 when there are none. */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m?.[1] === undefined ? 0 : Number(m[1]);
}

/**
 * atoi(3) as glibc computes it into an int: strtol() (clamped to a 64-bit long), then the low 32 bits
 * (measured: --hashlimit-rate-interval 4294967295 is -1 and 4294967296 is 0, both refused).
 */
function atoiInt(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  if (m?.[1] === undefined) {
    return 0;
  }
  const long = BigInt(m[1]);
  const clamped = long > 2n ** 63n - 1n ? 2n ** 63n - 1n : long < -(2n ** 63n) ? -(2n ** 63n) : long;
  return Number(BigInt.asIntN(32, clamped));
}

const RATE_UNITS: readonly [string, number][] = [
  ['second', 1],
  ['minute', 60],
  ['hour', 3600],
  ['day', 86400],
];

/**
 * libxt_limit.c / libxt_hashlimit.c parse_rate() before its division: "N[/unit]", the unit any prefix of
 * second, minute, hour or day. The seconds of the unit and N, or undefined where parse_rate() returns 0.
 */
function rateTerms(rate: string): { readonly seconds: number; readonly count: number } | undefined {
  const slash = rate.indexOf('/');
  let seconds = 1;
  if (slash !== -1) {
    const unit = rate.slice(slash + 1);
    const found = unit === '' ? undefined : RATE_UNITS.find(([name]) => startsWithCaseless(name, unit));
    if (found === undefined) {
      return undefined;
    }
    seconds = found[1];
  }
  const count = atoi(rate);
  return count === 0 ? undefined : { seconds, count };
}

/** parse_rate(): the scaled average (scale * seconds / N), 0 for a value it refuses or one too fast. */
export function parseRate(rate: string, scale: number): number {
  const terms = rateTerms(rate);
  if (terms === undefined) {
    return 0;
  }
  // C: unsigned arithmetic; a negative atoi() becomes a huge divisor and the rate maps to 0 ("too fast").
  const divisor = terms.count < 0 ? 2 ** 32 + terms.count : terms.count;
  return Math.floor((scale * terms.seconds) / divisor);
}

/** parse_rate()'s own refusal of a rate ("Rate too fast"), the caller's message for an unreadable one. */
function rateError(arg: string, scale: number, unreadable: string): string | undefined {
  if (rateTerms(arg) === undefined) {
    return unreadable;
  }
  return parseRate(arg, scale) === 0 ? `Rate too fast "${arg}"` : undefined;
}

/** XT_LIMIT_SCALE (include/linux/netfilter/xt_limit.h). */
export const XT_LIMIT_SCALE = 10000;
/** XT_HASHLIMIT_SCALE_v2: revisions 2 and 3, the ones iptables 1.8.9 uses. */
export const XT_HASHLIMIT_SCALE_V2 = 1000000;

function limitRateError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  return rateError(arg, XT_LIMIT_SCALE, `bad rate "${arg}"'`);
}

/** libxt_hashlimit.c parse_bytes(): "N<k|m|g>b/s" (the letter before "b/s" any character). */
export function isByteRate(rate: string): boolean {
  const at = rate.indexOf('b/s');
  return at > 0 && atoi(rate) !== 0;
}

function hashlimitRateError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  if (isByteRate(arg)) {
    return byteRateCost(arg) === undefined ? hashlimitDivisionByZero('bytes_to_cost()') : undefined;
  }
  return rateError(arg, XT_HASHLIMIT_SCALE_V2, `hashlimit: Bad value for "${option.name}" option: "${arg}"`);
}

/** iptables 1.8.9 divides by zero in libxt_hashlimit.so at some byte rates: the restore dies by SIGFPE. */
function hashlimitDivisionByZero(where: string): string {
  return `iptables-restore is killed by SIGFPE at this line (a division by zero in libxt_hashlimit.so ${where}, iptables 1.8.9; measured, exit status 136): nothing of the file loads. Write a byte rate below 4096mb/s`;
}

const HASHLIMIT_MODES: ReadonlySet<string> = new Set(['dstip', 'srcip', 'srcport', 'dstport']);

/** libxt_hashlimit.c parse_mode(): strtok(",|") words, each one of HASHLIMIT_MODES. */
function hashlimitModeError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  const words = arg.split(/[,|]/).filter((w) => w !== '');
  return words.every((w) => HASHLIMIT_MODES.has(w))
    ? undefined
    : `hashlimit: Bad value for "--hashlimit-mode" option: "${arg}"`;
}

/** libxt_hashlimit.c parse_interval(): atoi() > 0. */
function hashlimitIntervalError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  return atoiInt(arg) > 0
    ? undefined
    : `hashlimit: Bad value for "--hashlimit-rate-interval" option: "${arg}"`;
}

/** libxt_RATEEST.c TIME_UNITS_PER_SEC (copied there from iproute2): times are kept in microseconds. */
const RATEEST_UNITS_PER_SEC = 1_000_000;
const RATEEST_TIME_UNITS: ReadonlyMap<string, number> = new Map([
  ...['s', 'sec', 'secs'].map((u): [string, number] => [u, RATEEST_UNITS_PER_SEC]),
  ...['ms', 'msec', 'msecs'].map((u): [string, number] => [u, RATEEST_UNITS_PER_SEC / 1000]),
  ...['us', 'usec', 'usecs'].map((u): [string, number] => [u, 1]),
]);

/**
 * libxt_RATEEST.c RATEEST_get_time(): strtod(), then an optional unit (strcasecmp), stored into an unsigned
 * int. That conversion truncates through a 64-bit integer on x86-64 (cvttsd2si), so "-1.0ms" becomes
 * 4294966296 us (measured: "interval value is too large"), and a value out of its range becomes 0.
 * Undefined when the text is not a time.
 */
function rateestTime(text: string): number | undefined {
  const n = strtod(text);
  if (n === undefined) {
    return undefined;
  }
  const scale = n.rest === '' ? 1 : RATEEST_TIME_UNITS.get(n.rest.toLowerCase());
  if (scale === undefined) {
    return undefined;
  }
  const t = n.value * scale;
  return Number.isFinite(t) && Math.abs(t) < 2 ** 63 ? Number(BigInt.asUintN(32, BigInt(Math.trunc(t)))) : 0;
}

function rateestTimeError(what: 'interval' | 'ewmalog'): ValueCheck {
  return (option) => {
    const arg = option.values[0] ?? '';
    return rateestTime(arg) === undefined ? `RATEEST: bad ${what} value "${arg}"` : undefined;
  };
}

/**
 * libxt_RATEEST.c RATEEST_final_check(): the interval must be at most 8 s (2^5 quarter seconds), and the
 * averaging constant must give an ewma_log between 1 and 30 for that interval.
 */
function rateestFinalError(options: readonly OptionUse[]): string | undefined {
  const valueOf = (name: string): number =>
    rateestTime(options.find((o) => o.name === name)?.values[0] ?? '') ?? 0;
  const interval = valueOf('--rateest-interval');
  const ewma = valueOf('--rateest-ewmalog');
  let step = 0;
  while (step <= 5 && interval > (1 << step) * (RATEEST_UNITS_PER_SEC / 4)) {
    step++;
  }
  if (step > 5) {
    return 'RATEEST: interval value is too large';
  }
  let ewmaLog = 1;
  // (1 << 31) is INT_MIN in C as in JavaScript: the last step never breaks, and the log ends out of range.
  while (ewmaLog < 32 && !(interval / -Math.log(1 - 1 / (1 << ewmaLog)) > ewma)) {
    ewmaLog++;
  }
  ewmaLog--;
  return ewmaLog === 0 || ewmaLog >= 31 ? 'RATEEST: ewmalog value is out of range' : undefined;
}

/** dscp_helper.c ds_classes[]; class_to_dscp() accepts a value that starts with one of them (strncasecmp). */
const DSCP_CLASSES: readonly string[] = [
  'CS0',
  'CS1',
  'CS2',
  'CS3',
  'CS4',
  'CS5',
  'CS6',
  'CS7',
  'BE',
  'AF11',
  'AF12',
  'AF13',
  'AF21',
  'AF22',
  'AF23',
  'AF31',
  'AF32',
  'AF33',
  'AF41',
  'AF42',
  'AF43',
  'EF',
];

function dscpClassError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  return DSCP_CLASSES.some((c) => startsWithCaseless(arg, c)) ? undefined : `Invalid DSCP value \`${arg}'`;
}

/** libxt_tcp.c tcp_flag_names[] (strcasecmp). */
const TCP_FLAGS: ReadonlySet<string> = new Set(['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'all', 'none']);

/** libxt_tcp.c parse_tcp_flag(): comma lists (strtok: empty items skipped) of TCP_FLAGS, mask then comparison. */
function tcpFlagsError(option: OptionUse): string | undefined {
  for (const list of option.values.slice(0, 2)) {
    const bad = list.split(',').find((w) => w !== '' && !TCP_FLAGS.has(w.toLowerCase()));
    if (bad !== undefined) {
      return `Unknown TCP flag \`${bad}'`;
    }
  }
  return undefined;
}

/** libxt_tcp.c parse_tcp_option(): xtables_strtoui(option, NULL, ..., 1, 255). */
function tcpOptionError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  return numberIn(arg, 1n, 255n) === undefined ? `Bad TCP option "${arg}"` : undefined;
}

/** libxt_icmp.h icmp_codes[] (names and aliases, in the order __parse_icmp() walks them). */
const ICMP_NAMES: readonly string[] = [
  'any',
  'echo-reply',
  'pong',
  'destination-unreachable',
  'network-unreachable',
  'host-unreachable',
  'protocol-unreachable',
  'port-unreachable',
  'fragmentation-needed',
  'source-route-failed',
  'network-unknown',
  'host-unknown',
  'network-prohibited',
  'host-prohibited',
  'TOS-network-unreachable',
  'TOS-host-unreachable',
  'communication-prohibited',
  'host-precedence-violation',
  'precedence-cutoff',
  'source-quench',
  'redirect',
  'network-redirect',
  'host-redirect',
  'TOS-network-redirect',
  'TOS-host-redirect',
  'echo-request',
  'ping',
  'router-advertisement',
  'router-solicitation',
  'time-exceeded',
  'ttl-exceeded',
  'ttl-zero-during-transit',
  'ttl-zero-during-reassembly',
  'parameter-problem',
  'ip-header-bad',
  'required-option-missing',
  'timestamp-request',
  'timestamp-reply',
  'address-mask-request',
  'address-mask-reply',
];

/** libxt_icmp.h icmpv6_codes[]. */
const ICMPV6_NAMES: readonly string[] = [
  'destination-unreachable',
  'no-route',
  'communication-prohibited',
  'beyond-scope',
  'address-unreachable',
  'port-unreachable',
  'failed-policy',
  'reject-route',
  'packet-too-big',
  'time-exceeded',
  'ttl-exceeded',
  'ttl-zero-during-transit',
  'ttl-zero-during-reassembly',
  'parameter-problem',
  'bad-header',
  'unknown-header-type',
  'unknown-option',
  'echo-request',
  'ping',
  'echo-reply',
  'pong',
  'router-solicitation',
  'router-advertisement',
  'neighbour-solicitation',
  'neighbor-solicitation',
  'neighbour-advertisement',
  'neighbor-advertisement',
  'redirect',
];

/** libxt_icmp.h parse_range(): "N[:M]" (0-255 each); the rest after it, or undefined. */
function icmpRange(s: string): { rest: string; single: boolean } | undefined {
  const first = leadingNumber(s, 255n);
  if (first === undefined) {
    return undefined;
  }
  if (!first.rest.startsWith(':')) {
    return { rest: first.rest, single: true };
  }
  const second = leadingNumber(first.rest.slice(1), 255n);
  return second === undefined ? undefined : { rest: second.rest, single: first.value === second.value };
}

/**
 * libxt_icmp.h __parse_icmp() and __ipt_parse_icmp(): a name (any case-insensitive prefix, ambiguous
 * prefixes refused) or "type[/code]" with numbers 0-255 and no type range.
 */
export function icmpTypeError(
  arg: string,
  names: readonly string[],
  what: 'ICMP' | 'ICMPv6',
): string | undefined {
  const matches = names.filter((n) => startsWithCaseless(n, arg));
  if (matches.length > 1) {
    return `Ambiguous ${what} type \`${arg}': \`${matches[0] ?? ''}' or \`${matches[1] ?? ''}'?`;
  }
  if (matches.length === 1) {
    return undefined;
  }
  const type = icmpRange(arg);
  if (type === undefined) {
    return `Unknown ${what} type \`${arg}'`;
  }
  let rest = type.rest;
  if (rest.startsWith('/')) {
    const code = icmpRange(rest.slice(1));
    if (code === undefined) {
      return `Unknown ${what} code \`${arg}'`;
    }
    rest = code.rest;
  }
  if (rest !== '') {
    return `unknown character ${rest.charAt(0)}`;
  }
  return type.single ? undefined : `${what} type range not supported`;
}

/** libipt_REJECT.c reject_table[] names and aliases (IPv4). */
const REJECT_V4: readonly string[] = [
  'icmp-net-unreachable',
  'net-unreach',
  'icmp-host-unreachable',
  'host-unreach',
  'icmp-proto-unreachable',
  'proto-unreach',
  'icmp-port-unreachable',
  'port-unreach',
  'icmp-net-prohibited',
  'net-prohib',
  'icmp-host-prohibited',
  'host-prohib',
  'tcp-reset',
  'tcp-rst',
  'icmp-admin-prohibited',
  'admin-prohib',
];

/** libip6t_REJECT.c reject_table[] names and aliases (IPv6). */
const REJECT_V6: readonly string[] = [
  'icmp6-no-route',
  'no-route',
  'icmp6-adm-prohibited',
  'adm-prohibited',
  'icmp6-not-neighbor',
  'not-neighbor',
  'icmp6-addr-unreachable',
  'addr-unreach',
  'icmp6-port-unreachable',
  'port-unreach',
  'tcp-reset',
  'icmp6-policy-fail',
  'policy-fail',
  'icmp6-reject-route',
  'reject-route',
];

/**
 * Whether REJECT_parse() picks tcp-reset for the value: the first entry of the table whose name or alias
 * the value is a case-insensitive prefix of (`TCP-RESET`, `tcp-r`, even `t` in IPv4).
 */
export function rejectsWithTcpReset(arg: string, family: 'ipv4' | 'ipv6'): boolean {
  const table = family === 'ipv4' ? REJECT_V4 : REJECT_V6;
  const chosen = table.find((n) => startsWithCaseless(n, arg));
  return chosen === 'tcp-reset' || chosen === 'tcp-rst';
}

/** REJECT_parse(): the value is a case-insensitive prefix of a name or alias of the family's table. */
function rejectWithError(option: OptionUse, ctx: ValueContext): string | undefined {
  const arg = option.values[0] ?? '';
  const table = ctx.family === 'ipv4' ? REJECT_V4 : REJECT_V6;
  // The full lower-case name is what iptables-save writes: no prefix scan for it.
  return table.includes(arg) || table.some((n) => startsWithCaseless(n, arg))
    ? undefined
    : `unknown reject type "${arg}"`;
}

/**
 * libxt_NAT.c parse_to(): "[addr[-addr]][:ports]" (IPv6: "[addr[-addr]]:ports" or a bare address), each
 * address through inet_pton(); the ports are checked by natPortsError.
 */
function natAddressError(option: OptionUse, ctx: ValueContext): string | undefined {
  const arg = option.values[0] ?? '';
  let addresses: string;
  if (ctx.family === 'ipv4') {
    const colon = arg.indexOf(':');
    addresses = colon === -1 ? arg : arg.slice(0, colon);
  } else if (arg.startsWith('[')) {
    const close = arg.indexOf(']');
    addresses = close === -1 ? arg.slice(1) : arg.slice(1, close);
  } else {
    addresses = arg;
  }
  if (addresses === '') {
    return undefined;
  }
  if (ctx.family === 'ipv4' && isIpv4Literal(addresses)) {
    return undefined; // one address: the common case, without slicing it again
  }
  const valid = ctx.family === 'ipv4' ? isIpv4Literal : isIpv6Literal;
  const dash = addresses.indexOf('-');
  const start = dash === -1 ? addresses : addresses.slice(0, dash);
  if (!valid(start)) {
    return `Bad IP address "${start}"`;
  }
  if (dash !== -1 && !valid(addresses.slice(dash + 1))) {
    return `Bad IP address "${addresses.slice(dash + 1)}"`;
  }
  return undefined;
}

/** libxt_NFQUEUE.c NFQUEUE_parse_v1(): "first:last", first below last. */
function queueBalanceError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  const parts = arg.split(':');
  if (parts.length !== 2) {
    return `Bad range "${arg}"`;
  }
  const [first, last] = parts.map((p) => strtoumax(p)?.value ?? 0n);
  if (first === undefined || last === undefined) {
    return undefined;
  }
  if (first >= last) {
    return `${first} should be less than ${last}`;
  }
  // queues_total = last - first + 1 is a u16: 0:65535 wraps to 0, and xt_NFQUEUE.c nfqueue_tg_check()
  // refuses the queue range (-ERANGE) on both backends.
  return last - first + 1n > 0xffffn
    ? `NFQUEUE target: number of queues (${last - first + 1n}) out of range: the kernel refuses the rule (iptables-restore: line N failed / RULE_APPEND failed (Invalid argument))`
    : undefined;
}

/** libxt_tcpmss.c tcpmss_parse(): "min:max" with max below min. */
function tcpmssRangeError(option: OptionUse): string | undefined {
  const [min, max, extra] = (option.values[0] ?? '').split(':');
  if (max === undefined || extra !== undefined || min === '' || max === '') {
    return undefined;
  }
  const lo = strtoumax(min ?? '')?.value;
  const hi = strtoumax(max)?.value;
  return lo !== undefined && hi !== undefined && hi < lo ? 'tcpmss: invalid range given' : undefined;
}

/** libxt_TCPOPTSTRIP.c tcp_optionmap[]. */
const TCP_OPTION_NAMES: ReadonlyMap<string, number> = new Map([
  ['wscale', 3],
  ['mss', 2],
  ['sack-permitted', 4],
  ['sack', 5],
  ['timestamp', 8],
  ['md5', 19],
]);

/** libxt_TCPOPTSTRIP.c parse_list(): names or numbers 2-255, each once. */
function stripOptionsError(option: OptionUse): string | undefined {
  const seen = new Set<number>();
  for (const item of (option.values[0] ?? '').split(',')) {
    const value = TCP_OPTION_NAMES.get(item) ?? numberIn(item, 0n, 255n);
    if (value === undefined) {
      return `Bad TCP option value "${item}"`;
    }
    const n = Number(value);
    if (n < 2) {
      return 'Option value may not be 0 or 1';
    }
    if (seen.has(n)) {
      return `Option "${item}" already specified`;
    }
    seen.add(n);
  }
  return undefined;
}

/** libxt_NAT.c DNAT_fcheck(), which REDIRECT shares: a shifted port range ("ports/base") is refused. */
function redirectPortsError(option: OptionUse): string | undefined {
  return (option.values[0] ?? '').includes('/')
    ? 'Shifted portmap ranges not supported with this kernel'
    : undefined;
}

/** libxt_CT.c ct_parse_zone_id(): "mark" or a number 0-65535. */
function ctZoneError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  return arg.toLowerCase() === 'mark' || numberIn(arg, 0n, 0xffffn) !== undefined
    ? undefined
    : `Cannot parse ${arg} as a zone ID`;
}

/** libxt_CT.c ct_event_tbl[] / exp_event_tbl[] (strcmp, strsep on ","). */
const CT_EVENTS: ReadonlySet<string> = new Set([
  'new',
  'related',
  'destroy',
  'reply',
  'assured',
  'protoinfo',
  'helper',
  'mark',
  'natseqinfo',
  'secmark',
]);
const EXP_EVENTS: ReadonlySet<string> = new Set(['new']);

function ctEventsError(option: OptionUse): string | undefined {
  const table = option.name === '--expevents' ? EXP_EVENTS : CT_EVENTS;
  const bad = (option.values[0] ?? '').split(',').find((e) => !table.has(e));
  return bad === undefined ? undefined : `Unknown event type "${bad}"`;
}

/** libxt_CLASSIFY.c CLASSIFY_string_to_priority(): sscanf("%x:%x") must fill both. */
function classifyError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  return /^\s*[+-]?(0[xX])?[0-9a-fA-F]+:\s*[+-]?(0[xX])?[0-9a-fA-F]/.test(arg)
    ? undefined
    : `Bad class value "${arg}"`;
}

/** XT_STRING_MAX_PATTERN_SIZE (include/linux/netfilter/xt_string.h). */
const STRING_MAX_PATTERN = 128;

/** libxt_string.c parse_hex_string(): text with |hex| blocks and \-escapes; the first message it prints. */
export function hexStringError(s: string): string | undefined {
  const n = s.length;
  if (n === 0) {
    return 'STRING must contain at least one char';
  }
  let i = 0;
  let hex = false;
  let literal = false;
  let size = 0;
  const isHex = (c: string): boolean => /^[0-9a-fA-F]$/.test(c);
  while (i < n) {
    if (size >= STRING_MAX_PATTERN) {
      return `STRING too long "${s}"`;
    }
    if (s[i] === '\\' && !hex) {
      literal = true;
    } else if (s[i] === '\\') {
      return 'Cannot include literals in hex data';
    } else if (s[i] === '|') {
      if (hex) {
        hex = false;
      } else {
        hex = true;
        while (s[i + 1] === ' ') {
          i++;
        }
      }
      if (i + 1 >= n) {
        break;
      }
      i++;
    }
    if (literal) {
      if (i + 1 >= n) {
        return 'Bad literal placement at end of string';
      }
      i += 2;
      literal = false;
    } else if (hex) {
      if (i + 1 >= n) {
        return 'Odd number of hex digits';
      }
      if (i + 2 >= n) {
        return 'Invalid hex block';
      }
      if (!isHex(s.charAt(i))) {
        return `Invalid hex char '${s.charAt(i)}'`;
      }
      if (!isHex(s.charAt(i + 1))) {
        return `Invalid hex char '${s.charAt(i + 1)}'`;
      }
      i += s[i + 2] === ' ' ? 3 : 2;
    } else {
      i++;
    }
    size++;
  }
  return undefined;
}

/** libxt_string.c string_parse(): --string is copied as is, at most XT_STRING_MAX_PATTERN_SIZE bytes. */
function stringError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  if (option.name === '--hex-string') {
    return hexStringError(arg);
  }
  return Buffer.byteLength(arg) > STRING_MAX_PATTERN ? `STRING too long "${arg}"` : undefined;
}

/** libxt_owner.c owner_parse_range(): "N[-M]" or "N[:M]", each strtoul base 0 up to UINT32_MAX - 1; else undefined. */
export function ownerRange(arg: string): { readonly from: bigint; readonly to: bigint } | undefined {
  const max = 0xfffffffen;
  const from = leadingNumber(arg, max);
  if (from === undefined) {
    return undefined;
  }
  if (from.rest === '') {
    return { from: from.value, to: from.value };
  }
  const to =
    from.rest.startsWith('-') || from.rest.startsWith(':')
      ? leadingNumber(from.rest.slice(1), max)
      : undefined;
  return to === undefined || to.rest !== '' ? undefined : { from: from.value, to: to.value };
}

/** libxt_owner.c owner_mt_parse(): a user/group name, else owner_parse_range(). */
function ownerError(option: OptionUse, ctx: ValueContext): string | undefined {
  const arg = option.values[0] ?? '';
  const names = option.name === '--uid-owner' ? ctx.users : ctx.groups;
  if (ownerRange(arg) !== undefined || names === undefined || names.has(arg)) {
    return undefined;
  }
  return `owner: Bad value for "${option.name}" option: "${arg}"`;
}

/** libxt_iprange.c iprange_parse_range(): "from[-to]", each an address of the rule's family (inet_pton). */
/**
 * libxtables xtables_numeric_to_ipaddr(), which iprange uses: the first 19 characters, one to four parts
 * each read by xtables_strtoui() (decimal, 0x hex or 0 octal, up to 255); missing parts are zero, so
 * `10.1` is 10.1.0.0 and `10.0.0.0x10` is 10.0.0.16 (measured, 1.8.9).
 */
function isXtablesNumericIpv4(s: string): boolean {
  return (numericIpv4Parts(s.slice(0, 19))?.length ?? 5) <= 4;
}

function iprangeError(option: OptionUse, ctx: ValueContext): string | undefined {
  const arg = option.values[0] ?? '';
  const valid = ctx.family === 'ipv4' ? isXtablesNumericIpv4 : isIpv6Literal;
  const dash = arg.indexOf('-');
  const from = dash === -1 ? arg : arg.slice(0, dash);
  const bad = !valid(from)
    ? from
    : dash !== -1 && !valid(arg.slice(dash + 1))
      ? arg.slice(dash + 1)
      : undefined;
  return bad === undefined ? undefined : `iprange: Bad value for "${option.name}" option: "${bad}"`;
}

/** strtoul(s, &e, 10) as libxt_time.c uses it: the number at the start (0 when none) and the rest. */
function decimalPrefix(s: string): { value: number; rest: string } {
  const m = /^\s*([+-]?)(\d*)/.exec(s);
  const digits = m?.[2] ?? '';
  if (digits === '') {
    return { value: 0, rest: s };
  }
  // strtoul(3) negates a "-" number in unsigned arithmetic and gives ULONG_MAX past it; libxt_time.c keeps
  // the result in an unsigned int (`10:4294967296` is 10:00, measured).
  const magnitude = BigInt(digits);
  const unsignedLong =
    magnitude > 0xffffffffffffffffn
      ? 0xffffffffffffffffn
      : m?.[1] === '-'
        ? BigInt.asUintN(64, -magnitude)
        : magnitude;
  return { value: Number(BigInt.asUintN(32, unsignedLong)), rest: s.slice(m?.[0].length ?? 0) };
}

/** Seconds into the day of a valid "hh:mm[:ss]" (time_parse_minutes()'s value). */
function secondsOfDay(text: string): number {
  const hour = decimalPrefix(text);
  const minute = decimalPrefix(hour.rest.slice(1));
  const second = minute.rest === '' ? 0 : decimalPrefix(minute.rest.slice(1)).value;
  return hour.value * 3600 + minute.value * 60 + second;
}

/**
 * libxt_time.c time_fcheck(): --contiguous is for a range that wraps past midnight, so it needs --timestop
 * before --timestart (they default to 00:00:00 and 23:59:59, XT_TIME_MIN/MAX_DAYTIME).
 */
function timeFinalError(options: readonly OptionUse[]): string | undefined {
  if (!options.some((o) => o.name === '--contiguous')) {
    return undefined;
  }
  const at = (name: string, otherwise: number): number => {
    const value = options.find((o) => o.name === name)?.values[0];
    return value === undefined ? otherwise : secondsOfDay(value);
  };
  return at('--timestart', 0) < at('--timestop', 24 * 60 * 60 - 1)
    ? 'time: --contiguous only makes sense when stoptime is smaller than starttime'
    : undefined;
}

/** libxt_time.c time_parse_minutes(): "hh:mm[:ss]" within a day; the message names what was left to parse. */
function timeOfDayError(option: OptionUse): string | undefined {
  let s = option.values[0] ?? '';
  const bad = (): string =>
    `invalid time "${s}" specified, should be hh:mm[:ss] format and within the boundaries`;
  const hour = decimalPrefix(s);
  if (!hour.rest.startsWith(':') || hour.value > 23) {
    return bad();
  }
  s = hour.rest.slice(1);
  const minute = decimalPrefix(s);
  if ((minute.rest !== '' && !minute.rest.startsWith(':')) || minute.value > 59) {
    return bad();
  }
  if (minute.rest === '') {
    return undefined;
  }
  s = minute.rest.slice(1);
  const second = decimalPrefix(s);
  return second.rest !== '' || second.value > 59 ? bad() : undefined;
}

/** libxt_time.c time_parse_date(): "YYYY[-MM[-DD[Thh[:mm[:ss]]]]]", years 1970-2038. */
function dateError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  const fields: readonly { readonly max: number; readonly min?: number; readonly next: string }[] = [
    { min: 1970, max: 2038, next: '-' },
    { max: 12, next: '-' },
    { max: 31, next: 'T' },
    { max: 23, next: ':' },
    { max: 59, next: ':' },
    { max: 59, next: '' },
  ];
  let s = arg;
  for (const field of fields) {
    const n = decimalPrefix(s);
    const endsHere = n.rest === '';
    if (
      (!endsHere && (field.next === '' || !n.rest.startsWith(field.next))) ||
      n.value > field.max ||
      n.value < (field.min ?? 0)
    ) {
      return `Invalid date "${arg}" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`;
    }
    if (endsHere) {
      return undefined;
    }
    s = n.rest.slice(1);
  }
  return undefined;
}

/** libxt_time.c my_strseg(): comma-separated items, each cut to bufferSize - 1 characters. */
function segments(arg: string, keep: number): string[] {
  return arg === '' ? [] : arg.split(',').map((item) => item.slice(0, keep));
}

/** libxt_time.c time_parse_monthdays(): days 0-31 (each item read from its first two characters). */
function monthdaysError(option: OptionUse): string | undefined {
  for (const day of segments(option.values[0] ?? '', 2)) {
    const n = strtoumax(day);
    if (n === undefined || n.rest !== '' || n.value > 31n) {
      return `${day} is not a valid day for --monthdays`;
    }
  }
  return undefined;
}

/** libxt_time.c week_days[]: compared on their first two characters (strncmp). */
const WEEK_DAYS: readonly string[] = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'];

/** libxt_time.c time_parse_weekdays(): numbers (0 refused) or day names, each item its first three characters. */
function weekdaysError(option: OptionUse): string | undefined {
  for (const day of segments(option.values[0] ?? '', 3)) {
    // strtoul(day, &err, 0) taking the whole item: any number but 0 (`-1` loads, measured), kept as unsigned int.
    const n = day === '' ? { magnitude: 0n, rest: '' } : strtoul(day);
    if (n !== undefined && n.rest === '') {
      if (BigInt.asUintN(32, n.magnitude) === 0n) {
        return 'No, the week does NOT begin with Sunday.';
      }
      continue;
    }
    if (!WEEK_DAYS.includes(day.slice(0, 2))) {
      return `${day} is not a valid day specifier`;
    }
  }
  return undefined;
}

/** libxt_connbytes.c connbytes_parse(): "from[:to]", from below to (cb->val.u64_range). */
function connbytesError(option: OptionUse): string | undefined {
  const [from, to] = (option.values[0] ?? '').split(':');
  if (to === undefined || to === '' || from === undefined || from === '') {
    return undefined;
  }
  const a = strtoumax(from)?.value;
  const b = strtoumax(to)?.value;
  return a !== undefined && b !== undefined && a > b ? `${a} should be less than ${b}` : undefined;
}

/** libxt_sctp.c sctp_chunk_names[]. */
const SCTP_CHUNKS: readonly string[] = [
  'DATA',
  'INIT',
  'INIT_ACK',
  'SACK',
  'HEARTBEAT',
  'HEARTBEAT_ACK',
  'ABORT',
  'SHUTDOWN',
  'SHUTDOWN_ACK',
  'ERROR',
  'COOKIE_ECHO',
  'COOKIE_ACK',
  'ECN_ECNE',
  'ECN_CWR',
  'SHUTDOWN_COMPLETE',
  'I_DATA',
  'RE_CONFIG',
  'PAD',
  'ASCONF',
  'ASCONF_ACK',
  'FORWARD_TSN',
  'I_FORWARD_TSN',
];

/** libxt_sctp.c parse_sctp_chunks(): "ALL|ANY|ONLY" then ALL, NONE or a list of chunk names (strcasecmp). */
function sctpChunksError(option: OptionUse): string | undefined {
  const [matchType = '', chunks] = option.values;
  if (!['any', 'all', 'only'].includes(matchType.toLowerCase())) {
    return 'Match type has to be one of "ALL", "ANY" or "ONLY"';
  }
  if (chunks === undefined || ['all', 'none'].includes(chunks.toLowerCase())) {
    return undefined;
  }
  for (const item of chunks.split(',')) {
    const name = item.split(':')[0] ?? '';
    if (item !== '' && !SCTP_CHUNKS.includes(name.toUpperCase())) {
      return `Unknown sctp chunk \`${name}'`;
    }
  }
  return undefined;
}

/** libxt_dccp.c dccp_pkt_types[] (strcasecmp). */
const DCCP_TYPES: readonly string[] = [
  'REQUEST',
  'RESPONSE',
  'DATA',
  'ACK',
  'DATAACK',
  'CLOSEREQ',
  'CLOSE',
  'RESET',
  'SYNC',
  'SYNCACK',
  'INVALID',
];

function dccpTypesError(option: OptionUse): string | undefined {
  const bad = (option.values[0] ?? '')
    .split(',')
    .find((t) => t !== '' && !DCCP_TYPES.includes(t.toUpperCase()));
  return bad === undefined ? undefined : `Unknown DCCP type \`${bad}'`;
}

/** libip6t_ipv6header.c chain_protos[]: names and numbers of the headers it knows. */
const IPV6_HEADERS: ReadonlySet<string> = new Set([
  'hop-by-hop',
  'protocol',
  'hop',
  'dst',
  'route',
  'frag',
  'auth',
  'esp',
  'none',
  'prot',
  '0',
  '60',
  '43',
  '44',
  '51',
  '50',
  '59',
  '255',
]);

/** libip6t_ipv6header.c chain_flags[]: the header numbers it can match. */
const IPV6_HEADER_NUMBERS: ReadonlySet<number> = new Set([0, 60, 43, 44, 51, 50, 59, 255]);

/**
 * libip6t_ipv6header.c name_to_proto(): getprotobyname() first, then chain_protos[]; add_proto_to_mask()
 * then refuses a protocol that is no IPv6 extension header ("unknown header `6'" for tcp).
 */
function ipv6HeaderError(option: OptionUse, ctx: ValueContext): string | undefined {
  for (const name of (option.values[0] ?? '').split(',')) {
    if (name === '') {
      continue;
    }
    const number = ctx.protocols?.numberOf(name);
    if (number !== undefined) {
      if (!IPV6_HEADER_NUMBERS.has(number)) {
        return `unknown header \`${number}' specified`;
      }
    } else if (!IPV6_HEADERS.has(name) && ctx.protocols !== undefined) {
      return `unknown header \`${name}' specified`;
    }
  }
  return undefined;
}

/** libip6t_mh.c mh_names[] (names and aliases). */
const MH_NAMES: readonly string[] = [
  'binding-refresh-request',
  'brr',
  'home-test-init',
  'hoti',
  'careof-test-init',
  'coti',
  'home-test',
  'hot',
  'careof-test',
  'cot',
  'binding-update',
  'bu',
  'binding-acknowledgement',
  'ba',
  'binding-error',
  'be',
];

/** libip6t_mh.c name_to_type(): a name (any case-insensitive prefix) or a number 0-255. */
function mhTypeKnown(name: string): boolean {
  return MH_NAMES.some((n) => startsWithCaseless(n, name)) || numberIn(name, 0n, 255n) !== undefined;
}

/** libip6t_mh.c parse_mh_types(): "type" or "[type]:[type]". */
function mhTypeError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  const colon = arg.indexOf(':');
  const parts = colon === -1 ? [arg] : [arg.slice(0, colon), arg.slice(colon + 1)].filter((p) => p !== '');
  const bad = parts.find((p) => !mhTypeKnown(p));
  if (bad !== undefined) {
    return `Invalid MH type \`${bad}'`;
  }
  if (colon === -1) {
    return undefined;
  }
  const from = arg.slice(0, colon);
  const to = arg.slice(colon + 1);
  const low = from === '' ? 0 : mhTypeNumber(from);
  const high = to === '' ? 255 : mhTypeNumber(to);
  return low !== undefined && high !== undefined && low > high
    ? 'Invalid MH type range (min > max)'
    : undefined;
}

/** MH_NAMES in pairs of name and alias, types 0-7 in order. */
function mhTypeNumber(name: string): number | undefined {
  const exact = MH_NAMES.findIndex((n) => n.toLowerCase() === name.toLowerCase());
  const at = exact !== -1 ? exact : MH_NAMES.findIndex((n) => startsWithCaseless(n, name));
  if (at !== -1) {
    return Math.floor(at / 2);
  }
  const n = numberIn(name, 0n, 255n);
  return n === undefined ? undefined : Number(n);
}

/** libxt_conntrack.c conntrack_mt_parse() O_CTDIR: ORIGINAL or REPLY (strcasecmp). */
function ctdirError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  return ['original', 'reply'].includes(arg.toLowerCase())
    ? undefined
    : `conntrack: Bad value for "--ctdir" option: "${arg}"`;
}

/**
 * libxt_policy.c parse_direction(), parse_policy(), parse_mode(): exact lower-case words (strcmp), each
 * refused with its own wording ("policy_match:" for the direction, as the source has it).
 */
function exactWordCheck(words: readonly string[], what: string, prefix = 'policy match'): ValueCheck {
  return (option) => {
    const arg = option.values[0] ?? '';
    return words.includes(arg) ? undefined : `${prefix}: invalid ${what} "${arg}"`;
  };
}

/**
 * libxtables xtables_parse_val_mask() as realm and devgroup call it: "VALUE[/MASK]", both read by
 * xtables_strtoui() in any base up to 2^32-1. Anything but a number before the '/' is looked up as a name in
 * the host's /etc/iproute2 map (rt_realms, group), which is left alone here.
 */
function valueMaskError(ext: string): ValueCheck {
  return (option) => {
    const value = strtoumax(option.values[0] ?? '');
    if (value === undefined || value.value > 0xffffffffn || !value.rest.startsWith('/')) {
      return undefined;
    }
    const mask = strtoumax(value.rest.slice(1));
    if (mask === undefined || mask.value > 0xffffffffn) {
      return `${ext}: bad integer value for option "${option.name}", or out of range.`;
    }
    return mask.rest === '' ? undefined : `${ext}: trailing garbage after value for option "${option.name}".`;
  };
}

/** IP6T_OPTS_OPTSNR (include/linux/netfilter_ipv6/ip6t_opts.h). */
const IP6T_OPTS_OPTSNR = 16;

/**
 * libip6t_dst.c / libip6t_hbh.c parse_options(): up to 16 "type[:length]" items, each number read by
 * parse_opts_num() (any base strtoul, nothing after it), type 0 (Pad1) without a length.
 */
function ipv6OptionsError(ext: 'dst' | 'hbh'): ValueCheck {
  const pad0 = ext === 'dst' ? "PAD0 hasn't got length" : 'PAD0 has not got length';
  // parse_opts_num(): strtoul(s, &ep, 0) with any sign, nothing after the number.
  const number = (text: string, what: string): string | undefined => {
    const n = strtoul(text);
    if (n === undefined) {
      return `${ext}: no valid digits in ${what} \`${text}'`;
    }
    if (n.magnitude > 0xffffffffffffffffn) {
      return `${what} \`${text}' specified too big: would overflow`;
    }
    return text !== '' && n.rest !== '' ? `${ext}: error parsing ${what} \`${text}'` : undefined;
  };
  return (option) => {
    const items = (option.values[0] ?? '').split(',');
    if (items.length > IP6T_OPTS_OPTSNR) {
      return 'too many addresses specified';
    }
    for (const [i, item] of items.entries()) {
      const colon = item.indexOf(':');
      if (colon !== -1 && i === IP6T_OPTS_OPTSNR - 1) {
        return 'too many ports specified';
      }
      const type = colon === -1 ? item : item.slice(0, colon);
      const error = number(type, 'opt');
      if (error !== undefined) {
        return error;
      }
      if (colon !== -1) {
        const n = strtoul(type);
        if (n === undefined || BigInt.asUintN(8, n.negative ? -n.magnitude : n.magnitude) === 0n) {
          return pad0;
        }
        const lengthError = number(item.slice(colon + 1), 'length');
        if (lengthError !== undefined) {
          return lengthError;
        }
      }
    }
    return undefined;
  };
}

/** libxtables xtables_parse_interface(), which physdev uses too: a name of IFNAMSIZ - 1 bytes at most. */
function interfaceNameError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  return Buffer.byteLength(arg, 'utf8') > 15
    ? `interface name \`${arg}' must be shorter than IFNAMSIZ (15)`
    : undefined;
}

/** XT_HASHLIMIT_BURST_MAX (include/linux/netfilter/xt_hashlimit.h). */
const HASHLIMIT_BURST_MAX = 1000000n;

/** libxt_hashlimit.c parse_burst() (revision 2 and up): at least 1, at most the maximum unless a size suffix follows. */
function hashlimitBurstError(option: OptionUse): string | undefined {
  const n = strtoumax(option.values[0] ?? '');
  return n === undefined || n.value < 1n || (n.rest === '' && n.value > HASHLIMIT_BURST_MAX)
    ? `bad value for option "--hashlimit-burst", or out of range (1-${HASHLIMIT_BURST_MAX}).`
    : undefined;
}

/** libxt_hashlimit.c get_factor(): the letter before "b/s" of a byte rate, or after a burst's number. */
function byteFactor(letter: string | undefined): bigint {
  return letter === 'm' ? 1024n * 1024n : letter === 'k' ? 1024n : 1n;
}

/** XT_HASHLIMIT_BYTE_SHIFT (xt_hashlimit.h); costs are u32 quotients of UINT32_MAX. */
const HASHLIMIT_BYTE_SHIFT = 4n;
const U32_MAX = 0xffffffffn;

/**
 * libxt_hashlimit.c parse_bytes() then bytes_to_cost(): the cost of one chunk at a byte rate ("1kb/s").
 * Undefined where it divides by zero: the chunk count is a uint32_t, and count + 1 wraps (-1gb/s, measured).
 */
export function byteRateCost(rate: string): bigint | undefined {
  const at = rate.indexOf('b/s');
  const bytes = BigInt.asUintN(64, BigInt(Math.trunc(atoi(rate))) * byteFactor(rate[at - 1]));
  const chunks = BigInt.asUintN(32, bytes >> HASHLIMIT_BYTE_SHIFT);
  return chunks === U32_MAX ? undefined : U32_MAX / (chunks + 1n);
}

/** libxt_hashlimit.c cost_to_bytes(): the smallest burst, in bytes, a byte rate of that cost takes. */
function costToBytes(cost: bigint): bigint {
  return ((cost === 0n ? U32_MAX : U32_MAX / cost) - 1n) << HASHLIMIT_BYTE_SHIFT;
}

/**
 * libxt_hashlimit.c hashlimit_mt_check(): with a byte rate, a --hashlimit-burst (parse_burst(): a number and
 * an optional k or m) below what one chunk of that rate costs; with a packet rate, a burst that its letter
 * takes past XT_HASHLIMIT_BURST_MAX (measured: --hashlimit-upto 1kb/s --hashlimit-burst 100 fails).
 */
function hashlimitFinalError(options: readonly OptionUse[]): string | undefined {
  const rate = hashlimitRate(options);
  const burstText = options.find((o) => o.name === '--hashlimit-burst')?.values[0];
  const burst = burstText === undefined ? undefined : strtoumax(burstText);
  if (rate === undefined || burst === undefined) {
    return undefined;
  }
  const bytes = burst.value * byteFactor(burst.rest[0]);
  if (!isByteRate(rate)) {
    return bytes > HASHLIMIT_BURST_MAX
      ? `bad value for option "--hashlimit-burst", or out of range (1-${HASHLIMIT_BURST_MAX}).`
      : undefined;
  }
  const cost = byteRateCost(rate);
  if (cost === undefined) {
    return undefined; // the rate's own check said so
  }
  const least = costToBytes(cost);
  if (bytes < least) {
    return `burst cannot be smaller than ${least}b`;
  }
  // burst /= cost_to_bytes(avg): zero from 4096mb/s up (65536mb/s with a burst, measured).
  return least === 0n ? hashlimitDivisionByZero('hashlimit_mt_check()') : undefined;
}

const HASHLIMIT_RATE_OPTIONS: ReadonlySet<string> = new Set([
  '--hashlimit-upto',
  '--hashlimit-above',
  '--hashlimit',
]);

/** The rate a hashlimit match gives (--hashlimit-upto, --hashlimit-above or --hashlimit). */
export function hashlimitRate(options: readonly OptionUse[]): string | undefined {
  return options.find((o) => HASHLIMIT_RATE_OPTIONS.has(o.name))?.values[0];
}

/** XT_BPF_MAX_NUM_INSTR (include/linux/netfilter/xt_bpf.h). */
const BPF_MAX_INSTRUCTIONS = 64;

/** libxt_bpf.c bpf_parse_string(): "N,code jt jf k,..." with exactly N instructions. */
function bpfBytecodeError(option: OptionUse): string | undefined {
  const arg = option.values[0] ?? '';
  const head = /^\s*(\d+),/.exec(arg);
  if (head == null || Number(head[1]) > 0xffff) {
    return 'bpf: error parsing program length';
  }
  const length = Number(head[1]);
  if (length === 0) {
    return 'bpf: illegal zero length program';
  }
  if (length > BPF_MAX_INSTRUCTIONS) {
    return 'bpf: number of instructions exceeds maximum';
  }
  const instructions = arg.slice(head[0].length).split(',');
  let i = 0;
  for (const instruction of instructions) {
    if (instruction === '' && i === instructions.length - 1) {
      break; // a trailing comma ends the program (strchr finds nothing after it)
    }
    if (i >= length) {
      return 'bpf: real program length exceeds the encoded length parameter';
    }
    if (!/^\s*\d+\s+\d+\s+\d+\s+\d+/.test(instruction)) {
      return `bpf: error at instr ${i}`;
    }
    i++;
  }
  return i === length ? undefined : 'bpf: parsed program length is less than the encoded length parameter';
}

/**
 * libxt_HMARK.c hmark_parse(): the --hmark-tuple types in the order it tries them (strncasecmp over the length
 * written, so "s" is src), and the option each one also counts as given (it sets that option's bit in xflags).
 */
const HMARK_TUPLE_TYPES: readonly (readonly [string, string | undefined])[] = [
  ['ct', undefined],
  ['src', '--hmark-src-prefix'],
  ['dst', '--hmark-dst-prefix'],
  ['sport', '--hmark-sport-mask'],
  ['dport', '--hmark-dport-mask'],
  ['proto', '--hmark-proto-mask'],
  ['spi', '--hmark-spi-mask'],
];

function hmarkTupleType(item: string): readonly [string, string | undefined] | undefined {
  const lower = item.toLowerCase();
  return HMARK_TUPLE_TYPES.find(([type]) => type.startsWith(lower));
}

/** libxt_HMARK.c hmark_parse_type(): a comma list of types, no empty item. */
function hmarkTupleError(option: OptionUse): string | undefined {
  let arg = option.values[0] ?? '';
  for (let comma = arg.indexOf(','); comma !== -1; comma = arg.indexOf(',')) {
    if (comma === 0 || hmarkTupleType(arg.slice(0, comma)) === undefined) {
      return `Bad type "${arg}"`;
    }
    arg = arg.slice(comma + 1);
  }
  if (arg === '') {
    return '"--hmark-tuple" requires a list of types with no spaces, e.g. src,dst,sport,dport,proto';
  }
  return hmarkTupleType(arg) === undefined ? `Bad type "${arg}"` : undefined;
}

/** The options the types of an --hmark-tuple option stand for (hmark_parse() sets their bits in xflags). */
function hmarkImplied(option: OptionUse): string[] {
  if (option.name !== '--hmark-tuple') {
    return [];
  }
  return (option.values[0] ?? '').split(',').flatMap((item) => hmarkTupleType(item)?.[1] ?? []);
}

/** The HMARK options a rule gives, those its --hmark-tuple types stand for included. */
export function hmarkOptionsGiven(options: readonly OptionUse[]): Set<string> {
  return new Set(options.flatMap((o) => [o.name, ...hmarkImplied(o)]));
}

/**
 * A type of --hmark-tuple marks its option as given, so that option after the tuple fails
 * xtables_option_parse()'s once-only check: `--hmark-tuple src --hmark-src-prefix 24`.
 */
function hmarkFinalError(options: readonly OptionUse[]): string | undefined {
  const given = new Set<string>();
  for (const o of options) {
    if (given.has(o.name)) {
      return `HMARK: option "${o.name}" can only be used once.`;
    }
    for (const implied of hmarkImplied(o)) {
      given.add(implied);
    }
  }
  return hmarkCheckError(hmarkOptionsGiven(options), hmarkTracksConnections(options));
}

/** The options HMARK_OPT_PKT_MASK stands for (libxt_HMARK.c): what the hash is computed over. */
const HMARK_PACKET_OPTIONS: readonly string[] = [
  '--hmark-src-prefix',
  '--hmark-dst-prefix',
  '--hmark-spi-mask',
  '--hmark-sport-mask',
  '--hmark-dport-mask',
  '--hmark-proto-mask',
  '--hmark-sport',
  '--hmark-dport',
  '--hmark-spi',
];

/** --hmark-tuple ct (O_HMARK_CT): hash the conntrack tuple. */
function hmarkTracksConnections(options: readonly OptionUse[]): boolean {
  return options.some(
    (o) =>
      o.name === '--hmark-tuple' &&
      (o.values[0] ?? '').split(',').some((item) => hmarkTupleType(item)?.[0] === 'ct'),
  );
}

/** libxt_HMARK.c HMARK_check(), in its order. */
function hmarkCheckError(given: ReadonlySet<string>, ct: boolean): string | undefined {
  if (!given.has('--hmark-mod')) {
    return '--hmark-mod is mandatory';
  }
  if (!given.has('--hmark-rnd')) {
    return '--hmark-rnd is mandatory';
  }
  if (given.has('--hmark-spi-mask') && (given.has('--hmark-sport-mask') || given.has('--hmark-dport-mask'))) {
    return 'you cannot use --hmark-spi-mask and --hmark-?port-mask,at the same time';
  }
  return ct || HMARK_PACKET_OPTIONS.some((o) => given.has(o))
    ? undefined
    : 'you have to specify --hmark-tuple at least';
}

/** extension -> option -> check. */
const CHECKS: ReadonlyMap<string, ReadonlyMap<string, ValueCheck>> = new Map<string, Map<string, ValueCheck>>(
  [
    ['limit', new Map([['--limit', limitRateError]])],
    [
      'hashlimit',
      new Map<string, ValueCheck>([
        ['--hashlimit-upto', hashlimitRateError],
        ['--hashlimit', hashlimitRateError],
        ['--hashlimit-above', hashlimitRateError],
        ['--hashlimit-mode', hashlimitModeError],
        ['--hashlimit-rate-interval', hashlimitIntervalError],
        ['--hashlimit-burst', hashlimitBurstError],
      ]),
    ],
    ['dscp', new Map([['--dscp-class', dscpClassError]])],
    [
      'RATEEST',
      new Map<string, ValueCheck>([
        ['--rateest-interval', rateestTimeError('interval')],
        ['--rateest-ewmalog', rateestTimeError('ewmalog')],
      ]),
    ],
    ['DSCP', new Map([['--set-dscp-class', dscpClassError]])],
    ['HMARK', new Map([['--hmark-tuple', hmarkTupleError]])],
    [
      'tcp',
      new Map<string, ValueCheck>([
        ['--tcp-flags', tcpFlagsError],
        ['--tcp-option', tcpOptionError],
      ]),
    ],
    ['icmp', new Map([['--icmp-type', (o) => icmpTypeError(o.values[0] ?? '', ICMP_NAMES, 'ICMP')]])],
    ['icmp6', new Map([['--icmpv6-type', (o) => icmpTypeError(o.values[0] ?? '', ICMPV6_NAMES, 'ICMPv6')]])],
    ['REJECT', new Map([['--reject-with', rejectWithError]])],
    ['DNAT', new Map([['--to-destination', natAddressError]])],
    ['SNAT', new Map([['--to-source', natAddressError]])],
    ['NFQUEUE', new Map([['--queue-balance', queueBalanceError]])],
    [
      'CT',
      new Map<string, ValueCheck>([
        ['--zone', ctZoneError],
        ['--zone-orig', ctZoneError],
        ['--zone-reply', ctZoneError],
        ['--ctevents', ctEventsError],
        ['--expevents', ctEventsError],
      ]),
    ],
    ['CLASSIFY', new Map([['--set-class', classifyError]])],
    ['tcpmss', new Map([['--mss', tcpmssRangeError]])],
    ['TCPOPTSTRIP', new Map([['--strip-options', stripOptionsError]])],
    ['REDIRECT', new Map([['--to-ports', redirectPortsError]])],
    ['u32', new Map([['--u32', (o) => u32Error(o.values[0] ?? '')]])],
    [
      'iprange',
      new Map([
        ['--src-range', iprangeError],
        ['--dst-range', iprangeError],
      ]),
    ],
    [
      'time',
      new Map<string, ValueCheck>([
        ['--timestart', timeOfDayError],
        ['--timestop', timeOfDayError],
        ['--datestart', dateError],
        ['--datestop', dateError],
        ['--monthdays', monthdaysError],
        ['--weekdays', weekdaysError],
      ]),
    ],
    ['connbytes', new Map([['--connbytes', connbytesError]])],
    ['dst', new Map([['--dst-opts', ipv6OptionsError('dst')]])],
    ['realm', new Map([['--realm', valueMaskError('realm')]])],
    [
      'devgroup',
      new Map<string, ValueCheck>([
        ['--src-group', valueMaskError('devgroup')],
        ['--dst-group', valueMaskError('devgroup')],
      ]),
    ],
    ['hbh', new Map([['--hbh-opts', ipv6OptionsError('hbh')]])],
    [
      'physdev',
      new Map<string, ValueCheck>([
        ['--physdev-in', interfaceNameError],
        ['--physdev-out', interfaceNameError],
      ]),
    ],
    [
      'policy',
      new Map<string, ValueCheck>([
        ['--dir', exactWordCheck(['in', 'out'], 'dir', 'policy_match')],
        ['--pol', exactWordCheck(['none', 'ipsec'], 'policy')],
        ['--mode', exactWordCheck(['transport', 'tunnel'], 'mode')],
        ['--proto', policyProtocolError],
      ]),
    ],
    ['conntrack', new Map([['--ctdir', ctdirError]])],
    ['sctp', new Map([['--chunk-types', sctpChunksError]])],
    ['dccp', new Map([['--dccp-types', dccpTypesError]])],
    ['ipv6header', new Map([['--header', ipv6HeaderError]])],
    ['mh', new Map([['--mh-type', mhTypeError]])],
    ['bpf', new Map([['--bytecode', bpfBytecodeError]])],
    [
      'string',
      new Map<string, ValueCheck>([
        ['--string', stringError],
        ['--hex-string', stringError],
      ]),
    ],
    [
      'owner',
      new Map<string, ValueCheck>([
        ['--uid-owner', ownerError],
        ['--gid-owner', ownerError],
      ]),
    ],
  ],
);

/** The message the extension's own parse function prints for this option's value, or undefined. */
export function extensionValueError(
  checks: ReadonlyMap<string, ValueCheck>,
  option: OptionUse,
  ctx: ValueContext,
): string | undefined {
  const check = checks.get(option.name);
  return check === undefined || option.values[0] === undefined ? undefined : check(option, ctx);
}

/** XT_U32_MAXSIZE (include/linux/netfilter/xt_u32.h). */
const U32_MAXSIZE = 10;

/**
 * libxt_u32.c u32_parse(): tests "location=value-ranges" joined by "&&"; a location is numbers joined by
 * &, <<, >> and @; values are "N[:M]" joined by ",". The first message it prints, or undefined.
 */
export function u32Error(arg: string): string | undefined {
  let i = 0;
  let state = 0;
  let locind = 0;
  let valind = 0;
  let tests = 0;
  const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
  /** parse_number(): a number 0-UINT32_MAX at i; advances i, or returns a message. */
  const number = (): string | undefined => {
    const n = strtoumax(arg.slice(i));
    if (n === undefined || n.value > 0xffffffffn) {
      return `u32: at char ${i}: not a number or out of range`;
    }
    i = arg.length - n.rest.length;
    return undefined;
  };
  for (;;) {
    while (isSpace(arg[i])) {
      i++;
    }
    if (i >= arg.length) {
      if (state === 0) {
        return 'u32: abrupt end of input after location specifier';
      }
      if (valind === 0) {
        return 'u32: test ended with no value specified';
      }
      return ++tests > U32_MAXSIZE ? `u32: at char ${i}: too many "&&"s` : undefined;
    }
    const c = arg[i];
    if (state === 0) {
      if (c === '=') {
        if (locind === 0) {
          return `u32: at char ${i}: location spec missing`;
        }
        i++;
        state = 1;
        continue;
      }
      if (locind !== 0) {
        if (c === '<' || c === '>') {
          i++;
          if (arg[i] !== c) {
            return `u32: at char ${i}: a second '${c}' was expected`;
          }
        } else if (c !== '&' && c !== '@') {
          return `u32: at char ${i}: operator expected`;
        }
        i++;
      }
      const error = number();
      if (error !== undefined) {
        return error;
      }
      if (++locind > U32_MAXSIZE) {
        return `u32: at char ${i}: too many operators`;
      }
    } else if (c === '&') {
      i++;
      if (arg[i] !== '&') {
        return `u32: at char ${i}: a second '&' was expected`;
      }
      if (valind === 0) {
        return `u32: at char ${i}: value spec missing`;
      }
      if (++tests > U32_MAXSIZE) {
        return `u32: at char ${i}: too many "&&"s`;
      }
      i++;
      state = 0;
      locind = 0;
      valind = 0;
    } else {
      if (valind > 0) {
        if (c !== ',') {
          return `u32: at char ${i}: expected "," or "&&"`;
        }
        i++;
      }
      const min = number();
      if (min !== undefined) {
        return min;
      }
      while (isSpace(arg[i])) {
        i++;
      }
      if (arg[i] === ':') {
        i++;
        const max = number();
        if (max !== undefined) {
          return max;
        }
      }
      if (++valind > U32_MAXSIZE) {
        return `u32: at char ${i}: too many ","s`;
      }
    }
  }
}

/** libxt_statistic.c statistic_parse() and statistic_check(). */
function statisticFinalError(options: readonly OptionUse[]): string | undefined {
  const mode = options.find((o) => o.name === '--mode')?.values[0];
  if (mode === undefined) {
    return undefined;
  }
  if (mode !== 'random' && mode !== 'nth') {
    return `Bad mode "${mode}"`;
  }
  const value = (name: string): bigint | undefined => {
    const v = options.find((o) => o.name === name)?.values[0];
    return v === undefined ? undefined : strtoumax(v)?.value;
  };
  if (mode === 'random') {
    return options.some((o) => o.name === '--probability')
      ? undefined
      : '--probability must be specified when using random mode';
  }
  const every = value('--every');
  const packet = value('--packet');
  if (every === undefined && packet === undefined) {
    return '--every and --packet must be specified when using nth mode';
  }
  // statistic_parse() stores every - 1 (u32); the check wants packet <= that.
  const stored = every === undefined ? 0n : (every - 1n) & 0xffffffffn;
  return (packet ?? 0n) > stored ? 'the --packet p must be 0 <= p <= n-1' : undefined;
}

interface PolicyElement {
  given: boolean;
  tunnelAddress: boolean;
  mode?: string | undefined;
  modeInverted: boolean;
}

/** IPPROTO_ESP, IPPROTO_AH, IPPROTO_COMP: what policy --proto takes (policy_parse()). */
const POLICY_PROTOCOLS: ReadonlySet<bigint> = new Set([50n, 51n, 108n]);

/**
 * policy_parse() O_PROTO: the protocol (already known to xtables_parse_protocol(), see valueError) must be
 * ah, esp or ipcomp. A name is resolved through the host's /etc/protocols when it is known.
 */
function policyProtocolError(option: OptionUse, ctx: ValueContext): string | undefined {
  const arg = option.values[0] ?? '';
  const n = strtoumax(arg);
  const known = arg === 'esp' ? 50 : arg === 'ah' ? 51 : ctx.protocols?.numberOf(arg);
  const number = n !== undefined && n.rest === '' ? n.value : known === undefined ? undefined : BigInt(known);
  return number === undefined || POLICY_PROTOCOLS.has(number)
    ? undefined
    : 'policy match: protocol must be ah/esp/ipcomp';
}

/** The options of one policy element (libxt_policy.c struct xt_policy_elem). */
const POLICY_ELEMENT_OPTIONS: ReadonlySet<string> = new Set([
  '--reqid',
  '--spi',
  '--tunnel-src',
  '--tunnel-dst',
  '--proto',
  '--mode',
]);

/** libxt_policy.c policy_parse() and policy_check(): elements separated by --next. */
function policyFinalError(options: readonly OptionUse[]): string | undefined {
  const elements: PolicyElement[] = [{ given: false, tunnelAddress: false, modeInverted: false }];
  let none = false;
  let strict = false;
  let dir = false;
  let elementOptions = new Set<string>();
  for (const o of options) {
    const e = elements[elements.length - 1] as PolicyElement;
    // policy_parse(): each of these once per element ("double --proto option"), as it is read.
    if (POLICY_ELEMENT_OPTIONS.has(o.name)) {
      if (elementOptions.has(o.name)) {
        return `policy match: double ${o.name} option`;
      }
      elementOptions.add(o.name);
    }
    switch (o.name) {
      case '--dir':
        dir = true;
        break;
      case '--pol':
        none = o.values[0] === 'none';
        break;
      case '--strict':
        strict = true;
        break;
      case '--next':
        elements.push({ given: false, tunnelAddress: false, modeInverted: false });
        elementOptions = new Set();
        break;
      case '--tunnel-src':
      case '--tunnel-dst':
        e.tunnelAddress = true;
        e.given = true;
        break;
      case '--mode':
        e.mode = o.values[0];
        e.modeInverted = o.negated;
        e.given = true;
        break;
      case '--reqid':
      case '--spi':
      case '--proto':
        e.given = true;
        break;
    }
  }
  if (!dir) {
    return 'policy match: neither --dir in nor --dir out specified';
  }
  if (none) {
    if (strict) {
      return 'policy match: policy none but --strict given';
    }
    return elements.length > 1 ? 'policy match: policy none but policy given' : undefined;
  }
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i] as PolicyElement;
    if (strict && !e.given) {
      return `policy match: empty policy element ${i}. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required.`;
    }
    // XT_POLICY_MODE_TRANSPORT is 0: without --mode an element is in transport mode.
    const tunnel = e.mode === 'tunnel';
    if (e.tunnelAddress && ((tunnel && e.modeInverted) || (!tunnel && !e.modeInverted))) {
      return 'policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode';
    }
  }
  return undefined;
}

/** libxt_cluster.c cluster_parse()/cluster_check(): the local node is one of the total nodes. */
function clusterFinalError(options: readonly OptionUse[]): string | undefined {
  const value = (name: string): bigint | undefined => {
    const v = options.find((o) => o.name === name)?.values[0];
    return v === undefined ? undefined : strtoumax(v)?.value;
  };
  const total = value('--cluster-total-nodes');
  const local = value('--cluster-local-node');
  const seeded = options.some((o) => o.name === '--cluster-hash-seed');
  return total !== undefined && local !== undefined && seeded && local > total
    ? "cluster match: `--cluster-local-node' must be <= `--cluster-total-nodes'"
    : undefined;
}

/** IP6T_RT_HOPS (ip6t_rt.h): the addresses --rt-0-addrs holds. */
const RT_HOPS = 16;

/** libip6t_rt.c parse_addresses(): up to 16 addresses, each read by inet_pton(AF_INET6) (numeric_to_addr). */
function rtAddressesError(list: string): string | undefined {
  const addresses = list.split(',');
  const bad = addresses.slice(0, RT_HOPS).find((a) => !isIpv6Literal(a));
  if (bad !== undefined) {
    return `bad address: ${bad}`;
  }
  return addresses.length > RT_HOPS ? 'too many addresses specified' : undefined;
}

/**
 * libip6t_rt.c rt_parse(), in the order the options are written: --rt-0-res and --rt-0-addrs need an earlier
 * --rt-type 0 (not negated), --rt-0-not-strict an earlier --rt-0-addrs.
 */
function rtOrderError(options: readonly OptionUse[]): string | undefined {
  let typeZero = false;
  let addrs = false;
  for (const o of options) {
    switch (o.name) {
      case '--rt-type':
        typeZero = !o.negated && strtoumax(o.values[0] ?? '')?.value === 0n;
        break;
      case '--rt-0-res':
      case '--rt-0-addrs':
        if (!typeZero) {
          return `\`--rt-type 0' required before \`${o.name}'`;
        }
        if (o.name === '--rt-0-addrs') {
          const error = rtAddressesError(o.values[0] ?? '');
          if (error !== undefined) {
            return error;
          }
          addrs = true;
        }
        break;
      case '--rt-0-not-strict':
        if (!addrs) {
          return "`--rt-0-addr ...' required before `--rt-0-not-strict'";
        }
        break;
    }
  }
  return undefined;
}

const FINAL_CHECKS: ReadonlyMap<string, (options: readonly OptionUse[]) => string | undefined> = new Map([
  ['cluster', clusterFinalError],
  ['rt', rtOrderError],
  ['statistic', statisticFinalError],
  ['policy', policyFinalError],
  ['HMARK', hmarkFinalError],
  ['time', timeFinalError],
  ['RATEEST', rateestFinalError],
  ['hashlimit', hashlimitFinalError],
  // libxt_bpf.c bpf_fcheck_v1(): exactly one program source.
  [
    'bpf',
    (options) =>
      options.filter((o) => o.name === '--bytecode' || o.name === '--object-pinned').length === 1
        ? undefined
        : 'bpf: one of --bytecode or --pinned is required',
  ],
  // libxt_CONNSECMARK.c CONNSECMARK_check(): --save or --restore.
  ['CONNSECMARK', (options) => (options.length === 0 ? 'CONNSECMARK target: parameter required' : undefined)],
]);

/** What iptables' own code for one extension checks beyond its option grammar. */
export interface ExtensionChecks {
  /** Option -> the check of its value (the extension's parse function). */
  readonly values?: ReadonlyMap<string, ValueCheck>;
  /** The options together (the extension's x6_fcheck). */
  readonly final?: (options: readonly OptionUse[]) => string | undefined;
}

const EXTENSION_CHECKS: ReadonlyMap<string, ExtensionChecks> = new Map(
  [...new Set([...CHECKS.keys(), ...FINAL_CHECKS.keys()])].map((ext) => {
    const values = CHECKS.get(ext);
    const final = FINAL_CHECKS.get(ext);
    return [ext, { ...(values === undefined ? {} : { values }), ...(final === undefined ? {} : { final }) }];
  }),
);

/** The checks of one extension, or undefined (most have none): looked up once per extension of a rule. */
export function extensionChecks(ext: string): ExtensionChecks | undefined {
  return EXTENSION_CHECKS.get(ext);
}
