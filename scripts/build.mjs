#!/usr/bin/env node
// Bundles src/cli/main.ts into dist/nfdoctor.cjs (or the file named as the first argument, which the CLI tests
// use): one CommonJS file that runs on Node >= 18.18 alone.
import { build } from 'esbuild';
import { readFileSync, chmodSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outfile = process.argv[2] ?? join(root, 'dist/nfdoctor.cjs');
mkdirSync(dirname(outfile), { recursive: true });
await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18.18',
  minifySyntax: true,
  // Whitespace only: names stay readable in NFDOCTOR_DEBUG stack traces; a smaller file parses faster at startup.
  minifyWhitespace: true,
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node' },
  // import() of a Node builtin (node:fs/promises, node:worker_threads) becomes require(): a real dynamic import
  // would start Node's ES module loader, which a CommonJS program pays for at its first import().
  supported: { 'dynamic-import': false },
  // NFDOCTOR_BUNDLE: the fleet's worker threads run this same file (src/fleet/pool.ts); the import.meta.url
  // that locates the worker script when running from the TypeScript sources is dead code in the bundle.
  define: {
    NFDOCTOR_VERSION: JSON.stringify(pkg.version),
    NFDOCTOR_BUNDLE: 'true',
    'import.meta.url': 'undefined',
  },
  logLevel: 'warning',
});
// One byte outside ASCII (esbuild leaves regular expression literals as written) and V8 holds the whole
// program as a two-byte string: twice the memory to read and scan at every start.
const bundled = readFileSync(outfile);
const wide = bundled.findIndex((b) => b > 0x7f);
if (wide !== -1) {
  const line = bundled.subarray(0, wide).toString('latin1').split('\n').length;
  console.error(`${outfile}:${line}: non-ASCII byte in the bundle; write it as a \\u escape in the source`);
  process.exit(1);
}
chmodSync(outfile, 0o755);
console.log(`built ${outfile}`);
