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
  /** The same answers without a promise, from a tree held in memory (a snapshot): no await per component. */
  readonly sync?: {
    nodeKind(canonicalPath: string): NodeKind;
    readlink(canonicalPath: string): string;
  };
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

/** Empty, "." or ".." components, or a trailing slash: what normalizePath changes in an absolute path. */
const NOT_NORMAL = /\/\/|\/\.\.?(?:\/|$)|.\/$/;

/** Lexical normalisation with chroot semantics ("/../x" -> "/x"). Always absolute. */
export function normalizePath(path: string): string {
  // Readers normalise every path they are asked for, and nearly all are normal already.
  return path.startsWith('/') && !NOT_NORMAL.test(path) ? path : normalizeComponents(path);
}

/** normalizePath by splitting into components (exported for the test that holds the shortcut to it). */
export function normalizeComponents(path: string): string {
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
  let next = 0;
  const done: string[] = [];
  // "/" + done.join("/"), kept as components are added: every lookup of a readFile or listDir goes through here.
  let prefix = '';
  const links: Link[] = [];
  let hops = 0;
  while (next < todo.length) {
    const c = todo[next++] as string;
    if (c === '..') {
      done.pop();
      prefix = done.length === 0 ? '' : `/${done.join('/')}`;
      continue;
    }
    const candidate = `${prefix}/${c}`;
    if (SELF_LINKS.has(candidate)) {
      // /proc/self names whoever looks: keep it as a directory so every reader gets the same path.
      done.push(c);
      prefix = candidate;
      continue;
    }
    const kind = tree.sync === undefined ? await tree.nodeKind(candidate) : tree.sync.nodeKind(candidate);
    if (kind === 'symlink') {
      hops += 1;
      if (hops > MAX_SYMLINK_HOPS) {
        return { ok: false, path: candidate, reason: 'loop' };
      }
      const target = tree.sync === undefined ? await tree.readlink(candidate) : tree.sync.readlink(candidate);
      links.push({ path: candidate, target });
      if (target.startsWith('/')) {
        done.length = 0;
        prefix = '';
      }
      todo = [...splitPath(target), ...todo.slice(next)];
      next = 0;
      continue;
    }
    if (kind === 'permission-denied') {
      return { ok: false, path: candidate, reason: 'permission-denied' };
    }
    done.push(c);
    prefix = candidate;
    if (kind === 'absent' || ((kind === 'file' || kind === 'other') && next < todo.length)) {
      // Nothing below a missing entry or a non-directory can exist; keep the rest lexically.
      const tail = next < todo.length ? normalizePath(`${prefix}/${todo.slice(next).join('/')}`) : prefix;
      return { ok: true, path: tail, links };
    }
  }
  return { ok: true, path: prefix === '' ? '/' : prefix, links };
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
