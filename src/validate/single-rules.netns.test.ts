// `check` against the real iptables-restore 1.8.9 (nf_tables and legacy) on every rule of
// fixtures/rules/single-rules.txt, each loaded alone in a network namespace created for the run and deleted
// after (scripts/single-rules.mjs). Skips when not root or the tools are missing. A false rejection
// (nfdoctor refuses a rule a backend loads) fails the test on its own.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { checkRules } from '../resolve/check-rules.ts';
import { canRunRealIptables } from '../testing/real-iptables.ts';
import { comparisonKernel } from '../testing/comparison-kernel.ts';

interface Row {
  readonly rule: string;
  readonly backend: string;
  readonly loads: boolean;
  readonly real: string;
  readonly nfdoctor: string | undefined;
}
interface SingleRules {
  SINGLE_RULES: string;
  singleRuleFiles(text: string): unknown[];
  compareSingleRules(files: unknown[], check: typeof checkRules, kernel: object): Promise<Row[]>;
}

const canRun = canRunRealIptables();

describe.skipIf(!canRun)('single rules against real iptables-restore in a network namespace', () => {
  it('never refuses a rule a backend loads, and agrees on at least 97% of (rule, backend) pairs', async () => {
    const script = '../../scripts/single-rules.mjs';
    const s = (await import(script)) as SingleRules;
    const files = s.singleRuleFiles(readFileSync(s.SINGLE_RULES, 'utf8'));
    expect(files.length).toBeGreaterThan(500);
    const rows = await s.compareSingleRules(files, checkRules, comparisonKernel());
    expect(rows.filter((r) => r.loads && r.nfdoctor !== undefined)).toEqual([]);
    const agree = rows.filter((r) => r.loads === (r.nfdoctor === undefined)).length;
    expect(agree / rows.length).toBeGreaterThanOrEqual(0.97);
    // Both outcomes occur: the file is not all loadable or all broken.
    expect(rows.some((r) => r.loads) && rows.some((r) => !r.loads)).toBe(true);
  }, 600_000);
});
