// Test helper: writes raw tar archives byte by byte, so tests can build the hostile archives node-tar's
// own writer refuses to make (absolute names, "..", devices, escaping links, lying size fields).
import { gzipSync } from 'node:zlib';

export interface RawEntry {
  readonly name: string;
  /** ustar typeflag: '0' file, '1' hard link, '2' symlink, '3' char dev, '4' block dev, '5' dir, '6' fifo. */
  readonly type?: string;
  readonly data?: Buffer | string;
  readonly linkname?: string;
  /** Size written in the header when it should lie about the data. */
  readonly declaredSize?: number;
  /** Emit a PAX header carrying the name (for names longer than 100 bytes or with odd bytes). */
  readonly pax?: boolean;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, type: string, size: number, linkname: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type.slice(0, 1), 156, 'latin1');
  h.write(linkname.slice(0, 100), 157, 'utf8');
  h.write('ustar\u000000', 257, 'latin1');
  let sum = 0;
  for (const b of h) {
    sum += b;
  }
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function pad(data: Buffer): Buffer {
  const rem = data.length % 512;
  return rem === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rem)]);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bl = Buffer.byteLength(body);
  let len = bl + String(bl).length;
  if (String(len).length !== String(len - bl).length) {
    len = bl + String(len).length;
  }
  return `${len}${body}`;
}

export function buildTar(entries: readonly RawEntry[], opts: { eof?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    if (e.pax === true) {
      const rec = Buffer.from(
        paxRecord('path', e.name) + (e.linkname ? paxRecord('linkpath', e.linkname) : ''),
      );
      parts.push(header('PaxHeader', 'x', rec.length, ''), pad(rec));
    }
    parts.push(header(e.name, e.type ?? '0', e.declaredSize ?? data.length, e.linkname ?? ''), pad(data));
  }
  if (opts.eof !== false) {
    parts.push(Buffer.alloc(1024));
  }
  return Buffer.concat(parts);
}

export function buildTarGz(entries: readonly RawEntry[], opts: { eof?: boolean } = {}): Buffer {
  return gzipSync(buildTar(entries, opts));
}

/** A minimal valid snapshot: manifest, empty tables, optional extra entries. */
export function minimalSnapshotEntries(manifest: Record<string, unknown> = {}): RawEntry[] {
  const m = {
    schemaVersion: 1,
    collector: 'nfdoctor-collect.sh',
    collectorVersion: '0.1.0',
    time: '2026-01-01T00:00:00Z',
    hostname: 'test',
    uname: 'Linux test 6.1.0 x86_64',
    root: null,
    uid: 0,
    kernelReleases: ['6.1.0'],
    commands: [],
    warnings: [],
    ...manifest,
  };
  return [
    { name: 'manifest.json', data: JSON.stringify(m) },
    { name: 'files.tsv', data: '' },
    { name: 'dirs.tsv', data: '' },
    { name: 'listings.tsv', data: '' },
    { name: 'links.tsv', data: '' },
  ];
}
