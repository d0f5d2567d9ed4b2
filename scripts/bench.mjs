#!/usr/bin/env node
// `npm run bench` (`-- --startup-only` for the first table): startup of nfdoctor against `node -e 0`, then nfdoctor check vs iptables-legacy-restore --test vs iptables-restore --test (nf_tables)
// on generated rulesets of 1k, 10k and 100k rules (scripts/gen-ruleset.mjs), plus the parser alone at 100k.
// Real iptables only runs inside a fresh network namespace per measurement, and only as root.
// Each size is measured RUNS times (`--runs N`, default 3), the three tools interleaved, and the median
// is shown: on a loaded machine compare only numbers from one run of this script. CPU time (user +
// system) is shown beside wall time because load inflates it much less.
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRuleset } from './gen-ruleset.mjs';
import { REPO, checkArgv, haveTool, isRoot, measure, withNetns } from './bench-lib.mjs';

const SIZES = [1_000, 10_000, 100_000];
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag === -1 ? 3 : Math.max(1, Number(process.argv[runsFlag + 1]) || 1);
const SEED = 42;
const CLI = join(REPO, 'dist/nfdoctor.cjs');

function nfdoctorCommand(file) {
  if (existsSync(CLI)) {
    return { label: 'nfdoctor check', argv: checkArgv(CLI, file) };
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
const cpu = (m) => (m?.cpuSeconds === undefined ? '-' : m.cpuSeconds.toFixed(2));
const rss = (m) => (m?.peakRssKb === undefined ? '-' : `${(m.peakRssKb / 1024).toFixed(0)}M`);
const ratio = (a, b) => (a === undefined || b === undefined ? '-' : (a.seconds / b.seconds).toFixed(2));
// GNU time counts CPU in 10 ms steps: below 20 ms a ratio means nothing.
const cpuRatio = (a, b) =>
  a?.cpuSeconds === undefined || b?.cpuSeconds === undefined || b.cpuSeconds < 0.02
    ? '-'
    : (a.cpuSeconds / b.cpuSeconds).toFixed(2);

function median(values) {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Median of each measure over repeated runs (status: the worst one). */
function medianOf(runs) {
  const present = runs.filter((m) => m !== undefined);
  if (present.length === 0) {
    return undefined;
  }
  const failed = present.find((m) => m.status !== 0);
  return {
    seconds: median(present.map((m) => m.seconds)),
    cpuSeconds: median(present.map((m) => m.cpuSeconds)),
    peakRssKb: median(present.map((m) => m.peakRssKb)),
    status: (failed ?? present[0]).status,
    stderr: (failed ?? present[0]).stderr,
    runs: present.map((m) => m.seconds),
  };
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  return rows.map((row) => row.map((cell, i) => String(cell).padStart(widths[i])).join('  ')).join('\n');
}

const STARTUP_RUNS = 15;
/**
 * A healthy lab host as the current collector snapshots it (every check can decide: the older healthy.tar.gz
 * lacks the xtables listing, so its diagnosis skips a check and ends "incomplete").
 */
const SNAPSHOT = 'fixtures/hosts/healthy.after-fix.tar.gz';

/** This environment without NODE_EXTRA_CA_CERTS, or undefined when it is not set. */
function envWithoutExtraCas(env) {
  if (env.NODE_EXTRA_CA_CERTS === undefined) {
    return undefined;
  }
  const { NODE_EXTRA_CA_CERTS: _, ...rest } = env;
  return rest;
}

/**
 * What every call pays: `nfdoctor --version` and `diagnose` of a lab snapshot against `node -e 0`, the
 * three alternating in each round so that load changes hit all of them alike. CPU is summed over the
 * rounds (GNU time counts in 10 ms steps, too coarse for one ~0.1 s call).
 */
function startup() {
  if (!existsSync(CLI)) {
    return ['startup: dist/nfdoctor.cjs not found (run `npm run build`)'];
  }
  const diagnose = [process.execPath, CLI, 'diagnose', '--snapshot', SNAPSHOT, '--format', 'json'];
  const commands = [
    ['node -e 0', [process.execPath, '-e', '0']],
    ['nfdoctor --version', [process.execPath, CLI, '--version']],
    [`diagnose --snapshot ${SNAPSHOT}`, diagnose],
  ];
  // NODE_EXTRA_CA_CERTS makes Node read and parse those certificates at every start, before any script runs
  // (node.cc InitializeOncePerProcess -> crypto::UseExtraCaCerts): a fixed cost on both sides of each ratio.
  // Where it is set, the same pair also runs without it, so that the ratio is shown both ways.
  const withoutExtraCas = envWithoutExtraCas(process.env);
  const unsetLabel = ' (NODE_EXTRA_CA_CERTS unset)';
  if (withoutExtraCas !== undefined) {
    commands.push(
      [`node -e 0${unsetLabel}`, [process.execPath, '-e', '0'], withoutExtraCas],
      [`diagnose${unsetLabel}`, diagnose, withoutExtraCas],
    );
  }
  const samples = commands.map(() => []);
  for (let round = 0; round < STARTUP_RUNS; round++) {
    commands.forEach(([, argv, env], i) => samples[i].push(measure(argv, env === undefined ? {} : { env })));
  }
  const wall = samples.map((runs) => median(runs.map((m) => m.seconds)));
  const cpuSum = samples.map((runs) =>
    runs.every((m) => m.cpuSeconds !== undefined) ? runs.reduce((n, m) => n + m.cpuSeconds, 0) : undefined,
  );
  const rows = [['command', 'wall s (median)', 'wall ratio', 'cpu s (mean)', 'cpu ratio']];
  commands.forEach(([label, , env], i) => {
    // Each command against the node -e 0 run in the same environment (the first of its rows).
    const base = commands.findIndex(([, , other]) => other === env);
    rows.push([
      label,
      wall[i].toFixed(3),
      (wall[i] / wall[base]).toFixed(2),
      cpuSum[i] === undefined ? '-' : (cpuSum[i] / STARTUP_RUNS).toFixed(3),
      cpuSum[i] === undefined || cpuSum[base] === undefined ? '-' : (cpuSum[i] / cpuSum[base]).toFixed(2),
    ]);
  });
  const failed = samples.flatMap((runs, i) =>
    runs.some((m) => m.status !== 0 && m.status !== 1) ? [`startup: ${commands[i][0]} failed`] : [],
  );
  console.log(
    `startup: ${STARTUP_RUNS} rounds, node -e 0 / --version / diagnose alternating; ratios against node -e 0` +
      (withoutExtraCas === undefined
        ? '\n'
        : ` of the same environment\nNODE_EXTRA_CA_CERTS is set (${process.env.NODE_EXTRA_CA_CERTS}): every node start parses it; the last two rows run without it\n`),
  );
  console.log(table(rows));
  console.log('');
  return failed;
}

function main() {
  const startupNotes = startup();
  if (process.argv.includes('--startup-only')) {
    startupNotes.forEach((n) => console.log(`note: ${n}`));
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'nfd-bench-'));
  try {
    const notes = [...startupNotes];
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
      const samples = { ours: [], legacy: [], nft: [] };
      for (let run = 0; run < RUNS; run++) {
        samples.ours.push(measure(nfdoctor.argv));
        samples.legacy.push(restoreInNetns('iptables-legacy-restore', file));
        samples.nft.push(restoreInNetns('iptables-restore', file));
      }
      const ours = medianOf(samples.ours);
      if (ours.status !== 0 && ours.status !== 1) {
        notes.push(
          `${nfdoctor.label} exited ${ours.status} at ${size}: ${ours.stderr.trim().split('\n')[0] ?? ''}`,
        );
      }
      const legacy = medianOf(samples.legacy);
      const nft = medianOf(samples.nft);
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
        'nfd cpu',
        'legacy cpu',
        'nft cpu',
        'cpu nfd/legacy',
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
        cpu(r.ours),
        cpu(r.legacy),
        cpu(r.nft),
        cpuRatio(r.ours, r.legacy),
        rss(r.ours),
        rss(r.legacy),
        rss(r.nft),
      ]);
    }
    console.log(
      `nfdoctor column: ${nfdoctorCommand('FILE').label}; iptables 1.8.9 --test in a fresh netns each; ` +
        `median of ${RUNS} run(s), wall (s) and user+system CPU (cpu) seconds\n`,
    );
    console.log(table(rows));

    const at = (size) => results.find((r) => r.size === size);
    const perRuleGrowth = (pick, measure) => {
      const small = pick(at(10_000))?.[measure];
      const big = pick(at(100_000))?.[measure];
      return small === undefined || big === undefined ? undefined : big / 100_000 / (small / 10_000);
    };
    // Startup (node, the kernel view) is a fixed cost that flattens the plain ratio; the marginal cost
    // per rule (what 9k / 90k more rules add) shows how the per-rule work itself grows.
    const marginalGrowth = (pick, measure) => {
      const [a, b, c] = [1_000, 10_000, 100_000].map((size) => pick(at(size))?.[measure]);
      return a === undefined || b === undefined || c === undefined || b <= a
        ? undefined
        : (c - b) / 90_000 / ((b - a) / 9_000);
    };
    const verdict = (growth) => (growth === undefined ? 'n/a' : growth < 1.5 ? 'linear' : 'super-linear');
    const fixed = (value) => (value === undefined ? '-' : value.toFixed(2));
    console.log(
      '\ngrowth in rules (1.0 = linear): time per rule at 100k / at 10k (wall, cpu); marginal cpu per rule 10k->100k / 1k->10k',
    );
    for (const [name, pick] of [
      ['nfdoctor', (r) => r.ours],
      ['legacy', (r) => r.legacy],
      ['nft', (r) => r.nft],
    ]) {
      const wall = perRuleGrowth(pick, 'seconds');
      const cpuGrowth = perRuleGrowth(pick, 'cpuSeconds');
      const marginal = marginalGrowth(pick, 'cpuSeconds');
      console.log(
        `  ${name.padEnd(9)} wall ${fixed(wall)}  cpu ${fixed(cpuGrowth)}  marginal cpu ${fixed(marginal)}  ${verdict(marginal ?? cpuGrowth ?? wall)}`,
      );
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
        `\nparser alone, ${p.rules} rules (${p.textMB.toFixed(1)} MB text): parseIptablesSave best of 3 ${p.bestMs.toFixed(0)} ms wall, ${p.bestCpuMs.toFixed(0)} ms CPU; ` +
          `heap kept by the result ${p.retainedHeapMB?.toFixed(0) ?? '?'} MB (heap used ${p.heapUsedMB.toFixed(0)} MB incl. the text); process peak RSS ${rss(parser)}; ${p.diagnostics} diagnostics`,
      );
      console.log(
        `visitIptablesSave (streaming, as check uses it), ${p.visitedRules} rules: best of 3 ${p.visitBestMs.toFixed(0)} ms wall, ${p.visitBestCpuMs.toFixed(0)} ms CPU`,
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
