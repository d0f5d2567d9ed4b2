#!/usr/bin/env node
// `npm run bench` (second part): nfdoctor fleet on N hard-linked copies of the committed lab snapshots
// (fixtures/hosts), N = 1,000 and 10,000 (`--counts 1000,10000`): snapshots per second (wall and CPU) and the
// process's peak RSS (GNU time %M, worker threads included), to show that memory stays bounded as N grows.
// Runs the bundle (npm run build first; `--bundle FILE` for another build); --jobs defaults to the CPUs.
// Figures from a loaded machine are slower.
import { linkSync, mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO, measure } from './bench-lib.mjs';

const bundleFlag = process.argv.indexOf('--bundle');
const CLI = bundleFlag === -1 ? join(REPO, 'dist/nfdoctor.cjs') : process.argv[bundleFlag + 1];
const HOSTS = join(REPO, 'fixtures/hosts');
const flag = process.argv.indexOf('--counts');
const COUNTS = (flag === -1 ? '1000,10000' : (process.argv[flag + 1] ?? '1000')).split(',').map(Number);

function main() {
  if (!existsSync(CLI)) {
    console.log('fleet benchmark skipped: no dist/nfdoctor.cjs (npm run build)');
    return;
  }
  const lab = readdirSync(HOSTS).filter((f) => f.endsWith('.tar.gz'));
  console.log(
    `\nnfdoctor fleet: copies of the ${lab.length} lab snapshots, ${availableParallelism()} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  for (const count of COUNTS) {
    const dir = mkdtempSync(join(tmpdir(), 'nfd-fleet-bench-'));
    try {
      for (let i = 0; i < count; i++) {
        const f = lab[i % lab.length];
        linkSync(join(HOSTS, f), join(dir, `host${String(i).padStart(5, '0')}-${f}`));
      }
      // 10,000 snapshots take minutes on a loaded machine: an hour before the run is called stuck.
      const r = measure(
        [process.execPath, CLI, 'fleet', dir, '--format', 'json', '--output', join(dir, 'out.json')],
        { timeoutMs: 3_600_000 },
      );
      if (r.status !== 0 && r.status !== 1) {
        console.log(`${count} snapshots: exit ${r.status}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
        continue;
      }
      const cpu = r.cpuSeconds === undefined ? '' : `, ${(count / r.cpuSeconds).toFixed(1)} per CPU-second`;
      const rss = r.peakRssKb === undefined ? 'n/a (no GNU time)' : `${(r.peakRssKb / 1024).toFixed(0)} MB`;
      console.log(
        `${count} snapshots: ${r.seconds.toFixed(1)} s wall, ${(count / r.seconds).toFixed(1)} snapshots/s${cpu}; peak RSS ${rss}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main();
