// An in-memory HostReader for tests: files by absolute path, directories derived from them, symlinks
// declared explicitly, commands given as facts.
import type { CommandFact, DirEntry, DirFact, FileFact, HostReader } from '../sources/host-reader.ts';

export interface MemoryHost {
  readonly files?: Readonly<Record<string, string | Buffer>>;
  readonly links?: Readonly<Record<string, string>>;
  readonly commands?: Readonly<Record<string, Partial<CommandFact>>>;
  readonly kind?: HostReader['kind'];
}

export function memoryReader(host: MemoryHost): HostReader {
  const files = new Map(
    Object.entries(host.files ?? {}).map(([p, c]) => [p, typeof c === 'string' ? Buffer.from(c) : c]),
  );
  const links = new Map(Object.entries(host.links ?? {}));
  const dirs = new Map<string, Map<string, DirEntry>>();
  const addToParent = (path: string, entry: DirEntry): void => {
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    const listing = dirs.get(parent) ?? new Map<string, DirEntry>();
    if (!listing.has(entry.name)) {
      listing.set(entry.name, entry);
    }
    dirs.set(parent, listing);
    if (parent !== '/') {
      addToParent(parent, { name: parent.slice(parent.lastIndexOf('/') + 1), type: 'dir' });
    }
  };
  for (const path of files.keys()) {
    addToParent(path, { name: path.slice(path.lastIndexOf('/') + 1), type: 'file' });
  }
  for (const [path, target] of links) {
    addToParent(path, { name: path.slice(path.lastIndexOf('/') + 1), type: 'symlink', target });
  }
  return {
    kind: host.kind ?? 'snapshot',
    label: 'memory host',
    readFile(path: string): Promise<FileFact> {
      const content = files.get(followLinks(path, links));
      if (content !== undefined) {
        return Promise.resolve({ path, status: 'ok', content });
      }
      if (dirs.has(path)) {
        return Promise.resolve({ path, status: 'not-a-file', reason: 'is a directory' });
      }
      return Promise.resolve({ path, status: 'absent', reason: 'no such file' });
    },
    listDir(path: string): Promise<DirFact> {
      const listing = dirs.get(path);
      if (listing === undefined) {
        return Promise.resolve({ path, status: 'absent', reason: 'no such directory' });
      }
      return Promise.resolve({ path, status: 'ok', entries: [...listing.values()] });
    },
    runCommand(id: string): Promise<CommandFact> {
      const c = host.commands?.[id];
      if (c === undefined) {
        return Promise.resolve({
          id,
          argv: [],
          status: 'not-available',
          stdout: '',
          stderr: '',
          reason: 'not in this test host',
        });
      }
      return Promise.resolve({ id, argv: [], status: 'ok', stdout: '', stderr: '', ...c });
    },
  };
}

/** Resolves symlinks (relative or absolute targets) in the last component, as a reader following them would. */
function followLinks(path: string, links: ReadonlyMap<string, string>): string {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    const target = links.get(current);
    if (target === undefined) {
      return current;
    }
    const base = current.slice(0, current.lastIndexOf('/'));
    const joined = target.startsWith('/') ? target : `${base}/${target}`;
    const parts: string[] = [];
    for (const c of joined.split('/')) {
      if (c === '..') {
        parts.pop();
      } else if (c !== '' && c !== '.') {
        parts.push(c);
      }
    }
    current = `/${parts.join('/')}`;
  }
  return current;
}

/** Wraps a reader so it answers permission-denied for `denied`, as a non-root nfdoctor sees 0600 files. */
export function denying(reader: HostReader, denied: readonly string[]): HostReader {
  return {
    kind: reader.kind,
    label: reader.label,
    readFile: (path) =>
      denied.includes(path)
        ? Promise.resolve({ path, status: 'permission-denied', reason: `permission denied: ${path}` })
        : reader.readFile(path),
    listDir: (path) => reader.listDir(path),
    runCommand: (id) => reader.runCommand(id),
  };
}
