// Helpers for scripts/bench.mjs: timed child processes with peak RSS, throwaway network namespaces,
// and (when run as `node --import tsx scripts/bench-lib.mjs parse FILE`) a timing of the parser alone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
const GNU_TIME = '/usr/bin/time';

export function haveTool(tool) {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return dirs.some((dir) => dir !== '' && existsSync(join(dir, tool)));
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The kernel metadata the check benchmarks resolve against (real Debian 6.1). */
export const BENCH_KERNEL = 'fixtures/kernels/6.1.0-56-cloud-amd64';

/** argv of the benchmarked `nfdoctor check` (legacy backend, JSON, as `npm run bench` times it). */
export function checkArgv(bundle, file) {
  return [
    process.execPath,
    bundle,
    'check',
    file,
    '--kernel',
    BENCH_KERNEL,
    '--backend',
    'legacy',
    '--format',
    'json',
  ];
}

/**
 * Runs argv (no shell) in `env` (default: this process's), returns wall seconds, exit status, and with GNU time installed, CPU seconds
 * (user + system, which a loaded machine inflates much less than wall time) and peak RSS in KiB (%M).
 */
export function measure(argv, { cwd = REPO, prefix = [], timeoutMs = 600_000, env = process.env } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'nfd-bench-'));
  try {
    const rssFile = join(scratch, 'rss');
    const useGnuTime = existsSync(GNU_TIME);
    const full = useGnuTime
      ? [...prefix, GNU_TIME, '-f', '%U %S %M', '-o', rssFile, ...argv]
      : [...prefix, ...argv];
    const start = process.hrtime.bigint();
    const result = spawnSync(full[0], full.slice(1), {
      cwd,
      encoding: 'utf8',
      env: { ...env, LC_ALL: 'C' },
      maxBuffer: 256 * 1024 * 1024,
      timeout: timeoutMs,
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    let peakRssKb;
    let cpuSeconds;
    if (useGnuTime && existsSync(rssFile)) {
      // GNU time prints "Command exited with non-zero status N" before the format line.
      const [user, system, rss] = (readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '')
        .split(' ')
        .map(Number);
      peakRssKb = Number.isFinite(rss) ? rss : undefined;
      cpuSeconds = Number.isFinite(user) && Number.isFinite(system) ? user + system : undefined;
    }
    return {
      seconds,
      cpuSeconds,
      status: result.status,
      stdout: result.stdout ?? '',
      stderr: result.stderr ?? '',
      peakRssKb,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Creates a fresh network namespace, runs fn(name), always deletes it. */
export function withNetns(fn) {
  const name = `nfd-bench-${randomBytes(4).toString('hex')}`;
  const added = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (added.status !== 0) {
    throw new Error(`ip netns add ${name}: ${added.stderr}`);
  }
  try {
    return fn(name);
  } finally {
    spawnSync('ip', ['netns', 'del', name]);
  }
}

/**
 * Times parseIptablesSave on FILE (best of `runs`) and the heap it keeps, and visitIptablesSave (the
 * streaming mode `nfdoctor check` uses, with a visitor that only counts); prints one JSON line.
 */
async function timeParser(file, runs) {
  const { parseIptablesSave, visitIptablesSave, familyFromFileName, allRules } = await import(
    pathToFileURL(join(REPO, 'src/parsers/iptables-save.ts')).href
  );
  const text = readFileSync(file, 'utf8');
  // Streaming first: afterwards the kept full results would make GC threads bill this process.
  let visitBest = Infinity;
  let visitBestCpu = Infinity;
  let visited = 0;
  for (let i = 0; i < runs; i++) {
    visited = 0;
    globalThis.gc?.();
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    visitIptablesSave(text, file, familyFromFileName(file), {
      rule() {
        visited++;
      },
    });
    visitBest = Math.min(visitBest, performance.now() - start);
    const cpu = process.cpuUsage(cpuStart);
    visitBestCpu = Math.min(visitBestCpu, (cpu.user + cpu.system) / 1000);
  }
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let kept;
  let best = Infinity;
  let bestCpu = Infinity;
  for (let i = 0; i < runs; i++) {
    kept = undefined;
    globalThis.gc?.();
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    kept = parseIptablesSave(text, file);
    best = Math.min(best, performance.now() - start);
    const cpu = process.cpuUsage(cpuStart);
    bestCpu = Math.min(bestCpu, (cpu.user + cpu.system) / 1000);
  }
  globalThis.gc?.();
  const retainedBytes = process.memoryUsage().heapUsed - heapBefore;
  process.stdout.write(
    `${JSON.stringify({
      bestMs: best,
      bestCpuMs: bestCpu,
      visitBestMs: visitBest,
      visitBestCpuMs: visitBestCpu,
      visitedRules: visited,
      rules: allRules(kept.value).length,
      diagnostics: kept.diagnostics.length,
      retainedHeapMB: globalThis.gc ? retainedBytes / 1e6 : undefined,
      heapUsedMB: process.memoryUsage().heapUsed / 1e6,
      textMB: text.length / 1e6,
    })}\n`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'parse') {
  await timeParser(process.argv[3], Number(process.argv[4] ?? 3));
}
