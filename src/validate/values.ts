// Option values as libxtables 1.8.9 parses them (libxtables/xtoptions.c xtopt_parse_*, xtables.c).
// Each check returns iptables' own message when it would refuse the value, else undefined. Where the
// answer depends on something we cannot see (DNS names, /etc/protocols), the value is accepted.
import type { Family } from '../knowledge/extensions.ts';
import type { Services } from '../parsers/services.ts';
import type { OptionGrammar } from './grammar.ts';
import type { NameSet } from '../parsers/name-databases.ts';
import { isIpv6Literal } from './addresses.ts';

const TYPE_MAX: Readonly<Record<string, bigint>> = {
  UINT8: 0xffn,
  UINT16: 0xffffn,
  UINT32: 0xffffffffn,
  UINT64: 0xffffffffffffffffn,
};

/**
 * strtoul(s, &end, 0): blanks, a sign, then a decimal, 0x hexadecimal or 0 octal number; undefined when no
 * digit is read. `magnitude` is the number as written (callers wrap a negative one, or refuse it).
 */
export function strtoul(s: string): { magnitude: bigint; negative: boolean; rest: string } | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(s);
  if (m == null) {
    return undefined;
  }
  const digits = m[2] ?? '0';
  const magnitude = /^0[xX]/.test(digits)
    ? BigInt(digits)
    : digits.length > 1 && digits.startsWith('0')
      ? BigInt(`0o${digits.slice(1)}`)
      : BigInt(digits);
  return { magnitude, negative: m[1] === '-', rest: s.slice(m[0].length) };
}

/**
 * strtod(s, &end) in the C locale: blanks, a sign, then a decimal or 0x hexadecimal number with an optional
 * fraction and exponent, or inf/infinity/nan; undefined when nothing is read (end == s).
 */
export function strtod(s: string): { value: number; rest: string } | undefined {
  const m =
    /^\s*([+-]?)(?:(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?)|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(infinity|inf)|(nan(?:\([0-9A-Za-z_]*\))?))/i.exec(
      s,
    );
  if (m == null) {
    return undefined;
  }
  const sign = m[1] === '-' ? -1 : 1;
  const value =
    m[2] !== undefined
      ? hexFloat(m[2])
      : m[3] !== undefined
        ? Number(m[3])
        : m[4] !== undefined
          ? Infinity
          : NaN;
  return { value: sign * value, rest: s.slice(m[0].length) };
}

/** "0x1.8p3" -> 12: the mantissa's hexadecimal digits, then the binary exponent. */
function hexFloat(text: string): number {
  const [mantissa = '', exponent = '0'] = text.slice(2).split(/[pP]/);
  const [whole = '', fraction = ''] = mantissa.split('.');
  const digits = whole + fraction;
  return parseInt(digits === '' ? '0' : digits, 16) * 2 ** (Number(exponent) - 4 * fraction.length);
}

/** strtoumax(s, &end, 0) as xtables_strtoul() calls it: a leading '-' refused; returns the value and the rest. */
export function strtoumax(s: string): { value: bigint; rest: string } | undefined {
  const n = strtoul(s);
  return n === undefined || n.negative ? undefined : { value: n.magnitude, rest: n.rest };
}

/**
 * xtables_numeric_to_ipaddr() / _ipmask(): the dotted parts of an IPv4 address, each read by xtables_strtoui()
 * (any base, the whole part, up to 255), or undefined. The address form takes one to four parts, the mask
 * form exactly four (callers count).
 */
export function numericIpv4Parts(s: string): bigint[] | undefined {
  const parts: bigint[] = [];
  for (const part of s.split('.')) {
    const n = strtoumax(part);
    if (n === undefined || n.rest !== '' || n.value > 255n) {
      return undefined;
    }
    parts.push(n.value);
  }
  return parts;
}

/**
 * Fast path for the common case (a plain decimal without a leading 0, as most rules write ports and
 * counts): its value, or undefined to take the full strtoumax() path. Validation runs for every rule.
 */
function smallDecimal(s: string): number | undefined {
  const n = s.length;
  if (n === 0 || n > 15 || (s.charCodeAt(0) === 0x30 && n > 1)) {
    return undefined;
  }
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) {
      return undefined;
    }
    v = v * 10 + d;
  }
  return v;
}

