// `check` against the real iptables-restore 1.8.9 (nf_tables and legacy) on generated realistic rulesets
// and a bounded sample of the mistakes people make (scripts/realistic-rulesets.mjs), each file restored in
// a network namespace created for it and deleted after. Skips when not root or the tools are missing.
// A false rejection (nfdoctor refuses a file a backend loads) fails the test on its own.
import { describe, it, expect } from 'vitest';
import { checkRules } from '../resolve/check-rules.ts';
import { comparisonKernel } from '../testing/comparison-kernel.ts';
import { canRunRealIptables } from '../testing/real-iptables.ts';

interface RulesFile {
  readonly name: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly text: string;
}
type Real = Record<string, { status: number | null; stderr: string }>;
type Verdicts = Record<string, string | undefined>;
interface Generator {
  realisticRulesets(seed: number): RulesFile[];
  mutations(files: readonly RulesFile[]): RulesFile[];
  realRestore(file: RulesFile): Real;
  nfdoctorVerdicts(file: RulesFile, check: typeof checkRules, kernel: object): Promise<Verdicts>;
}

const canRun = canRunRealIptables();

const KERNEL = comparisonKernel();

async function generator(): Promise<Generator> {
  const script = '../../scripts/realistic-rulesets.mjs';
  return (await import(script)) as Generator;
}

async function compare(files: readonly RulesFile[]) {
  const g = await generator();
  const rows = [];
  for (const file of files) {
    const real = g.realRestore(file);
    const ours = await g.nfdoctorVerdicts(file, checkRules, KERNEL);
    for (const backend of ['nft', 'legacy']) {
      rows.push({
        file: file.name,
        backend,
        loads: real[backend]?.status === 0,
        real: real[backend]?.stderr ?? '',
        nfdoctor: ours[backend],
      });
    }
  }
  return rows;
}

describe.skipIf(!canRun)('check against real iptables-restore in a network namespace', () => {
  it('never rejects a realistic ruleset (web, NAT, VPN, Docker, fail2ban, Tor; IPv4 and IPv6) that loads', async () => {
    const g = await generator();
    const rows = await compare(g.realisticRulesets(3));
    expect(rows.filter((r) => r.loads && r.nfdoctor !== undefined)).toEqual([]);
    // They are meant to be loadable: a generator mistake would make this test vacuous.
    expect(rows.filter((r) => !r.loads)).toEqual([]);
  }, 300_000);

  it('agrees on rules that only clash with each other: one IDLETIMER label with two timer types', async () => {
    // Each rule alone loads; together the kernel refuses the second (the file still passes --test).
    const rule = (label: string, alarm: boolean, chain = 'INPUT') =>
      `-A ${chain} -j IDLETIMER --timeout 10 --label ${label}${alarm ? ' --alarm' : ''}`;
    const files: RulesFile[] = [
      {
        name: 'same-type',
        family: 'ipv4',
        text: `*filter\n${rule('nfdsame', false)}\n${rule('nfdsame', false, 'OUTPUT')}\nCOMMIT\n`,
      },
      {
        name: 'two-types',
        family: 'ipv4',
        text: `*filter\n${rule('nfdmixed', false)}\n${rule('nfdmixed', true)}\nCOMMIT\n`,
      },
      {
        name: 'two-tables',
        family: 'ipv4',
        text: `*filter\n${rule('nfdtables', true)}\nCOMMIT\n*mangle\n${rule('nfdtables', false)}\nCOMMIT\n`,
      },
    ];
    const rows = await compare(files);
    expect(rows.filter((r) => r.loads === (r.nfdoctor !== undefined))).toEqual([]);
    expect(rows.filter((r) => r.loads).map((r) => r.file)).toEqual(['same-type', 'same-type']);
  }, 120_000);

  it('agrees with each backend on a sample of mutated rulesets, and never rejects what loads', async () => {
    const g = await generator();
    const all = g.mutations(g.realisticRulesets(5));
    const sample = all.filter((_, i) => i % 9 === 0);
    expect(sample.length).toBeGreaterThan(12);
    const rows = await compare(sample);
    expect(rows.filter((r) => r.loads && r.nfdoctor !== undefined)).toEqual([]);
    expect(rows.filter((r) => r.loads === (r.nfdoctor !== undefined))).toEqual([]);
    expect(rows.some((r) => !r.loads)).toBe(true);
  }, 300_000);
});
