#!/usr/bin/env node
// `npm start`: build the bundle, then run the main job on this host. Until `diagnose` exists that is
// `nfdoctor check` on the host's saved rules (or a bundled example ruleset) against the running kernel.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 2);

const saved = [
  '/etc/iptables/rules.v4',
  '/etc/iptables/rules.v6',
  '/etc/sysconfig/iptables',
  '/etc/sysconfig/ip6tables',
  '/etc/iptables/iptables.rules',
  '/etc/iptables/ip6tables.rules',
].filter((p) => existsSync(p));
const rules = saved.length > 0 ? saved : [join(root, 'examples/rules.v4')];
if (saved.length === 0)
  console.log(`No saved rules on this host; checking the bundled example ${rules[0]}.\n`);
const run = spawnSync(
  process.execPath,
  [join(root, 'dist/nfdoctor.cjs'), 'check', ...rules, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
// Exit 1 means "nfdoctor found problems", which is a successful run of the tool; pass 2+ through.
process.exit(run.status === 1 ? 0 : (run.status ?? 2));
