#!/usr/bin/env node
// `npm run bench`: nfdoctor check vs iptables-legacy-restore --test vs iptables-restore --test (nf_tables)
// on generated rulesets of 1k, 10k and 100k rules (scripts/gen-ruleset.mjs), plus the parser alone at 100k.
// Real iptables only runs inside a fresh network namespace per measurement, and only as root.
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRuleset } from './gen-ruleset.mjs';
import { REPO, haveTool, isRoot, measure, withNetns } from './bench-lib.mjs';

const SIZES = [1_000, 10_000, 100_000];
const SEED = 42;
const KERNEL = 'fixtures/kernels/6.1.0-56-cloud-amd64';
const CLI = join(REPO, 'dist/nfdoctor.cjs');

function nfdoctorCommand(file) {
  if (existsSync(CLI)) {
    return {
      label: 'nfdoctor check',
      argv: [
        process.execPath,
        CLI,
        'check',
        file,
        '--kernel',
        KERNEL,
        '--backend',
        'legacy',
        '--format',
        'json',
      ],
    };
  }
  return {
    label: 'parser via tsx (no dist/nfdoctor.cjs)',
    argv: [process.execPath, '--import', 'tsx', join(REPO, 'scripts/bench-lib.mjs'), 'parse', file, '1'],
  };
}

function restoreInNetns(tool, file) {
  if (!isRoot || !haveTool('ip') || !haveTool(tool)) {
    return undefined;
  }
  return withNetns((netns) => measure([tool, '--test', file], { prefix: ['ip', 'netns', 'exec', netns] }));
}

const seconds = (m) => (m === undefined ? '-' : m.seconds.toFixed(2));
const rss = (m) => (m?.peakRssKb === undefined ? '-' : `${(m.peakRssKb / 1024).toFixed(0)}M`);
const ratio = (a, b) => (a === undefined || b === undefined ? '-' : (a.seconds / b.seconds).toFixed(2));

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  return rows.map((row) => row.map((cell, i) => String(cell).padStart(widths[i])).join('  ')).join('\n');
}

function main() {
  const scratch = mkdtempSync(join(tmpdir(), 'nfd-bench-'));
  try {
    const notes = [];
    if (!existsSync(CLI)) {
      notes.push(
        'dist/nfdoctor.cjs not found (run `npm run build`): the nfdoctor column times only the iptables-save parser via tsx.',
      );
    }
    if (!isRoot) {
      notes.push('not root: iptables-restore columns skipped (they need a private network namespace).');
    }
    const results = [];
    for (const size of SIZES) {
      const file = join(scratch, `rules-${size}.v4`);
      writeFileSync(file, generateRuleset(size, SEED));
      const nfdoctor = nfdoctorCommand(file);
      const ours = measure(nfdoctor.argv);
      if (ours.status !== 0 && ours.status !== 1) {
        notes.push(
          `${nfdoctor.label} exited ${ours.status} at ${size}: ${ours.stderr.trim().split('\n')[0] ?? ''}`,
        );
      }
      const legacy = restoreInNetns('iptables-legacy-restore', file);
      const nft = restoreInNetns('iptables-restore', file);
      for (const [name, m] of [
        ['legacy', legacy],
        ['nft', nft],
      ]) {
        if (m !== undefined && m.status !== 0) {
          notes.push(
            `iptables-${name}-restore --test exited ${m.status} at ${size}: ${m.stderr.trim().split('\n')[0] ?? ''}`,
          );
        }
      }
      results.push({ size, bytes: statSync(file).size, ours, legacy, nft });
      process.stderr.write(`bench: ${size} rules done\n`);
    }

    const rows = [
      [
        'rules',
        'MB',
        'nfdoctor s',
        'legacy s',
        'nft s',
        'nfd/legacy',
        'nfd/nft',
        'nfd RSS',
        'legacy RSS',
        'nft RSS',
      ],
    ];
    for (const r of results) {
      rows.push([
        r.size,
        (r.bytes / 1e6).toFixed(1),
        seconds(r.ours),
        seconds(r.legacy),
        seconds(r.nft),
        ratio(r.ours, r.legacy),
        ratio(r.ours, r.nft),
        rss(r.ours),
        rss(r.legacy),
        rss(r.nft),
      ]);
    }
    console.log(
      `nfdoctor column: ${nfdoctorCommand('FILE').label}; iptables 1.8.9 --test in a fresh netns each\n`,
    );
    console.log(table(rows));

    const at = (size) => results.find((r) => r.size === size);
    const perRuleGrowth = (pick) => {
      const small = pick(at(10_000));
      const big = pick(at(100_000));
      return small === undefined || big === undefined
        ? undefined
        : big.seconds / 100_000 / (small.seconds / 10_000);
    };
    console.log('\ntime per rule at 100k / time per rule at 10k (1.0 = linear):');
    for (const [name, pick] of [
      ['nfdoctor', (r) => r.ours],
      ['legacy', (r) => r.legacy],
      ['nft', (r) => r.nft],
    ]) {
      const growth = perRuleGrowth(pick);
      const verdict = growth === undefined ? 'n/a' : growth < 1.5 ? 'linear' : 'super-linear';
      console.log(`  ${name.padEnd(9)} ${growth === undefined ? '-' : growth.toFixed(2)}  ${verdict}`);
    }

    const biggest = join(scratch, `rules-${SIZES[SIZES.length - 1]}.v4`);
    const parser = measure([
      process.execPath,
      '--expose-gc',
      '--import',
      'tsx',
      join(REPO, 'scripts/bench-lib.mjs'),
      'parse',
      biggest,
      '3',
    ]);
    if (parser.status === 0) {
      const p = JSON.parse(parser.stdout.trim().split('\n').pop());
      console.log(
        `\nparser alone, ${p.rules} rules (${p.textMB.toFixed(1)} MB text): best of 3 ${p.bestMs.toFixed(0)} ms wall, ${p.bestCpuMs.toFixed(0)} ms CPU; ` +
          `heap kept by the result ${p.retainedHeapMB?.toFixed(0) ?? '?'} MB (heap used ${p.heapUsedMB.toFixed(0)} MB incl. the text); process peak RSS ${rss(parser)}; ${p.diagnostics} diagnostics`,
      );
    } else {
      notes.push(`parser timing failed: ${parser.stderr.trim().split('\n')[0] ?? ''}`);
    }
    for (const note of notes) {
      console.log(`note: ${note}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
