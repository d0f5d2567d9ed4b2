#!/usr/bin/env node
// Byte-identity of two builds: `node scripts/compare-bundles.mjs OLD.cjs NEW.cjs` runs both bundles on every
// snapshot under fixtures/ (any *.tar.gz), every --root tree in fixtures/roots, damaged copies of a snapshot,
// and `fleet` over fixtures/hosts, in each output format, and compares stdout, stderr and the exit status.
// The only differences allowed are the run time that the prometheus format and the fix plan headers print.
// Exit 1 when anything differs. `--jobs N` runs N cases at a time (default 2).
// Used to prove that a speed change leaves every finding as it was.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const [oldBundle, newBundle] = process.argv.slice(2);
if (oldBundle === undefined || newBundle === undefined) {
  console.error('usage: node scripts/compare-bundles.mjs OLD.cjs NEW.cjs');
  process.exit(2);
}

function findSnapshots(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      out.push(...findSnapshots(p));
    } else if (e.isFile() && e.name.endsWith('.tar.gz')) {
      out.push(p);
    }
  }
  return out.sort();
}

/** Damaged inputs: the reader's refusals (one line naming the file) must not change either. */
function damagedCopies(snapshot, dir) {
  const buf = readFileSync(snapshot);
  const files = {
    'truncated.tar.gz': buf.subarray(0, Math.floor(buf.length / 2)),
    'not-gzip.tar.gz': Buffer.from('not a snapshot\n'),
    'empty.tar.gz': Buffer.alloc(0),
  };
  const flipped = Buffer.from(buf);
  flipped[Math.floor(flipped.length / 3)] ^= 0xff;
  files['flipped.tar.gz'] = flipped;
  return Object.entries(files).map(([name, data]) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  });
}

const TIME_LINE = /^nfdoctor_last_run_timestamp_seconds \d+$/m;
const PLAN_TIME = /^(# Plan for .* by nfdoctor \S+) \(\d{4}-\d\d-\d\dT[\d:.]+Z\)\.$/m;
const jobsFlag = process.argv.indexOf('--jobs');
const JOBS = jobsFlag === -1 ? 2 : Math.max(1, Number(process.argv[jobsFlag + 1]) || 1);

function run(bundle, args) {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [bundle, ...args], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('close', (status) => {
      const stdout = Buffer.concat(out)
        .toString('utf8')
        .replace(TIME_LINE, 'TIME')
        .replace(PLAN_TIME, '$1 (TIME).');
      resolvePromise({ stdout, stderr: Buffer.concat(err).toString('utf8'), status });
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'nfd-compare-'));
try {
  const snapshots = findSnapshots(join(REPO, 'fixtures'));
  const roots = readdirSync(join(REPO, 'fixtures/roots'))
    .map((d) => join(REPO, 'fixtures/roots', d))
    .filter((d) => statSync(d).isDirectory());
  const damaged = damagedCopies(snapshots[0], tmp);
  const cases = [];
  for (const s of [...snapshots, ...damaged]) {
    for (const format of ['json', 'text', 'html', 'prometheus']) {
      cases.push(['diagnose', '--snapshot', s, '--format', format]);
    }
    for (const format of ['json', 'text', 'sh', 'ansible']) {
      cases.push(['fix', '--snapshot', s, '--format', format]);
    }
  }
  for (const r of roots) {
    for (const format of ['json', 'text']) {
      cases.push(['diagnose', '--root', r, '--format', format]);
    }
  }
  for (const format of ['json', 'text', 'html']) {
    cases.push(['fleet', join(REPO, 'fixtures/hosts'), ...damaged, '--jobs', '2', '--format', format]);
  }
  let same = 0;
  const differ = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const args = cases[next++];
      const a = await run(oldBundle, args);
      const b = await run(newBundle, args);
      if (a.stdout === b.stdout && a.stderr === b.stderr && a.status === b.status) {
        same += 1;
      } else {
        differ.push(args.map((x) => (x.startsWith('/') ? relative(REPO, x) : x)).join(' '));
      }
    }
  };
  await Promise.all(Array.from({ length: JOBS }, worker));
  console.log(
    `${same}/${cases.length} identical (${snapshots.length} snapshots under fixtures/, ${roots.length} --root trees, ${damaged.length} damaged files; stdout, stderr and exit status)`,
  );
  for (const d of differ) {
    console.log(`DIFFERS: ${d}`);
  }
  process.exitCode = differ.length === 0 ? 0 : 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
