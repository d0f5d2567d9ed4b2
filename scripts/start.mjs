#!/usr/bin/env node
// `npm start`: build the single-file bundle, then run the main job on this host: `nfdoctor diagnose`
// (read-only). Arguments after `npm start --` go to nfdoctor, e.g. `npm start -- --format json`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 2);

const run = spawnSync(
  process.execPath,
  [join(root, 'dist/nfdoctor.cjs'), 'diagnose', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
// Exit 1 means "nfdoctor found problems": the tool itself ran fine, so npm should not report a failure.
process.exit(run.status === 1 ? 0 : (run.status ?? 2));
