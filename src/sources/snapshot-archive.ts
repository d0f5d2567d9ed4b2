// Reads a snapshot tarball in memory and validates every entry. Nothing is ever extracted to disk.
// node-tar lists names exactly as stored (it sanitises only on extraction), so every check is ours:
// regular files and directories only, symlinks recorded but never followed and never escaping, no
// absolute names, no "..", no NUL or control characters, no duplicates, no devices, fifos or hard links,
// caps on entry count, entry size and inflated size (a gzip bomb is the realistic attack).
import { gunzipSync } from 'node:zlib';
// Only the parser: the package index would also bundle and evaluate create/extract/replace (fs writers).
import { Parser } from 'tar/parse';
import type { ReadEntry } from 'tar/read-entry';
import { normalizePath, splitPath } from './resolve.ts';

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

function inflate(gz: Buffer, what: string, limits: SnapshotLimits): Buffer {
  if (gz.length > limits.maxCompressedBytes) {
    throw new SnapshotError(`${what}: file is larger than ${limits.maxCompressedBytes} bytes`);
  }
  if (gz.length < 18 || gz[0] !== 0x1f || gz[1] !== 0x8b) {
    throw new SnapshotError(`${what}: not a gzip file (a snapshot is a .tar.gz)`);
  }
  let tarData: Buffer;
  try {
    tarData = gunzipSync(gz, { maxOutputLength: limits.maxInflatedBytes });
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
export async function readArchive(
  gz: Buffer,
  what: string,
  limits: SnapshotLimits = DEFAULT_LIMITS,
): Promise<ArchiveContents> {
  try {
    return await parseTar(inflate(gz, what, limits), what, limits);
  } catch (e) {
    if (e instanceof SnapshotError) {
      throw e;
    }
    throw new SnapshotError(`${what}: corrupt archive (${firstLine(e)})`);
  }
}

function parseTar(data: Buffer, what: string, limits: SnapshotLimits): Promise<ArchiveContents> {
  const files = new Map<string, Buffer>();
  const dirs = new Set<string>();
  const symlinks = new Map<string, string>();
  let count = 0;
  let failure: SnapshotError | undefined;
  const fail = (e: unknown): void => {
    failure ??=
      e instanceof SnapshotError ? e : new SnapshotError(`${what}: corrupt archive (${firstLine(e)})`);
  };

  return new Promise<ArchiveContents>((resolvePromise, rejectPromise) => {
    let settled = false;
    const settle = (): void => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(guard);
      if (failure !== undefined) {
        rejectPromise(failure);
      } else {
        resolvePromise({ files, dirs, symlinks });
      }
    };
    // The parser is synchronous on an in-memory buffer; the guard only turns a library bug into an error.
    const guard = setTimeout(() => {
      fail(new SnapshotError(`${what}: archive parsing did not finish`));
      settle();
    }, 20_000);
    guard.unref();

    const parser = new Parser({
      strict: true,
      brotli: false,
      zstd: false,
      maxMetaEntrySize: 64 * 1024,
      onReadEntry: (entry: ReadEntry) => {
        if (failure !== undefined) {
          entry.resume();
          return;
        }
        try {
          onEntry(entry);
        } catch (e) {
          fail(e);
          entry.resume();
        }
      },
    });

    const onEntry = (entry: ReadEntry): void => {
      count += 1;
      if (count > limits.maxEntries) {
        throw new SnapshotError(`${what}: more than ${limits.maxEntries} entries`);
      }
      const name = checkName(entry.path, what);
      if (name === '') {
        if (entry.type !== 'Directory') {
          throw new SnapshotError(`${what}: entry with an empty name`);
        }
        entry.resume();
        return;
      }
      if (files.has(name) || dirs.has(name) || symlinks.has(name)) {
        throw new SnapshotError(`${what}: duplicate entry ${JSON.stringify(name)}`);
      }
      const size = entry.size;
      if (size > limits.maxEntryBytes) {
        throw new SnapshotError(
          `${what}: entry ${JSON.stringify(name)} is larger than ${limits.maxEntryBytes} bytes`,
        );
      }
      switch (entry.type) {
        case 'File':
        case 'OldFile':
        case 'ContiguousFile': {
          if (TOP_LEVEL_DIRS.has(name)) {
            throw new SnapshotError(`${what}: ${name} must be a directory`);
          }
          const chunks: Buffer[] = [];
          let got = 0;
          entry.on('data', (c: Buffer) => {
            got += c.length;
            if (got <= limits.maxEntryBytes) {
              chunks.push(c);
            }
          });
          entry.on('end', () => {
            files.set(name, Buffer.concat(chunks));
          });
          return;
        }
        case 'Directory':
          if (TOP_LEVEL_FILES.has(name)) {
            throw new SnapshotError(`${what}: ${name} must be a file`);
          }
          dirs.add(name);
          entry.resume();
          return;
        case 'SymbolicLink': {
          const target = entry.linkpath ?? '';
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
          symlinks.set(name, target);
          entry.resume();
          return;
        }
        case 'Link':
          throw new SnapshotError(`${what}: hard link ${JSON.stringify(name)} (not allowed in a snapshot)`);
        case 'CharacterDevice':
        case 'BlockDevice':
        case 'FIFO':
          throw new SnapshotError(
            `${what}: device or fifo entry ${JSON.stringify(name)} (not allowed in a snapshot)`,
          );
        default:
          throw new SnapshotError(
            `${what}: entry ${JSON.stringify(name)} has unsupported type ${entry.type}`,
          );
      }
    };

    parser.on('ignoredEntry', (entry: ReadEntry) => {
      fail(
        new SnapshotError(
          `${what}: entry ${JSON.stringify(entry.path)} has an unsupported type or oversized header`,
        ),
      );
    });
    parser.on('warn', (_code: string, message: string | Error) => {
      fail(new SnapshotError(`${what}: corrupt tar data (${firstLine(message)})`));
    });
    parser.on('error', (e: unknown) => {
      fail(e);
      settle();
    });
    parser.on('end', settle);
    parser.on('close', settle);
    try {
      parser.end(data);
    } catch (e) {
      fail(e);
      settle();
    }
  });
}

/** "root/etc/modules" -> "/etc/modules" (only for names under root/). */
export function rootPath(name: string): string {
  return normalizePath(name.slice('root'.length));
}
