// File and directory facts from a real directory tree: `/` for the live host, DIR for --root.
// Symlinks resolve inside the tree (resolve.ts), never out of it; files are read with a size cap.
import { promises as fsp } from 'node:fs';
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
  constructor(private readonly root: string) {}

  private real(canonical: string): string {
    return this.root === '/' ? canonical : join(this.root, canonical);
  }

  async nodeKind(canonical: string): Promise<NodeKind> {
    try {
      return kindOfMode(await fsp.lstat(this.real(canonical)));
    } catch (e) {
      const code = errno(e);
      return code === 'EACCES' || code === 'EPERM' ? 'permission-denied' : 'absent';
    }
  }

  async readlink(canonical: string): Promise<string> {
    return fsp.readlink(this.real(canonical));
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
    const kind = await this.nodeKind(r.path);
    if (kind === 'absent') {
      return { path: p, status: 'absent', reason: `no such file: ${r.path}` };
    }
    if (kind === 'permission-denied') {
      return { path: p, status: 'permission-denied', reason: `permission denied: ${r.path}` };
    }
    if (kind !== 'file') {
      return { path: p, status: 'not-a-file', reason: `${r.path} ${describeOther(kind)}` };
    }
    let fh;
    try {
      fh = await fsp.open(this.real(r.path), 'r');
    } catch (e) {
      const code = errno(e);
      if (code === 'EACCES' || code === 'EPERM') {
        return { path: p, status: 'permission-denied', reason: `permission denied: ${r.path}` };
      }
      return { path: p, status: code === 'ENOENT' ? 'absent' : 'error', reason: `${r.path}: ${message(e)}` };
    }
    try {
      // /proc and /sys files report size 0, so read until EOF instead of trusting stat.
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const buf = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) {
          break;
        }
        chunks.push(buf.subarray(0, bytesRead));
        total += bytesRead;
        if (total > maxBytes) {
          return { path: p, status: 'too-large', reason: `${r.path} is larger than ${maxBytes} bytes` };
        }
      }
      return { path: p, status: 'ok', content: Buffer.concat(chunks) };
    } catch (e) {
      const code = errno(e);
      if (code === 'EACCES' || code === 'EPERM') {
        return { path: p, status: 'permission-denied', reason: `permission denied: ${r.path}` };
      }
      return { path: p, status: 'error', reason: `${r.path}: ${message(e)}` };
    } finally {
      await fh.close();
    }
  }

  async listDir(path: string): Promise<DirFact> {
    const r = await resolveRequest(this, path);
    if (!r.ok) {
      return r.failure;
    }
    const p = r.requested;
    const kind = await this.nodeKind(r.path);
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
      const dirents = await fsp.readdir(this.real(r.path), { withFileTypes: true });
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
            target = await this.readlink(full);
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

/** Listings are sorted by name in byte order, so every reader returns them alike. */
export function sortEntries(entries: DirEntry[]): DirEntry[] {
  return entries.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}
