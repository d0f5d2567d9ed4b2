// npm run package: builds the .deb, unpacks it into a throwaway root (dpkg-deb -x, never this machine's /) and
// runs the packaged launcher from there. Skipped where dpkg-deb is missing.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const hasDpkg = spawnSync('sh', ['-c', 'command -v dpkg-deb']).status === 0;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
let work: string;
let target: string;
let deb: string;

function run(argv: string[], env: Record<string, string> = {}) {
  const [cmd = '', ...args] = argv;
  return spawnSync(cmd, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
}

describe.runIf(hasDpkg)('the .deb', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'nfdoctor-pkg-'));
    target = join(work, 'root');
    const build = run([process.execPath, 'scripts/build.mjs']);
    expect(build.status, build.stderr).toBe(0);
    const r = run([join(ROOT, 'node_modules/.bin/tsx'), 'scripts/package.mjs', '--out', work]);
    expect(r.status, r.stderr).toBe(0);
    deb = join(work, `nfdoctor_${pkg.version}_all.deb`);
    const x = run(['dpkg-deb', '-x', deb, target]);
    expect(x.status, x.stderr).toBe(0);
  }, 180_000);
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('declares what it needs', () => {
    const f = (field: string) => run(['dpkg-deb', '-f', deb, field]).stdout.trim();
    expect(f('Package')).toBe('nfdoctor');
    expect(f('Version')).toBe(pkg.version);
    expect(f('Architecture')).toBe('all');
    expect(f('Depends')).toBe('nodejs (>= 18.18)');
  });

  it('runs nfdoctor --version and nfdoctor checks from the unpacked root', () => {
    const launcher = join(target, 'usr/bin/nfdoctor');
    const env = { NFDOCTOR_NODE: process.execPath };
    const v = run([launcher, '--version'], env);
    expect(v.stdout.trim()).toBe(pkg.version);
    expect(v.status).toBe(0);
    const c = run([launcher, 'checks'], env);
    expect(c.status).toBe(0);
    expect(c.stdout).toContain('loader/silent-failure');
  });

  it('ships the unit disabled, the man page, the completion and the collector', () => {
    const unit = readFileSync(join(target, 'lib/systemd/system/nfdoctor-guard.service'), 'utf8');
    expect(unit).toContain('ExecStart=/bin/sh /var/lib/nfdoctor/guard-boot.sh');
    expect(unit).toContain('Before=network-pre.target');
    const report = readFileSync(join(target, 'lib/systemd/system/nfdoctor-guard-report.service'), 'utf8');
    expect(report).toContain('ExecStart=/usr/bin/nfdoctor guard boot');
    expect(report).toContain('After=multi-user.target');
    expect(existsSync(join(target, 'etc'))).toBe(false);
    const man = run(['sh', '-c', `gzip -dc '${join(target, 'usr/share/man/man1/nfdoctor.1.gz')}'`]).stdout;
    expect(man).toMatch(/^\.TH NFDOCTOR 1/m);
    expect(man).toContain('.SS guard');
    expect(man).toContain('\\-\\-fail\\-closed');
    const completion = join(target, 'usr/share/bash-completion/completions/nfdoctor');
    expect(run(['bash', '-n', completion]).status).toBe(0);
    const words = run([
      'bash',
      '-c',
      `. '${completion}'; COMP_WORDS=(nfdoctor guard --fa); COMP_CWORD=2; _nfdoctor; echo "\${COMPREPLY[*]}"`,
    ]);
    expect(words.stdout.trim()).toBe('--fail-closed');
    expect(lstatSync(join(target, 'usr/lib/nfdoctor/nfdoctor-collect.sh')).mode & 0o111).not.toBe(0);
  });

  it('guard install uses the packaged files when they are there', () => {
    // A system root has an etc/ (guard refuses a directory without one: an unmounted mount point).
    mkdirSync(join(target, 'etc'));
    const r = run([
      process.execPath,
      join(target, 'usr/lib/nfdoctor/nfdoctor.cjs'),
      'guard',
      'install',
      '--root',
      target,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('using the packaged files');
    expect(
      readlinkSync(join(target, 'etc/systemd/system/multi-user.target.wants/nfdoctor-guard.service')),
    ).toBe('/lib/systemd/system/nfdoctor-guard.service');
    expect(existsSync(join(target, 'usr/local'))).toBe(false);
    const u = run([
      process.execPath,
      join(target, 'usr/lib/nfdoctor/nfdoctor.cjs'),
      'guard',
      'uninstall',
      '--root',
      target,
    ]);
    expect(u.status, u.stderr).toBe(0);
    expect(readdirSync(join(target, 'etc'))).toEqual([]);
  });
});
