// What an iptables extension name asks of the kernel and of userspace, where the kernel's own metadata
// cannot say it. Every table here cites how it was measured.
import { KNOWN_REGISTRATIONS, type KnownRegistration } from './extensions.generated.ts';

export type Family = 'ipv4' | 'ipv6';
export type Backend = 'nft' | 'legacy';
export type ExtensionKind = 'match' | 'target';

/** Verdicts handled by libxt_standard and the core; they need no extension module (iptables-extensions(8)). */
export const STANDARD_TARGETS: ReadonlySet<string> = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE']);

/** The prefix x_tables.c's xt_request_find_match/target() puts before the name: request_module("%st_%s"). */
export function requestPrefix(family: Family): string {
  return family === 'ipv4' ? 'ipt_' : 'ip6t_';
}

/** The legacy table module the kernel requests: request_module("%stable_%s") (x_tables.c xt_find_table_lock). */
export function legacyTableModule(family: Family, table: string): string {
  return `${family === 'ipv4' ? 'iptable' : 'ip6table'}_${table}`;
}

/** The legacy core module that registers the family's tables and its built-in matches (icmp lives in ip_tables). */
export function legacyCoreModule(family: Family): string {
  return family === 'ipv4' ? 'ip_tables' : 'ip6_tables';
}

/** nf_tables NAT chains are a separate module requested as nft-chain-<NFPROTO>-nat (nft_chain_nat.c MODULE_ALIAS_NFT_CHAIN). */
export function nftNatChainRequest(family: Family): string {
  return family === 'ipv4' ? 'nft-chain-2-nat' : 'nft-chain-10-nat';
}

/**
 * Kernel extension names a userspace name can be satisfied by, best first. libxtables tries the highest
 * revision the kernel reports, and some user names are registered under another kernel name: `state`
 * revisions 1-3 are registered by libxt_conntrack with real_name "conntrack", `NOTRACK` revisions 0-2 by
 * libxt_CT with real_name "CT" (src/knowledge/data/iptables-1.8.9-extensions.tsv).
 */
const kernelNamesCache = new Map<string, readonly string[]>();

export function kernelNamesFor(name: string, kind: ExtensionKind): readonly string[] {
  const key = `${kind}/${name}`;
  const cached = kernelNamesCache.get(key);
  if (cached !== undefined) {
    return cached;
  }
  const computed = computeKernelNames(name, kind);
  kernelNamesCache.set(key, computed);
  return computed;
}

function computeKernelNames(name: string, kind: ExtensionKind): string[] {
  const names = new Set<string>();
  for (const reg of registrationsFor(name, kind)) {
    names.add(reg.kernelName);
  }
  names.add(name);
  return [...names].sort((a, b) => (a === name ? 1 : b === name ? -1 : a.localeCompare(b)));
}

export function registrationsFor(name: string, kind: ExtensionKind): KnownRegistration[] {
  return KNOWN_REGISTRATIONS.filter(
    (r) => r.name === name && (r.kind === kind || r.kind === 'none') && loadedByIptables(r),
  );
}

/**
 * iptables and ip6tables load libxt_, libipt_ and libip6t_ libraries only: ebtables' libebt_mark registers a
 * target "mark", but `-j mark` in an iptables file is a jump to a chain of that name (measured, 1.8.9:
 * "Chain 'mark' does not exist" / "Couldn't load target `mark'").
 */
function loadedByIptables(r: KnownRegistration): boolean {
  return r.family !== 'bridge' && r.family !== 'arp';
}

/**
 * The name libxtables looks a match up by: xtables_find_match() (libxtables/xtables.c, iptables 1.8.9)
 * rewrites "icmpv6" and "ipv6-icmp" to "icmp6" before searching ("This is ugly as hell ... backwards
 * compatibility"); every other name is the extension's registered `.name` (`state`, `NOTRACK` ... are
 * registrations of their own whose `.real_name` is the kernel name, see kernelNamesFor).
 */
export function matchLookupName(name: string): string {
  return name === 'icmpv6' || name === 'ipv6-icmp' ? 'icmp6' : name;
}

let knownTargets: ReadonlySet<string> | undefined;

/**
 * True when an iptables 1.8.9 or xtables-addons library registers a target called `name`. Anything else
 * after -j is a chain for iptables: both backends fail on it unless the table declares that chain.
 */
export function isKnownTarget(name: string): boolean {
  knownTargets ??= new Set(
    KNOWN_REGISTRATIONS.filter((r) => r.kind === 'target' && loadedByIptables(r)).map((r) => r.name),
  );
  return knownTargets.has(name);
}

