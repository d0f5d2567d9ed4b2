// Which traffic one ruleset drops that another accepts: used when rules sit in the backend the boot loader
// does not manage. Packets traverse both iptables backends (nf_tables and x_tables hook the same netfilter
// hooks), so a DROP in either one drops the packet whatever the other accepts.
// A rule's selector here is what the common matches say (protocol, ports, addresses, interfaces); any other
// match (conntrack, recent, set ...) only narrows a rule, so an overlap found on these is "may drop".
import type { Rule, Ruleset } from '../parsers/iptables-save.ts';

type Range = readonly [number, number];

export interface Selector {
  readonly proto?: string;
  readonly dports?: readonly Range[];
  readonly src?: string;
  readonly dst?: string;
  readonly in?: string;
  readonly out?: string;
}

function ports(text: string): Range[] | undefined {
  const out: Range[] = [];
  for (const part of text.split(',')) {
    const [lo, hi] = part.split(':');
    const a = Number(lo === '' ? 0 : lo);
    const b = hi === undefined ? a : Number(hi === '' ? 65535 : hi);
    if (!Number.isInteger(a) || !Number.isInteger(b)) {
      return undefined;
    }
    out.push([a, b]);
  }
  return out;
}

const DPORT_OPTIONS: ReadonlySet<string> = new Set([
  '--dport',
  '--dports',
  '--destination-port',
  '--destination-ports',
]);

/** The generic options a selector holds, each under both its spellings. */
const SOURCE = ['-s', '--source'];
const DESTINATION = ['-d', '--destination'];
const IN_INTERFACE = ['-i', '--in-interface'];
const OUT_INTERFACE = ['-o', '--out-interface'];
const SELECTOR_GENERICS: ReadonlySet<string> = new Set([
  ...SOURCE,
  ...DESTINATION,
  ...IN_INTERFACE,
  ...OUT_INTERFACE,
]);

function generic(rule: Rule, names: readonly string[]): string | undefined {
  const o = rule.generic.find((g) => names.includes(g.name) && !g.negated);
  return o?.values[0];
}

export function selectorOf(rule: Rule): Selector {
  let dports: Range[] | undefined;
  for (const m of rule.matches) {
    for (const o of m.options) {
      if (!o.negated && DPORT_OPTIONS.has(o.name)) {
        dports = o.values[0] === undefined ? undefined : ports(o.values[0]);
      }
    }
  }
  const proto = rule.protocol?.negated === false ? rule.protocol.value : undefined;
  const src = generic(rule, SOURCE);
  const dst = generic(rule, DESTINATION);
  const inIf = generic(rule, IN_INTERFACE);
  const outIf = generic(rule, OUT_INTERFACE);
  return {
    ...(proto === undefined || proto === 'all' ? {} : { proto }),
    ...(dports === undefined ? {} : { dports }),
    ...(src === undefined ? {} : { src }),
    ...(dst === undefined ? {} : { dst }),
    ...(inIf === undefined ? {} : { in: inIf }),
    ...(outIf === undefined ? {} : { out: outIf }),
  };
}

function ipv4(cidr: string): { net: number; bits: number } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(cidr);
  if (m == null) {
    return undefined;
  }
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  const addr = [m[1], m[2], m[3], m[4]].reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - bits);
  return { net: addr - (addr % size), bits };
}

/** The narrower of two address selectors, or null when they cannot both match. */
function address(a: string | undefined, b: string | undefined): string | undefined | null {
  if (a === undefined || b === undefined || a === b) {
    return a ?? b;
  }
  const x = ipv4(a);
  const y = ipv4(b);
  if (x === undefined || y === undefined) {
    return null;
  }
  const [wide, narrow, narrowText] = x.bits <= y.bits ? [x, y, b] : [y, x, a];
  const size = 2 ** (32 - wide.bits);
  return narrow.net - (narrow.net % size) === wide.net ? narrowText : null;
}

function same(a: string | undefined, b: string | undefined): string | undefined | null {
  if (a === undefined || b === undefined || a === b) {
    return a ?? b;
  }
  // iptables interface names ending in "+" match every name with that prefix (iptables(8) -i).
  const prefix = (p: string, n: string): boolean => p.endsWith('+') && n.startsWith(p.slice(0, -1));
  return prefix(a, b) ? b : prefix(b, a) ? a : null;
}

function rangeOverlap(
  a: readonly Range[] | undefined,
  b: readonly Range[] | undefined,
): Range[] | undefined | null {
  if (a === undefined || b === undefined) {
    return (a ?? b)?.slice();
  }
  const out: Range[] = [];
  for (const [x1, x2] of a) {
    for (const [y1, y2] of b) {
      const lo = Math.max(x1, y1);
      const hi = Math.min(x2, y2);
      if (lo <= hi) {
        out.push([lo, hi]);
      }
    }
  }
  return out.length > 0 ? out : null;
}

/**
 * Whether the rule matches all the traffic its selector describes: no match or option the selector leaves
 * out (conntrack, recent, --sport, --tcp-flags, `! -s` ...) narrows it. Only such an ACCEPT can be said to let
 * all of a saved rule's traffic through: `-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT` has an empty
 * selector, yet lets no new connection in.
 */
