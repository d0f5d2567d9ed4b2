import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Parser } from 'tar/parse';
import type { ReadEntry } from 'tar/read-entry';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTar, minimalSnapshotEntries } from './test-tar.ts';
import { parsePaxRecords, tarEntries, TarFormatError, type TarEntry } from './tar-read.ts';

interface Seen {
  readonly name: string;
  readonly kind: string;
  readonly linkname: string;
  readonly data: string;
}

const ours = (tar: Buffer): Seen[] =>
  [...tarEntries(tar)].map((e: TarEntry) => ({
    name: e.name,
    kind: e.type,
    linkname: e.type === 'symlink' || e.type === 'hardlink' ? e.linkname : '',
    data: e.type === 'file' ? e.data.toString('latin1') : '',
  }));

const NODE_TAR_KIND: Readonly<Record<string, string>> = {
  File: 'file',
  OldFile: 'file',
  ContiguousFile: 'file',
  Directory: 'directory',
  SymbolicLink: 'symlink',
  Link: 'hardlink',
  CharacterDevice: 'character-device',
  BlockDevice: 'block-device',
  FIFO: 'fifo',
};

/** The same archive through node-tar's strict parser: the reference this reader replaced. */
function nodeTar(tar: Buffer): Seen[] {
  const out: { name: string; kind: string; linkname: string; chunks: Buffer[] }[] = [];
  const p = new Parser({
    strict: true,
    onReadEntry: (e: ReadEntry) => {
      const rec = {
        name: e.path,
        kind: NODE_TAR_KIND[e.type] ?? 'unsupported',
        linkname: e.type === 'SymbolicLink' || e.type === 'Link' ? (e.linkpath ?? '') : '',
        chunks: [] as Buffer[],
      };
      out.push(rec);
      e.on('data', (c: Buffer) => rec.chunks.push(c));
    },
  });
  p.end(tar);
  return out.map((r) => ({
    name: r.name,
    kind: r.kind,
    linkname: r.linkname,
    data: r.kind === 'file' ? Buffer.concat(r.chunks).toString('latin1') : '',
  }));
}

const work = mkdtempSync(join(tmpdir(), 'nfd-tar-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** A tree with what GNU tar must encode specially: a 180-byte path, a long symlink target, UTF-8, empty files. */
function makeTree(): string {
  const root = join(work, `tree-${readdirSync(work).length}`);
  const deep = join(root, 'root', 'usr', 'lib', 'a'.repeat(60), 'b'.repeat(60));
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, 'netfilter-persistent.service'), '[Unit]\nDescription=x\n');
  writeFileSync(join(root, 'root', 'empty'), '');
  writeFileSync(join(root, 'root', 'größe.conf'), 'ü\n');
  writeFileSync(join(root, 'manifest.json'), '{}\n'.repeat(300));
  symlinkSync(`../${'c'.repeat(120)}/target`, join(root, 'root', 'longlink'));
  symlinkSync('usr/lib', join(root, 'root', 'lib'));
  return root;
}

