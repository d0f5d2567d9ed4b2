#!/usr/bin/env node
// Prints the diagnose tree (roots and what hangs under them) of every lab scenario: the text captures in
// fixtures/lab-captures, the collector snapshots in fixtures/hosts and the broken variants built from them
// (src/checks/story-variants.ts), and the RHEL-family / Arch hosts of src/checks/distro-scenarios.ts. Run: node --import tsx scripts/diagnose-trees.mjs
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labHost } from '../src/testing/lab-host.ts';
import { openSnapshot } from '../src/sources/snapshot-reader.ts';
import { buildHostModel } from '../src/model/host-model.ts';
import { runChecks } from '../src/checks/engine.ts';
import { CHECKS } from '../src/checks/index.ts';
import { STORY_VARIANTS } from '../src/checks/story-variants.ts';
import { DISTRO_SCENARIOS } from '../src/checks/distro-scenarios.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function tree(findings) {
  const ids = new Set(findings.map((f) => f.id));
  const lines = [];
  const seen = new Set();
  const visit = (f, depth) => {
    const again = seen.has(f.id);
    lines.push(`${'  '.repeat(depth)}- [${f.severity}] ${f.id}${again ? ' (see above)' : ''}`);
    if (again) {
      return;
    }
    seen.add(f.id);
    for (const c of findings.filter((x) => x.causedBy.includes(f.id))) {
      visit(c, depth + 1);
    }
  };
  for (const f of findings.filter((x) => !x.causedBy.some((c) => ids.has(c)))) {
    visit(f, 0);
  }
  return lines.length === 0 ? ['(no findings)'] : lines;
}

const sources = [];
for (const name of readdirSync(join(root, 'fixtures/lab-captures')).sort()) {
  if (existsSync(join(root, 'fixtures/lab-captures', name, 'uname-r.txt'))) {
    sources.push({ label: `lab-captures/${name}`, open: async () => labHost(name) });
  }
}
for (const name of readdirSync(join(root, 'fixtures/hosts')).sort()) {
  if (name.endsWith('.tar.gz')) {
    sources.push({ label: `hosts/${name}`, open: () => openSnapshot(join(root, 'fixtures/hosts', name)) });
  }
}
for (const [name, open] of Object.entries(STORY_VARIANTS)) {
  sources.push({ label: `variant ${name}`, open: async () => open() });
}
for (const [name, open] of Object.entries(DISTRO_SCENARIOS)) {
  sources.push({ label: `distro ${name}`, open: async () => open() });
}
for (const s of sources) {
  const result = runChecks(CHECKS, await buildHostModel(await s.open()));
  console.log(`### ${s.label}`);
  console.log(tree(result.findings).join('\n'));
  console.log('');
}
