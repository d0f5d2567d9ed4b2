import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseIptablesSaveFamily, type Ruleset } from '../parsers/iptables-save.ts';
import { blockedTraffic, overlap, selectorOf } from './traffic-overlap.ts';

function rules(text: string): Ruleset {
  return parseIptablesSaveFamily(`*filter\n${text}\nCOMMIT\n`, 'x', 'ipv4').value;
}

function firstRule(line: string) {
  const r = rules(`:INPUT ACCEPT [0:0]\n${line}`).tables[0]?.rules[0];
  if (r === undefined) {
    throw new Error(`no rule in ${line}`);
  }
  return selectorOf(r);
}

describe('overlap', () => {
  it('intersects ports of multiport and tcp matches', () => {
    const s = overlap(
      firstRule('-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT'),
      firstRule('-A INPUT -p tcp -m tcp --dport 80:100 -j DROP'),
    );
    expect(s).toEqual({ proto: 'tcp', dports: [[80, 80]] });
  });

  it('keeps disjoint protocols, ports and addresses apart', () => {
    expect(
      overlap(firstRule('-A INPUT -p udp -j DROP'), firstRule('-A INPUT -p tcp -j ACCEPT')),
    ).toBeUndefined();
    expect(
      overlap(
        firstRule('-A INPUT -p tcp --dport 25 -j DROP'),
        firstRule('-A INPUT -p tcp --dport 80 -j ACCEPT'),
      ),
    ).toBeUndefined();
    expect(
      overlap(firstRule('-A INPUT -s 10.0.0.0/8 -j DROP'), firstRule('-A INPUT -s 192.168.1.0/24 -j ACCEPT')),
    ).toBeUndefined();
  });

  it('narrows addresses by CIDR containment and interfaces by "+" prefixes', () => {
    expect(
      overlap(firstRule('-A INPUT -s 10.0.0.0/8 -j DROP'), firstRule('-A INPUT -s 10.1.2.3/32 -j ACCEPT')),
    ).toEqual({ src: '10.1.2.3/32' });
    expect(overlap(firstRule('-A INPUT -i eth+ -j DROP'), firstRule('-A INPUT -i eth0 -j ACCEPT'))).toEqual({
      in: 'eth0',
    });
  });
});

describe('blockedTraffic', () => {
  const saved = rules(
    ':INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT',
  );
  it('reports each dropping rule once, with the most specific saved rule it hits', () => {
    const other = rules(
      ':INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 443 -j REJECT\n-A INPUT -p udp -j DROP',
    );
    expect(blockedTraffic(other, saved).map((b) => [b.traffic, b.acceptLine])).toEqual([
      ['tcp port 443', 4],
      ['udp in on lo', 3],
    ]);
  });

  it('reports a DROP policy under saved ACCEPT rules unless an ACCEPT of its own comes first', () => {
    const other = rules(':INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT');
    expect(blockedTraffic(other, saved).map((b) => b.traffic)).toEqual(['tcp port 22,80,443']);
  });

  it('takes an ACCEPT that other matches narrow for one that lets only part through (conntrack, --sport, ! -s)', () => {
    for (const narrowed of [
      '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A INPUT -p tcp --sport 1024:65535 -j ACCEPT',
      '-A INPUT ! -s 192.0.2.10 -j ACCEPT',
    ]) {
      const other = rules(`:INPUT DROP [0:0]\n${narrowed}`);
      expect(
        blockedTraffic(other, saved).map((b) => b.traffic),
        narrowed,
      ).toContain('tcp port 22,80,443');
    }
    const whole = rules(':INPUT DROP [0:0]\n-A INPUT -p tcp -m comment --comment "web" -j ACCEPT');
    expect(blockedTraffic(whole, saved).map((b) => b.traffic)).not.toContain('tcp port 22,80,443');
  });

  it('finds nothing when the other ruleset only accepts', () => {
    expect(blockedTraffic(rules(':INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT'), saved)).toEqual([]);
  });

  it('never throws on arbitrary rule lines', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 6 }), (lines) => {
        const r = rules(`:INPUT DROP [0:0]\n${lines.map((l) => `-A INPUT ${l}`).join('\n')}`);
        blockedTraffic(r, saved);
        blockedTraffic(saved, r);
      }),
    );
  });
});