function gnuTar(format: string): Buffer {
  const root = makeTree();
  return execFileSync(
    'tar',
    [`--format=${format}`, '-C', root, '-cf', '-', '--sort=name', 'manifest.json', 'root'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

describe('tar reader on archives written by the real tar programs', () => {
  for (const format of ['gnu', 'pax', 'ustar', 'oldgnu']) {
    it(`GNU tar --format=${format}: same entries as node-tar`, () => {
      let tar: Buffer;
      try {
        tar = gnuTar(format);
      } catch (e) {
        // ustar cannot hold a 120-byte link target: GNU tar refuses, which is the format's limit, not ours.
        expect(format).toBe('ustar');
        expect(String(e)).toMatch(/too long|Command failed/);
        return;
      }
      const seen = ours(tar);
      expect(seen).toEqual(nodeTar(tar));
      const names = seen.map((e) => e.name);
      expect(names.some((n) => n.endsWith(`${'b'.repeat(60)}/netfilter-persistent.service`))).toBe(true);
      expect(seen.find((e) => e.name === 'root/größe.conf')?.data).toBe(
        Buffer.from('ü\n').toString('latin1'),
      );
      expect(seen.find((e) => e.name === 'root/longlink')?.linkname).toBe(`../${'c'.repeat(120)}/target`);
    });
  }

  it('busybox tar: same entries as node-tar', () => {
    const root = makeTree();
    let tar: Buffer;
    try {
      tar = execFileSync('busybox', ['tar', '-C', root, '-cf', '-', 'manifest.json', 'root'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch {
      return; // no busybox on this machine: the GNU cases above still ran
    }
    expect(ours(tar)).toEqual(nodeTar(tar));
  });

  it('every committed snapshot (GNU tar from the collector): same entries as node-tar', () => {
    const dir = new URL('../../fixtures/hosts/', import.meta.url);
    const names = readdirSync(dir).filter((f) => f.endsWith('.tar.gz'));
    for (const f of names) {
      const tar = gunzipSync(readFileSync(new URL(f, dir)));
      expect(ours(tar)).toEqual(nodeTar(tar));
    }
    expect(names.length).toBeGreaterThan(10);
  });
});

describe('tar reader: structure errors', () => {
  const valid = buildTar(minimalSnapshotEntries());

  it('rejects a header whose checksum does not match', () => {
    const bad = Buffer.from(valid);
    bad[10] = bad[10]! ^ 0x01;
    expect(() => [...tarEntries(bad)]).toThrow(/checksum mismatch at byte 0/);
  });

  it('rejects an entry whose data runs past the end', () => {
    const cut = valid.subarray(0, 512 + 10);
    expect(() => [...tarEntries(cut)]).toThrow(TarFormatError);
    expect(() => [...tarEntries(cut)]).toThrow(/truncated tar entry "manifest.json"/);
  });

  it('rejects a partial header block and a non-octal size', () => {
    expect(() => [...tarEntries(Buffer.alloc(100, 0x41))]).toThrow(/truncated tar header/);
    const bad = Buffer.from(valid);
    bad.write('9', 124, 'latin1');
    expect(() => [...tarEntries(bad)]).toThrow(TarFormatError);
  });

  it('stops at the first zero block and at a short zero tail', () => {
    const withTail = Buffer.concat([valid.subarray(0, 1024), Buffer.alloc(512), Buffer.from('garbage')]);
    expect([...tarEntries(withTail)].map((e) => e.name)).toEqual(['manifest.json']);
    expect([...tarEntries(Buffer.alloc(100))]).toEqual([]);
  });

  it('reads GNU base-256 sizes and rejects negative ones', () => {
    const tar = buildTar([{ name: 'root/x', data: 'abc' }]);
    const h = Buffer.from(tar);
    h.fill(0, 124, 136);
    h[124] = 0x80;
    h[135] = 3;
    fixChecksum(h, 0);
    expect([...tarEntries(h)][0]?.data.toString()).toBe('abc');
    h[124] = 0xff;
    fixChecksum(h, 0);
    expect(() => [...tarEntries(h)]).toThrow(/negative size/);
  });

  it('caps pax and long-name records at 64 KiB', () => {
    const tar = buildTar([{ name: `root/${'x'.repeat(70 * 1024)}`, pax: true, data: 'x' }]);
    expect(() => [...tarEntries(tar)]).toThrow(/oversized tar header entry/);
  });

  it('parses pax records and rejects malformed ones', () => {
    expect([...parsePaxRecords(Buffer.from('31 path=root/a/b/c/d/e/f/g/h/i\n'))]).toEqual([
      ['path', 'root/a/b/c/d/e/f/g/h/i'],
    ]);
    expect(() => parsePaxRecords(Buffer.from('99 path=x\n'))).toThrow(/malformed pax/);
    expect(() => parsePaxRecords(Buffer.from('9 path=xy\n'))).toThrow(/malformed pax/);
    expect([...parsePaxRecords(Buffer.from('9 path=x\n'))]).toEqual([['path', 'x']]);
    expect(() => parsePaxRecords(Buffer.from('7 =abc\n'))).toThrow(/malformed pax/);
  });

  it('any byte flipped or cut in a valid archive: entries or a TarFormatError, nothing else', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: valid.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.nat({ max: valid.length }),
        (at, xor, cut) => {
          const b = Buffer.from(valid);
          b[at] = b[at]! ^ xor;
          for (const t of [b, b.subarray(0, cut)]) {
            try {
              expect([...tarEntries(t)]).toBeInstanceOf(Array);
            } catch (e) {
              expect(e).toBeInstanceOf(TarFormatError);
              expect((e as Error).message).not.toContain('\n');
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

function fixChecksum(h: Buffer, off: number): void {
  h.fill(0x20, off + 148, off + 156);
  let sum = 0;
  for (let i = off; i < off + 512; i += 1) {
    sum += h[i]!;
  }
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, off + 148, 'latin1');
}
