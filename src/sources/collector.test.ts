// The shell collector under dash and busybox sh, with --root on a hostile fixture tree, as root and as
// an unprivileged user, read back by the snapshot reader and compared with the --root reader.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSnapshot } from './collect.ts';
import { compareReaders } from './compare.ts';
import { RootReader } from './fs-readers.ts';
import { readArchive } from './snapshot-archive.ts';
import { openSnapshot } from './snapshot-reader.ts';

const script = new URL('../../collector/nfdoctor-collect.sh', import.meta.url).pathname;
const fixtureRoot = new URL('../../fixtures/roots/debian-masked', import.meta.url).pathname;
const RELEASE = '6.1.0-99-test';

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

const shells: { name: string; argv: string[] }[] = [
  { name: 'dash', argv: ['dash'] },
  { name: 'busybox sh', argv: ['busybox', 'sh'] },
];

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nfdoctor-collector-test-'));
  chmodSync(work, 0o755);
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function runCollector(
  shell: string[],
  args: string[],
  asUser?: number,
): { status: number | null; stderr: string } {
  const [cmd, ...rest] =
    asUser === undefined
      ? shell
      : ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', ...shell];
  const r = spawnSync(cmd!, [...rest, script, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stderr: r.stderr };
}

function entryNames(file: string): string[] {
  const a = readArchive(readFileSync(file), file);
  return [...a.files.keys(), ...a.dirs].sort();
}

describe.each(shells)('collector under $name', ({ name, argv }) => {
  const available = have(argv[0]!);

  it.skipIf(!available)(
    'collects a --root tree that the snapshot reader reads back like the --root reader',
    async () => {
      const out = join(work, `${name.replace(' ', '-')}-root.tar.gz`);
      const r = runCollector(argv, ['--root', fixtureRoot, '-o', out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/wrote .* \(\d+ files copied/);
      const snap = await openSnapshot(out);
      const root = new RootReader(fixtureRoot);
      expect(snap.manifest.root).toBe(fixtureRoot);
      expect(snap.manifest.kernelReleases).toEqual([RELEASE]);

      const extra = [
        '/etc/modprobe.d/points-at-secret.conf',
        '/etc/modprobe.d/escape-relative.conf',
        '/etc/modprobe.d/loop-a.conf',
        '/etc/iptables/rules.v6',
        '/etc/systemd/system/netfilter-persistent.service',
      ];
      const { compared, differences } = await compareReaders(root, snap, [RELEASE], extra);
      expect(compared).toBeGreaterThan(150);
      // The only difference by design: the link to a file the registry does not name is not copied.
      expect(differences).toEqual([
        {
          fact: 'file /etc/modprobe.d/points-at-secret.conf',
          a: expect.stringMatching(/^ok /) as unknown,
          b: 'not-collected',
        },
      ]);

      // secrets and module objects never enter the snapshot
      const names = entryNames(out);
      expect(names.filter((n) => n.includes('secrets') || n.endsWith('.ko') || n.includes('fake'))).toEqual(
        [],
      );
      expect(names).toContain('root/usr/lib/systemd/system/netfilter-persistent.service');
      expect(names).not.toContain('root/etc/modprobe.d/README');

      // hostile links resolve inside the tree
      expect((await snap.readFile('/etc/iptables/rules.v6')).status).toBe('absent');
      expect((await snap.readFile('/etc/modprobe.d/escape-relative.conf')).status).toBe('absent');
      expect((await snap.readFile('/etc/modprobe.d/loop-a.conf')).status).toBe('error');
      const masked = await snap.readFile('/etc/systemd/system/netfilter-persistent.service');
      expect(masked.status).toBe('not-a-file');
      const etcUnits = await snap.listDir('/etc/systemd/system');
      expect(etcUnits.status === 'ok' && etcUnits.entries).toContainEqual({
        name: 'netfilter-persistent.service',
        type: 'symlink',
        target: '/dev/null',
      });
      const vendor = await snap.readFile('/lib/systemd/system/netfilter-persistent.service');
      expect(vendor.status === 'ok' && vendor.content.toString()).toContain('Wants=network-pre.target');

      // --root runs no command
      for (const c of snap.manifest.commands) {
        expect(c.status, c.id).toBe('not-available');
      }
      expect((await snap.runCommand('iptables-save.nft')).status).toBe('not-available');
    },
  );

  it.skipIf(!available || process.getuid?.() !== 0 || !have('setpriv'))(
    'runs as an unprivileged user and records what it could not read',
    async () => {
      const tree = join(work, `${name.replace(' ', '-')}-tree`);
      cpSync(fixtureRoot, tree, { recursive: true, verbatimSymlinks: true });
      chmodSync(join(tree, 'etc/iptables/rules.v4'), 0o000);
      chmodSync(join(tree, 'usr/lib/modprobe.d'), 0o000);
      const outDir = join(work, `${name.replace(' ', '-')}-out`);
      execFileSync('mkdir', ['-m', '0777', outDir]);
      const out = join(outDir, 'nobody.tar.gz');
      const r = runCollector(argv, ['--root', tree, '-o', out], 65534);
      expect(r.status, r.stderr).toBe(0);
      const snap = await openSnapshot(out);
      expect(snap.manifest.uid).toBe(65534);
      expect((await snap.readFile('/etc/iptables/rules.v4')).status).toBe('permission-denied');
      expect((await snap.listDir('/usr/lib/modprobe.d')).status).toBe('permission-denied');
      expect((await snap.readFile('/etc/iptables/ipsets')).status).toBe('ok');
    },
  );
});

describe('collector details', () => {
  it.skipIf(!have('dash') || !have('busybox'))(
    'dash and busybox sh produce the same snapshot',
    () => {
      const a = join(work, 'same-dash.tar.gz');
      const b = join(work, 'same-busybox.tar.gz');
      expect(runCollector(['dash'], ['--root', fixtureRoot, '-o', a]).status).toBe(0);
      expect(runCollector(['busybox', 'sh'], ['--root', fixtureRoot, '-o', b]).status).toBe(0);
      const [ea, eb] = [readArchive(readFileSync(a), a), readArchive(readFileSync(b), b)];
      expect([...ea.files.keys()].sort()).toEqual([...eb.files.keys()].sort());
      for (const [k, v] of ea.files) {
        if (k !== 'manifest.json') {
          expect(eb.files.get(k)?.toString('utf8'), k).toBe(v.toString('utf8'));
        }
      }
      // Two full collector runs; on a loaded 2-core machine they took 37 s.
    },
    120_000,
  );

  it('nfdoctor collect (collectSnapshot) runs the same script and writes the same layout', async () => {
    const direct = join(work, 'direct.tar.gz');
    expect(runCollector(['sh'], ['--root', fixtureRoot, '-o', direct]).status).toBe(0);
    const viaApi = join(work, 'api.tar.gz');
    const r = await collectSnapshot({ output: viaApi, root: fixtureRoot });
    expect(r.ok, r.error).toBe(true);
    expect(r.output).toBe(viaApi);
    expect(entryNames(viaApi)).toEqual(entryNames(direct));
  });

  it('reports a failure as one line', async () => {
    const r = await collectSnapshot({ root: join(work, 'no-such-dir') });
    expect(r.ok).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.error).toMatch(/^--root .*no-such-dir: not a directory$/);
  });

  it('refuses a --root without etc/ (a mount point before its disk is mounted) with exit status 2', () => {
    const empty = join(work, 'empty-mount-point');
    mkdirSync(empty, { recursive: true });
    const out = join(work, 'empty.tar.gz');
    const r = runCollector(['sh'], ['--root', empty, '-o', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      `nfdoctor-collect: --root ${empty}: has no etc/ directory: not a system's root filesystem (is the disk mounted there?)`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('rejects unknown arguments with exit status 2', () => {
    const r = runCollector(['sh'], ['--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown argument: --bogus/);
  });

  it('writes the default file name in the current directory', () => {
    const dir = join(work, 'default-name');
    execFileSync('mkdir', ['-p', dir]);
    const r = spawnSync('sh', [script, '--root', fixtureRoot], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const m = /wrote (\S+)/.exec(r.stderr);
    expect(m?.[1]).toMatch(/\/nfdoctor-[A-Za-z0-9._-]+-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(existsSync(m![1]!)).toBe(true);
  });

  it('leaves no temporary files behind', () => {
    const tmp = join(work, 'tmpdir');
    execFileSync('mkdir', ['-p', tmp]);
    const out = join(work, 'tmpcheck.tar.gz');
    const r = spawnSync('sh', [script, '--root', fixtureRoot, '-o', out], {
      env: { ...process.env, TMPDIR: tmp },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(execFileSync('ls', ['-A', tmp], { encoding: 'utf8' })).toBe('');
    writeFileSync(join(tmp, '.keep'), '');
  });
});