export function wholeSelector(rule: Rule): boolean {
  if (rule.protocol?.negated === true) {
    return false;
  }
  if (rule.generic.some((g) => g.negated || !SELECTOR_GENERICS.has(g.name))) {
    return false;
  }
  return rule.matches.every(
    (m) =>
      m.name === 'comment' ||
      ((m.name === 'tcp' || m.name === 'udp' || m.name === 'multiport') &&
        m.options.every((o) => !o.negated && DPORT_OPTIONS.has(o.name))),
  );
}

/** The traffic both selectors match, or undefined when none can. */
export function overlap(a: Selector, b: Selector): Selector | undefined {
  const proto = same(a.proto, b.proto);
  const dports = rangeOverlap(a.dports, b.dports);
  const src = address(a.src, b.src);
  const dst = address(a.dst, b.dst);
  const inIf = same(a.in, b.in);
  const outIf = same(a.out, b.out);
  if ([proto, dports, src, dst, inIf, outIf].includes(null)) {
    return undefined;
  }
  return {
    ...(proto == null ? {} : { proto }),
    ...(dports == null ? {} : { dports }),
    ...(src == null ? {} : { src }),
    ...(dst == null ? {} : { dst }),
    ...(inIf == null ? {} : { in: inIf }),
    ...(outIf == null ? {} : { out: outIf }),
  };
}

export function describeSelector(s: Selector): string {
  const parts = [
    s.proto ?? 'all traffic',
    ...(s.dports === undefined
      ? []
      : [
          `port ${s.dports.map(([lo, hi]) => (lo === hi ? String(lo) : `${String(lo)}:${String(hi)}`)).join(',')}`,
        ]),
    ...(s.src === undefined ? [] : [`from ${s.src}`]),
    ...(s.dst === undefined ? [] : [`to ${s.dst}`]),
    ...(s.in === undefined ? [] : [`in on ${s.in}`]),
    ...(s.out === undefined ? [] : [`out on ${s.out}`]),
  ];
  return parts.join(' ');
}

export interface BlockedTraffic {
  /** Where the dropping rule or policy is, in the other ruleset. */
  readonly dropLine: number;
  readonly dropText: string;
  /** The saved rule that accepts the same traffic. */
  readonly acceptLine: number;
  readonly acceptText: string;
  readonly chain: string;
  readonly traffic: string;
}

const DROPS = new Set(['DROP', 'REJECT']);

function specificity(s: Selector): number {
  return Object.keys(s).length;
}

/**
 * Traffic the saved ruleset accepts in a filter chain that the other ruleset drops there: each DROP/REJECT
 * rule that overlaps a saved ACCEPT rule (reported once, with the most specific saved rule it hits), and a
 * non-ACCEPT policy under saved ACCEPT rules that no ACCEPT rule of the other ruleset lets through first.
 */
export function blockedTraffic(other: Ruleset, saved: Ruleset): BlockedTraffic[] {
  const otherFilter = other.tables.find((t) => t.name === 'filter');
  const savedFilter = saved.tables.find((t) => t.name === 'filter');
  if (otherFilter === undefined || savedFilter === undefined) {
    return [];
  }
  const byDrop = new Map<string, { hit: BlockedTraffic; rank: number }>();
  const keep = (key: string, hit: BlockedTraffic, rank: number): void => {
    const cur = byDrop.get(key);
    if (cur === undefined || rank > cur.rank) {
      byDrop.set(key, { hit, rank });
    }
  };
  for (const accept of savedFilter.rules.filter((r) => r.target?.name === 'ACCEPT')) {
    const a = selectorOf(accept);
    let letThrough = false;
    for (const r of otherFilter.rules.filter((x) => x.chain === accept.chain)) {
      const both = overlap(selectorOf(r), a);
      if (both === undefined || r.target === undefined) {
        continue;
      }
      if (DROPS.has(r.target.name)) {
        keep(
          `${accept.chain}:${String(r.line)}`,
          {
            dropLine: r.line,
            dropText: r.raw,
            acceptLine: accept.line,
            acceptText: accept.raw,
            chain: accept.chain,
            traffic: describeSelector(both),
          },
          specificity(a),
        );
      } else if (
        r.target.name === 'ACCEPT' &&
        wholeSelector(r) &&
        JSON.stringify(both) === JSON.stringify(overlap(a, a))
      ) {
        // This ACCEPT takes all of the saved rule's traffic before anything below can drop it.
        letThrough = true;
        break;
      }
    }
    const policy = otherFilter.chains.find((c) => c.name === accept.chain && c.builtin);
    if (!letThrough && policy !== undefined && DROPS.has(policy.policy) && specificity(a) > 0) {
      keep(
        `${accept.chain}:policy:${String(accept.line)}`,
        {
          dropLine: policy.line,
          dropText: `:${policy.name} ${policy.policy}`,
          acceptLine: accept.line,
          acceptText: accept.raw,
          chain: accept.chain,
          traffic: describeSelector(a),
        },
        specificity(a),
      );
    }
  }
  return [...byDrop.values()].map((v) => v.hit).sort((x, y) => x.dropLine - y.dropLine);
}
