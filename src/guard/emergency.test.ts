import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { emergencyRuleset, guardActive, parseAllow, releaseRuleset, type Allow } from './emergency.ts';
import { parseIptablesSaveFamily } from '../parsers/iptables-save.ts';
import { deriveRequirements } from '../resolve/requirements.ts';

describe('parseAllow', () => {
  it.each([
    ['10.0.2.0/24:22', { family: 'ipv4', source: '10.0.2.0/24', port: 22 }],
    ['192.0.2.7', { family: 'ipv4', source: '192.0.2.7' }],
    ['192.0.2.7:2222', { family: 'ipv4', source: '192.0.2.7', port: 2222 }],
    ['2001:db8::/32:22', { family: 'ipv6', source: '2001:db8::/32', port: 22 }],
    ['2001:db8::/32', { family: 'ipv6', source: '2001:db8::/32' }],
    ['[2001:db8::1]:443', { family: 'ipv6', source: '2001:db8::1', port: 443 }],
    ['fe80::1', { family: 'ipv6', source: 'fe80::1' }],
  ])('%s', (spec, want) => {
    expect(parseAllow(spec)).toEqual({ ...want, spec });
  });
  it.each([
    ['10.0.2.0/33:22', /prefix length/],
    ['10.0.2.0/24:0', /port/],
    ['10.0.2.0/24:65536', /port/],
    ['300.1.1.1', /not an IPv4 or IPv6/],
    ['10.0.2.0/24; rm -rf /', /./],
    ['-j ACCEPT', /not an IPv4 or IPv6/],
    ['1:2:3:4:5:6:7:8:9', /not an IPv4 or IPv6/],
    ['', /not an IPv4 or IPv6/],
  ])('refuses %s', (spec, message) => {
    const r = parseAllow(spec);
    expect(typeof r).toBe('string');
    expect(r).toMatch(message);
  });
  it('never throws, and what it accepts is only address characters (nothing reaches iptables unchecked)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = parseAllow(s);
        if (typeof r !== 'string') {
          expect(r.source).toMatch(/^[0-9a-fA-F:./]+$/);
        }
      }),
    );
  });
});

const ALLOW = ['10.0.2.0/24:22', '2001:db8::/32:22', '192.0.2.1'].map((s) => parseAllow(s) as Allow);

describe('emergencyRuleset', () => {
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (const variant of ['stateful', 'stateless'] as const) {
      it(`${family} ${variant}: parses cleanly, drops input and forward, accepts only what it should`, () => {
        const text = emergencyRuleset(family, ALLOW, variant);
        const parsed = parseIptablesSaveFamily(text, 'emergency', family);
        expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(guardActive(parsed.value)).toBe(true);
        const rules = parsed.value.tables[0]?.rules ?? [];
        const accepts = rules.filter((r) => r.target?.name === 'ACCEPT').map((r) => r.raw);
        expect(accepts.some((r) => r.includes('-i lo'))).toBe(true);
        expect(accepts.some((r) => r.includes('conntrack'))).toBe(variant === 'stateful');
        expect(accepts.filter((r) => r.includes(' -s ')).length).toBe(family === 'ipv4' ? 2 : 1);
        expect(accepts.some((r) => r.includes('neighbour-solicitation'))).toBe(family === 'ipv6');
        expect(rules.at(-3)?.raw).toMatch(/-j DROP$/);
        expect(
          rules.filter((r) => r.chain === 'INPUT' || r.chain === 'FORWARD').map((r) => r.target?.name),
        ).toEqual(['NFDOCTOR-GUARD-IN', 'NFDOCTOR-GUARD-FWD']);
        // Only the filter table: nat/raw/mangle modules are never needed.
        expect(parsed.value.tables.map((t) => t.name)).toEqual(['filter']);
      });
    }
  }
  it('needs conntrack only in the stateful variant (what the kernel check decides between)', () => {
    const exts = (variant: 'stateful' | 'stateless'): string[] => {
      const parsed = parseIptablesSaveFamily(emergencyRuleset('ipv4', ALLOW, variant), 'e', 'ipv4');
      return deriveRequirements(parsed.value, {
        family: 'ipv4',
        backend: 'legacy',
        file: 'e',
      }).requirements.map((r) => r.extension);
    };
    expect(exts('stateful')).toContain('conntrack');
    expect(exts('stateless')).not.toContain('conntrack');
  });
  it('release names exactly the chains it added', () => {
    expect(releaseRuleset()).toMatch(/-D INPUT -j NFDOCTOR-GUARD-IN\n-D FORWARD -j NFDOCTOR-GUARD-FWD\n/);
  });
});
