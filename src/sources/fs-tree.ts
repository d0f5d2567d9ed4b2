// File and directory facts from a real directory tree: `/` for the live host, DIR for --root.
// Symlinks resolve inside the tree (resolve.ts), never out of it; files are read with a size cap.
// The system calls are synchronous: a diagnosis reads a hundred files one after another, and each
// asynchronous call was a round trip through libuv's thread pool (lstat per path component, open, each
// 64 KiB read, close), which left a `check --kernel DIR` idle for about 40 ms. The methods still return
// promises: the HostReader interface is shared with readers that run commands.
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { DirEntry, DirFact, FileFact } from './host-reader.ts';
import { normalizePath, resolveInTree, type NodeKind, type TreeLookup } from './resolve.ts';

/** Largest file any reader returns (modules.alias of a distribution kernel is about 1.5 MB). */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Most entries one directory listing returns. */
export const MAX_DIR_ENTRIES = 10_000;

function errno(e: unknown): string {
  return typeof e === 'object' && e != null && 'code' in e && typeof e.code === 'string' ? e.code : '';
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Validates a path handed to a reader: absolute, no NUL. Returns the lexically normalised path. */
export function checkPath(path: string): string | undefined {
  if (!path.startsWith('/') || path.includes('\0')) {
    return undefined;
  }
  return normalizePath(path);
}

/** The failure a reader reports for a path it cannot resolve, or the resolved canonical path. */
export type ResolvedRequest =
  | { readonly ok: true; readonly requested: string; readonly path: string }
  | {
      readonly ok: false;
      readonly failure: {
        readonly path: string;
        readonly status: 'error' | 'permission-denied';
        readonly reason: string;
      };
    };

/** checkPath + resolveInTree with the one-line reasons every reader gives for the two ways it can fail. */
export async function resolveRequest(tree: TreeLookup, path: string): Promise<ResolvedRequest> {
  const p = checkPath(path);
  if (p === undefined) {
    return { ok: false, failure: { path, status: 'error', reason: 'not an absolute path' } };
  }
  const r = await resolveInTree(tree, p);
  if (!r.ok) {
    return {
      ok: false,
      failure:
        r.reason === 'loop'
          ? { path: p, status: 'error', reason: `too many levels of symbolic links at ${r.path}` }
          : { path: p, status: 'permission-denied', reason: `permission denied at ${r.path}` },
    };
  }
  return { ok: true, requested: p, path: r.path };
}

function kindOfMode(mode: {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}): NodeKind {
  return mode.isSymbolicLink() ? 'symlink' : mode.isDirectory() ? 'dir' : mode.isFile() ? 'file' : 'other';
}

export function describeOther(kind: NodeKind): string {
  return kind === 'dir' ? 'is a directory' : 'is not a regular file (device, fifo or socket)';
}

export class FsTree implements TreeLookup {
  readonly sync = {
    nodeKind: (canonical: string): NodeKind => this.kindOf(canonical),
    readlink: (canonical: string): string => readlinkSync(this.real(canonical)),
  };

  constructor(private readonly root: string) {}

  private real(canonical: string): string {
    return this.root === '/' ? canonical : join(this.root, canonical);
  }

  private kindOf(canonical: string): NodeKind {
    try {
      return kindOfMode(lstatSync(this.real(canonical)));
    } catch (e) {
      const code = errno(e);
      return code === 'EACCES' || code === 'EPERM' ? 'permission-denied' : 'absent';
    }
  }

  nodeKind(canonical: string): Promise<NodeKind> {
    return Promise.resolve(this.kindOf(canonical));
  }

  readlink(canonical: string): Promise<string> {
    try {
      return Promise.resolve(this.sync.readlink(canonical));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  async readFile(path: string, maxBytes = MAX_FILE_BYTES): Promise<FileFact> {
    const r = await resolveRequest(this, path);
    if (!r.ok) {
      return r.failure;
    }
    const p = r.requested;
    if (r.path === '/dev/null') {
      // A masked unit or disabled config file; /dev/null exists on every host, even if not under --root.
      return { path: p, status: 'not-a-file', reason: `${p} resolves to /dev/null` };
    }
    const kind = this.kindOf(r.path);
    if (kind === 'absent') {
      return { path: p, status: 'absent', reason: `no such file: ${r.path}` };
    }
    if (kind === 'permission-denied') {
      return { path: p, status: 'permission-denied', reason: `permission denied: ${r.path}` };
    }
    if (kind !== 'file') {
      return { path: p, status: 'not-a-file', reason: `${r.path} ${describeOther(kind)}` };
    }
    let fd: number;
    try {
      fd = openSync(this.real(r.path), 'r');
    } catch (e) {
      const code = errno(e);
      if (code === 'EACCES' || code === 'EPERM') {
        return { path: p, status: 'permission-denied', reason: `permission denied: ${r.path}` };
      }
      return { path: p, status: code === 'ENOENT' ? 'absent' : 'error', reason: `${r.path}: ${message(e)}` };
    }
    try {
      const content = readToEnd(fd, maxBytes);
      return content === undefined
        ? { path: p, status: 'too-large', reason: `${r.path} is larger than ${maxBytes} bytes` }
        : { path: p, status: 'ok', content };
    } catch (e) {
      const code = errno(e);
      if (code === 'EACCES' || code === 'EPERM') {
        return { path: p, status: 'permission-denied', reason: `permission denied: ${r.path}` };
      }
      return { path: p, status: 'error', reason: `${r.path}: ${message(e)}` };
    } finally {
      closeSync(fd);
    }
  }

  /** Where a directory of the tree really is on this machine (symlinks resolved inside the tree), if it is one. */
  async realDirectory(path: string): Promise<string | undefined> {
    const r = await resolveRequest(this, path);
    return r.ok && this.kindOf(r.path) === 'dir' ? this.real(r.path) : undefined;
  }

  async listDir(path: string): Promise<DirFact> {
    const r = await resolveRequest(this, path);
    if (!r.ok) {
      return r.failure;
    }
    const p = r.requested;
    const kind = this.kindOf(r.path);
    if (kind === 'absent') {
      return { path: p, status: 'absent', reason: `no such directory: ${r.path}` };
    }
    if (kind === 'permission-denied') {
      return { path: p, status: 'permission-denied', reason: `permission denied: ${r.path}` };
    }
    if (kind !== 'dir') {
      return { path: p, status: 'not-a-file', reason: `${r.path} is not a directory` };
    }
    try {
      const dirents = readdirSync(this.real(r.path), { withFileTypes: true });
      if (dirents.length > MAX_DIR_ENTRIES) {
        return { path: p, status: 'too-large', reason: `${r.path} has more than ${MAX_DIR_ENTRIES} entries` };
      }
      const entries: DirEntry[] = [];
      for (const d of dirents) {
        const type = kindOfMode(d);
        if (type === 'symlink') {
          const full = r.path === '/' ? `/${d.name}` : `${r.path}/${d.name}`;
          let target = '';
          try {
            target = this.sync.readlink(full);
          } catch {
            // A link that vanished between readdir and readlink keeps an empty target.
          }
          entries.push({ name: d.name, type: 'symlink', target });
        } else {
          entries.push({
            name: d.name,
            type: type === 'absent' || type === 'permission-denied' ? 'other' : type,
          });
        }
      }
      return { path: p, status: 'ok', entries: sortEntries(entries) };
    } catch (e) {
      const code = errno(e);
      if (code === 'EACCES' || code === 'EPERM') {
        return { path: p, status: 'permission-denied', reason: `permission denied: ${r.path}` };
      }
      return { path: p, status: 'error', reason: `${r.path}: ${message(e)}` };
    }
  }
}

/**
 * The file's bytes up to EOF, or undefined past maxBytes. /proc and /sys files report size 0, so the size is
 * only the first guess and the file is read until a read returns nothing.
 */
function readToEnd(fd: number, maxBytes: number): Buffer | undefined {
  // One byte more than the size: the read that fills it proves the file grew, the next one sees EOF.
  let buf = Buffer.allocUnsafeSlow(Math.min(Math.max(fstatSync(fd).size + 1, 4096), maxBytes + 1));
  let total = 0;
  for (;;) {
    if (total === buf.length) {
      if (total > maxBytes) {
        return undefined;
      }
      const bigger = Buffer.allocUnsafeSlow(Math.min(buf.length * 2, maxBytes + 1));
      buf.copy(bigger, 0, 0, total);
      buf = bigger;
    }
    const n = readSync(fd, buf, total, buf.length - total, null);
    if (n === 0) {
      return buf.subarray(0, total);
    }
    total += n;
    if (total > maxBytes) {
      return undefined;
    }
  }
}

/** Listings are sorted by name in byte order, so every reader returns them alike. */
export function sortEntries(entries: DirEntry[]): DirEntry[] {
  return entries.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}
