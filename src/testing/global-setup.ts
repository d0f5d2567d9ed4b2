// Once per test run: the bundles that tests build and start keep their compile cache (src/cli/compile-cache.ts)
// in a directory of this run, not in the home directory of whoever runs the tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'nfdoctor-test-cache-'));
  process.env.NFDOCTOR_COMPILE_CACHE = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
  };
}
