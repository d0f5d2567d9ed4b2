import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMemoryDevice } from './terminal.ts';

const ROOT = join(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');
const SNAPSHOT = join(ROOT, 'fixtures/hosts/missing-xt-recent.tar.gz');
const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;
const LINUX = process.platform === 'linux';

/** dev_t as glibc's gnu_dev_makedev() builds it. */
const makedev = (major: number, minor: number): number =>
  (((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12)) + (major & ~0xfff) * 2 ** 32;

/**
 * A preload that counts calls of tty.isatty(1) and reports them at exit on fd 2 (tsx itself loads node:tty,
 * so whether the module is loaded says nothing here).
 */
const COUNT_ISATTY = `
const tty = require('node:tty');
const isatty = tty.isatty;
let asked = 0;
tty.isatty = (fd) => { if (fd === 1) asked++; return isatty(fd); };
process.on('exit', () => require('node:fs').writeSync(2, 'isatty(1) asked ' + asked + ' time(s)\\n'));
`;

/** The environment without NO_COLOR: the colour decision, and so the terminal test, happens only then. */
function withoutNoColor(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.NO_COLOR;
  return env;
}

describe('isMemoryDevice', () => {
  it.skipIf(!LINUX)('knows /dev/null and /dev/zero', () => {
    expect(isMemoryDevice(statSync('/dev/null').rdev)).toBe(true);
    expect(isMemoryDevice(statSync('/dev/zero').rdev)).toBe(true);
  });

  it('takes major 1 only, decoding the high bits of the major too', () => {
    expect(isMemoryDevice(makedev(1, 3), 'linux')).toBe(true);
    expect(isMemoryDevice(makedev(1, 300), 'linux')).toBe(true);
    expect(isMemoryDevice(makedev(136, 0), 'linux')).toBe(false); // /dev/pts/0
    expect(isMemoryDevice(makedev(4, 1), 'linux')).toBe(false); // /dev/tty1
    expect(isMemoryDevice(makedev(5, 0), 'linux')).toBe(false); // /dev/tty
    expect(isMemoryDevice(makedev(4097, 0), 'linux')).toBe(false); // major 4097: 1 in the low bits only
    expect(isMemoryDevice(makedev(1, 3), 'darwin')).toBe(false);
  });
});

describe('stdoutIsTerminal', () => {
  it.skipIf(!LINUX)('answers for /dev/null without asking node:tty (which loads net)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nfdoctor-terminal-'));
    const preload = join(dir, 'count-isatty.cjs');
    writeFileSync(preload, COUNT_ISATTY);
    const devNull = openSync('/dev/null', 'w');
    try {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', '-r', preload, MAIN, 'diagnose', '--snapshot', SNAPSHOT],
        { encoding: 'utf8', stdio: ['ignore', devNull, 'pipe'], env: withoutNoColor() },
      );
      expect(r.stderr).toBe('isatty(1) asked 0 time(s)\n');
      expect(r.status).toBe(1);
    } finally {
      closeSync(devNull);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!LINUX || !HAS_SCRIPT)('still colours the report on a terminal', () => {
    const env = withoutNoColor();
    const cmd = [process.execPath, '--import', 'tsx', MAIN, 'diagnose', '--snapshot', SNAPSHOT]
      .map((w) => `'${w}'`)
      .join(' ');
    // script(1) gives the child a real pseudo-terminal.
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env });
    expect(r.stdout).toContain('\x1b[');
  });
});
