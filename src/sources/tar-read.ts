// Reads the entries of an uncompressed tar archive held in memory: POSIX ustar (name prefix), GNU tar's
// format (the collector's `tar` on Debian/RHEL: "ustar  " magic, 'L'/'K' long names, base-256 sizes) and
// pax extended headers ('x'; 'g' is read and ignored). Nothing is interpreted beyond what a snapshot needs:
// names, type, size, link target and the data, which is a view into `data` (no copy).
// Format: POSIX.1-2017 pax(1) "ustar Interchange Format" and "pax Header Block"; GNU tar manual, "Basic Tar
// Format" (the 'L'/'K' entries and the base-256 number encoding).

export type TarEntryType =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'hardlink'
  | 'character-device'
  | 'block-device'
  | 'fifo'
  | 'unsupported';

export interface TarEntry {
  readonly name: string;
  readonly type: TarEntryType;
  /** The header's typeflag byte as stored ("0", "5", "Z" ...). */
  readonly typeflag: string;
  readonly size: number;
  readonly linkname: string;
  readonly data: Buffer;
}

/** A problem in the tar structure itself; the message is one line, without the file name. */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

const BLOCK = 512;
/** Cap on a pax or GNU long-name record: names and link targets, never data. */
export const MAX_META_BYTES = 64 * 1024;

const TYPES: Readonly<Record<string, TarEntryType>> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
};

/** A NUL-terminated (or full-width) string field. */
function field(buf: Buffer, off: number, width: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString('utf8', off, end === -1 || end > off + width ? off + width : end);
}

/** A numeric field: octal digits ended by NUL or space, or GNU base-256 when the first byte's high bit is set. */
function number(buf: Buffer, off: number, width: number, what: string): number {
  if (((buf[off] ?? 0) & 0x80) !== 0) {
    if (((buf[off] ?? 0) & 0x40) !== 0) {
      throw new TarFormatError(`negative ${what} in a tar header`);
    }
    let n = (buf[off] ?? 0) & 0x3f;
    for (let i = off + 1; i < off + width; i += 1) {
      n = n * 256 + (buf[i] ?? 0);
    }
    if (!Number.isSafeInteger(n)) {
      throw new TarFormatError(`${what} too large in a tar header`);
    }
    return n;
  }
  let i = off;
  const end = off + width;
  while (i < end && buf[i] === 0x20) {
    i += 1;
  }
  let n = 0;
  let digits = 0;
  for (; i < end; i += 1) {
    const c = buf[i] ?? 0;
    if (c >= 0x30 && c <= 0x37) {
      n = n * 8 + (c - 0x30);
      digits += 1;
    } else if (c === 0 || c === 0x20) {
      break;
    } else {
      throw new TarFormatError(`invalid ${what} field in a tar header`);
    }
  }
  return digits === 0 ? -1 : n;
}

function isZeroBlock(buf: Buffer, off: number): boolean {
  for (let i = off; i < off + BLOCK; i += 1) {
    if (buf[i] !== 0) {
      return false;
    }
  }
  return true;
}

/** The header checksum: the unsigned sum of its bytes with the checksum field read as eight spaces. */
function checksumOk(buf: Buffer, off: number): boolean {
  let sum = 8 * 0x20;
  for (let i = off; i < off + 148; i += 1) {
    sum += buf[i] ?? 0;
  }
  for (let i = off + 156; i < off + BLOCK; i += 1) {
    sum += buf[i] ?? 0;
  }
  return number(buf, off + 148, 8, 'checksum') === sum;
}

/** pax extended header records: "LENGTH KEY=VALUE\n", LENGTH counting the whole record in bytes. */
export function parsePaxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) {
      break;
    }
    const space = data.indexOf(0x20, off);
    const len = space === -1 ? NaN : Number(data.toString('latin1', off, space));
    if (
      !Number.isInteger(len) ||
      len <= space - off + 1 ||
      off + len > data.length ||
      data[off + len - 1] !== 0x0a
    ) {
      throw new TarFormatError('malformed pax extended header record');
    }
    const record = data.toString('utf8', space + 1, off + len - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) {
      throw new TarFormatError('malformed pax extended header record');
    }
    out.set(record.slice(0, eq), record.slice(eq + 1));
    off += len;
  }
  return out;
}

