// The live host and --root DIR readers. Both read files through FsTree (chroot-style resolution);
// only the live reader runs commands, and only those the registry declares, after their precondition.
import { release as osRelease } from 'node:os';
import { readdirSync, type Dirent } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { execArgv, type ExecOptions, type ExecResult } from './exec.ts';
import { FsTree } from './fs-tree.ts';
import type { CommandFact, DirFact, FileFact, HostReader } from './host-reader.ts';
import { checkPrecondition } from './preconditions.ts';
import { findCommand } from './registry.ts';

export class LiveReader implements HostReader {
  readonly kind = 'live' as const;
  readonly label = 'this host';
  private readonly tree = new FsTree('/');
  private readonly cache = new Map<string, Promise<CommandFact>>();

  constructor(private readonly options: ExecOptions = {}) {}

  readFile(path: string): Promise<FileFact> {
    return this.tree.readFile(path);
  }

  listDir(path: string): Promise<DirFact> {
    return this.tree.listDir(path);
  }

  runCommand(id: string): Promise<CommandFact> {
    let p = this.cache.get(id);
    if (p === undefined) {
      p = this.run(id);
      this.cache.set(id, p);
    }
    return p;
  }

  private async run(id: string): Promise<CommandFact> {
    const spec = findCommand(id);
    if (spec === undefined) {
      return { id, argv: [], status: 'error', stdout: '', stderr: '', reason: `unknown command id "${id}"` };
    }
    const argv = spec.argv;
    if (spec.precondition !== undefined) {
      const v = await checkPrecondition(this.tree, spec.precondition, osRelease(), argv.join(' '));
      if (!v.ok) {
        return { id, argv, status: 'skipped', stdout: '', stderr: '', reason: v.reason };
      }
    }
    const r = await execArgv(argv, {
      timeoutMs: this.options.timeoutMs ?? spec.timeoutMs,
      ...maxOut(this.options),
    });
    return commandFact(id, argv, r);
  }
}

function commandFact(id: string, argv: readonly string[], r: ExecResult): CommandFact {
  return {
    id,
    argv,
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    ...(r.exitCode === undefined ? {} : { exitCode: r.exitCode }),
    ...(r.reason === undefined ? {} : { reason: r.reason }),
  };
}

function maxOut(o: ExecOptions): ExecOptions {
  return o.maxOutputBytes === undefined ? {} : { maxOutputBytes: o.maxOutputBytes };
}

/** A filesystem mounted from another host (rescue disk, chroot): files only, never commands. */
export class RootReader implements HostReader {
  readonly kind = 'root' as const;
  readonly label: string;
  private readonly tree: FsTree;

  /**
   * `journal: false` leaves the disk's journal out: after `fix --apply --root`, nothing has booted since the
   * change, so the journal still tells the boot before it, and would show every fixed failure as still there.
   */
  constructor(
    root: string,
    private readonly options: { readonly journal?: boolean } = {},
  ) {
    const abs = resolvePath(root);
    this.label = abs;
    this.tree = new FsTree(abs);
  }

  readFile(path: string): Promise<FileFact> {
    return this.tree.readFile(path);
  }

  listDir(path: string): Promise<DirFact> {
    return this.tree.listDir(path);
  }

  runCommand(id: string): Promise<CommandFact> {
    const spec = findCommand(id);
    const argv = spec?.argv ?? [];
    const database = ROOT_DATABASES.find((d) => d.ids.includes(id));
    if (spec === undefined || database === undefined) {
      return Promise.resolve(
        this.notAvailable(id, argv, 'commands describe a running host, and none runs on a mounted root'),
      );
    }
    if (database.dir === PERSISTENT_JOURNAL && this.options.journal === false) {
      return Promise.resolve(
        this.notAvailable(id, argv, 'the journal tells the boot before the fix; nothing has booted since'),
      );
    }
    return this.fromDatabase(id, argv, spec.timeoutMs, database);
  }

  private notAvailable(id: string, argv: readonly string[], why: string): CommandFact {
    return {
      id,
      argv,
      status: 'not-available',
      stdout: '',
      stderr: '',
      reason: `--root ${this.label}: ${why}`,
    };
  }

  /** The command run by this machine's tool on the root's own database directory, if the root has one. */
  private async fromDatabase(
    id: string,
    argv: readonly string[],
    timeoutMs: number,
    database: RootDatabase,
  ): Promise<CommandFact> {
    const dir = await this.tree.realDirectory(database.dir);
    if (dir === undefined) {
      return this.notAvailable(id, argv, `${database.missing} (${database.dir} is not a directory)`);
    }
    // The tool follows links inside the directory, and an absolute one would read this machine's own files.
    const link = firstLinkWithin(dir, 2);
    if (link !== undefined) {
      return this.notAvailable(id, argv, `${database.dir} holds a symbolic link (${link}): not read`);
    }
    const full = database.argv(argv, dir);
    return commandFact(id, full, await execArgv(full, { timeoutMs }));
  }
}

/** A symbolic link in `dir` or in its subdirectories down to `depth` levels (journal files sit one level down). */
function firstLinkWithin(dir: string, depth: number): string | undefined {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isSymbolicLink()) {
      return path;
    }
    if (e.isDirectory() && depth > 1) {
      const inner = firstLinkWithin(path, depth - 1);
      if (inner !== undefined) {
        return inner;
      }
    }
  }
  return undefined;
}

/**
 * What a stopped system keeps that only a tool can read, read by this machine's tool, read-only:
 * - the journal: with persistent storage (Debian 12's default) it holds the boots the disk went through;
 *   "this boot" is the last one recorded there, the one the system was in when it stopped;
 * - the package database: dpkg-query(1) --admindir reads the root's /var/lib/dpkg.
 */
interface RootDatabase {
  readonly ids: readonly string[];
  readonly dir: string;
  readonly missing: string;
  argv(registryArgv: readonly string[], dir: string): string[];
}

const PERSISTENT_JOURNAL = '/var/log/journal';
const ROOT_DATABASES: readonly RootDatabase[] = [
  {
    ids: ['journal.boot', 'journal.prev-boot', 'journal.list-boots'],
    dir: PERSISTENT_JOURNAL,
    missing: 'no persistent journal',
    argv: rootJournalArgv,
  },
  {
    ids: ['dpkg-query'],
    dir: '/var/lib/dpkg',
    missing: 'no dpkg database',
    argv: (registryArgv, dir) => ['dpkg-query', `--admindir=${dir}`, ...registryArgv.slice(1)],
  },
];

/**
 * The registry's journalctl argv, reading `dir` instead of this machine's journal, with "-b" as "-b -0"
 * (journalctl(1): with --directory, a bare -b means this machine's running boot; -0 is the last one in `dir`).
 */
export function rootJournalArgv(argv: readonly string[], dir: string): string[] {
  const rest = argv.slice(1);
  const bare = rest[0] === '-b' && (rest[1] === undefined || !/^-\d+$/.test(rest[1]));
  return ['journalctl', `--directory=${dir}`, ...(bare ? ['-b', '-0', ...rest.slice(1)] : rest)];
}
