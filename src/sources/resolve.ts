// Path resolution inside a root, as if the root were `/` (chroot semantics): absolute symlink targets
// restart at the root and `..` at the root stays there, so nothing resolves outside it. The --root
// reader, the live reader (root `/`), the snapshot reader and the shell collector all resolve this way,
// which is why they give the same facts for the same host.

/** Symlinks followed while resolving one path; path_resolution(7) allows 40. */
export const MAX_SYMLINK_HOPS = 40;

const SELF_LINKS = new Set(['/proc/self', '/proc/thread-self']);

export type NodeKind = 'file' | 'dir' | 'symlink' | 'other' | 'absent' | 'permission-denied';

/** What the resolver needs from a tree: the kind of a canonical path and, for symlinks, the target. */
export interface TreeLookup {
  nodeKind(canonicalPath: string): Promise<NodeKind>;
  readlink(canonicalPath: string): Promise<string>;
}

export type Resolution =
  | { readonly ok: true; readonly path: string; readonly links: readonly Link[] }
  | { readonly ok: false; readonly path: string; readonly reason: 'loop' | 'permission-denied' };

export interface Link {
  readonly path: string;
  readonly target: string;
}

/** "/a//b/./c" -> "/a/b/c"; ".." is kept (resolution decides what it means). Always absolute. */
export function splitPath(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/** Lexical normalisation with chroot semantics ("/../x" -> "/x"). */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const c of splitPath(path)) {
    if (c === '..') {
      out.pop();
    } else {
      out.push(c);
    }
  }
  return `/${out.join('/')}`;
}

/**
 * Resolves every symlink in `path` (including the last component) inside the tree. A missing component
 * ends resolution with the path as far as it got plus the rest, so the caller sees "absent".
 */
export async function resolveInTree(tree: TreeLookup, path: string): Promise<Resolution> {
  let todo = splitPath(path);
  const done: string[] = [];
  const links: Link[] = [];
  let hops = 0;
  while (todo.length > 0) {
    const [c, ...rest] = todo;
    todo = rest;
    if (c === undefined) {
      break;
    }
    if (c === '..') {
      done.pop();
      continue;
    }
    const candidate = `/${[...done, c].join('/')}`;
    if (SELF_LINKS.has(candidate)) {
      // /proc/self names whoever looks: keep it as a directory so every reader gets the same path.
      done.push(c);
      continue;
    }
    const kind = await tree.nodeKind(candidate);
    if (kind === 'symlink') {
      hops += 1;
      if (hops > MAX_SYMLINK_HOPS) {
        return { ok: false, path: candidate, reason: 'loop' };
      }
      const target = await tree.readlink(candidate);
      links.push({ path: candidate, target });
      if (target.startsWith('/')) {
        done.length = 0;
      }
      todo = [...splitPath(target), ...todo];
      continue;
    }
    if (kind === 'permission-denied') {
      return { ok: false, path: candidate, reason: 'permission-denied' };
    }
    done.push(c);
    if (kind === 'absent' || ((kind === 'file' || kind === 'other') && todo.length > 0)) {
      // Nothing below a missing entry or a non-directory can exist; keep the rest lexically.
      const tail = normalizePath(`/${[...done, ...todo].join('/')}`);
      return { ok: true, path: tail, links };
    }
  }
  return { ok: true, path: `/${done.join('/')}`, links };
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