/** The data of a pax or GNU long-name entry: capped, and all there. */
function metaData(buf: Buffer, off: number, size: number, typeflag: string): Buffer {
  if (size > MAX_META_BYTES) {
    throw new TarFormatError(`oversized tar header entry (type ${JSON.stringify(typeflag)}, ${size} bytes)`);
  }
  const start = off + BLOCK;
  if (start + size > buf.length) {
    throw new TarFormatError(`truncated tar entry at byte ${off}`);
  }
  return buf.subarray(start, start + size);
}

/**
 * Every entry of the archive in order, pax and GNU long names applied. Stops at the first all-zero block
 * (GNU tar does the same without --ignore-zeros) or at the end of the data. Throws TarFormatError on a bad
 * checksum, a malformed number, an entry running past the end, or an oversized meta entry.
 */
export function* tarEntries(buf: Buffer): Generator<TarEntry> {
  let off = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  while (off < buf.length) {
    if (buf.length - off < BLOCK) {
      if (buf.subarray(off).every((b) => b === 0)) {
        return;
      }
      throw new TarFormatError(`truncated tar header at byte ${off}`);
    }
    if (isZeroBlock(buf, off)) {
      return;
    }
    if (!checksumOk(buf, off)) {
      throw new TarFormatError(`tar header checksum mismatch at byte ${off}`);
    }
    const typeflag = String.fromCharCode(buf[off + 156] ?? 0);
    let size = number(buf, off + 124, 12, 'size');
    if (size < 0) {
      throw new TarFormatError(`missing size in the tar header at byte ${off}`);
    }
    const start = off + BLOCK;
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      const meta = metaData(buf, off, size, typeflag);
      if (typeflag === 'x') {
        pax = parsePaxRecords(meta);
      } else if (typeflag === 'g') {
        parsePaxRecords(meta);
      } else if (typeflag === 'L') {
        longName = field(meta, 0, meta.length);
      } else {
        longLink = field(meta, 0, meta.length);
      }
      off = start + Math.ceil(size / BLOCK) * BLOCK;
      continue;
    }
    let name = field(buf, off, 100);
    if (buf.toString('latin1', off + 257, off + 265) === 'ustar\u000000') {
      // POSIX ustar: a 155-byte prefix; star's variant keeps atime/ctime in its tail (byte 475 NUL).
      const prefix = field(buf, off + 345, buf[off + 475] !== 0 ? 155 : 130);
      if (prefix !== '') {
        name = `${prefix}/${name}`;
      }
    }
    let linkname = field(buf, off + 157, 100);
    name = pax?.get('path') ?? longName ?? name;
    linkname = pax?.get('linkpath') ?? longLink ?? linkname;
    const paxSize = pax?.get('size');
    if (paxSize !== undefined) {
      if (!/^\d{1,15}$/.test(paxSize)) {
        throw new TarFormatError(`invalid pax size ${JSON.stringify(paxSize.slice(0, 20))}`);
      }
      size = Number(paxSize);
    }
    pax = undefined;
    longName = undefined;
    longLink = undefined;
    let type: TarEntryType = TYPES[typeflag] ?? 'unsupported';
    if (type === 'file' && typeflag !== '7' && name.endsWith('/')) {
      type = 'directory';
    }
    // pax(1), ustar typeflag 5: a directory has no data blocks whatever its size field says; every other
    // entry is followed by `size` bytes of data, stepped over where it is not used.
    const dataSize = type === 'directory' ? 0 : size;
    if (start + dataSize > buf.length) {
      throw new TarFormatError(`truncated tar entry ${JSON.stringify(name)}: ${size} bytes declared`);
    }
    yield { name, type, typeflag, size, linkname, data: buf.subarray(start, start + dataSize) };
    off = start + Math.ceil(dataSize / BLOCK) * BLOCK;
  }
}
