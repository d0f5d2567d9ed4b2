#!/usr/bin/env node
// Regenerates the two derived copies of the collector:
//   1. the fact table inside collector/nfdoctor-collect.sh, rendered from src/sources/registry.ts;
//   2. src/sources/collector-script.generated.ts, the script as a string, so the single-file bundle can
//      run `nfdoctor collect` with no other file on disk.
// Usage: node scripts/gen-collector-module.mjs [--check]   (--check: exit 1 when either is stale)
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import * as prettier from 'prettier';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const scriptPath = here('../collector/nfdoctor-collect.sh');
const modulePath = here('../src/sources/collector-script.generated.ts');
const check = process.argv.includes('--check');

const registry = await tsImport('../src/sources/registry.ts', import.meta.url);
const script = await readFile(scriptPath, 'utf8');
const begin = script.indexOf(registry.COLLECTOR_TABLE_BEGIN);
const end = script.indexOf(registry.COLLECTOR_TABLE_END);
if (begin === -1 || end === -1 || end < begin) {
  console.error(`${scriptPath}: fact table markers not found`);
  process.exit(2);
}
const table = registry.renderCollectorTable();
const newScript =
  script.slice(0, begin) + `${registry.COLLECTOR_TABLE_BEGIN}\n${table}\n` + script.slice(end);

const banner =
  '// generated from collector/nfdoctor-collect.sh by scripts/gen-collector-module.mjs, do not edit\n' +
  '// (run `node scripts/gen-collector-module.mjs` after changing the script or src/sources/registry.ts)\n';
const config = (await prettier.resolveConfig(modulePath)) ?? {};
const newModule = await prettier.format(
  `${banner}\nexport const COLLECTOR_SCRIPT: string = ${JSON.stringify(newScript)};\n`,
  { ...config, filepath: modulePath },
);

let oldModule = '';
try {
  oldModule = await readFile(modulePath, 'utf8');
} catch {
  // first generation
}
const stale = [];
if (newScript !== script) {
  stale.push(scriptPath);
}
if (newModule !== oldModule) {
  stale.push(modulePath);
}
if (check) {
  if (stale.length > 0) {
    console.error(`stale: ${stale.join(', ')} (run node scripts/gen-collector-module.mjs)`);
    process.exit(1);
  }
  process.exit(0);
}
if (newScript !== script) {
  await writeFile(scriptPath, newScript);
}
if (newModule !== oldModule) {
  await writeFile(modulePath, newModule);
}
console.log(stale.length > 0 ? `updated: ${stale.join(', ')}` : 'up to date');