/** xtables_strtoul(s, NULL, ..., min, max): the whole string a number within [min, max]. */
export function wholeNumberIn(s: string, min: bigint, max: bigint): boolean {
  const small = smallDecimal(s);
  if (small !== undefined) {
    return small >= Number(min) && small <= Number(max);
  }
  const n = strtoumax(s);
  return n !== undefined && n.rest === '' && n.value >= min && n.value <= max;
}

/** Port names: getservbyname(3) over /etc/services; proto undefined means any protocol (getaddrinfo). */
export function serviceResolves(
  name: string,
  proto: string | undefined,
  services: Services | undefined,
): boolean {
  if (services === undefined) {
    // Without the host's /etc/services any name may be a service, but not a number: no services(5) entry is
    // all digits, so "99999" is "invalid port/service" wherever it loads.
    return !/^\d+$/.test(name);
  }
  const byProto = services.get(name);
  if (byProto === undefined) {
    return false;
  }
  return proto === undefined || byProto.has(proto);
}

/** xtables_parse_port(): a number 0-65535 or a service of `proto`. */
export function portOk(value: string, proto: string | undefined, services: Services | undefined): boolean {
  return wholeNumberIn(value, 0n, 65535n) || serviceResolves(value, proto, services);
}

const IPV4_LITERAL = /^\d{1,3}(\.\d{1,3}){3}$/;
/** Only digits and dots: a name no DNS can resolve (no top-level domain is numeric). */
function digitsAndDots(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x2e && (c < 0x30 || c > 0x39)) {
      return false;
    }
  }
  return s.length > 0;
}

/**
 * A DNS name whose last label has no letter: every top-level domain has one, so getaddrinfo() finds no such
 * host. The usual cause is an address range written as a host (`-s 10.0.0.1-10.0.0.5`, for -m iprange).
 * A name without a dot may be a host of /etc/hosts, and is left alone.
 */
function letterlessTopLabel(s: string): boolean {
  const dot = s.lastIndexOf('.');
  if (dot === -1 || dot === s.length - 1) {
    return false;
  }
  for (let i = dot + 1; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (c >= 0x61 && c <= 0x7a) {
      return false;
    }
  }
  return true;
}

/**
 * inet_aton(3) as glibc's getaddrinfo() tries it before DNS: one to four numbers (decimal, or octal with
 * a leading 0), the last filling the remaining bytes. A name of digits and dots that is not such an
 * address cannot resolve (no top-level domain is numeric), so iptables prints "not found".
 */
export function inetAton(s: string): boolean {
  return inetAtonValue(s) !== undefined;
}

/** The address inet_aton(3) reads from `s` as a 32-bit number, or undefined when it reads none. */
export function inetAtonValue(s: string): number | undefined {
  // A loop over the characters, nothing allocated: -s/-d of every rule of a big file come through here.
  let parts = 0;
  let last = 0;
  let high = 0; // the parts before the last, one byte each
  let i = 0;
  const n = s.length;
  while (i < n && parts < 4) {
    if (parts > 0) {
      if (last > 255) {
        return undefined; // only the last part may fill more than one byte
      }
      high = high * 256 + last;
    }
    let base = 10;
    if (s.charCodeAt(i) === 0x30 && i + 1 < n && s.charCodeAt(i + 1) !== 0x2e) {
      // glibc inet_aton(): "0x" starts a hexadecimal part (`-s 10.0x10.0.1` is 10.16.0.1, measured), "0" an octal one.
      const x = s.charCodeAt(i + 1) | 0x20;
      base = x === 0x78 ? 16 : 8;
      i += base === 16 ? 2 : 0;
    }
    const start = i; // "0x" needs a digit after it (glibc strtoul() stops at the x)
    let value = 0;
    for (; i < n && s.charCodeAt(i) !== 0x2e; i++) {
      const d = hexDigit(s.charCodeAt(i));
      if (d < 0 || d >= base) {
        return undefined;
      }
      value = value * base + d;
      if (value > 0xffffffff) {
        return undefined;
      }
    }
    if (i === start) {
      return undefined;
    }
    last = value;
    parts++;
    if (i < n) {
      i++; // the dot
      if (i === n) {
        return undefined;
      }
    }
  }
  const lastBytes = 5 - parts;
  return i >= n && parts > 0 && last <= 2 ** (8 * lastBytes) - 1
    ? high * 2 ** (8 * lastBytes) + last
    : undefined;
}

