// "Done when": a snapshot of this machine, read back, equals the live reading and `--root /` for every
// file fact; and the shell collector makes the same run/skip decision for every command as the live
// reader (both implement the same side-effect-free preconditions).
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSnapshot } from './collect.ts';
import { compareReaders } from './compare.ts';
import { LiveReader, RootReader } from './fs-readers.ts';
import { commandSpecs } from './registry.ts';
import { openSnapshot, type SnapshotReader } from './snapshot-reader.ts';

let work: string;
let snap: SnapshotReader;
const live = new LiveReader();
const root = new RootReader('/');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nfdoctor-equality-'));
  const r = await collectSnapshot({ output: join(work, 'this-host.tar.gz') });
  expect(r.ok, r.error).toBe(true);
  snap = await openSnapshot(join(work, 'this-host.tar.gz'));
}, 120_000);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('this machine: snapshot vs live vs --root /', () => {
  it('the snapshot equals the live reader for every file and directory fact', async () => {
    const { compared, differences } = await compareReaders(live, snap, [release()]);
    expect(compared).toBeGreaterThan(200);
    expect(differences).toEqual([]);
  });

  it('the live reader equals --root / for every file and directory fact', async () => {
    const { differences } = await compareReaders(live, root, [release()]);
    expect(differences).toEqual([]);
  });

  it('the collector and the live reader make the same run/skip decision for every command', async () => {
    for (const spec of commandSpecs()) {
      if (spec.id.startsWith('journal.') || spec.id.startsWith('systemctl.')) {
        // still compared: only the decision, not the output (journals grow between the two runs)
      }
      const [a, b] = [await snap.runCommand(spec.id), await live.runCommand(spec.id)];
      const decision = (s: string): string =>
        s === 'skipped' ? 'skipped' : s === 'missing' ? 'missing' : 'ran';
      expect(decision(a.status), spec.id).toBe(decision(b.status));
      if (a.status === 'skipped' && b.status === 'skipped') {
        expect(a.reason, spec.id).toBe(b.reason);
      }
    }
  }, 120_000);

  it('the snapshot records the host as it is: kernel, module support, init', async () => {
    // The running release first, then every module tree on the machine (a development machine may hold
    // headers or modules for other kernels: the collector lists what is there).
    const trees = ['/lib/modules', '/usr/lib/modules'].flatMap((d) =>
      existsSync(d) ? readdirSync(d).filter((n) => statSync(join(d, n)).isDirectory()) : [],
    );
    expect(snap.manifest.kernelReleases).toEqual([
      release(),
      ...new Set(trees.filter((n) => n !== release()).sort()),
    ]);
    expect((await snap.runCommand('uname-r')).stdout.trim()).toBe(release());
    const mods = await live.readFile('/proc/modules');
    expect((await snap.readFile('/proc/modules')).status).toBe(mods.status);
  });
});
