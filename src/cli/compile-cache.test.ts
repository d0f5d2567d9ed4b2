import { afterAll, describe, expect, it } from 'vitest';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import {
  cacheDirectory,
  cacheCommand,
  codeCacheFileName,
  embeddedProgram,
  embedProgram,
  ownedAndPrivate,
  PROGRAM_MARKER,
  readTrustedFile,
  worthCaching,
  wrapProgram,
  writeTrustedFile,
} from './compile-cache.ts';

const scratch = mkdtempSync(join(tmpdir(), 'nfdoctor-compile-cache-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});
const isRoot = process.geteuid?.() === 0;

describe('cacheDirectory', () => {
  it('follows NFDOCTOR_COMPILE_CACHE, then XDG_CACHE_HOME, then HOME', () => {
    expect(cacheDirectory({ NFDOCTOR_COMPILE_CACHE: 'off', HOME: '/root' })).toBeUndefined();
    expect(cacheDirectory({ NFDOCTOR_COMPILE_CACHE: '0', HOME: '/root' })).toBeUndefined();
    expect(cacheDirectory({ NFDOCTOR_COMPILE_CACHE: '/srv/c', HOME: '/root' })).toBe('/srv/c');
    expect(cacheDirectory({ XDG_CACHE_HOME: '/x', HOME: '/root' })).toBe('/x/nfdoctor');
    expect(cacheDirectory({ HOME: '/home/ann' })).toBe('/home/ann/.cache/nfdoctor');
  });

  it('ignores relative paths (the XDG spec) and has no cache without a real HOME (system services)', () => {
    expect(cacheDirectory({ NFDOCTOR_COMPILE_CACHE: 'c', XDG_CACHE_HOME: 'x', HOME: '/home/ann' })).toBe(
      '/home/ann/.cache/nfdoctor',
    );
    expect(cacheDirectory({ HOME: '/' })).toBeUndefined();
    expect(cacheDirectory({ HOME: 'relative' })).toBeUndefined();
    expect(cacheDirectory({})).toBeUndefined();
  });
});

describe('which runs keep their compiled code', () => {
  it('keeps help apart from the command it is about', () => {
    expect(cacheCommand(['diagnose', '--snapshot', 'x.tar.gz'])).toBe('diagnose');
    expect(cacheCommand(['diagnose', '--help'])).toBe('help');
    expect(cacheCommand(['check', '-h'])).toBe('help');
    expect(cacheCommand([])).toBeUndefined();
  });

  it('keeps only runs that did their work: status 0, or 1 for findings; not a usage or input error', () => {
    expect([0, 1, 2, 3].map(worthCaching)).toEqual([true, true, false, false]);
  });
});

describe('codeCacheFileName', () => {
  it('keeps one file per build, Node, architecture and command, and never takes a path from argv', () => {
    expect(codeCacheFileName('abc', 'diagnose', 'v20.1.0', 'x64')).toBe('code-abc-v20.1.0-x64-diagnose.bin');
    expect(codeCacheFileName('abc', '../../etc/passwd', 'v20.1.0', 'x64')).toBe(
      'code-abc-v20.1.0-x64-other.bin',
    );
    expect(codeCacheFileName('abc', undefined, 'v20.1.0', 'x64')).toBe('code-abc-v20.1.0-x64-other.bin');
  });
});

describe('ownedAndPrivate', () => {
  it('trusts only what the user owns and nobody else can write', () => {
    expect(ownedAndPrivate({ uid: 5, mode: 0o100600 }, 5)).toBe(true);
    expect(ownedAndPrivate({ uid: 5, mode: 0o40755 }, 5)).toBe(true);
    expect(ownedAndPrivate({ uid: 6, mode: 0o100600 }, 5)).toBe(false);
    expect(ownedAndPrivate({ uid: 5, mode: 0o100620 }, 5)).toBe(false);
    expect(ownedAndPrivate({ uid: 5, mode: 0o100602 }, 5)).toBe(false);
  });
});

describe('embedProgram and embeddedProgram', () => {
  const program = 'module.exports = /a*/.test("*/");\n// a comment end: */\nconst s = `x\n*/\n`;';

  it('gives back the wrapped program byte for byte, comment ends included', () => {
    const wrapped = wrapProgram(program);
    const bundle = Buffer.from(embedProgram('#!/usr/bin/env node\nlauncher();\n', wrapped), 'latin1');
    expect(embeddedProgram(bundle, wrapped.length)?.equals(wrapped)).toBe(true);
    // The bundle is valid JavaScript whatever the program holds: the payload is base64 in one comment.
    expect(() => new Script(bundle.toString('latin1').replace(/^#!.*\n/, ''))).not.toThrow();
  });

  it('refuses a damaged payload or one of another length', () => {
    const wrapped = wrapProgram(program);
    const text = embedProgram('launcher();\n', wrapped);
    const at = text.indexOf(PROGRAM_MARKER) + PROGRAM_MARKER.length + 10;
    const damaged = Buffer.from(`${text.slice(0, at)}AAAA${text.slice(at + 4)}`, 'latin1');
    expect(embeddedProgram(damaged, wrapped.length)).toBeUndefined();
    expect(embeddedProgram(Buffer.from(text, 'latin1'), wrapped.length - 1)).toBeUndefined();
    expect(embeddedProgram(Buffer.from('launcher();\n', 'latin1'), wrapped.length)).toBeUndefined();
  });

  it('refuses a launcher that holds the marker itself', () => {
    expect(() =>
      embedProgram(`x(${JSON.stringify(PROGRAM_MARKER)})${PROGRAM_MARKER}`, wrapProgram(program)),
    ).toThrow(/marker/);
  });
});

describe('readTrustedFile and writeTrustedFile', () => {
  it('writes a private file into a private directory it creates, and reads it back', () => {
    const dir = join(scratch, 'new', 'nfdoctor');
    const path = join(dir, 'code-id1-v-x-diagnose.bin');
    expect(writeTrustedFile(path, Buffer.from('data'), 'id1')).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readTrustedFile(path)?.toString()).toBe('data');
    expect(readTrustedFile(path, 4)?.toString()).toBe('data');
    expect(readTrustedFile(path, 5)).toBeUndefined();
  });

  it('keeps the files of the four most recent builds (two installs used in turn both stay warm)', () => {
    const dir = join(scratch, 'cleanup');
    mkdirSync(dir, { mode: 0o700 });
    const ids = ['a1', 'a2', 'a3', 'a4', 'a5'];
    ids.forEach((id, i) => {
      writeFileSync(join(dir, `program-${id}.js`), 'p');
      writeFileSync(join(dir, `code-${id}-v-x-diagnose.bin`), 'c');
      utimesSync(join(dir, `program-${id}.js`), 1_000_000 + i, 1_000_000 + i);
    });
    writeFileSync(join(dir, 'unrelated'), 'x');
    expect(writeTrustedFile(join(dir, 'program-a1.js'), Buffer.from('p'), 'a1')).toBe(true);
    // a1 is the one being written; a5, a4, a3 are the most recent others; a2 goes.
    expect(readdirSync(dir).filter((n) => n.includes('-a2'))).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.includes('-a3') || n.includes('-a1'))).toHaveLength(4);
    expect(writeTrustedFile(join(dir, 'code-b1-v-x-check.bin'), Buffer.from('c'), 'b1')).toBe(true);
    // b1 has no saved program yet: a1, a5, a4 stay, a3 goes.
    expect(readdirSync(dir).sort()).toEqual([
      'code-a1-v-x-diagnose.bin',
      'code-a4-v-x-diagnose.bin',
      'code-a5-v-x-diagnose.bin',
      'code-b1-v-x-check.bin',
      'program-a1.js',
      'program-a4.js',
      'program-a5.js',
      'unrelated',
    ]);
  });

  it('does not read a file others can write, a symlink, or a missing file', () => {
    const dir = join(scratch, 'untrusted');
    mkdirSync(dir, { mode: 0o700 });
    const open = join(dir, 'open.bin');
    writeFileSync(open, 'data', { mode: 0o600 });
    chmodSync(open, 0o666);
    expect(readTrustedFile(open)).toBeUndefined();
    const target = join(dir, 'target.bin');
    writeFileSync(target, 'data', { mode: 0o600 });
    symlinkSync(target, join(dir, 'link.bin'));
    expect(readTrustedFile(target)?.toString()).toBe('data');
    expect(readTrustedFile(join(dir, 'link.bin'))).toBeUndefined();
    expect(readTrustedFile(join(dir, 'missing.bin'))).toBeUndefined();
  });

  it('does not write into a directory others can write', () => {
    const dir = join(scratch, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect(writeTrustedFile(join(dir, 'program-id3.js'), Buffer.from('p'), 'id3')).toBe(false);
    expect(existsSync(join(dir, 'program-id3.js'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.skipIf(!isRoot)('does not read a file another user owns, nor write into their directory', () => {
    const dir = join(scratch, 'nobody');
    mkdirSync(dir, { mode: 0o700 });
    const path = join(dir, 'code.bin');
    writeFileSync(path, 'data', { mode: 0o600 });
    chownSync(path, 65534, 65534);
    expect(readTrustedFile(path)).toBeUndefined();
    chownSync(dir, 65534, 65534);
    expect(writeTrustedFile(join(dir, 'program-id4.js'), Buffer.from('p'), 'id4')).toBe(false);
  });
});
