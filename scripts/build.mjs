#!/usr/bin/env node
// Bundles src/cli/main.ts into dist/nfdoctor.cjs (or the file named as the first argument, which the CLI tests
// use): one CommonJS file that runs on Node >= 18.18 alone. The file is the launcher (src/cli/launcher.ts)
// followed by the program, compressed in a comment (src/cli/compile-cache.ts).
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';
import { createHash } from 'node:crypto';
import { readFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outfile = process.argv[2] ?? join(root, 'dist/nfdoctor.cjs');
mkdirSync(dirname(outfile), { recursive: true });
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18.18',
  minifySyntax: true,
  // Whitespace only: names stay readable in NFDOCTOR_DEBUG stack traces; a smaller file parses faster at startup.
  minifyWhitespace: true,
  legalComments: 'none',
  // import() of a Node builtin (node:fs/promises, node:worker_threads) becomes require(): a real dynamic import
  // would start Node's ES module loader, which a CommonJS program pays for at its first import().
  supported: { 'dynamic-import': false },
  write: false,
  logLevel: 'warning',
};
// The program: everything the commands run.
const program = await build({
  ...common,
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile,
  // NFDOCTOR_BUNDLE: the fleet's worker threads run this same file (src/fleet/pool.ts); the import.meta.url
  // that locates the worker script when running from the TypeScript sources is dead code in the bundle.
  define: {
    NFDOCTOR_VERSION: JSON.stringify(pkg.version),
    NFDOCTOR_BUNDLE: 'true',
    'import.meta.url': 'undefined',
  },
});
const programText = program.outputFiles[0].text;
// One byte outside ASCII (esbuild leaves regular expression literals as written) and V8 holds the whole
// program as a two-byte string: twice the memory to read and compile at every start. The launcher also reads
// the program as Latin-1, which is the same as ASCII only for ASCII.
const wide = programText.search(/[^\x00-\x7f]/);
if (wide !== -1) {
  const line = programText.slice(0, wide).split('\n').length;
  console.error(
    `${outfile}: program line ${line}: non-ASCII character; write it as a \\u escape in the source`,
  );
  process.exit(1);
}
// The layout comes from compile-cache.ts itself, so the builder and the launcher cannot disagree on it.
const { wrapProgram, embedProgram } = await tsImport('../src/cli/compile-cache.ts', import.meta.url);
const wrapped = wrapProgram(programText);
// The launcher (src/cli/launcher.ts) answers --version and --help and compiles the program, which follows it
// compressed in a comment, with a V8 code cache (src/cli/compile-cache.ts). Cache files are named after this hash.
const programId = createHash('sha256').update(wrapped).digest('hex').slice(0, 16);
const launcher = await build({
  ...common,
  entryPoints: [join(root, 'src/cli/launcher.ts')],
  outfile,
  banner: { js: '#!/usr/bin/env node' },
  define: {
    NFDOCTOR_VERSION: JSON.stringify(pkg.version),
    NFDOCTOR_PROGRAM_ID: JSON.stringify(programId),
    NFDOCTOR_PROGRAM_BYTES: String(wrapped.length),
    'import.meta.url': 'undefined',
  },
});
const launcherText = launcher.outputFiles[0].text;
if (/[^\x00-\x7f]/.test(launcherText)) {
  console.error(`${outfile}: non-ASCII character in the launcher`);
  process.exit(1);
}
writeFileSync(outfile, embedProgram(launcherText, wrapped));
chmodSync(outfile, 0o755);
console.log(`built ${outfile}`);
