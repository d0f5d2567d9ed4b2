// The live host and --root DIR readers. Both read files through FsTree (chroot-style resolution);
// only the live reader runs commands, and only those the registry declares, after their precondition.
import { release as osRelease } from 'node:os';
import { resolve as resolvePath } from 'node:path';
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
    if (spec !== undefined && JOURNAL_COMMANDS.has(id)) {
      return this.options.journal === false
        ? Promise.resolve(
            this.notAvailable(
              id,
              argv,
              'the journal tells the boot before the fix; nothing has booted since',
            ),
          )
        : this.journal(id, argv, spec.timeoutMs);
    }
    return Promise.resolve(
      this.notAvailable(id, argv, 'commands describe a running host, and none runs on a mounted root'),
    );
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

  /**
   * The journal is the one command output a stopped host keeps: with persistent storage (Debian 12's default,
   * /var/log/journal) it holds the boots the disk went through. This machine's journalctl reads those files
   * (--directory), read-only; "this boot" is the last boot recorded there, the one the host was in when it
   * stopped (journalctl(1): with --directory, -b must name -0 for the last boot).
   */
  private async journal(id: string, argv: readonly string[], timeoutMs: number): Promise<CommandFact> {
    const dir = await this.tree.realDirectory(PERSISTENT_JOURNAL);
    if (dir === undefined) {
      return this.notAvailable(id, argv, `no persistent journal (${PERSISTENT_JOURNAL} is not a directory)`);
    }
    const full = rootJournalArgv(argv, dir);
    const r = await execArgv(full, { timeoutMs });
    return commandFact(id, full, r);
  }
}

const PERSISTENT_JOURNAL = '/var/log/journal';
const JOURNAL_COMMANDS: ReadonlySet<string> = new Set([
  'journal.boot',
  'journal.prev-boot',
  'journal.list-boots',
]);

/** The registry's journalctl argv, reading `dir` instead of this machine's journal, with "-b" as "-b -0". */
export function rootJournalArgv(argv: readonly string[], dir: string): string[] {
  const rest = argv.slice(1);
  const bare = rest[0] === '-b' && (rest[1] === undefined || !/^-\d+$/.test(rest[1]));
  return ['journalctl', `--directory=${dir}`, ...(bare ? ['-b', '-0', ...rest.slice(1)] : rest)];
}
