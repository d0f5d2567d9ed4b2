// The fail-closed emergency ruleset: loaded with `iptables-restore --noflush` into the filter table of a
// family whose saved rules did not load, in chains of its own so that `guard release` removes exactly it.
// Loopback and ESTABLISHED,RELATED replies stay open, the --allow sources (and ports) may connect, all
// other input and forwarded traffic is dropped; output is not touched.
import type { Family } from '../knowledge/extensions.ts';
import type { Ruleset } from '../parsers/iptables-save.ts';

export const GUARD_INPUT_CHAIN = 'NFDOCTOR-GUARD-IN';
export const GUARD_FORWARD_CHAIN = 'NFDOCTOR-GUARD-FWD';

export interface Allow {
  readonly family: Family;
  /** Address or network, as iptables takes it after -s. */
  readonly source: string;
  /** TCP destination port; absent: every protocol and port from `source`. */
  readonly port?: number;
  readonly spec: string;
}

/**
 * A stateful ruleset needs conntrack (nf_conntrack + xt_conntrack or nft's ct expression). When the running
 * kernel cannot provide it, the stateless variant keeps replies to outgoing TCP (no SYN flag) and the
 * allowed sources: weaker, but it still refuses every new inbound connection.
 */
export type Variant = 'stateful' | 'stateless';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]+$/;

function validIpv6(addr: string): boolean {
  if (!IPV6.test(addr) || !addr.includes(':') || (addr.match(/::/g) ?? []).length > 1) {
    return false;
  }
  const groups = addr.split(':');
  return groups.length <= 8 && groups.every((g) => g.length <= 4 || (g.includes('.') && IPV4.test(g)));
}

function validPort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) {
    return undefined;
  }
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * `CIDR[:PORT]`: `10.0.2.0/24:22`, `192.0.2.7`, `2001:db8::/32:22`, `[2001:db8::1]:22`. An IPv6 address
 * contains colons, so its port comes after the prefix length or after brackets.
 */
export function parseAllow(spec: string): Allow | string {
  let addr: string;
  let len: string | undefined;
  let port: string | undefined;
  const bracket = /^\[([^\]]+)\](?:\/(\d+))?(?::(\d+))?$/.exec(spec);
  if (bracket != null) {
    [, addr = '', len, port] = bracket;
  } else if (spec.includes('/')) {
    const [a = '', rest = ''] = spec.split('/', 2);
    addr = a;
    [len, port] = rest.split(':', 2);
  } else if (IPV4.test(spec.split(':')[0] ?? '') && spec.split(':').length <= 2) {
    [addr = '', port] = spec.split(':');
  } else {
    addr = spec;
  }
  const family: Family | undefined = IPV4.test(addr) ? 'ipv4' : validIpv6(addr) ? 'ipv6' : undefined;
  if (family === undefined) {
    return `--allow ${spec}: "${addr}" is not an IPv4 or IPv6 address (expected CIDR[:PORT], e.g. 10.0.2.0/24:22 or [2001:db8::1]:22)`;
  }
  const max = family === 'ipv4' ? 32 : 128;
  if (len !== undefined && (!/^\d{1,3}$/.test(len) || Number(len) > max)) {
    return `--allow ${spec}: prefix length "${len}" is not 0-${String(max)}`;
  }
  const portNumber = port === undefined ? undefined : validPort(port);
  if (port !== undefined && portNumber === undefined) {
    return `--allow ${spec}: port "${port}" is not 1-65535`;
  }
  return {
    family,
    source: len === undefined ? addr : `${addr}/${len}`,
    ...(portNumber === undefined ? {} : { port: portNumber }),
    spec,
  };
}

/** RFC 4890 section 4.4.1: neighbour and router discovery must pass or IPv6 stops working on the link. */
const ICMPV6_DISCOVERY = [
  'router-solicitation',
  'router-advertisement',
  'neighbour-solicitation',
  'neighbour-advertisement',
];

/** Input for `iptables-restore --noflush` / `ip6tables-restore --noflush`. */
export function emergencyRuleset(family: Family, allows: readonly Allow[], variant: Variant): string {
  const chain = GUARD_INPUT_CHAIN;
  const lines = [
    '*filter',
    `:${GUARD_INPUT_CHAIN} - [0:0]`,
    `:${GUARD_FORWARD_CHAIN} - [0:0]`,
    `-A ${chain} -i lo -j ACCEPT`,
    variant === 'stateful'
      ? `-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`
      : `-A ${chain} -p tcp -m tcp ! --tcp-flags SYN,RST,ACK SYN -j ACCEPT`,
  ];
  if (family === 'ipv6') {
    lines.push(
      ...ICMPV6_DISCOVERY.map((t) => `-A ${chain} -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j ACCEPT`),
    );
  }
  for (const a of allows.filter((x) => x.family === family)) {
    lines.push(
      a.port === undefined
        ? `-A ${chain} -s ${a.source} -j ACCEPT`
        : `-A ${chain} -s ${a.source} -p tcp -m tcp --dport ${String(a.port)} -j ACCEPT`,
    );
  }
  lines.push(
    `-A ${chain} -j DROP`,
    `-A ${GUARD_FORWARD_CHAIN} -j DROP`,
    `-A INPUT -j ${GUARD_INPUT_CHAIN}`,
    `-A FORWARD -j ${GUARD_FORWARD_CHAIN}`,
    'COMMIT',
    '',
  );
  return lines.join('\n');
}

/** Removes exactly what emergencyRuleset() added, in one transaction (`--noflush`). */
export function releaseRuleset(): string {
  return [
    '*filter',
    `-D INPUT -j ${GUARD_INPUT_CHAIN}`,
    `-D FORWARD -j ${GUARD_FORWARD_CHAIN}`,
    `-F ${GUARD_INPUT_CHAIN}`,
    `-F ${GUARD_FORWARD_CHAIN}`,
    `-X ${GUARD_INPUT_CHAIN}`,
    `-X ${GUARD_FORWARD_CHAIN}`,
    'COMMIT',
    '',
  ].join('\n');
}

/** The guard's chains are in this live ruleset. */
export function guardActive(rs: Ruleset | undefined): boolean {
  return (
    rs?.tables.some((t) => t.name === 'filter' && t.chains.some((c) => c.name === GUARD_INPUT_CHAIN)) ?? false
  );
}

/** The ruleset as the loaders left it: the guard's own chains and the jumps to them taken out. */
export function withoutGuard(rs: Ruleset): Ruleset {
  const mine = new Set([GUARD_INPUT_CHAIN, GUARD_FORWARD_CHAIN]);
  return {
    ...rs,
    tables: rs.tables.map((t) =>
      t.name !== 'filter'
        ? t
        : {
            ...t,
            chains: t.chains.filter((c) => !mine.has(c.name)),
            rules: t.rules.filter((r) => !mine.has(r.chain) && !mine.has(r.target?.name ?? '')),
          },
    ),
  };
}
