#!/usr/bin/env node
// Bundles src/cli/main.ts into dist/nfdoctor.cjs (or the file named as the first argument, which the CLI tests
// use): one CommonJS file that runs on Node >= 18.18 alone. The file is the small launcher src/cli/launch.ts
// (it answers --version and --help by itself) followed by the program, deflated and base64-encoded in a
// comment that the launcher reads back when a command runs: Node never has to parse the program for --version.
import { build } from 'esbuild';
import { readFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { deflateRawSync, constants } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outfile = process.argv[2] ?? join(root, 'dist/nfdoctor.cjs');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18.18',
  minifySyntax: true,
  // Whitespace only: names stay readable in NFDOCTOR_DEBUG stack traces; a smaller file parses faster at startup.
  minifyWhitespace: true,
  legalComments: 'none',
  // import() of a Node builtin (node:fs/promises, node:worker_threads) becomes require(): the program runs
  // through vm.compileFunction (src/cli/launch.ts), which has no loader for a real dynamic import.
  supported: { 'dynamic-import': false },
  // NFDOCTOR_BUNDLE: the fleet's worker threads run this same file (src/fleet/pool.ts); the import.meta.url
  // that locates the worker script when running from the TypeScript sources is dead code in the bundle.
  define: {
    NFDOCTOR_VERSION: JSON.stringify(pkg.version),
    NFDOCTOR_BUNDLE: 'true',
    'import.meta.url': 'undefined',
  },
  logLevel: 'warning',
  write: false,
};
const program = await build({ ...common, entryPoints: [join(root, 'src/cli/main.ts')], outfile });
const launcher = await build({
  ...common,
  entryPoints: [join(root, 'src/cli/launch.ts')],
  outfile,
  banner: { js: '#!/usr/bin/env node' },
});
const packed = deflateRawSync(program.outputFiles[0].contents, {
  level: constants.Z_BEST_COMPRESSION,
}).toString('base64');
mkdirSync(dirname(outfile), { recursive: true });
writeFileSync(outfile, `${launcher.outputFiles[0].text}/*NFDOCTOR-MAIN:${packed}*/\n`);
chmodSync(outfile, 0o755);
console.log(`built ${outfile}`);