/**
 * libxtables xtopt_parse_ethermac(): six groups, each read by strtoul(arg, &end, 16) and ended by ':' (the
 * last by the end of the string), each at most two characters long as strtoul counts them: blanks and a sign
 * count, so `-1` is a group (measured: 42:-1:02:03:04:05 loads), and an empty group reads as 0.
 */
function etherMacParses(value: string): boolean {
  let at = 0;
  for (let group = 0; group < 6; group++) {
    const m = /^\s*[+-]?(?:0[xX])?[0-9a-fA-F]+/.exec(value.slice(at));
    const used = m == null ? 0 : m[0].length;
    const end = at + used;
    const last = group === 5;
    if (used > 2 || (last ? end !== value.length : value[end] !== ':')) {
      return false;
    }
    at = end + 1;
  }
  return true;
}

/** The value of a hexadecimal digit's character code, or -1. */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) {
    return code - 0x30;
  }
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** An IPv6 host with ':' that inet_pton() refuses (a scope "%if" is left to getaddrinfo()). */
function unresolvableIpv6(host: string): boolean {
  return host.includes(':') && !host.includes('%') && !isIpv6Literal(host);
}

/**
 * One address of -s/-d or a HOST/HOSTMASK option: iptables resolves it with getaddrinfo() for the
 * rule's family only, so an IPv4 literal in ip6tables (and an IPv6 one in iptables) is "not found".
 */
export function hostError(value: string, family: Family, withMask: boolean): string | undefined {
  // xtables_ipparse_multiple()/xtables_ip6parse_multiple() split at the last '/', parse the mask first, and
  // with a null mask ignore the name: "if a null mask is given, the name is ignored, like in "any/0""
  // (libxtables/xtables.c), so ip6tables takes `-s 0.0.0.0/0` and iptables `-s anything/0` (measured, 1.8.9).
  const slash = withMask ? value.lastIndexOf('/') : -1;
  const host = slash === -1 ? value : value.slice(0, slash);
  const mask = slash === -1 ? undefined : value.slice(slash + 1);
  const kind = mask === undefined ? undefined : maskClass(mask, family);
  // "a,,b" or a trailing comma (xtables_ipparse_multiple()); `-d /0` is any address (measured: it loads).
  if (host === '' && kind !== 'null') {
    return "host/network `' not found";
  }
  if (mask !== undefined && kind === 'invalid') {
    return invalidMask(mask);
  }
  if (kind === 'null') {
    return undefined;
  }
  if (family === 'ipv6' ? IPV4_LITERAL.test(host) : host.includes(':')) {
    return `host/network \`${host}' not found`;
  }
  if (
    family === 'ipv4'
      ? !inetAton(host) && (digitsAndDots(host) || letterlessTopLabel(host) || dnsRefusesName(host))
      : unresolvableIpv6(host) ||
        (!host.includes(':') && (digitsAndDots(host) || letterlessTopLabel(host) || dnsRefusesName(host)))
  ) {
    return `host/network \`${host}' not found${tookOptionHint(host)}`;
  }
  return undefined;
}

/**
 * getopt_long(3) hands a required argument over whatever it looks like: `-s -j ACCEPT` makes "-j" the host,
 * and `--mask --rsource` makes "--rsource" the mask. Said after iptables' own message.
 */
function tookOptionHint(host: string): string {
  return host.startsWith('-')
    ? ` (the option before "${host}" took it as its value, as iptables hands a required value over even when it looks like an option: give the value, or remove the option)`
    : '';
}

/**
 * A HOST or HOSTMASK value of an extension: xtopt_parse_host() (libxtables/xtoptions.c) calls getaddrinfo()
 * itself and prints its error, not "host/network not found" (measured: TPROXY --on-ip a/b, recent --mask
 * --rsource; an address of the other family is "Address family for hostname not supported").
 */
function extensionHostError(host: string, family: Family): string | undefined {
  if (hostError(host, family, false) === undefined) {
    return undefined;
  }
  const otherFamily = family === 'ipv6' ? IPV4_LITERAL.test(host) : isIpv6Literal(host);
  return `getaddrinfo: ${otherFamily ? 'Address family for hostname not supported' : 'Name or service not known'}${tookOptionHint(host)}`;
}

/** The longest name ns_pton() encodes (NS_MAXCDNAME 255 with the length bytes) and the longest label. */
const MAX_DNS_NAME = 253;
const MAX_DNS_LABEL = 63;

