// The bundle's launcher: --version and --help answered without reading the program, every other command run
// from the program it carries (built here exactly as `npm run build` builds dist/nfdoctor.cjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'nfd-launch-'));
const BUNDLE = join(scratch, 'nfdoctor.cjs');
// Prints, at exit, whether the process loaded node:zlib (the launcher needs it only to unpack the program).
const PROBE = join(scratch, 'probe.cjs');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['-r', PROBE, BUNDLE, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), BUNDLE], { encoding: 'utf8' });
  expect(b.status, b.stderr).toBe(0);
  writeFileSync(
    PROBE,
    "process.on('exit', () => process._rawDebug(process.moduleLoadList.includes('NativeModule zlib') ? 'ZLIB' : 'NO-ZLIB'));\n",
  );
}, 120_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('bundle launcher', () => {
  it('is one file: a short launcher, then the program in one comment', () => {
    const text = readFileSync(BUNDLE, 'latin1');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    const at = text.lastIndexOf('/*NFDOCTOR-MAIN:');
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(20_000);
    expect(text.slice(at + '/*NFDOCTOR-MAIN:'.length, -3)).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(text.endsWith('*/\n')).toBe(true);
  });

  it('answers --version and --help without unpacking the program', () => {
    const v = run(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    expect(v.stderr.trim()).toBe('NO-ZLIB');
    const h = run(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('Usage:');
    expect(h.stderr.trim()).toBe('NO-ZLIB');
    const none = run([]);
    expect(none.status).toBe(2);
    expect(none.stdout).toContain('Usage:');
  });

  it('runs every other command from the program it carries', () => {
    const d = run(['diagnose', '--snapshot', 'fixtures/hosts/healthy.tar.gz', '--format', 'json']);
    expect(d.status).toBe(0);
    expect(JSON.parse(d.stdout)).toMatchObject({ schemaVersion: 1 });
    expect(d.stderr.trim()).toBe('ZLIB');
    const bad = run(['no-such-command']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^nfdoctor: unknown command "no-such-command"/);
  });
});
