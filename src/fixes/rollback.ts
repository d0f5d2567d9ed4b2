// `rollback`: puts back what one `fix --apply` run changed, from its manifest and backups: byte-identical files
// with their mode and owner, created files and links removed, removed links recreated. Works after a crash at any
// point of the run (a path still in its old state is left alone). A path that changed after the run is not
// overwritten unless forced.
import { readFile, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  atomicWrite,
  fsyncDir,
  readState,
  removeDurably,
  removeEmptyDir,
  removeIfPresent,
  sha256,
  underRoot,
} from './files.ts';
import {
  isValidRunId,
  listRuns,
  readManifest,
  runDir,
  writeManifest,
  type Manifest,
  type ManifestFile,
} from './manifest.ts';
import type { Runner } from './apply.ts';
import { dirname } from '../sources/resolve.ts';

export interface RollbackOptions {
  readonly root: string;
  readonly live: boolean;
  readonly runner: Runner;
  readonly force: boolean;
  readonly now?: () => Date;
}

export type RollbackOutcome =
  | { readonly kind: 'no-run'; readonly message: string }
  | { readonly kind: 'already'; readonly runId: string; readonly at: string }
  | {
      readonly kind: 'refused';
      readonly runId: string;
      readonly changed: readonly { path: string; why: string }[];
    }
  | {
      readonly kind: 'rolled-back';
      readonly runId: string;
      readonly restored: readonly string[];
      readonly removed: readonly string[];
      readonly unchanged: readonly string[];
      readonly commands: readonly {
        readonly argv: readonly string[];
        readonly exitCode: number;
        readonly stderr: string;
      }[];
    };

type Current =
  | { readonly kind: 'absent' }
  | { readonly kind: 'file'; readonly sha: string }
  | { readonly kind: 'link'; readonly target: string }
  | { readonly kind: 'other' };

async function current(root: string, f: ManifestFile): Promise<Current> {
  const real = underRoot(root, f.path);
  const st = await readState(real);
  if (!st.exists) {
    return { kind: 'absent' };
  }
  if (st.kind === 'symlink') {
    return { kind: 'link', target: await readlink(real) };
  }
  return st.content === undefined ? { kind: 'other' } : { kind: 'file', sha: sha256(st.content) };
}

function same(c: Current, f: ManifestFile, which: 'before' | 'planned'): boolean {
  if (f.kind === 'file') {
    const sha = which === 'before' ? (f.existed ? f.sha256Before : null) : f.sha256Planned;
    return sha == null ? c.kind === 'absent' : c.kind === 'file' && c.sha === sha;
  }
  const target = which === 'before' ? (f.existed ? f.linkBefore : null) : f.linkPlanned;
  return target == null ? c.kind === 'absent' : c.kind === 'link' && c.target === target;
}

function describe(c: Current): string {
  switch (c.kind) {
    case 'absent':
      return 'it was removed';
    case 'file':
      return `its content is neither the old nor the planned one (sha256 ${c.sha.slice(0, 12)}…)`;
    case 'link':
      return `it now points at ${c.target}`;
    case 'other':
      return 'it is no longer a regular file';
  }
}

/** The run to roll back: the one named, or the newest that is not rolled back yet. */
export async function findRun(
  root: string,
  runId: string | undefined,
): Promise<{ dir: string; manifest: Manifest } | string> {
  if (runId !== undefined) {
    if (!isValidRunId(runId)) {
      return `"${runId}" is not a run id (see nfdoctor rollback --list)`;
    }
    const dir = runDir(root, runId);
    const manifest = await readManifest(dir);
    return manifest === undefined
      ? `no run ${runId} under ${underRoot(root, '/var/lib/nfdoctor/runs')}`
      : { dir, manifest };
  }
  const runs = (await listRuns(root)).filter(
    (r) => r.manifest !== undefined && r.manifest.state !== 'rolled-back',
  );
  const last = runs.at(-1);
  if (last?.manifest === undefined) {
    return `no run to roll back under ${underRoot(root, '/var/lib/nfdoctor/runs')}`;
  }
  return { dir: last.dir, manifest: last.manifest };
}

