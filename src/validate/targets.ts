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
import type { Rule } from '../parsers/iptables-save.ts';
import type { Family } from '../knowledge/extensions.ts';

interface Placement {
  readonly table: string;
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
  if (target === undefined || target.kind !== 'extension') {
    return undefined;
  }
  const placement = PLACEMENTS.get(target.name);
  if (placement === undefined) {
    return undefined;
  }
  const prefix = family === 'ipv4' ? 'ip' : 'ip6';
  const refused = REFUSED;
  if (rule.table !== placement.table) {
    return `${target.name} target: only valid in ${placement.table} table, not ${rule.table}: ${refused}; dmesg says "x_tables: ${prefix}_tables: ${target.name} target: only valid in ${placement.table} table, not ${rule.table}"`;
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
]);

const REFUSED =
  'the kernel refuses the rule (iptables-restore: line N failed / RULE_APPEND failed (Invalid argument))';

function hasProtocol(rule: Rule, wanted: readonly string[]): boolean {
  const p = rule.protocol;
  return p !== undefined && !p.negated && wanted.includes(p.value.toLowerCase());
}

/** What the kernel's checkentry refuses about the rule's protocol or hook for its target and matches. */
export function checkentryError(rule: Rule): string | undefined {
  const target = rule.target;
  if (target !== undefined && target.kind === 'extension') {
    const wanted = TARGET_PROTOCOLS.get(target.name);
    if (wanted !== undefined && !hasProtocol(rule, wanted)) {
      return `${target.name} target: only valid with ${wanted.length > 2 ? '-p tcp or -p udp' : '-p tcp'}: ${REFUSED}`;
    }
    if (target.name === 'REJECT' && !hasProtocol(rule, TCP)) {
      const withReset = target.options.some(
        (o) => o.name === '--reject-with' && ['tcp-reset', 'tcp-rst'].includes(o.values[0] ?? ''),
      );
      if (withReset) {
        return `REJECT --reject-with tcp-reset: TCP_RESET invalid for non-tcp: ${REFUSED}`;
      }
    }
  }
  for (const match of rule.matches) {
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
    if (match.name === 'tcpmss' && !hasProtocol(rule, TCP)) {
      return `tcpmss match: only valid for protocol 6: ${REFUSED}`;
    }
    const hooks = MATCH_HOOKS.get(match.name);
    if (hooks !== undefined && BUILTIN_HOOKS.has(rule.chain) && !hooks.includes(rule.chain)) {
      return `${match.name} match: used from hooks ${rule.chain}, but only valid from ${hooks.join('/')}: ${REFUSED}`;
    }
  }
  return undefined;
}
