// readPiecewiseInput (how `check` reads rules files) against readTextInput (the whole file at once):
// the pieces join to the same text, each ends at a line end, blankness and refusals are the same.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPiecewiseInput, readTextInput, requireSystemRoot } from './read-input.ts';

const SAMPLES = join(import.meta.dirname, '..', 'parsers', '__samples__', 'iptables-save');
const WHAT = 'an iptables-save rules file';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nfd-read-input-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function expectSameAsWhole(path: string): string[] {
  const whole = readTextInput(path, WHAT);
  const read = readPiecewiseInput(path, WHAT);
  const pieces = [...read.pieces()];
  expect(pieces.join('')).toBe(whole);
  expect([...read.pieces()]).toEqual(pieces); // every pass reads the file again
  for (const p of pieces.slice(0, -1)) {
    expect(p.endsWith('\n')).toBe(true);
  }
  expect(read.blank).toBe(whole.trim() === '');
  return pieces;
}

function refusal(read: () => unknown): string {
  try {
    read();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

describe('readPiecewiseInput', () => {
  it('gives the text of every real sample', () => {
    for (const name of readdirSync(SAMPLES)) {
      expectSameAsWhole(join(SAMPLES, name));
    }
  });

  it('cuts a big file into pieces at line ends, never inside a UTF-8 character', () => {
    const line = '-A INPUT -m comment --comment "é€😀 x" -j ACCEPT\n';
    for (let shift = 0; shift < 8; shift++) {
      const text = `${'#'.repeat(shift)}\n${line.repeat(6000)}`;
      const pieces = expectSameAsWhole(file(`utf8-${shift}.v4`, text));
      expect(pieces.length).toBeGreaterThan(3);
    }
  });

  it('handles lines longer than its buffer, CR LF, a byte order mark, no final newline', () => {
    expectSameAsWhole(file('long.v4', `*filter\n# ${'x'.repeat(300_000)}\nCOMMIT\n`));
    expectSameAsWhole(file('one-long-line.v4', 'y'.repeat(200_000)));
    expectSameAsWhole(file('crlf.v4', '*filter\r\n-A INPUT -j ACCEPT\r\n'.repeat(5000)));
    expectSameAsWhole(file('bom.v4', '\uFEFF*filter\nCOMMIT\n'));
    expectSameAsWhole(file('no-newline.v4', '*filter\nCOMMIT'));
    expectSameAsWhole(file('latin1.v4', Buffer.from('*filter\n# caf\u00e9\nCOMMIT\n', 'latin1')));
  });

  it('says blank as trim() does, Unicode white space included', () => {
    expect(readPiecewiseInput(file('empty.v4', ''), WHAT).blank).toBe(true);
    expect(readPiecewiseInput(file('spaces.v4', ' \n\t\r\n'.repeat(30_000)), WHAT).blank).toBe(true);
    expect(readPiecewiseInput(file('nbsp.v4', '\u00a0\n\u2028\n\uFEFF'), WHAT).blank).toBe(true);
    expect(readPiecewiseInput(file('late.v4', `${' \n'.repeat(70_000)}x`), WHAT).blank).toBe(false);
    expectSameAsWhole(file('late2.v4', `${' \n'.repeat(70_000)}x`));
  });

  it('reads a pipe once, whole (check <(iptables-save))', async () => {
    const text = '*filter\n-A INPUT -j ACCEPT\n'.repeat(10_000);
    const source = file('pipe-source.v4', text);
    const fifo = join(dir, 'pipe.v4');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('cp', [source, fifo]);
    const read = readPiecewiseInput(fifo, WHAT);
    expect(read.blank).toBe(false);
    expect([...read.pieces()].join('')).toBe(text);
    expect([...read.pieces()].join('')).toBe(text);
    await new Promise((resolve) => writer.on('close', resolve));
  });

  it('refuses what readTextInput refuses, with the same message', () => {
    const nul = file('nul.v4', Buffer.concat([Buffer.from('*filter\n'.repeat(20_000)), Buffer.from([0])]));
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    for (const path of [nul, sub, join(dir, 'missing.v4')]) {
      const whole = refusal(() => readTextInput(path, WHAT));
      expect(whole).not.toBe('no error');
      expect(refusal(() => readPiecewiseInput(path, WHAT))).toBe(whole);
    }
  });
});

describe('requireSystemRoot', () => {
  it('takes a directory with etc/ in it', () => {
    const root = join(dir, 'system-root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    expect(
      refusal(() => {
        requireSystemRoot(root);
      }),
    ).toBe('no error');
  });

  it('refuses an empty directory (a mount point without its disk), a file, etc/ as a file, and a missing path', () => {
    const empty = join(dir, 'mount-point');
    mkdirSync(empty);
    const etcFile = join(dir, 'etc-is-a-file');
    mkdirSync(etcFile);
    writeFileSync(join(etcFile, 'etc'), '');
    const notMounted = "has no etc/ directory: not a system's root filesystem (is the disk mounted there?)";
    expect(
      refusal(() => {
        requireSystemRoot(empty);
      }),
    ).toBe(`${empty}: ${notMounted}`);
    expect(
      refusal(() => {
        requireSystemRoot(etcFile);
      }),
    ).toBe(`${etcFile}: ${notMounted}`);
    const plain = file('plain-file', 'x');
    expect(
      refusal(() => {
        requireSystemRoot(plain);
      }),
    ).toBe(`${plain}: is not a directory, expected a filesystem root`);
    expect(
      refusal(() => {
        requireSystemRoot(join(dir, 'absent'));
      }),
    ).toBe(`${join(dir, 'absent')}: no such file`);
  });
});
