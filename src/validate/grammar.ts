// The option grammar of iptables 1.8.9's extensions (generated from its sources by
// scripts/gen-iptables-grammar.mjs), looked up the way libxtables loads an extension.
import { EXTENSION_GRAMMAR } from './grammar.generated.ts';
import type { Family } from '../knowledge/extensions.ts';

/** XTTYPE_* of libxtables (include/xtables.h). */
export type OptionType =
  | 'NONE'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'UINT8RC'
  | 'UINT16RC'
  | 'UINT32RC'
  | 'UINT64RC'
  | 'DOUBLE'
  | 'STRING'
  | 'TOSMASK'
  | 'MARKMASK32'
  | 'SYSLOGLEVEL'
  | 'HOST'
  | 'HOSTMASK'
  | 'PROTOCOL'
  | 'PORT'
  | 'PORTRC'
  | 'PLEN'
  | 'PLENMASK'
  | 'ETHERMAC';

/** XTOPT_INVERT, XTOPT_MAND, XTOPT_MULTI bits as in include/xtables.h. */
export const XTOPT_INVERT = 1;
export const XTOPT_MAND = 2;
export const XTOPT_MULTI = 4;

/** One struct xt_option_entry. excl/also are bit sets of option ids (1 << id). */
export interface OptionGrammar {
  readonly name: string;
  readonly id: number;
  readonly type: string;
  readonly flags: number;
  readonly min?: number;
  readonly max?: number;
  readonly minUnknown?: boolean;
  readonly maxUnknown?: boolean;
  readonly excl?: number;
  readonly also?: number;
}

/** One struct option of an extension still on the old getopt API (arg: 0 none, 1 required, 2 optional). */
export interface GetoptGrammar {
  readonly name: string;
  readonly arg: number;
}

export interface ExtensionGrammar {
  readonly lib: string;
  readonly kind: 'match' | 'target';
  readonly name: string;
  readonly realName?: string;
  readonly revision: number;
  readonly family: 'any' | Family;
  readonly options?: readonly OptionGrammar[];
  readonly getopt?: readonly GetoptGrammar[];
  readonly customParse: boolean;
  readonly finalCheck: boolean;
  /** x6_fcheck's unconditional "at least one of" tests: option id bit mask (-1: any option) and message. */
  readonly requires?: readonly { readonly mask: number; readonly message: string }[];
}

export interface LoadedGrammar {
  readonly extension: ExtensionGrammar;
  /** "--name" -> entry. */
  readonly options: ReadonlyMap<string, OptionGrammar>;
  /** Old getopt API: names only, the extension's parse() checks the values. */
  readonly getopt: ReadonlyMap<string, GetoptGrammar>;
  /** Bits of the XTOPT_MAND options, and the entries with excl/also: what xtables_options_fcheck() looks at. */
  readonly mandatory: number;
  readonly constrained: readonly OptionGrammar[];
}

/** kind -> family -> name: looked up for every match of every rule, so no key strings are built. */
type Index = Record<'match' | 'target', Record<Family, Map<string, LoadedGrammar>>>;
let index: Index | undefined;

/**
 * iptables uses the highest revision the kernel supports; a current kernel supports every revision
 * 1.8.9 knows, so the highest one registered for the family (or NFPROTO_UNSPEC) is the grammar.
 */
/**
 * libxtables hands an extension's parse the first xt_option_entry with the option's id
 * (xtables_option_lookup): an alias such as ttl's `--ttl` (id of --ttl-eq) is checked, and named in
 * messages, as that entry (`-m ttl ! --ttl 0` loads: --ttl-eq may be inverted; measured, 1.8.9).
 */
function firstOfId(extension: ExtensionGrammar, entry: OptionGrammar): OptionGrammar {
  return extension.options?.find((o) => o.id === entry.id) ?? entry;
}

function buildIndex(): Index {
  const best = new Map<string, ExtensionGrammar>();
  for (const g of EXTENSION_GRAMMAR) {
    const families: Family[] = g.family === 'any' ? ['ipv4', 'ipv6'] : [g.family];
    for (const family of families) {
      const key = `${g.kind}/${family}/${g.name}`;
      const previous = best.get(key);
      const better =
        previous === undefined ||
        g.revision > previous.revision ||
        (g.revision === previous.revision && g.family !== 'any' && previous.family === 'any');
      if (better) {
        best.set(key, g);
      }
    }
  }
  const built: Index = {
    match: { ipv4: new Map(), ipv6: new Map() },
    target: { ipv4: new Map(), ipv6: new Map() },
  };
  for (const [key, extension] of best) {
    const family = key.split('/')[1] === 'ipv6' ? 'ipv6' : 'ipv4';
    built[extension.kind][family].set(extension.name, {
      extension,
      options: new Map((extension.options ?? []).map((o) => [`--${o.name}`, firstOfId(extension, o)])),
      getopt: new Map((extension.getopt ?? []).map((o) => [`--${o.name}`, o])),
      mandatory: (extension.options ?? []).reduce((m, o) => ((o.flags & 2) !== 0 ? m | (2 ** o.id) : m), 0),
      constrained: (extension.options ?? []).filter((o) => (o.excl ?? 0) !== 0 || (o.also ?? 0) !== 0),
    });
  }
  return built;
}

/** All grammars of one kind and family by name: a parser holds the map and looks names up in it directly. */
export function grammarsOf(kind: 'match' | 'target', family: Family): ReadonlyMap<string, LoadedGrammar> {
  index ??= buildIndex();
  return index[kind][family];
}

/** The grammar libxtables would load for `-m name` / `-j name` in `family`, or undefined (not an iptables 1.8.9 extension). */
export function grammarFor(
  kind: 'match' | 'target',
  name: string,
  family: Family,
): LoadedGrammar | undefined {
  index ??= buildIndex();
  return index[kind][family].get(name);
}
