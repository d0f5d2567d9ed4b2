// Option values that extensions parse against fixed word lists in their own parse functions (not
// through an XTTYPE), with the message each prints. Each list is the one in the cited iptables 1.8.9 file.
import type { OptionUse } from '../parsers/iptables-save.ts';

/** libxt_conntrack.c conntrack_ps_state(): strncasecmp with the word's length, so any prefix matches. */
const CTSTATES = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT'];
/** libxt_conntrack.c state_parse_state(): the state match's words. */
const STATES = ['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED'];
/** libxt_conntrack.c conntrack_ps_status(). */
const CTSTATUS = ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'];
/** libxt_addrtype.c rtn_names[], compared with strncasecmp too. */
const ADDRTYPES = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
];
/** libxt_pkttype.c supported_types[] (strcasecmp). */
const PKTTYPES = ['unicast', 'broadcast', 'multicast', 'otherhost', 'bcast', 'mcast', 'host'];

function prefixOf(word: string, names: readonly string[]): boolean {
  const upper = word.toUpperCase();
  return names.some((n) => n.startsWith(upper));
}

/** A comma list of prefixes, as parse_states()/parse_types() walk it; returns the rest from the bad item. */
function badInList(arg: string, names: readonly string[]): string | undefined {
  let rest = arg;
  for (;;) {
    const comma = rest.indexOf(',');
    const item = comma === -1 ? rest : rest.slice(0, comma);
    if (item === '' || !prefixOf(item, names)) {
      return rest;
    }
    if (comma === -1) {
      return undefined;
    }
    rest = rest.slice(comma + 1);
  }
}

function oneOf(value: string, names: readonly string[], caseless: boolean): boolean {
  return names.some((n) => (caseless ? n.toLowerCase() === value.toLowerCase() : n === value));
}

type EnumCheck = (value: string) => string | undefined;

const CHECKS: ReadonlyMap<string, EnumCheck> = new Map<string, EnumCheck>([
  [
    'conntrack --ctstate',
    (v) => {
      const bad = badInList(v, CTSTATES);
      return bad === undefined ? undefined : `Bad ctstate "${bad}"`;
    },
  ],
  [
    'conntrack --ctstatus',
    (v) => {
      const bad = badInList(v, CTSTATUS);
      return bad === undefined ? undefined : `Bad ctstatus "${bad}"`;
    },
  ],
  [
    'state --state',
    (v) => {
      const bad = badInList(v, STATES);
      return bad === undefined ? undefined : `Bad state "${bad}"`;
    },
  ],
  ...(['--src-type', '--dst-type'] as const).map((o): [string, EnumCheck] => [
    `addrtype ${o}`,
    (v) => {
      const bad = badInList(v, ADDRTYPES);
      return bad === undefined ? undefined : `addrtype: bad type "${bad}"`;
    },
  ]),
  ['pkttype --pkt-type', (v) => (oneOf(v, PKTTYPES, true) ? undefined : `Bad packet type '${v}'`)],
  [
    'connbytes --connbytes-dir',
    (v) => (oneOf(v, ['original', 'reply', 'both'], false) ? undefined : `Unknown --connbytes-dir \`${v}'`),
  ],
  [
    'connbytes --connbytes-mode',
    (v) => (oneOf(v, ['packets', 'bytes', 'avgpkt'], false) ? undefined : `Unknown --connbytes-mode \`${v}'`),
  ],
  [
    'AUDIT --type',
    (v) => (oneOf(v, ['accept', 'drop', 'reject'], true) ? undefined : `Bad action type value "${v}"`),
  ],
]);

/** extension -> option -> check; looked up for every option of every rule. */
const BY_EXTENSION = new Map<string, Map<string, EnumCheck>>();
for (const [key, check] of CHECKS) {
  const [ext = '', option = ''] = key.split(' ');
  const byOption = BY_EXTENSION.get(ext) ?? new Map<string, EnumCheck>();
  byOption.set(option, check);
  BY_EXTENSION.set(ext, byOption);
}

/** The message the extension's parse function prints for this option's value, or undefined. */
export function enumError(ext: string, option: OptionUse): string | undefined {
  const check = BY_EXTENSION.get(ext)?.get(option.name);
  const value = option.values[0];
  return check === undefined || value === undefined ? undefined : check(value);
}