/**
 * A name glibc's resolver refuses before asking any server, so that getaddrinfo() answers "Name or service
 * not known" whatever the network (resolv/res-name-checking.c res_hnok(), which nss_dns applies to the name it
 * looks up; ns_pton() for the lengths): a character other than an ASCII letter, digit, '-' or '_', a name
 * that starts with '-', an empty label ("a..b"), a label over 63 or a name over 253 characters. Measured with
 * glibc 2.36 in a netns without a network: "-a", "a/b", "a!b", "--rsource" are not found at once; "a_b",
 * "x.-y", "a-" go to DNS. hosts(5) allows no such name in /etc/hosts either. A backslash (an ns_pton escape)
 * is left to the resolver.
 */
export function dnsRefusesName(name: string): boolean {
  const body = name.endsWith('.') ? name.slice(0, -1) : name;
  if (body === '' || body.includes('\\')) {
    return false;
  }
  if (body.length > MAX_DNS_NAME || body.charCodeAt(0) === 0x2d) {
    return true;
  }
  let labelStart = 0;
  for (let i = 0; i <= body.length; i++) {
    const c = i === body.length ? 0x2e : body.charCodeAt(i);
    if (c === 0x2e) {
      const length = i - labelStart;
      if (length === 0 || length > MAX_DNS_LABEL) {
        return true;
      }
      labelStart = i + 1;
    } else if (!isHostnameCharacter(c)) {
      return true;
    }
  }
  return false;
}

function isHostnameCharacter(c: number): boolean {
  const lower = c | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
}

/**
 * parse_ipmask()/parse_ip6mask() (libxtables/xtables.c): an IPv4 mask of four dotted parts, an IPv6 one with
 * ':' (inet_pton), else a prefix length read by xtables_strtoui() in any base (`/0x10` is /16, measured) up
 * to 32/128. 'null' for a mask of zeros, which matches every address.
 */
function maskClass(mask: string, family: Family): 'null' | 'mask' | 'invalid' {
  const bits = family === 'ipv4' ? 32 : 128;
  const small = smallDecimal(mask);
  if (small !== undefined) {
    return small > bits ? 'invalid' : small === 0 ? 'null' : 'mask';
  }
  if (family === 'ipv4' && mask.includes('.')) {
    const parts = numericIpv4Parts(mask);
    return parts?.length !== 4 ? 'invalid' : parts.every((p) => p === 0n) ? 'null' : 'mask';
  }
  if (family === 'ipv6' && mask.includes(':')) {
    return !isIpv6Literal(mask) ? 'invalid' : NULL_IPV6_MASK.test(mask) ? 'null' : 'mask';
  }
  const n = strtoumax(mask);
  return n === undefined || n.rest !== '' || n.value > BigInt(bits)
    ? 'invalid'
    : n.value === 0n
      ? 'null'
      : 'mask';
}

function invalidMask(mask: string): string {
  return `invalid mask \`${mask}' specified`;
}

/** A mask of zeros (`/0`, `/0.0.0.0`, `/::`, `/0x0`): the address is ignored and every one matches. */
export function isNullMask(mask: string, family: Family): boolean {
  return maskClass(mask, family) === 'null';
}

const NULL_IPV6_MASK = /^(?:(?:0{1,4}:){7}0{1,4}|(?:0{1,4}(?::0{1,4})*)?::(?:0{1,4}(?::0{1,4})*)?)$/;

/** libxtables/xtables.c xtables_chain_protos[]: the names -p takes before getprotobyname(). */
const CHAIN_PROTOCOLS: ReadonlySet<string> = new Set([
  'tcp',
  'sctp',
  'udp',
  'udplite',
  'icmp',
  'ipv6-icmp',
  'icmpv6',
  'esp',
  'ah',
  'mobility-header',
  'ipv6-mh',
  'mh',
  'all',
]);

/** -p values (names and numbers) of the layer-4 protocols extensions ask for, to their name. */
export const L4_PROTOCOLS: ReadonlyMap<string, string> = new Map([
  ['tcp', 'tcp'],
  ['6', 'tcp'],
  ['udp', 'udp'],
  ['17', 'udp'],
  ['udplite', 'udplite'],
  ['136', 'udplite'],
  ['sctp', 'sctp'],
  ['132', 'sctp'],
  ['dccp', 'dccp'],
  ['33', 'dccp'],
  ['icmp', 'icmp'],
  ['1', 'icmp'],
]);

