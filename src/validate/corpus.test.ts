// iptables' own extension test corpus (extensions/*.t of the 1.8.9 source package) through `check`:
// never a rule iptables accepts rejected, and >= 97% agreement overall. Needs the unpacked source that
// scripts/gen-iptables-grammar.mjs fetches (CI runs it first); skipped when it is not there.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const TREE =
  process.env.NFDOCTOR_IPTABLES_SRC ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'nfdoctor/iptables-src/iptables-1.8.9');

interface CorpusResult {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly expected: string;
  readonly got: string;
}

describe.skipIf(!existsSync(join(TREE, 'extensions')))('iptables 1.8.9 extension test corpus', () => {
  it.each(['nft', 'legacy'])(
    'agrees with the %s backend on at least 97 percent of the rules and rejects none it accepts',
    async (backend) => {
      const script = '../../scripts/iptables-corpus.mjs';
      const { runCorpus } = (await import(script)) as {
        runCorpus: (backend: string, tree: string) => Promise<CorpusResult[]>;
      };
      const results = await runCorpus(backend, TREE);
      const falseRejections = results.filter((r) => r.expected === 'OK' && r.got === 'FAIL');
      expect(falseRejections).toEqual([]);
      const agree = results.filter((r) => r.expected === r.got).length;
      expect(results.length).toBeGreaterThan(800);
      expect(agree / results.length).toBeGreaterThanOrEqual(0.97);
    },
    120_000,
  );
});
