// The journal of one `fix --apply` run: <root>/var/lib/nfdoctor/runs/RUN_ID/manifest.json, written before the
// first change and replaced atomically after each one, so that rollback knows, after any crash, what each file
// was, what it was going to become, and what it became.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crypto } from '../lazy-builtins.ts';
import type { Action } from './actions.ts';
import { atomicWrite, fsyncDir, underRoot } from './files.ts';

export const RUNS_DIR = '/var/lib/nfdoctor/runs';
export const MANIFEST_VERSION = 1;

export type StepResult = 'pending' | 'applied' | 'satisfied' | 'deferred' | 'failed' | 'skipped';

export interface ManifestStep {
  readonly n: number;
  readonly action: Action;
  readonly findingIds: readonly string[];
  result: StepResult;
  detail?: string;
  /** The command run (live host only), as argv. */
  command?: readonly string[];
  /** What rollback runs to undo a command (systemctl disable / mask), as argv after "systemctl". */
  undo?: readonly string[];
}

/** One path the run changes: a regular file, or a symlink (enable/unmask under --root). */
export interface ManifestFile {
  /** Canonical path on the target system (symlinks resolved for regular files). */
  readonly path: string;
  readonly kind: 'file' | 'symlink';
  readonly existed: boolean;
  readonly sha256Before?: string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Copy of the old bytes, relative to the run directory. */
  readonly backup?: string;
  readonly linkBefore?: string;
  /** What the run writes; null when it removes the path. */
  readonly sha256Planned?: string | null;
  readonly linkPlanned?: string | null;
  /** Set once the change is durable. */
  changed: boolean;
  /** The temporary file the write goes through (removed by rollback if a crash left it). */
  readonly tmp?: string;
  /** Directories the run creates for this path, outermost first. */
  readonly createdDirs: readonly string[];
  /** The steps that change this path. */
  readonly steps: readonly number[];
}

export interface Manifest {
  readonly schemaVersion: number;
  readonly runId: string;
  readonly version: string;
  readonly root: string;
  readonly live: boolean;
  readonly startedAt: string;
  state: 'running' | 'finished' | 'stopped' | 'rolled-back';
  finishedAt?: string;
  rolledBackAt?: string;
  readonly files: ManifestFile[];
  readonly steps: ManifestStep[];
}

/** Sortable and unique: 20261202T013000Z-1a2b3c. */
export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${crypto().randomBytes(3).toString('hex')}`;
}

const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

export function isValidRunId(id: string): boolean {
  return RUN_ID.test(id);
}

export function runDir(root: string, runId: string): string {
  return underRoot(root, `${RUNS_DIR}/${runId}`);
}

export async function createRunDir(root: string, runId: string): Promise<string> {
  const dir = runDir(root, runId);
  await mkdir(join(dir, 'files'), { recursive: true, mode: 0o700 });
  await fsyncDir(underRoot(root, RUNS_DIR));
  return dir;
}

export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  await atomicWrite(join(dir, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`, { mode: 0o600 }, m.runId);
}

export async function readManifest(dir: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch {
    return undefined;
  }
  const m = JSON.parse(text) as Manifest;
  if (m.schemaVersion !== MANIFEST_VERSION || !Array.isArray(m.files) || !Array.isArray(m.steps)) {
    throw new Error(
      `${join(dir, 'manifest.json')}: not an nfdoctor run manifest (schemaVersion ${String(m.schemaVersion)})`,
    );
  }
  return m;
}

export interface RunSummary {
  readonly runId: string;
  readonly dir: string;
  readonly manifest?: Manifest;
}

/** Runs under the root, oldest first (run ids sort by time). */
export async function listRuns(root: string): Promise<RunSummary[]> {
  const base = underRoot(root, RUNS_DIR);
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return [];
  }
  const out: RunSummary[] = [];
  for (const name of names.filter(isValidRunId).sort()) {
    const dir = join(base, name);
    const manifest = await readManifest(dir);
    out.push(manifest === undefined ? { runId: name, dir } : { runId: name, dir, manifest });
  }
  return out;
}