/**
 * xtables_parse_protocol(): a number 0-255, a name of xtables_chain_protos[], else getprotobyname() on the
 * host that loads the rules (without its /etc/protocols, only numbers out of range are refused).
 */
export function protocolNameError(value: string, protocols: NameSet | undefined): string | undefined {
  if (CHAIN_PROTOCOLS.has(value)) {
    return undefined; // as iptables-save writes it
  }
  // xshared.c lower-cases the -p argument before parsing it.
  const name = value.toLowerCase();
  if (CHAIN_PROTOCOLS.has(name) || wholeNumberIn(name, 0n, 255n)) {
    return undefined;
  }
  const unknown = protocols === undefined ? /^\d+$/.test(name) : !protocols.has(name);
  return unknown ? `unknown protocol "${name}" specified` : undefined;
}

/**
 * XTTYPE_PROTOCOL (policy --proto): libxtables xtables_parse_protocol() on the word as written. Only -p is
 * lower-cased first (xshared.c); getprotobyname() compares names exactly, so `--proto ESP` is unknown
 * where /etc/protocols has "esp ... IPSEC-ESP" (measured, 1.8.9).
 */
function extensionProtocolError(value: string, protocols: NameSet | undefined): string | undefined {
  if (CHAIN_PROTOCOLS.has(value) || wholeNumberIn(value, 0n, 255n)) {
    return undefined;
  }
  const unknown = protocols === undefined ? /^\d+$/.test(value) : !protocols.has(value);
  return unknown ? `unknown protocol "${value}" specified` : undefined;
}

/** libxtables/xtoptions.c tos_symbol_names[], compared with strcasecmp. */
const TOS_NAMES = new Set([
  'minimize-delay',
  'maximize-throughput',
  'maximize-reliability',
  'minimize-cost',
  'normal-service',
]);

const SYSLOG_LEVELS = new Set([
  'alert',
  'crit',
  'debug',
  'emerg',
  'error',
  'info',
  'notice',
  'panic',
  'warning',
]);

