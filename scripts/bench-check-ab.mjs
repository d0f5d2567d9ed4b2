#!/usr/bin/env node
// A/B of `nfdoctor check` on the 100k-rule benchmark file (gen-ruleset.mjs, seed 42): two bundles (built
// with `node scripts/build.mjs OUT`) and iptables-legacy-restore --test (in a fresh network namespace,
// as root) alternate ROUNDS times in one run, so load changes hit all three alike. Prints per-round CPU
// (user + system) and peak RSS, then medians and the ratios against iptables.
//
// usage: node scripts/bench-check-ab.mjs A.cjs B.cjs [--rounds N] [--rules N]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRuleset } from './gen-ruleset.mjs';
import { checkArgv, haveTool, isRoot, measure, withNetns } from './bench-lib.mjs';

function flag(name, fallback) {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Math.max(1, Number(process.argv[at + 1]) || fallback);
}

function median(values) {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[Math.floor((sorted.length - 1) / 2)];
}

function main() {
  const bundles = process.argv.slice(2).filter((a) => a.endsWith('.cjs'));
  if (bundles.length !== 2) {
    console.error('usage: bench-check-ab.mjs A.cjs B.cjs [--rounds N] [--rules N]');
    process.exit(2);
  }
  const rounds = flag('--rounds', 5);
  const size = flag('--rules', 100_000);
  const scratch = mkdtempSync(join(tmpdir(), 'nfd-ab-'));
  try {
    const file = join(scratch, `rules-${size}.v4`);
    writeFileSync(file, generateRuleset(size, 42));
    const check = (bundle) => checkArgv(bundle, file);
    const tools = [
      ['A', () => measure(check(bundles[0]))],
      ['B', () => measure(check(bundles[1]))],
    ];
    if (isRoot && haveTool('ip') && haveTool('iptables-legacy-restore')) {
      tools.push([
        'legacy --test',
        () =>
          withNetns((netns) =>
            measure(['iptables-legacy-restore', '--test', file], { prefix: ['ip', 'netns', 'exec', netns] }),
          ),
      ]);
    }
    const samples = new Map(tools.map(([name]) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? tools : [...tools].reverse();
      const line = [];
      for (const [name, run] of order) {
        const m = run();
        if (m.status !== 0 && m.status !== 1) {
          throw new Error(`${name} exited ${m.status}: ${m.stderr.split('\n')[0] ?? ''}`);
        }
        samples.get(name).push(m);
        line.push(
          `${name} ${m.cpuSeconds?.toFixed(2) ?? '?'} s cpu ${((m.peakRssKb ?? 0) / 1024).toFixed(0)} MB`,
        );
      }
      console.log(`round ${round + 1}: ${line.join(' | ')}`);
    }
    const cpu = (name) => median(samples.get(name)?.map((m) => m.cpuSeconds) ?? []);
    const wall = (name) => median(samples.get(name)?.map((m) => m.seconds) ?? []);
    const rss = (name) => median(samples.get(name)?.map((m) => m.peakRssKb) ?? []);
    const legacy = cpu('legacy --test');
    console.log(`\n${size} rules, median of ${rounds} (A = ${bundles[0]}, B = ${bundles[1]})`);
    for (const [name] of tools) {
      const ratio = legacy === undefined ? '' : `  cpu/legacy ${(cpu(name) / legacy).toFixed(2)}`;
      console.log(
        `${name.padEnd(14)} cpu ${cpu(name)?.toFixed(2)} s  wall ${wall(name)?.toFixed(2)} s  peak RSS ${((rss(name) ?? 0) / 1024).toFixed(0)} MB${ratio}`,
      );
    }
    console.log(`B/A cpu ${(cpu('B') / cpu('A')).toFixed(2)}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
