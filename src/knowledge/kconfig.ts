// Which Kconfig symbol builds a module, and which module a kernel request name would have come from, for
// kernels whose metadata cannot say because the module was never built. Data: Linux 6.1 Makefiles/Kconfig.
import { XT_MODULE_ALIASES } from './aliases.generated.ts';
import { KCONFIG_MODULES } from './kconfig.generated.ts';
import { normalizeModuleName } from '../parsers/module-name.ts';

const symbolsByModule = new Map<string, string[]>();
for (const [module, symbol, relation] of KCONFIG_MODULES) {
  const key = normalizeModuleName(module);
  const list = symbolsByModule.get(key) ?? [];
  // The symbol that builds the object comes first; older symbols that only `select` it follow.
  if (relation === 'obj') {
    list.unshift(symbol);
  } else {
    list.push(symbol);
  }
  symbolsByModule.set(key, list);
}

const moduleByAlias = new Map<string, string>(XT_MODULE_ALIASES.map(([alias, module]) => [alias, module]));

/** CONFIG symbols that build `module`, the building one first; [] when unknown (not a netfilter module). */
export function configSymbolsFor(module: string): readonly string[] {
  return symbolsByModule.get(normalizeModuleName(module)) ?? [];
}

/**
 * The module a kernel request name maps to in Linux 6.1 sources, for use only when the target kernel's own
 * modules.alias cannot answer. Falls back to the request name itself when it is a real module name
 * (iptable_nat, ipt_REJECT) and to the xt_ form of ipt_/ip6t_ names, which is what x_tables modules use.
 */
export function moduleForRequestFallback(request: string): string | undefined {
  const known = moduleByAlias.get(request);
  if (known !== undefined) {
    return known;
  }
  if (symbolsByModule.has(normalizeModuleName(request))) {
    return normalizeModuleName(request);
  }
  const macro = moduleForAliasMacro(request);
  if (macro !== undefined) {
    return macro;
  }
  const m = /^(?:ipt|ip6t)_(.+)$/.exec(request);
  if (m?.[1] !== undefined && symbolsByModule.has(`xt_${m[1]}`)) {
    return `xt_${m[1]}`;
  }
  return undefined;
}

/**
 * Request names produced by the kernel's alias macros rather than literal MODULE_ALIAS strings:
 * MODULE_ALIAS_NFNL_SUBSYS (nfnetlink-subsys-N), MODULE_ALIAS_NFT_EXPR / NFT_AF_EXPR (nft-expr-[F-]NAME),
 * MODULE_ALIAS_NFT_CHAIN (nft-chain-F-TYPE) and ipset's MODULE_ALIAS("ip_set_<type>") in Linux 6.1.
 */
function moduleForAliasMacro(request: string): string | undefined {
  const fixed: Readonly<Record<string, string>> = {
    // NFNL_SUBSYS_NFTABLES = 10, NFNL_SUBSYS_NFT_COMPAT = 11 (include/uapi/linux/netfilter/nfnetlink.h)
    'nfnetlink-subsys-10': 'nf_tables',
    'nfnetlink-subsys-11': 'nft_compat',
    'nfnetlink-subsys-6': 'ip_set',
    'nft-expr-match': 'nft_compat',
    'nft-expr-target': 'nft_compat',
  };
  const direct = fixed[request];
  if (direct !== undefined) {
    return direct;
  }
  if (/^nft-chain-\d+-nat$/.test(request)) {
    return 'nft_chain_nat';
  }
  const expr = /^nft-expr-(?:\d+-)?([a-z0-9_]+)$/.exec(request);
  if (expr?.[1] !== undefined && symbolsByModule.has(`nft_${expr[1]}`)) {
    return `nft_${expr[1]}`;
  }
  const set = /^ip_set_([a-z]+):([a-z,]+)$/.exec(request);
  if (set?.[1] !== undefined && set[2] !== undefined) {
    return `ip_set_${set[1]}_${set[2].replaceAll(',', '')}`;
  }
  return undefined;
}
