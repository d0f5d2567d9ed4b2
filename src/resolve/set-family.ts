// Which rules may use which ipset: libxt_set.h get_set_byname() asks the kernel for the set's family and refuses
// a set of the other family while it parses the rule ("The protocol family of set NAME is IPv6, which is not
// applicable."), so `iptables-restore --test` fails too, on both backends (measured in a namespace).
import type { Diagnostic } from '../parsers/types.ts';
import type { Family } from '../knowledge/extensions.ts';
import type { SetUse } from './requirements.ts';
import { RULE_REJECTED } from '../validate/rule-validator.ts';

export interface SetDefinition {
  readonly type: string;
  /** The create line's `family` option, if it has one. */
  readonly family?: 'inet' | 'inet6';
  readonly file: string;
  readonly line: number;
}

/** Types that serve both families (the kernel's set has NFPROTO_UNSPEC): ip_set_bitmap_port.c, ip_set_list_set.c, ip_set_hash_mac.c. */
const ANY_FAMILY: ReadonlySet<string> = new Set(['bitmap:port', 'list:set', 'hash:mac']);

/**
 * The family the kernel gives a set: none for the ANY_FAMILY types, IPv4 for bitmap:ip and bitmap:ip,mac
 * (ip_set_bitmap_ip.c, ip_set_bitmap_ipmac.c), and for every hash type the create's family, where ipset(8)
 * makes inet the default (measured: `create hn hash:net` saves as `family inet`).
 */
export function setFamily(def: Pick<SetDefinition, 'type' | 'family'>): Family | undefined {
  if (ANY_FAMILY.has(def.type)) {
    return undefined;
  }
  return def.family === 'inet6' ? 'ipv6' : 'ipv4';
}

/** A rule-rejected error at each line that uses a set of the other family. */
export function setFamilyErrors(
  uses: readonly SetUse[],
  defs: ReadonlyMap<string, SetDefinition>,
): Diagnostic[] {
  return uses.flatMap((use) => {
    const def = defs.get(use.set);
    const family = def === undefined ? undefined : setFamily(def);
    if (def === undefined || family === undefined || family === use.family) {
      return [];
    }
    const name = family === 'ipv4' ? 'IPv4' : 'IPv6';
    const created = `${def.file} line ${String(def.line)} creates it as ${def.type}${def.family === undefined ? ' (family inet by default)' : ` family ${def.family}`}`;
    const message = `The protocol family of set ${use.set} is ${name}, which is not applicable. (${created}; ${use.family === 'ipv6' ? 'ip6tables' : 'iptables'} rules need a set of family ${use.family === 'ipv6' ? 'inet6' : 'inet'}: create one for each family)`;
    return use.lines.map((line): Diagnostic => ({
      at: { file: use.file, line },
      severity: 'error',
      code: RULE_REJECTED,
      message,
    }));
  });
}
