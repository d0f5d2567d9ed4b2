// The built bundle as users run it: the launcher answers --version alone, compiles the embedded program, and
// keeps the program and V8's cached data in the cache directory, which changes nothing a command prints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HAS_PYTHON, SLOW_NON_BLOCKING_READER } from '../testing/non-blocking-reader.ts';

const ROOT = join(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'nfdoctor-launcher-'));
const BUNDLE = join(scratch, 'nfdoctor.cjs');
const SNAPSHOT = join(ROOT, 'fixtures/hosts/ipset-missing-set.tar.gz');

beforeAll(() => {
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), BUNDLE], { encoding: 'utf8' });
  expect(b.status, b.stderr).toBe(0);
}, 120_000);
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function run(args: readonly string[], cache: string, debug = false) {
  const env: NodeJS.ProcessEnv = { ...process.env, NFDOCTOR_COMPILE_CACHE: cache, NO_COLOR: '1' };
  delete env.NFDOCTOR_DEBUG;
  if (debug) {
    env.NFDOCTOR_DEBUG = '1';
  }
  const r = spawnSync(process.execPath, [BUNDLE, ...args], { encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const DIAGNOSE = ['diagnose', '--snapshot', SNAPSHOT, '--format', 'json'];

describe('the bundle launcher', () => {
  it('is a third of the program it carries, and answers --version without touching the cache', () => {
    const cache = join(scratch, 'version-cache');
    expect(readFileSync(BUNDLE).length).toBeLessThan(400_000);
    const r = run(['--version'], cache);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect(() => readdirSync(cache)).toThrow(/ENOENT/);
  });

  it('gives the same output, status and stderr with a cold cache, a warm one and none', () => {
    const cache = join(scratch, 'cache');
    const none = run(DIAGNOSE, 'off');
    expect(none.status).toBe(1);
    const cold = run(DIAGNOSE, cache, true);
    expect(cold.stderr).toContain('compile cache miss');
    expect(cold.stderr).toContain('compile cache written');
    const files = readdirSync(cache).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^code-[0-9a-f]{16}-v\d+\.\d+\.\d+-\w+-diagnose\.bin$/);
    expect(files[1]).toMatch(/^program-[0-9a-f]{16}\.js$/);
    const warm = run(DIAGNOSE, cache, true);
    expect(warm.stderr).toContain('compile cache hit');
    expect(warm.stderr).not.toContain('written');
    const quiet = run(DIAGNOSE, cache);
    for (const r of [cold, warm, quiet]) {
      expect(r.status).toBe(none.status);
      expect(r.stdout).toBe(none.stdout);
    }
    expect(quiet.stderr).toBe(none.stderr);
  });

  it('recompiles and rewrites cached data that V8 rejects, and ignores files others could have written', () => {
    const cache = join(scratch, 'damaged');
    const reference = run(DIAGNOSE, 'off');
    run(DIAGNOSE, cache);
    const code = readdirSync(cache).find((f) => f.startsWith('code-'));
    expect(code).toBeDefined();
    writeFileSync(join(cache, code ?? ''), Buffer.alloc(4096, 7));
    const rejected = run(DIAGNOSE, cache, true);
    expect(rejected.stderr).toContain('compile cache rejected');
    expect(rejected.stderr).toContain('compile cache written');
    expect(rejected.stdout).toBe(reference.stdout);
    expect(run(DIAGNOSE, cache, true).stderr).toContain('compile cache hit');
    // A program file others could have written is not run: the launcher inflates its own copy and puts it
    // back with safe permissions.
    const program = join(cache, readdirSync(cache).find((f) => f.startsWith('program-')) ?? '');
    const original = readFileSync(program);
    writeFileSync(program, Buffer.from(original).fill(0x20, 100, 120));
    chmodSync(program, 0o666);
    const tampered = run(DIAGNOSE, cache, true);
    expect(tampered.stderr).toContain('compile cache miss');
    expect(tampered.stdout).toBe(reference.stdout);
    expect(readFileSync(program).equals(original)).toBe(true);
    expect(statSync(program).mode & 0o777).toBe(0o600);
  });

  // Writing to a pipe another process made non-blocking ends in EAGAIN once the pipe is full; the rest then
  // goes through process.stdout, and the process must not exit before it has drained (main.ts).
  it.skipIf(!HAS_PYTHON)('delivers a 400 KB report whole through a non-blocking pipe read late', () => {
    const rules = join(scratch, 'bad.rules');
    const bad = Array.from({ length: 2000 }, () => '-A INPUT -p tcp --dport 99999 -j ACCEPT');
    writeFileSync(rules, ['*filter', ':INPUT ACCEPT [0:0]', ...bad, 'COMMIT', ''].join('\n'));
    const args = [
      'check',
      rules,
      '--kernel',
      join(ROOT, 'fixtures/kernels/6.1.0-56-cloud-amd64'),
      '--format',
      'json',
    ];
    const direct = run(args, 'off');
    expect(direct.stdout.length).toBeGreaterThan(256 * 1024);
    const slow = spawnSync('python3', ['-c', SLOW_NON_BLOCKING_READER, process.execPath, BUNDLE, ...args], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(slow.stderr).toBe('status 1\n');
    expect(slow.stdout).toBe(direct.stdout);
  });
});
