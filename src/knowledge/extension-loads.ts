// Modules an extension's kernel code asks for by itself when a rule is inserted (its checkentry), beyond
// the extension's own module. Each names the request_module() format in the Linux 6.1 source; the names
// resolve through the target kernel's modules.alias like any other request. Measured against a real
// 6.1 kernel by lab/scenarios/module-probes.sh (scripts/module-ground-truth.mjs).
import type { Backend, ExtensionKind, Family } from './extensions.ts';

export type ExtraLoadKind = 'text-search' | 'logger' | 'conntrack-helper' | 'bridge-netfilter';

export interface ExtraLoad {
  readonly kind: ExtraLoadKind;
  /** User-facing name: "ts_bm", "syslog logger", "helper ftp". */
  readonly extension: string;
  readonly requests: readonly string[];
  readonly note: string;
  /** The kernel asks for it but does not fail the rule when it cannot be loaded. */
  readonly optional?: true;
}

/** NFPROTO_IPV4 / NFPROTO_IPV6 (include/uapi/linux/netfilter.h), as nf_log.c prints them. */
function nfproto(family: Family): number {
  return family === 'ipv4' ? 2 : 10;
}

/** NF_LOG_TYPE_LOG = 0 (the syslog logger), NF_LOG_TYPE_ULOG = 1 (nfnetlink_log): include/net/netfilter/nf_log.h. */
function logger(family: Family, type: 0 | 1, target: string): ExtraLoad {
  const request = `nf-logger-${nfproto(family)}-${type}`;
  return {
    kind: 'logger',
    // One requirement per logger, whichever targets use it: LOG and TRACE share the syslog logger.
    extension: type === 0 ? 'syslog logger' : 'nfnetlink logger',
    requests: [request],
    note:
      `${target} (and every target logging the same way) calls nf_logger_find_get() on insertion, which requests "${request}" ` +
      '(net/netfilter/nf_log.c: request_module("nf-logger-%u-%u", pf, type)); without a logger the rule is refused',
  };
}

function optionValue(
  options: readonly { readonly name: string; readonly values: readonly string[] }[],
  name: string,
): string | undefined {
  return options.find((o) => o.name === name)?.values[0];
}

function hasOption(
  options: readonly { readonly name: string; readonly values: readonly string[] }[],
  name: string,
): boolean {
  return options.some((o) => o.name === name);
}

/** Most extensions load nothing more: one empty list for every match of a 100k-rule file. */
const NONE: readonly ExtraLoad[] = Object.freeze([]);

/**
 * What the kernel loads for extension `name` besides its own module. `options` are the rule's options of
 * that extension.
 */
export function extraLoadsFor(
  kind: ExtensionKind,
  name: string,
  options: readonly { readonly name: string; readonly values: readonly string[] }[],
  family: Family,
  backend: Backend,
): readonly ExtraLoad[] {
  if (kind === 'match' && name === 'string') {
    const algo = optionValue(options, '--algo');
    // xt_string.c string_mt_check -> textsearch_prepare(algo, ..., TS_AUTOLOAD) -> request_module("ts_%s")
    // (lib/textsearch.c); ts_bm and ts_kmp are modules of their own (CONFIG_TEXTSEARCH_BM/KMP).
    return algo === undefined || !/^[a-z0-9_]+$/.test(algo)
      ? NONE
      : [
          {
            kind: 'text-search',
            extension: `ts_${algo}`,
            requests: [`ts_${algo}`],
            note: `-m string --algo ${algo}: textsearch_prepare() requests "ts_${algo}" (lib/textsearch.c)`,
          },
        ];
  }
  if (kind === 'match' && name === 'physdev') {
    // xt_physdev.c physdev_mt_check: request_module("br_netfilter") once (brnf_probed), result ignored.
    return [
      {
        kind: 'bridge-netfilter',
        extension: 'br_netfilter',
        requests: ['br_netfilter'],
        note: '-m physdev: physdev_mt_check() requests "br_netfilter" once and goes on without it (net/netfilter/xt_physdev.c)',
        optional: true,
      },
    ];
  }
  if (kind === 'target' && name === 'LOG') {
    // xt_LOG.c log_tg_check: nf_logger_find_get(par->family, NF_LOG_TYPE_LOG).
    return [logger(family, 0, 'LOG')];
  }
  if (kind === 'target' && name === 'TRACE' && backend === 'legacy') {
    // xt_TRACE.c trace_tg_check: nf_logger_find_get(par->family, NF_LOG_TYPE_LOG). iptables-nft turns
    // -j TRACE into "meta nftrace set 1" (nf_tables core), which logs through nfnetlink trace instead.
    return [logger(family, 0, 'TRACE')];
  }
  if (kind === 'target' && name === 'NFLOG') {
    // xt_NFLOG.c nflog_tg_check: nf_logger_find_get(par->family, NF_LOG_TYPE_ULOG).
    return [logger(family, 1, 'NFLOG')];
  }
  if (kind === 'target' && name === 'CT') {
    const helper = optionValue(options, '--helper');
    // xt_CT.c xt_ct_set_helper -> nf_conntrack_helper_try_module_get() requests "nfct-helper-%s"
    // (net/netfilter/nf_conntrack_helper.c); the helper module must exist or the rule is refused.
    // xt_ct_tg_check() returns before any of that when XT_CT_NOTRACK is set: --notrack ignores --helper.
    return helper === undefined || !/^[A-Za-z0-9._-]+$/.test(helper) || hasOption(options, '--notrack')
      ? NONE
      : [
          {
            kind: 'conntrack-helper',
            extension: `helper ${helper}`,
            requests: [`nfct-helper-${helper}`],
            note: `-j CT --helper ${helper}: nf_conntrack_helper_try_module_get() requests "nfct-helper-${helper}" (net/netfilter/nf_conntrack_helper.c)`,
          },
        ];
  }
  return NONE;
}
