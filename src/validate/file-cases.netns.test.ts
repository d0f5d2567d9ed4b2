// `check` against the real iptables-restore 1.8.9 (nf_tables and legacy) on every whole-file case of
// fixtures/rules/file-cases.txt, each loaded in a network namespace of its own, created and deleted by
// scripts/file-cases.mjs. Skips when not root or the tools are missing. A false rejection (nfdoctor
// refuses a file a backend loads) fails the test on its own.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { checkRules } from '../resolve/check-rules.ts';
import { canRunRealIptables } from '../testing/real-iptables.ts';
import { comparisonKernel } from '../testing/comparison-kernel.ts';

interface Row {
  readonly name: string;
  readonly backend: string;
  readonly loads: boolean;
  readonly nfdoctor: string | undefined;
}
interface FileCases {
  FILE_CASES: string;
  fileCases(text: string): unknown[];
  compareFileCases(cases: unknown[], check: typeof checkRules, kernel: object): Promise<Row[]>;
}

describe.skipIf(!canRunRealIptables())(
  'whole files against real iptables-restore in a network namespace',
  () => {
    it('never refuses a file a backend loads, and agrees on at least 97% of (file, backend) pairs', async () => {
      const script = '../../scripts/file-cases.mjs';
      const s = (await import(script)) as FileCases;
      const cases = s.fileCases(readFileSync(s.FILE_CASES, 'utf8'));
      expect(cases.length).toBeGreaterThan(100);
      const rows = await s.compareFileCases(cases, checkRules, comparisonKernel());
      expect(rows.filter((r) => r.loads && r.nfdoctor !== undefined)).toEqual([]);
      const agree = rows.filter((r) => r.loads === (r.nfdoctor === undefined)).length;
      expect(agree / rows.length).toBeGreaterThanOrEqual(0.97);
      expect(rows.some((r) => r.loads) && rows.some((r) => !r.loads)).toBe(true);
    }, 600_000);
  },
);
