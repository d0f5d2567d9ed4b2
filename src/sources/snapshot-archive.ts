// Reads a snapshot tarball in memory and validates every entry. Nothing is ever extracted to disk.
// The tar reader (tar-read.ts) lists names exactly as stored, so every check is here:
// regular files and directories only, symlinks recorded but never followed and never escaping, no
// absolute names, no "..", no NUL or control characters, no duplicates, no devices, fifos or hard links,
// caps on entry count, entry size and inflated size (a gzip bomb is the realistic attack).
import { normalizePath, splitPath } from './resolve.ts';
import { tarEntries, TarFormatError } from './tar-read.ts';
import { zlib } from '../lazy-builtins.ts';

/** Every problem with a snapshot file surfaces as this, with a one-line message. */
export class SnapshotError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'SnapshotError';
  }
}

export interface SnapshotLimits {
  readonly maxCompressedBytes: number;
  readonly maxInflatedBytes: number;
  readonly maxEntries: number;
  readonly maxEntryBytes: number;
}

export const DEFAULT_LIMITS: SnapshotLimits = {
  maxCompressedBytes: 64 * 1024 * 1024,
  maxInflatedBytes: 256 * 1024 * 1024,
  maxEntries: 20_000,
  maxEntryBytes: 40 * 1024 * 1024,
};

export interface ArchiveContents {
  /** Regular files by normalised name ("manifest.json", "root/etc/modules", ...). */
  readonly files: Map<string, Buffer>;
  /** Directory entries by normalised name. */
  readonly dirs: Set<string>;
  /** Symlink entries (only allowed under root/): name -> target as stored. */
  readonly symlinks: Map<string, string>;
}

const TOP_LEVEL_FILES = new Set(['manifest.json', 'files.tsv', 'dirs.tsv', 'listings.tsv', 'links.tsv']);
const TOP_LEVEL_DIRS = new Set(['root', 'commands']);

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split('\n')[0] ?? '').slice(0, 200);
}

/** Validates one entry name; returns it normalised (no "./" prefix, no trailing slash). */
function checkName(raw: string, what: string): string {
  if (raw.includes('\0')) {
    throw new SnapshotError(`${what}: entry name contains a NUL byte`);
  }
  if (/[\u0000-\u001f\u007f]/.test(raw)) {
    throw new SnapshotError(`${what}: entry name ${JSON.stringify(raw)} contains a control character`);
  }
  if (raw.startsWith('/')) {
    throw new SnapshotError(`${what}: absolute entry name ${JSON.stringify(raw)}`);
  }
  let name = raw;
  while (name.startsWith('./')) {
    name = name.slice(2);
  }
  name = name.replace(/\/+$/, '');
  if (name === '' || name === '.') {
    return '';
  }
  const parts = name.split('/');
  if (parts.includes('..')) {
    throw new SnapshotError(`${what}: entry name ${JSON.stringify(raw)} contains ".."`);
  }
  if (parts.some((p) => p === '' || p === '.')) {
    throw new SnapshotError(`${what}: malformed entry name ${JSON.stringify(raw)}`);
  }
  const top = parts[0] ?? '';
  if (!TOP_LEVEL_FILES.has(top) && !TOP_LEVEL_DIRS.has(top)) {
    throw new SnapshotError(
      `${what}: unexpected entry ${JSON.stringify(raw)} (not part of the snapshot layout)`,
    );
  }
  if (TOP_LEVEL_FILES.has(top) && parts.length > 1) {
    throw new SnapshotError(`${what}: unexpected entry ${JSON.stringify(raw)}`);
  }
  if (top === 'commands' && parts.length > 2) {
    throw new SnapshotError(`${what}: unexpected entry ${JSON.stringify(raw)} (commands/ holds files only)`);
  }
  return name;
}

/** Whether a symlink stored at `name` (under root/) with `target` stays inside root/. */
function linkEscapes(name: string, target: string): boolean {
  if (target.startsWith('/')) {
    return false; // absolute targets are resolved inside the snapshot root (chroot semantics)
  }
  const inRoot = splitPath(name).slice(1, -1); // the link's directory, relative to root/
  let depth = inRoot.length;
  for (const c of splitPath(target)) {
    depth += c === '..' ? -1 : 1;
    if (depth < 0) {
      return true;
    }
  }
  return false;
}

/**
 * zlib's sync API collects output in chunkSize pieces (16 KiB by default) and concatenates them: a second
 * copy of the whole archive. The gzip trailer's ISIZE (RFC 1952 2.3.1: input size mod 2^32) sizes one piece
 * for the whole output; it is only a hint from untrusted input, so it is capped (maxOutputLength still rules).
 */
function outputChunk(gz: Buffer): number {
  const isize = gz.readUInt32LE(gz.length - 4);
  return Math.min(Math.max(isize + 1, 64 * 1024), 16 * 1024 * 1024);
}