export async function rollbackRun(
  runId: string | undefined,
  opts: RollbackOptions,
): Promise<RollbackOutcome> {
  const found = await findRun(opts.root, runId);
  if (typeof found === 'string') {
    return { kind: 'no-run', message: found };
  }
  const { dir, manifest } = found;
  if (manifest.state === 'rolled-back') {
    return { kind: 'already', runId: manifest.runId, at: manifest.rolledBackAt ?? '?' };
  }
  const files = [...manifest.files].reverse();
  const states = new Map<ManifestFile, Current>();
  const changed: { path: string; why: string }[] = [];
  for (const f of files) {
    const c = await current(opts.root, f);
    states.set(f, c);
    if (!same(c, f, 'before') && !same(c, f, 'planned')) {
      changed.push({ path: f.path, why: `changed after run ${manifest.runId}: ${describe(c)}` });
    }
  }
  if (changed.length > 0 && !opts.force) {
    return { kind: 'refused', runId: manifest.runId, changed };
  }
  // Backups are checked before anything is put back: a damaged backup stops the rollback with nothing changed.
  const backups = new Map<ManifestFile, Buffer>();
  for (const f of files) {
    if (
      f.kind === 'file' &&
      f.existed &&
      f.backup !== undefined &&
      !same(states.get(f) ?? { kind: 'other' }, f, 'before')
    ) {
      const data = await readFile(join(dir, f.backup));
      if (sha256(data) !== f.sha256Before) {
        throw new Error(
          `${join(dir, f.backup)}: the backup of ${f.path} does not match its recorded sha256; nothing was restored`,
        );
      }
      backups.set(f, data);
    }
  }
  const restored: string[] = [];
  const removed: string[] = [];
  const unchanged: string[] = [];
  for (const f of files) {
    const real = underRoot(opts.root, f.path);
    const c = states.get(f) ?? { kind: 'other' };
    if (f.tmp !== undefined) {
      // A crash between writing the temporary file and the rename leaves it behind.
      await removeIfPresent(underRoot(opts.root, f.tmp));
    }
    if (same(c, f, 'before')) {
      unchanged.push(f.path);
    } else if (f.kind === 'file') {
      const data = backups.get(f);
      if (f.existed && data !== undefined) {
        await atomicWrite(
          real,
          data,
          {
            mode: f.mode ?? 0o644,
            ...(f.uid === undefined ? {} : { uid: f.uid }),
            ...(f.gid === undefined ? {} : { gid: f.gid }),
          },
          manifest.runId,
        );
        restored.push(f.path);
      } else {
        await removeDurably(real);
        removed.push(f.path);
      }
    } else {
      if (c.kind !== 'absent') {
        await removeDurably(real);
      }
      if (f.existed && f.linkBefore !== undefined) {
        await symlink(f.linkBefore, real);
        await fsyncDir(dirname(real));
        restored.push(f.path);
      } else {
        removed.push(f.path);
      }
    }
    for (const d of [...f.createdDirs].reverse()) {
      await removeEmptyDir(underRoot(opts.root, d));
    }
  }
  const commands: { argv: string[]; exitCode: number; stderr: string }[] = [];
  if (opts.live) {
    for (const s of [...manifest.steps].reverse()) {
      if (s.result === 'applied' && s.undo !== undefined) {
        const r = await opts.runner('systemctl', s.undo);
        commands.push({ argv: ['systemctl', ...s.undo], exitCode: r.exitCode, stderr: r.stderr });
      }
    }
    const r = await opts.runner('systemctl', ['daemon-reload']);
    commands.push({ argv: ['systemctl', 'daemon-reload'], exitCode: r.exitCode, stderr: r.stderr });
  }
  manifest.state = 'rolled-back';
  manifest.rolledBackAt = (opts.now ?? (() => new Date()))().toISOString();
  await writeManifest(dir, manifest);
  return { kind: 'rolled-back', runId: manifest.runId, restored, removed, unchanged, commands };
}
