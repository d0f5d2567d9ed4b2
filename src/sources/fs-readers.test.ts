import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execArgv } from './exec.ts';
import { FsTree } from './fs-tree.ts';
import { LiveReader, RootReader } from './fs-readers.ts';
import { normalizePath } from './resolve.ts';

const fixtureRoot = new URL('../../fixtures/roots/debian-masked', import.meta.url).pathname;

describe('RootReader (--root DIR)', () => {
  const r = new RootReader(fixtureRoot);

  it('reads files through symlinks resolved inside the root', async () => {
    const osr = await r.readFile('/etc/os-release');
    expect(osr.status === 'ok' && osr.content.toString()).toMatch(/^PRETTY_NAME="Debian/);
    const unit = await r.readFile('/lib/systemd/system/netfilter-persistent.service');
    expect(unit.status).toBe('ok');
    const mods = await r.readFile('/etc/modules-load.d/modules.conf');
    expect(mods.status === 'ok' && mods.content.toString()).toContain('xt_recent ip_list_tot=0');
  });

  it('never leaves the root: escaping links resolve inside it', async () => {
    // rules.v6 -> /../../../../etc/passwd and escape-relative.conf -> ../../../../../../etc/shadow
    expect(await r.readFile('/etc/iptables/rules.v6')).toMatchObject({ status: 'absent' });
    expect(await r.readFile('/etc/modprobe.d/escape-relative.conf')).toMatchObject({ status: 'absent' });
    expect(await r.readFile('/../../../../etc/passwd')).toMatchObject({ status: 'absent' });
    expect(await r.readFile('/etc/hostname')).toMatchObject({ status: 'ok' });
  });

  it('reports masked units, directories, loops and missing files as facts', async () => {
    expect(await r.readFile('/etc/systemd/system/netfilter-persistent.service')).toMatchObject({
      status: 'not-a-file',
      reason: expect.stringContaining('/dev/null') as unknown,
    });
    expect(await r.readFile('/etc/modprobe.d')).toMatchObject({ status: 'not-a-file' });
    expect(await r.readFile('/etc/modprobe.d/loop-a.conf')).toMatchObject({
      status: 'error',
      reason: expect.stringContaining('too many levels') as unknown,
    });
    expect(await r.readFile('/etc/sysconfig/iptables')).toMatchObject({ status: 'absent' });
    expect(await r.readFile('etc/modules')).toMatchObject({ status: 'error' });
    expect(await r.readFile('/etc/modules\0x')).toMatchObject({ status: 'error' });
  });

  it('lists directories with types and symlink targets, sorted', async () => {
    const d = await r.listDir('/etc/systemd/system');
    expect(d.status).toBe('ok');
    expect(d.status === 'ok' && d.entries).toEqual([
      { name: 'multi-user.target.wants', type: 'dir' },
      { name: 'netfilter-persistent.service', type: 'symlink', target: '/dev/null' },
      { name: 'netfilter-persistent.service.d', type: 'dir' },
    ]);
    const viaLink = await r.listDir('/lib/modprobe.d');
    expect(viaLink.status === 'ok' && viaLink.entries.map((e) => e.name)).toEqual(['50-conntrack.conf']);
    expect((await r.listDir('/etc/modules')).status).toBe('not-a-file');
    expect((await r.listDir('/nope')).status).toBe('absent');
  });

  it('runs no command', async () => {
    const c = await r.runCommand('iptables-save.nft');
    expect(c).toMatchObject({ status: 'not-available', argv: ['iptables-nft-save'] });
    expect(r.kind).toBe('root');
    expect(r.label).toBe(fixtureRoot);
  });
});

describe('FsTree size cap', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nfdoctor-fstree-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  it('refuses files over the cap and reads /proc files whose size is 0', async () => {
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc/big'), Buffer.alloc(2000));
    symlinkSync('big', join(dir, 'etc/link'));
    const t = new FsTree(dir);
    expect(await t.readFile('/etc/big', 1000)).toMatchObject({ status: 'too-large' });
    expect(await t.readFile('/etc/link', 5000)).toMatchObject({ status: 'ok' });
    const live = new FsTree('/');
    const self = await live.readFile('/proc/self/status');
    expect(self.status === 'ok' && self.content.length).toBeGreaterThan(100);
  });

  it('reads exactly the cap, and a size-0 /proc file past the first buffer to its end', async () => {
    writeFileSync(join(dir, 'etc/exact'), Buffer.alloc(1000, 'x'));
    writeFileSync(join(dir, 'etc/over'), Buffer.alloc(1001, 'x'));
    const t = new FsTree(dir);
    const exact = await t.readFile('/etc/exact', 1000);
    expect(exact.status === 'ok' && exact.content.toString()).toBe('x'.repeat(1000));
    expect(await t.readFile('/etc/over', 1000)).toMatchObject({ status: 'too-large' });
    const cpuinfo = await new FsTree('/').readFile('/proc/cpuinfo');
    const text = cpuinfo.status === 'ok' ? cpuinfo.content.toString() : '';
    expect(text.match(/^processor\s*:/gm)?.length).toBe(cpus().length);
    expect(text.endsWith('\n')).toBe(true);
    // A Node process maps far more than 4 KiB of lines; [vsyscall] (or [vdso]) comes last, after [stack].
    const maps = await new FsTree('/').readFile('/proc/self/maps');
    const lines = maps.status === 'ok' ? maps.content.toString() : '';
    expect(lines.length).toBeGreaterThan(8192);
    expect(lines).toMatch(/\[stack\]\n[\s\S]*\[(?:vsyscall|vdso|vvar)\]\n$/);
  });
});