function inflate(gz: Buffer, what: string, limits: SnapshotLimits): Buffer {
  if (gz.length > limits.maxCompressedBytes) {
    throw new SnapshotError(`${what}: file is larger than ${limits.maxCompressedBytes} bytes`);
  }
  if (gz.length < 18 || gz[0] !== 0x1f || gz[1] !== 0x8b) {
    throw new SnapshotError(`${what}: not a gzip file (a snapshot is a .tar.gz)`);
  }
  let tarData: Buffer;
  try {
    tarData = zlib().gunzipSync(gz, { maxOutputLength: limits.maxInflatedBytes, chunkSize: outputChunk(gz) });
  } catch (e) {
    if (e instanceof RangeError || (e instanceof Error && 'code' in e && e.code === 'ERR_BUFFER_TOO_LARGE')) {
      throw new SnapshotError(`${what}: inflates to more than ${limits.maxInflatedBytes} bytes (gzip bomb?)`);
    }
    throw new SnapshotError(`${what}: corrupt gzip data (${firstLine(e)})`);
  }
  const magic = tarData.subarray(0, 4);
  if (
    (magic[0] === 0x1f && magic[1] === 0x8b) ||
    (magic[0] === 0x28 && magic[1] === 0xb5 && magic[2] === 0x2f && magic[3] === 0xfd)
  ) {
    throw new SnapshotError(`${what}: nested compression inside the gzip stream`);
  }
  if (tarData.length < 512) {
    throw new SnapshotError(`${what}: not a tar archive (too short)`);
  }
  return tarData;
}

/** Parses and validates a snapshot tarball held in memory. Throws only SnapshotError. */
export function readArchive(
  gz: Buffer,
  what: string,
  limits: SnapshotLimits = DEFAULT_LIMITS,
): ArchiveContents {
  try {
    return parseTar(inflate(gz, what, limits), what, limits);
  } catch (e) {
    if (e instanceof SnapshotError) {
      throw e;
    }
    if (e instanceof TarFormatError) {
      throw new SnapshotError(`${what}: corrupt tar data (${e.message})`);
    }
    throw new SnapshotError(`${what}: corrupt archive (${firstLine(e)})`);
  }
}

function parseTar(data: Buffer, what: string, limits: SnapshotLimits): ArchiveContents {
  const files = new Map<string, Buffer>();
  const dirs = new Set<string>();
  const symlinks = new Map<string, string>();
  let count = 0;
  for (const entry of tarEntries(data)) {
    count += 1;
    if (count > limits.maxEntries) {
      throw new SnapshotError(`${what}: more than ${limits.maxEntries} entries`);
    }
    const name = checkName(entry.name, what);
    if (name === '') {
      if (entry.type !== 'directory') {
        throw new SnapshotError(`${what}: entry with an empty name`);
      }
      continue;
    }
    if (files.has(name) || dirs.has(name) || symlinks.has(name)) {
      throw new SnapshotError(`${what}: duplicate entry ${JSON.stringify(name)}`);
    }
    if (entry.size > limits.maxEntryBytes) {
      throw new SnapshotError(
        `${what}: entry ${JSON.stringify(name)} is larger than ${limits.maxEntryBytes} bytes`,
      );
    }
    switch (entry.type) {
      case 'file':
        if (TOP_LEVEL_DIRS.has(name)) {
          throw new SnapshotError(`${what}: ${name} must be a directory`);
        }
        files.set(name, entry.data);
        break;
      case 'directory':
        if (TOP_LEVEL_FILES.has(name)) {
          throw new SnapshotError(`${what}: ${name} must be a file`);
        }
        dirs.add(name);
        break;
      case 'symlink':
        symlinks.set(name, checkSymlink(name, entry.linkname, what));
        break;
      case 'hardlink':
        throw new SnapshotError(`${what}: hard link ${JSON.stringify(name)} (not allowed in a snapshot)`);
      case 'character-device':
      case 'block-device':
      case 'fifo':
        throw new SnapshotError(
          `${what}: device or fifo entry ${JSON.stringify(name)} (not allowed in a snapshot)`,
        );
      case 'unsupported':
        throw new SnapshotError(
          `${what}: entry ${JSON.stringify(name)} has unsupported type ${JSON.stringify(entry.typeflag)}`,
        );
    }
  }
  return { files, dirs, symlinks };
}

function checkSymlink(name: string, target: string, what: string): string {
  if (!name.startsWith('root/')) {
    throw new SnapshotError(`${what}: symlink ${JSON.stringify(name)} outside root/`);
  }
  if (target === '' || target.includes('\0')) {
    throw new SnapshotError(`${what}: symlink ${JSON.stringify(name)} has an invalid target`);
  }
  if (linkEscapes(name, target)) {
    throw new SnapshotError(
      `${what}: symlink ${JSON.stringify(name)} -> ${JSON.stringify(target)} escapes the snapshot root`,
    );
  }
  return target;
}

/** "root/etc/modules" -> "/etc/modules" (only for names under root/). */
export function rootPath(name: string): string {
  return normalizePath(name.slice('root'.length));
}