/** The message xtables_option_parse() prints for a value of `entry`'s type, or undefined when accepted. */
export function valueError(
  ext: string,
  entry: OptionGrammar,
  value: string,
  family: Family,
  services: Services | undefined,
  protocols?: NameSet,
): string | undefined {
  const type = entry.type;
  const typeMax = TYPE_MAX[type];
  if (typeMax !== undefined) {
    // Most values are small decimals within the bounds: no BigInt for them (100k-rule files).
    const small = smallDecimal(value);
    if (
      small !== undefined &&
      small >= (entry.min ?? 0) &&
      (entry.max === undefined || entry.max === 0 ? small <= Number(typeMax) : small <= entry.max)
    ) {
      return undefined;
    }
    const min = entry.min === undefined ? 0n : BigInt(entry.min);
    const max = entry.max === undefined || entry.max === 0 ? typeMax : BigInt(entry.max);
    if (!wholeNumberIn(value, min, max) && entry.minUnknown !== true) {
      return `${ext}: bad value for option "--${entry.name}", or out of range (${min}-${max}).`;
    }
    return undefined;
  }
  switch (type) {
    case 'UINT8RC':
    case 'UINT16RC':
    case 'UINT32RC':
    case 'UINT64RC':
      return rangeError(ext, entry, value, TYPE_MAX[type.slice(0, -2)] ?? 0n);
    case 'PORT':
      return portByNameOk(value, services) ? undefined : `Port "${value}" does not resolve to anything.`;
    case 'PORTRC': {
      const parts = value.split(':');
      if (parts.length > 2) {
        return `${ext}: Too many components for option "--${entry.name}" (max: 2)`;
      }
      const bad = parts.find((p) => p !== '' && !portByNameOk(p, services));
      return bad === undefined ? undefined : `Port "${bad}" does not resolve to anything.`;
    }
    case 'SYSLOGLEVEL':
      return wholeNumberIn(value, 0n, 7n) || SYSLOG_LEVELS.has(value)
        ? undefined
        : `log level "${value}" unknown`;
    case 'MARKMASK32': {
      const [mark = '', mask, extra] = value.split('/');
      const ok =
        extra === undefined &&
        wholeNumberIn(mark, 0n, 0xffffffffn) &&
        (mask === undefined || wholeNumberIn(mask, 0n, 0xffffffffn));
      return ok ? undefined : `Illegal value: "${value}"`;
    }
    case 'PROTOCOL':
      return extensionProtocolError(value, protocols);
    case 'HOST':
      return extensionHostError(value, family);
    case 'HOSTMASK': {
      const slash = value.indexOf('/');
      return (
        extensionHostError(slash === -1 ? value : value.slice(0, slash), family) ??
        (slash === -1 ? undefined : plenError(ext, entry, value.slice(slash + 1), family))
      );
    }
    case 'PLEN':
    case 'PLENMASK': // xtopt_parse_plenmask(): xtopt_parse_plen(), then the prefix length as a mask
      return plenError(ext, entry, value, family);
    case 'TOSMASK': {
      // xtopt_parse_tosmask(): "value[/mask]" (0-255) or a symbolic name of tos_symbol_names[].
      const n = strtoumax(value);
      if (n !== undefined && n.value <= 255n) {
        const ok = n.rest === '' || (n.rest.startsWith('/') && wholeNumberIn(n.rest.slice(1), 0n, 255n));
        return ok ? undefined : `Illegal value: "${value}"`;
      }
      return TOS_NAMES.has(value.toLowerCase()) ? undefined : `Symbolic name "${value}" is unknown`;
    }
    case 'ETHERMAC':
      return etherMacParses(value) ? undefined : 'Invalid MAC address specified.';
    case 'DOUBLE': {
      // xtopt_parse_float(): strtod() of the whole string, within [min, max] when they differ.
      const n = Number(value);
      const bad =
        value.trim() === '' ||
        !Number.isFinite(n) ||
        (entry.min !== entry.max && (n < (entry.min ?? 0) || n > (entry.max ?? 0)));
      return bad
        ? `${ext}: bad value for option "--${entry.name}", or out of range (${entry.min ?? 0}-${entry.max ?? 0}).`
        : undefined;
    }
    case 'STRING':
      if (entry.min !== undefined && entry.min !== 0 && value.length < entry.min) {
        return `Argument must have a minimum length of ${entry.min} characters`;
      }
      if (entry.max !== undefined && entry.max !== 0 && value.length > entry.max) {
        return `Argument must have a maximum length of ${entry.max} characters`;
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * libxtables xtopt_parse_port()/xtopt_parse_mport() resolve with getaddrinfo(NULL, port): glibc takes any
 * decimal strtoul() reads whole (70000 too: the port is cut to 16 bits), else a service of any protocol.
 */
function portByNameOk(value: string, services: Services | undefined): boolean {
  const m = /^\s*([+-]?)(\d+)$/.exec(value);
  if (m == null) {
    return serviceResolves(value, undefined, services);
  }
  // strtoul(): a '-' negates modulo 2^64, too large saturates; glibc keeps the result in an int and
  // refuses a negative one (so "-1" fails and "70000" passes).
  const ULONG = 2n ** 64n;
  let v = BigInt(m[2] ?? '0');
  v = v >= ULONG ? ULONG - 1n : m[1] === '-' ? (ULONG - v) % ULONG : v;
  return v % 2n ** 32n < 2n ** 31n;
}

/**
 * libxtables xtopt_parse_plen(): a prefix length within the family, else a mask getaddrinfo() reads as a
 * numeric address of the family (for IPv4 any inet_aton() form, so "33" passes as 0.0.0.33; the kernel
 * may then refuse what that makes, see targets.ts).
 */
function plenError(ext: string, entry: OptionGrammar, value: string, family: Family): string | undefined {
  const bits = family === 'ipv4' ? 32n : 128n;
  const ok = wholeNumberIn(value, 0n, bits) || (family === 'ipv4' ? inetAton(value) : isIpv6Literal(value));
  return ok
    ? undefined
    : `${ext}: bad value for option "--${entry.name}", neither a valid network mask nor valid CIDR (0-${bits}).`;
}

/** xtopt_parse_mint(): up to two ':'-separated numbers 0..type max, an empty side meaning the default. */
function rangeError(ext: string, entry: OptionGrammar, value: string, max: bigint): string | undefined {
  const parts = value.split(':');
  if (parts.length > 2) {
    return `${ext}: Too many components for option "--${entry.name}" (max: 2)`;
  }
  for (const part of parts) {
    if (part === '') {
      continue;
    }
    const n = strtoumax(part);
    if (n === undefined || n.value > max) {
      return `${ext}: bad value for option "--${entry.name}" near "${part}", or out of range (0-${max}).`;
    }
    if (n.rest !== '') {
      return `${ext}: Argument to "--${entry.name}" has unexpected characters near "${n.rest}".`;
    }
  }
  return undefined;
}

/**
 * libxt_NAT.c parse_ports(): "port", "port-port" or "port-port/base"; a single port may be a service name
 * (of any protocol), range ends may not. Only with -p tcp, udp, sctp, dccp or icmp.
 */
export function natPortsError(
  arg: string,
  portOk: boolean,
  services: Services | undefined,
): string | undefined {
  if (!portOk) {
    return 'Need TCP, UDP, SCTP or DCCP with port specification';
  }
  const small = smallDecimal(arg);
  if (small !== undefined && small <= 65535) {
    return undefined; // strtoumax takes it all: no rest
  }
  const first = strtoumax(arg);
  let rest = '';
  let port = 0n;
  if (first === undefined || first.value > 65535n) {
    if (!serviceResolves(arg, undefined, services)) {
      return `Port \`${arg}' not valid`;
    }
  } else {
    rest = first.rest;
    port = first.value;
  }
  if (rest === '') {
    return undefined;
  }
  if (rest.startsWith(':')) {
    return 'Invalid port:port syntax - use dash';
  }
  if (!rest.startsWith('-')) {
    return `Garbage after port value: \`${rest}'`;
  }
  const maxArg = rest.slice(1);
  const max = strtoumax(maxArg);
  if (max === undefined || max.value > 65535n) {
    return `Port \`${maxArg}' not valid`;
  }
  if (max.value < port) {
    return `Port range \`${maxArg}' funky`;
  }
  if (max.rest === '') {
    return undefined;
  }
  if (!max.rest.startsWith('/')) {
    return `Garbage after port range: \`${max.rest}'`;
  }
  // The base port is read with an end pointer that nothing looks at: `/1x` is port 1 (measured).
  const base = max.rest.slice(1);
  const baseNumber = strtoumax(base);
  const inRange = baseNumber !== undefined && baseNumber.value >= 1n && baseNumber.value <= 65535n;
  return inRange || serviceResolves(base, undefined, services) ? undefined : `Port \`${base}' not valid`;
}

/**
 * What -s/-d makes iptables look up when the rules load (xtables_ipparse_multiple -> getaddrinfo): a name, or
 * an IPv6 address with a scope. At boot the loader runs before the network (netfilter-persistent is
 * Before=network-pre.target), so a name only DNS knows is "not found" and the whole table fails; a scope
 * resolves only while that interface exists. iptables-save always writes addresses, so only hand-written
 * files have these. Undefined for an address, or a name the validation refuses anyway.
 */
export function resolvedAtLoad(value: string, family: Family): string | undefined {
  // -s/-d of every rule of a big file come through here: one item without a letter or '%' is the usual case.
  if (value.indexOf(',') === -1) {
    return resolvedHost(value, family);
  }
  for (const item of value.split(',')) {
    const found = resolvedHost(item, family);
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}

function resolvedHost(item: string, family: Family): string | undefined {
  const slash = item.lastIndexOf('/');
  const host = slash === -1 ? item : item.slice(0, slash);
  if (slash !== -1 && isNullMask(item.slice(slash + 1), family)) {
    return undefined; // the name is ignored, not resolved (hostError)
  }
  if (family === 'ipv6' && host.includes('%')) {
    return `${host}: iptables resolves a scoped address with getaddrinfo() when the rules load, which fails ("host/network \`${host}' not found") unless interface ${host.slice(host.indexOf('%') + 1)} exists then; write the address without the scope and match the interface with -i/-o`;
  }
  if (
    !hasLetter(host) ||
    host === 'localhost' ||
    (family === 'ipv4' ? inetAton(host) : isIpv6Literal(host))
  ) {
    return undefined;
  }
  return `${host}: iptables resolves the name when the rules load; at boot the loader runs before the network is up, so a name /etc/hosts does not list fails the whole table ("host/network \`${host}' not found"), and a name that resolves is fixed to the addresses of that moment: write the address`;
}

function hasLetter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (c >= 0x61 && c <= 0x7a) {
      return true;
    }
  }
  return false;
}
