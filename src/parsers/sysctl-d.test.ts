import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeSysctlKey, parseSysctlD } from './sysctl-d.ts';

const sample = (n: string): string =>
  readFileSync(fileURLToPath(new URL(`./__samples__/sysctl/${n}`, import.meta.url)), 'utf8');

describe('parseSysctlD', () => {
  it("reads systemd's 50-pid-max.conf", () => {
    const { value, diagnostics } = parseSysctlD(sample('50-pid-max.conf'), 'f');
    expect(diagnostics).toEqual([]);
    expect(value).toEqual([
      {
        key: 'kernel.pid_max',
        normalizedKey: 'kernel.pid_max',
        value: '4194304',
        ignoreErrors: false,
        line: 16,
      },
    ]);
  });

  it("Debian's stock sysctl.conf sets nothing (everything commented out)", () => {
    const { value, diagnostics } = parseSysctlD(sample('sysctl.conf.debian-procps'), 'f');
    expect(value).toEqual([]);
    expect(diagnostics).toEqual([]);
  });

  it('handles "-" prefix, slashes, ";" comments, spaces and bad lines', () => {
    const text =
      '-net.netfilter.nf_conntrack_max = 262144\nnet/ipv4/conf/enp3s0.200/forwarding=1\n; c\n  # c\nbogus\n = 1\n';
    const { value, diagnostics } = parseSysctlD(text, 'f');
    expect(value).toEqual([
      {
        key: 'net.netfilter.nf_conntrack_max',
        normalizedKey: 'net.netfilter.nf_conntrack_max',
        value: '262144',
        ignoreErrors: true,
        line: 1,
      },
      {
        key: 'net/ipv4/conf/enp3s0.200/forwarding',
        normalizedKey: 'net.ipv4.conf.enp3s0/200.forwarding',
        value: '1',
        ignoreErrors: false,
        line: 2,
      },
    ]);
    expect(diagnostics.map((d) => [d.code, d.at.line])).toEqual([
      ['sysctl-missing-equals', 5],
      ['sysctl-empty-key', 6],
    ]);
    expect(normalizeSysctlKey('kernel.modules_disabled')).toBe('kernel.modules_disabled');
  });

  it('never throws, lines in range', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = parseSysctlD(s, 'f');
        const n = s.split('\n').length;
        for (const e of r.value) {
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.line).toBeLessThanOrEqual(n);
        }
      }),
    );
  });
});