/** The package that ships the userspace library for `name`, when we know it. */
export function packageForExtension(name: string, kind: ExtensionKind): string | undefined {
  return registrationsFor(name, kind)[0]?.package;
}

/** Library file names libxtables' load_extension() tries, in order (libxtables/xtables.c: afinfo prefix, then libxt_). */
export function userspaceLibraryCandidates(name: string, family: Family): string[] {
  return [`${family === 'ipv4' ? 'libipt_' : 'libip6t_'}${name}.so`, `libxt_${name}.so`];
}

/** Directories iptables builds use for XTABLES_LIBDIR across distributions (Debian multiarch, RHEL lib64, Arch). */
export const XTABLES_DIR_CANDIDATES: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/xtables',
  '/usr/lib/aarch64-linux-gnu/xtables',
  '/usr/lib/i386-linux-gnu/xtables',
  '/usr/lib/arm-linux-gnueabihf/xtables',
  '/usr/lib/powerpc64le-linux-gnu/xtables',
  '/usr/lib/s390x-linux-gnu/xtables',
  '/usr/lib/riscv64-linux-gnu/xtables',
  '/usr/lib64/xtables',
  '/usr/lib/xtables',
  '/lib64/xtables',
  '/lib/xtables',
];

/**
 * With the nf_tables backend, iptables 1.8.9 translates a few matches into native nf_tables expressions
 * instead of an xt "match" via nft_compat (iptables/nft.c add_match). Measured with iptables 1.8.9-2 and
 * `nft --debug=netlink list ruleset` in a network namespace:
 *   -p tcp --dport 22 / --syn      -> meta l4proto + payload + cmp (nf_tables core)
 *   -p tcp --tcp-option 5          -> [ match name tcp ] (falls back to xt)
 *   -m mark --mark 1               -> meta mark + cmp (core)
 *   -m limit --limit 5/s           -> [ limit ... ] (nft_limit, requested as nft-expr-limit)
 *   -m comment, pkttype, conntrack, state, icmp -> xt matches
 * Returns the native request names, [] when only the core is needed, or undefined when xt is used.
 */
const PORT_OR_FLAG_OPTIONS: ReadonlySet<string> = new Set([
  '--sport',
  '--dport',
  '--source-port',
  '--destination-port',
  '--tcp-flags',
  '--syn',
]);
const NO_REQUESTS: readonly string[] = [];
const LIMIT_REQUESTS: readonly string[] = ['nft-expr-limit'];

export function nftNativeTranslation(
  name: string,
  options: readonly { readonly name: string }[],
): readonly string[] | undefined {
  if (name === 'tcp' || name === 'udp') {
    let hasPortOrFlag = false;
    for (const o of options) {
      if (o.name === '--tcp-option') {
        return undefined;
      }
      hasPortOrFlag ||= PORT_OR_FLAG_OPTIONS.has(o.name);
    }
    return hasPortOrFlag ? NO_REQUESTS : undefined;
  }
  if (name === 'mark') {
    return NO_REQUESTS;
  }
  if (name === 'limit') {
    return LIMIT_REQUESTS;
  }
  return undefined;
}

/** Protocol names libxtables maps -p values to when it loads a protocol match implicitly. */
export const PROTOCOL_NUMBERS: ReadonlyMap<string, string> = new Map([
  ['1', 'icmp'],
  ['6', 'tcp'],
  ['17', 'udp'],
  ['33', 'dccp'],
  ['50', 'esp'],
  ['51', 'ah'],
  ['58', 'icmpv6'],
  ['132', 'sctp'],
  ['136', 'udplite'],
]);

/**
 * xtables-addons extensions are out-of-tree: their kernel modules come from xtables-addons-dkms built for
 * each kernel, never from the distribution kernel (data/xtables-addons-3.23-extensions.tsv). Note: Debian's
 * dkms.conf for 3.23-1 builds xt_asn but does not install it.
 */
export function outOfTreeModuleFor(
  kernelName: string,
): { module: string; dkmsInstalls: boolean } | undefined {
  const reg = KNOWN_REGISTRATIONS.find(
    (r) =>
      r.package === 'xtables-addons-common' &&
      r.name === kernelName &&
      r.kernelModule !== undefined &&
      r.kernelModule !== '',
  );
  return reg?.kernelModule === undefined
    ? undefined
    : { module: reg.kernelModule, dkmsInstalls: reg.dkmsInstalls === true };
}
