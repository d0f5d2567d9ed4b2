// The live host and --root DIR readers. Both read files through FsTree (chroot-style resolution);
// only the live reader runs commands, and only those the registry declares, after their precondition.
import { release as osRelease } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { execArgv, type ExecOptions } from './exec.ts';
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
}

function maxOut(o: ExecOptions): ExecOptions {
  return o.maxOutputBytes === undefined ? {} : { maxOutputBytes: o.maxOutputBytes };
}

/** A filesystem mounted from another host (rescue disk, chroot): files only, never commands. */
export class RootReader implements HostReader {
  readonly kind = 'root' as const;
  readonly label: string;
  private readonly tree: FsTree;

  constructor(root: string) {
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
    const argv = findCommand(id)?.argv ?? [];
    return Promise.resolve({
      id,
      argv,
      status: 'not-available',
      stdout: '',
      stderr: '',
      reason: `--root ${this.label}: commands describe a running host, and none runs on a mounted root`,
    });
  }
}
