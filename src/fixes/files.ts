// File operations of the applier and of rollback: atomic replacement, fsync, ownership, paths under a root.
// A file is replaced by writing a temporary file in the same directory, fsync()ing it, rename()ing it over the
// target and fsync()ing the directory: rename(2) is atomic within one file system, so after a crash the target
// holds either its old bytes or the new ones, never a mix (the ext4/xfs "replace via rename" guarantee needs both
// fsyncs, see rename(2) and fsync(2)).
import { chown, lstat, mkdir, open, rename, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crypto } from '../lazy-builtins.ts';
import { FsTree } from '../sources/fs-tree.ts';
import { basename, dirname, resolveInTree } from '../sources/resolve.ts';

export function sha256(data: Buffer | string): string {
  return crypto().createHash('sha256').update(data).digest('hex');
}

function errno(e: unknown): string {
  return typeof e === 'object' && e != null && 'code' in e && typeof e.code === 'string' ? e.code : '';
}

/** The real path of `target` (a canonical absolute path on the target system) under `root`. */
export function underRoot(root: string, target: string): string {
  return root === '/' ? target : join(root, target);
}

/**
 * Resolves every symlink of `path` inside the root (absolute link targets restart at the root), so that an edit
 * changes the file a link points to and never replaces the link itself.
 */
export async function resolveTarget(root: string, path: string): Promise<string> {
  const r = await resolveInTree(new FsTree(root), path);
  if (!r.ok) {
    throw new Error(
      r.reason === 'loop'
        ? `${path}: too many levels of symbolic links`
        : `${path}: permission denied at ${r.path}`,
    );
  }
  return r.path;
}

export interface FileState {
  readonly exists: boolean;
  readonly content?: Buffer;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** 'file', 'symlink', 'dir', 'other' when it exists. */
  readonly kind?: 'file' | 'symlink' | 'dir' | 'other';
}

export async function readState(real: string): Promise<FileState> {
  let st;
  try {
    st = await lstat(real);
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') {
      return { exists: false };
    }
    throw e;
  }
  const kind = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  const base = { exists: true, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, kind } as const;
  if (kind !== 'file') {
    return base;
  }
  const fh = await open(real, 'r');
  try {
    return { ...base, content: await fh.readFile() };
  } finally {
    await fh.close();
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface Ownership {
  readonly mode: number;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
}

async function keepOwner(path: string, own: Ownership): Promise<void> {
  if (own.uid === undefined || own.gid === undefined) {
    return;
  }
  try {
    await chown(path, own.uid, own.gid);
  } catch (e) {
    // Without CAP_CHOWN a file can only be given to ourselves; that is what it already is then.
    const st = await lstat(path);
    if (st.uid !== own.uid || st.gid !== own.gid) {
      throw e;
    }
  }
}

/** Name of the temporary file for `real`: hidden, and without the .conf suffix that modprobe.d, modules-load.d
 * and systemd drop-in directories read, so a crash never leaves a file any of them would load. */
export function tempNameFor(real: string, runId: string): string {
  return join(dirname(real), `.${basename(real)}.nfdoctor-${runId}.tmp`);
}

/** Replaces (or creates) `real` with `data` atomically, with the given mode and owner. `between` runs after the
 * temporary file is durable and before the rename (the crash tests stop the process there). */
export async function atomicWrite(
  real: string,
  data: Buffer | string,
  own: Ownership,
  runId: string,
  between?: () => Promise<void>,
): Promise<void> {
  const tmp = tempNameFor(real, runId);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.chmod(own.mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await keepOwner(tmp, own);
  if (between !== undefined) {
    await between();
  }
  await rename(tmp, real);
  await fsyncDir(dirname(real));
}

export async function removeDurably(real: string): Promise<void> {
  try {
    await unlink(real);
  } catch (e) {
    if (errno(e) !== 'ENOENT') {
      throw e;
    }
  }
  await fsyncDir(dirname(real));
}

export async function removeIfPresent(real: string): Promise<boolean> {
  try {
    await unlink(real);
    return true;
  } catch (e) {
    if (errno(e) === 'ENOENT') {
      return false;
    }
    throw e;
  }
}

/** Creates the missing directories of `realDir` (mode 0755) and returns those it created, outermost first. */
export async function makeDirs(realDir: string): Promise<string[]> {
  const missing: string[] = [];
  let d = realDir;
  while (!(await readState(d)).exists) {
    missing.unshift(d);
    const up = dirname(d);
    if (up === d) {
      break;
    }
    d = up;
  }
  for (const m of missing) {
    await mkdir(m, { mode: 0o755 });
    await fsyncDir(dirname(m));
  }
  return missing;
}

/** Removes a directory if it is empty; true when it was removed or already gone. */
export async function removeEmptyDir(real: string): Promise<boolean> {
  try {
    await rmdir(real);
    return true;
  } catch (e) {
    return errno(e) === 'ENOENT';
  }
}