describe('normalizePath', () => {
  it('uses chroot semantics', () => {
    expect(normalizePath('/../../etc//./x/')).toBe('/etc/x');
    expect(normalizePath('/')).toBe('/');
  });
});

describe('execArgv', () => {
  it('runs without a shell in the C locale and keeps output', async () => {
    const r = await execArgv(['sh', '-c', 'echo "$LC_ALL $SYSTEMD_COLORS"; echo err >&2']);
    expect(r).toMatchObject({ status: 'ok', exitCode: 0, stdout: 'C 0\n', stderr: 'err\n' });
    const glob = await execArgv(['echo', '*', '$HOME', ';', 'ls']);
    expect(glob.stdout).toBe('* $HOME ; ls\n');
  });

  it('maps failures to statuses', async () => {
    expect(await execArgv(['nfdoctor-no-such-command'])).toMatchObject({ status: 'missing' });
    expect(await execArgv(['sh', '-c', 'echo out; exit 3'])).toMatchObject({
      status: 'exit-nonzero',
      exitCode: 3,
      stdout: 'out\n',
    });
    expect(await execArgv(['sleep', '5'], { timeoutMs: 200 })).toMatchObject({ status: 'timeout' });
    const big = await execArgv(['sh', '-c', 'yes | head -c 100000'], { maxOutputBytes: 1000 });
    expect(big).toMatchObject({
      status: 'error',
      reason: expect.stringContaining('exceeded 1000 bytes') as unknown,
    });
    expect(await execArgv(['/'])).toMatchObject({ status: 'permission-denied' });
    expect(await execArgv([])).toMatchObject({ status: 'error' });
  });

  it('closes stdin so a command waiting for input does not hang', async () => {
    expect(await execArgv(['cat'], { timeoutMs: 5000 })).toMatchObject({ status: 'ok', stdout: '' });
  });
});

describe('LiveReader', () => {
  it('runs only registry commands and memoises them', async () => {
    const live = new LiveReader();
    expect(await live.runCommand('rm -rf /')).toMatchObject({
      status: 'error',
      reason: expect.stringContaining('unknown command id') as unknown,
    });
    const a = await live.runCommand('uname-r');
    expect(a.status).toBe('ok');
    expect(await live.runCommand('uname-r')).toBe(a);
  });
});

describe('openHost', () => {
  it('picks the reader for --root, --snapshot or the live host', async () => {
    const { openHost, HostSourceError } = await import('./open.ts');
    expect((await openHost()).kind).toBe('live');
    expect((await openHost({ root: fixtureRoot })).kind).toBe('root');
    await expect(openHost({ root: '/nonexistent-nfdoctor' })).rejects.toBeInstanceOf(HostSourceError);
    await expect(openHost({ root: '/', snapshot: 'x' })).rejects.toThrow(/cannot be used together/);
    const snap = new URL('../../fixtures/hosts/dev-vm-no-modules.tar.gz', import.meta.url).pathname;
    expect((await openHost({ snapshot: snap })).kind).toBe('snapshot');
  });
});
