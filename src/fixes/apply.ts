// `fix --apply`: runs the selected plan steps against a host. Every precondition is checked before anything
// changes; files are backed up and replaced atomically; the manifest is written before the first change and
// after each one; systemctl and modprobe run through an injected runner with argv (live host only).
import { readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  COMMENT_PREFIX,
  WRITTEN_BY_MARKER,
  invalidReason,
  type Action,
  type SystemctlAction,
} from './actions.ts';
import type { PlanStep } from './plan.ts';
import {
  atomicWrite,
  fsyncDir,
  makeDirs,
  readState,
  removeDurably,
  resolveTarget,
  sha256,
  tempNameFor,
  underRoot,
  type FileState,
} from './files.ts';
import {
  MANIFEST_VERSION,
  createRunDir,
  newRunId,
  writeManifest,
  type Manifest,
  type ManifestFile,
  type ManifestStep,
  type StepResult,
} from './manifest.ts';
import { installLinks, maskLink, type UnitLink } from './unit-install.ts';
import { dirname } from '../sources/resolve.ts';

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with argv (never a shell). Injected so that tests never run the real systemctl or modprobe. */
export type Runner = (file: 'systemctl' | 'modprobe', args: readonly string[]) => Promise<CommandResult>;

export interface ApplyOptions {
  /** '/' for the live host, else a mounted root (then no command runs). */
  readonly root: string;
  readonly live: boolean;
  readonly runner: Runner;
  readonly version: string;
  readonly now?: () => Date;
  /** Called at every point where a crash must leave a consistent state (the crash tests stop there). */
  readonly checkpoint?: (label: string) => Promise<void>;
}

export interface AppliedStep {
  readonly n: number;
  readonly action: Action;
  readonly result: StepResult;
  readonly detail: string;
}

export type ApplyOutcome =
  | {
      readonly kind: 'refused';
      readonly mismatches: readonly { readonly n: number; readonly message: string }[];
    }
  | { readonly kind: 'nothing'; readonly steps: readonly AppliedStep[] }
  | {
      readonly kind: 'applied';
      readonly runId: string;
      readonly runDir: string;
      readonly steps: readonly AppliedStep[];
      /** A step failed and the run stopped or went on without it. */
      readonly failed: boolean;
    };

/** What one step will do, decided before anything changes. */
type Prepared =
  | { readonly n: number; readonly status: 'mismatch'; readonly message: string }
  | { readonly n: number; readonly status: 'satisfied' | 'deferred'; readonly detail: string }
  | { readonly n: number; readonly status: 'todo'; readonly detail: string; readonly op: Op };

type Op =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'link'; readonly path: string }
  | {
      readonly kind: 'command';
      readonly file: 'systemctl' | 'modprobe';
      readonly args: readonly string[];
      readonly undo?: readonly string[];
    };

/** A regular file the run rewrites, with every line edit on it. */
interface FilePlan {
  readonly path: string;
  readonly real: string;
  readonly before: FileState;
  /** The content after all edits; null to remove the file. */
  after: Buffer | null;
  mode: number;
  readonly steps: number[];
}

/** A symlink the run creates or removes (enable/unmask under --root). */
interface LinkPlan {
  readonly path: string;
  readonly real: string;
  readonly before: FileState;
  readonly linkBefore?: string;
  readonly after: string | null;
  readonly steps: number[];
}

function splitLines(text: string): string[] {
  return text.split('\n');
}

function sameLine(actual: string | undefined, expected: string): boolean {
  // A CRLF file still matches: the \r is kept when the line is written back.
  return actual !== undefined && (actual === expected || actual === `${expected}\r`);
}

function withEnding(original: string, text: string): string {
  return original.endsWith('\r') ? `${text}\r` : text;
}

function asText(content: Buffer): string | undefined {
  const text = content.toString('utf8');
  return Buffer.from(text, 'utf8').equals(content) ? text : undefined;
}

interface Context {
  readonly opts: ApplyOptions;
  readonly files: Map<string, FilePlan>;
  readonly links: Map<string, LinkPlan>;
}

async function filePlanFor(ctx: Context, path: string): Promise<FilePlan> {
  const canonical = await resolveTarget(ctx.opts.root, path);
  const known = ctx.files.get(canonical);
  if (known !== undefined) {
    return known;
  }
  const real = underRoot(ctx.opts.root, canonical);
  const before = await readState(real);
  const fp: FilePlan = {
    path: canonical,
    real,
    before,
    after: before.content ?? null,
    mode: before.mode ?? 0o644,
    steps: [],
  };
  ctx.files.set(canonical, fp);
  return fp;
}

async function prepareLineEdit(
  ctx: Context,
  n: number,
  a: Extract<Action, { kind: 'comment-line' | 'replace-line' }>,
): Promise<Prepared> {
  const fp = await filePlanFor(ctx, a.file);
  if (!fp.before.exists || fp.before.kind !== 'file' || fp.after == null) {
    return { n, status: 'mismatch', message: `${a.file} is not a regular file any more` };
  }
  const text = asText(fp.after);
  if (text === undefined) {
    return { n, status: 'mismatch', message: `${a.file} is not UTF-8 text` };
  }
  const lines = splitLines(text);
  const current = lines[a.line - 1];
  const wanted = a.kind === 'comment-line' ? `${COMMENT_PREFIX}${a.expect}` : a.text;
  if (sameLine(current, wanted)) {
    return { n, status: 'satisfied', detail: `line ${a.line} of ${a.file} already reads: ${wanted}` };
  }
  if (current === undefined || !sameLine(current, a.expect)) {
    return {
      n,
      status: 'mismatch',
      message: `line ${a.line} of ${a.file} changed since the diagnosis: expected "${a.expect}", found ${
        current === undefined ? 'no such line' : `"${current.replace(/\r$/, '')}"`
      }`,
    };
  }
  lines[a.line - 1] = withEnding(current, wanted);
  fp.after = Buffer.from(lines.join('\n'), 'utf8');
  fp.steps.push(n);
  return {
    n,
    status: 'todo',
    detail:
      a.kind === 'comment-line'
        ? `comment out line ${a.line} of ${fp.path}`
        : `rewrite line ${a.line} of ${fp.path}`,
    op: { kind: 'file', path: fp.path },
  };
}

async function prepareWrite(
  ctx: Context,
  n: number,
  a: Extract<Action, { kind: 'write-file' }>,
): Promise<Prepared> {
  const fp = await filePlanFor(ctx, a.path);
  const want = Buffer.from(a.content, 'utf8');
  if (fp.before.exists && fp.before.kind !== 'file') {
    return { n, status: 'mismatch', message: `${a.path} exists and is not a regular file` };
  }
  if (fp.after != null && fp.after.equals(want)) {
    return { n, status: 'satisfied', detail: `${fp.path} already holds this content` };
  }
  if (fp.before.exists) {
    return {
      n,
      status: 'mismatch',
      message: `${a.path} already exists with other content; nfdoctor does not overwrite it`,
    };
  }
  fp.after = want;
  fp.mode = a.mode;
  fp.steps.push(n);
  return { n, status: 'todo', detail: `write ${fp.path}`, op: { kind: 'file', path: fp.path } };
}

async function prepareRemove(
  ctx: Context,
  n: number,
  a: Extract<Action, { kind: 'remove-file' }>,
): Promise<Prepared> {
  const fp = await filePlanFor(ctx, a.path);
  if (!fp.before.exists || fp.after == null) {
    return { n, status: 'satisfied', detail: `${a.path} does not exist` };
  }
  const first = asText(fp.after)?.split('\n')[0];
  if (fp.before.kind !== 'file' || first === undefined || !first.startsWith(WRITTEN_BY_MARKER)) {
    return {
      n,
      status: 'mismatch',
      message: `${a.path} was not written by nfdoctor (no "${WRITTEN_BY_MARKER}" first line); not removed`,
    };
  }
  fp.after = null;
  fp.steps.push(n);
  return { n, status: 'todo', detail: `remove ${fp.path}`, op: { kind: 'file', path: fp.path } };
}

async function linkPlanFor(
  ctx: Context,
  link: UnitLink,
  after: string | null,
  n: number,
): Promise<LinkPlan | string> {
  // The link itself is what changes: resolve its directory, never the link.
  const dir = await resolveTarget(ctx.opts.root, dirname(link.path));
  const path = `${dir}/${link.path.slice(link.path.lastIndexOf('/') + 1)}`;
  const known = ctx.links.get(path);
  if (known !== undefined) {
    known.steps.push(n);
    return known;
  }
  const real = underRoot(ctx.opts.root, path);
  const before = await readState(real);
  let linkBefore: string | undefined;
  if (before.exists) {
    if (before.kind !== 'symlink') {
      return `${path} exists and is not a symlink`;
    }
    linkBefore = await readlink(real);
  }
  const lp: LinkPlan = {
    path,
    real,
    before,
    ...(linkBefore === undefined ? {} : { linkBefore }),
    after,
    steps: [n],
  };
  ctx.links.set(path, lp);
  return lp;
}

async function prepareRootSystemctl(ctx: Context, n: number, a: SystemctlAction): Promise<Prepared> {
  const unit = a.unit ?? '';
  switch (a.verb) {
    case 'enable': {
      const plan = await installLinks(ctx.opts.root, unit);
      if (!plan.ok) {
        return { n, status: 'mismatch', message: plan.reason };
      }
      const mask = await readState(underRoot(ctx.opts.root, maskLink(unit).path));
      if (mask.kind === 'symlink') {
        if ((await readlink(underRoot(ctx.opts.root, maskLink(unit).path))) === '/dev/null') {
          return { n, status: 'mismatch', message: `${unit} is masked; unmask it first` };
        }
      }
      const todo: LinkPlan[] = [];
      for (const link of plan.links) {
        const lp = await linkPlanFor(ctx, link, link.target, n);
        if (typeof lp === 'string') {
          return { n, status: 'mismatch', message: lp };
        }
        if (lp.linkBefore !== link.target) {
          if (lp.before.exists) {
            return {
              n,
              status: 'mismatch',
              message: `${lp.path} already points at ${lp.linkBefore ?? '?'}, not ${link.target}`,
            };
          }
          todo.push(lp);
        }
      }
      if (todo.length === 0) {
        return {
          n,
          status: 'satisfied',
          detail: `${unit} is enabled: ${plan.links.map((l) => l.path).join(', ')}`,
        };
      }
      return {
        n,
        status: 'todo',
        detail: `enable ${unit} at the next boot of ${ctx.opts.root}: ${todo.map((l) => `${l.path} -> ${l.after ?? ''}`).join(', ')}`,
        op: { kind: 'link', path: todo.map((l) => l.path).join('\n') },
      };
    }
    case 'unmask': {
      const lp = await linkPlanFor(ctx, maskLink(unit), null, n);
      if (typeof lp === 'string' || lp.linkBefore !== '/dev/null') {
        if (typeof lp !== 'string') {
          ctx.links.delete(lp.path);
        }
        return { n, status: 'satisfied', detail: `${unit} is not masked in ${maskLink(unit).path}` };
      }
      return {
        n,
        status: 'todo',
        detail: `unmask ${unit}: remove ${lp.path} -> /dev/null; the next boot of ${ctx.opts.root} can start it`,
        op: { kind: 'link', path: lp.path },
      };
    }
    case 'disable': {
      const plan = await installLinks(ctx.opts.root, unit);
      if (!plan.ok) {
        return { n, status: 'satisfied', detail: `${unit} cannot be enabled here (${plan.reason})` };
      }
      const todo: LinkPlan[] = [];
      for (const link of plan.links) {
        const lp = await linkPlanFor(ctx, link, null, n);
        if (typeof lp !== 'string' && lp.linkBefore === link.target) {
          todo.push(lp);
        } else if (typeof lp !== 'string') {
          ctx.links.delete(lp.path);
        }
      }
      if (todo.length === 0) {
        return { n, status: 'satisfied', detail: `${unit} is not enabled` };
      }
      return {
        n,
        status: 'todo',
        detail: `disable ${unit}: remove ${todo.map((l) => l.path).join(', ')}; the next boot of ${ctx.opts.root} does not start it`,
        op: { kind: 'link', path: todo.map((l) => l.path).join('\n') },
      };
    }
    case 'stop':
      return {
        n,
        status: 'deferred',
        detail: `nothing runs on ${ctx.opts.root}: ${unit} is not stopped now; once disabled, its next boot does not start it`,
      };
    case 'daemon-reload':
      return {
        n,
        status: 'deferred',
        detail: `no systemd runs on ${ctx.opts.root}: its next boot reads the unit files afresh`,
      };
    case 'start':
    case 'restart':
      return {
        n,
        status: 'deferred',
        detail: `${unit} is not started on a mounted root: the next boot of ${ctx.opts.root} starts it if it is enabled`,
      };
  }
}

/** A systemctl step still to run: `systemctl ARGS`, undone by `systemctl UNDO` where there is one. */
function systemctlTodo(n: number, args: readonly string[], undo?: readonly string[]): Prepared {
  const op: Op =
    undo === undefined
      ? { kind: 'command', file: 'systemctl', args }
      : { kind: 'command', file: 'systemctl', args, undo };
  return { n, status: 'todo', detail: `systemctl ${args.join(' ')}`, op };
}

async function prepareLiveSystemctl(ctx: Context, n: number, a: SystemctlAction): Promise<Prepared> {
  const unit = a.unit ?? '';
  const run = ctx.opts.runner;
  switch (a.verb) {
    case 'enable': {
      const r = await run('systemctl', ['is-enabled', unit]);
      const state = r.stdout.trim();
      if (state === 'enabled' || state === 'enabled-runtime' || state === 'alias') {
        return { n, status: 'satisfied', detail: `${unit} is ${state}` };
      }
      if (state.startsWith('masked')) {
        return { n, status: 'mismatch', message: `${unit} is masked; unmask it first` };
      }
      return systemctlTodo(n, ['enable', unit], ['disable', unit]);
    }
    case 'unmask': {
      const r = await run('systemctl', ['is-enabled', unit]);
      if (!r.stdout.trim().startsWith('masked')) {
        return { n, status: 'satisfied', detail: `${unit} is not masked (${r.stdout.trim() || 'no state'})` };
      }
      return systemctlTodo(n, ['unmask', unit], ['mask', unit]);
    }
    case 'disable': {
      const r = await run('systemctl', ['is-enabled', unit]);
      if (r.stdout.trim() !== 'enabled') {
        return { n, status: 'satisfied', detail: `${unit} is ${r.stdout.trim() || 'not enabled'}` };
      }
      return systemctlTodo(n, ['disable', unit], ['enable', unit]);
    }
    case 'stop': {
      const r = await run('systemctl', ['is-active', unit]);
      if (r.stdout.trim() !== 'active') {
        return { n, status: 'satisfied', detail: `${unit} is ${r.stdout.trim() || 'not running'}` };
      }
      return systemctlTodo(n, ['stop', unit], ['start', unit]);
    }
    case 'daemon-reload':
      return systemctlTodo(n, ['daemon-reload']);
    case 'start': {
      const r = await run('systemctl', ['is-active', unit]);
      if (r.stdout.trim() === 'active') {
        return { n, status: 'satisfied', detail: `${unit} is active` };
      }
      return systemctlTodo(n, ['start', unit]);
    }
    case 'restart':
      return systemctlTodo(n, ['restart', unit]);
  }
}

async function prepare(ctx: Context, step: PlanStep): Promise<Prepared> {
  const a = step.action;
  const n = step.n;
  const bad = invalidReason(a);
  if (bad !== undefined) {
    return { n, status: 'mismatch', message: bad };
  }
  switch (a.kind) {
    case 'comment-line':
    case 'replace-line':
      return prepareLineEdit(ctx, n, a);
    case 'write-file':
      return prepareWrite(ctx, n, a);
    case 'remove-file':
      return prepareRemove(ctx, n, a);
    case 'modprobe': {
      if (!ctx.opts.live) {
        return {
          n,
          status: 'deferred',
          detail: `${a.module} is not loaded into this kernel for ${ctx.opts.root}: its next boot loads what modules-load.d lists`,
        };
      }
      const sys = await readState(underRoot(ctx.opts.root, `/sys/module/${a.module.replaceAll('-', '_')}`));
      if (sys.exists) {
        return { n, status: 'satisfied', detail: `${a.module} is loaded` };
      }
      return {
        n,
        status: 'todo',
        detail: `modprobe ${a.module}`,
        op: { kind: 'command', file: 'modprobe', args: [a.module] },
      };
    }
    case 'systemctl':
      return ctx.opts.live ? prepareLiveSystemctl(ctx, n, a) : prepareRootSystemctl(ctx, n, a);
    case 'manual':
      return { n, status: 'mismatch', message: 'a manual step cannot be applied' };
  }
}

function manifestFileOf(fp: FilePlan, runId: string, index: number): ManifestFile {
  const b = fp.before;
  return {
    path: fp.path,
    kind: 'file',
    existed: b.exists,
    ...(b.content === undefined
      ? {}
      : {
          sha256Before: sha256(b.content),
          backup: `files/${index}`,
          mode: b.mode ?? 0o644,
          uid: b.uid ?? 0,
          gid: b.gid ?? 0,
        }),
    sha256Planned: fp.after == null ? null : sha256(fp.after),
    changed: false,
    tmp: tempNameFor(fp.path, runId),
    createdDirs: [],
    steps: fp.steps,
  };
}

function manifestLinkOf(lp: LinkPlan): ManifestFile {
  return {
    path: lp.path,
    kind: 'symlink',
    existed: lp.before.exists,
    ...(lp.linkBefore === undefined ? {} : { linkBefore: lp.linkBefore }),
    linkPlanned: lp.after,
    changed: false,
    createdDirs: [],
    steps: lp.steps,
  };
}

/** Directories missing above `real` (on the target system), outermost first, without creating them. */
async function missingDirs(root: string, path: string): Promise<string[]> {
  const out: string[] = [];
  let d = dirname(path);
  while (d !== '/' && !(await readState(underRoot(root, d))).exists) {
    out.unshift(d);
    d = dirname(d);
  }
  return out;
}

export async function applyPlan(steps: readonly PlanStep[], opts: ApplyOptions): Promise<ApplyOutcome> {
  const ctx: Context = { opts, files: new Map(), links: new Map() };
  const prepared: Prepared[] = [];
  for (const step of steps) {
    prepared.push(await prepare(ctx, step));
  }
  const mismatches = prepared.flatMap((p) =>
    p.status === 'mismatch' ? [{ n: p.n, message: p.message }] : [],
  );
  if (mismatches.length > 0) {
    return { kind: 'refused', mismatches };
  }
  const changesFiles = prepared.some((p) => p.status === 'todo' && p.op.kind !== 'command');
  const changesAnything = prepared.some(
    (p) => p.status === 'todo' && !(p.op.kind === 'command' && p.op.args[0] === 'daemon-reload'),
  );
  const byN = new Map(steps.map((s) => [s.n, s]));
  const result = (p: Prepared): AppliedStep => {
    const action = byN.get(p.n)?.action as Action;
    return p.status === 'mismatch'
      ? { n: p.n, action, result: 'failed', detail: p.message }
      : { n: p.n, action, result: p.status === 'todo' ? 'pending' : p.status, detail: p.detail };
  };
  // daemon-reload only matters after a unit file changed in this run; without one, a second run changes nothing.
  const effective = prepared.map((p): Prepared =>
    p.status === 'todo' && p.op.kind === 'command' && p.op.args[0] === 'daemon-reload' && !changesFiles
      ? { n: p.n, status: 'satisfied', detail: 'no unit file changed in this run' }
      : p,
  );
  if (!changesAnything) {
    return { kind: 'nothing', steps: effective.map(result) };
  }

  const now = opts.now ?? (() => new Date());
  const checkpoint = opts.checkpoint ?? (() => Promise.resolve());
  const runId = newRunId(now());
  const dir = await createRunDir(opts.root, runId);

  // Backups first, then the manifest that names them: a crash before the manifest exists has changed nothing.
  const files: ManifestFile[] = [];
  let index = 0;
  for (const fp of ctx.files.values()) {
    if (fp.steps.length === 0) {
      continue;
    }
    index += 1;
    const mf = { ...manifestFileOf(fp, runId, index), createdDirs: await missingDirs(opts.root, fp.path) };
    if (fp.before.content !== undefined) {
      await atomicWrite(join(dir, `files/${index}`), fp.before.content, { mode: 0o600 }, runId);
      await checkpoint(`backup ${fp.path}`);
    }
    files.push(mf);
  }
  for (const lp of ctx.links.values()) {
    if ((lp.linkBefore ?? null) === lp.after) {
      continue;
    }
    files.push({ ...manifestLinkOf(lp), createdDirs: await missingDirs(opts.root, lp.path) });
  }
  const mSteps: ManifestStep[] = effective.map((p) => {
    const s = byN.get(p.n);
    const r = result(p);
    return {
      n: p.n,
      action: r.action,
      findingIds: s?.findingIds ?? [],
      result: r.result,
      detail: r.detail,
      ...(p.status === 'todo' && p.op.kind === 'command'
        ? { command: [p.op.file, ...p.op.args], ...(p.op.undo === undefined ? {} : { undo: p.op.undo }) }
        : {}),
    };
  });
  const manifest: Manifest = {
    schemaVersion: MANIFEST_VERSION,
    runId,
    version: opts.version,
    root: opts.root,
    live: opts.live,
    startedAt: now().toISOString(),
    state: 'running',
    files,
    steps: mSteps,
  };
  await writeManifest(dir, manifest);
  await checkpoint('manifest written');

  const stepOf = (n: number): ManifestStep | undefined => mSteps.find((s) => s.n === n);
  let failed = false;
  const finishSteps = async (ns: readonly number[], res: StepResult, detail?: string): Promise<void> => {
    for (const n of ns) {
      const s = stepOf(n);
      if (s !== undefined && s.result === 'pending') {
        s.result = res;
        if (detail !== undefined) {
          s.detail = detail;
        }
      }
    }
    await writeManifest(dir, manifest);
    await checkpoint(`step ${ns.join(',')} ${res}`);
  };

  // Files in the order of their first step (phase order: line edits and file writes before links).
  const order = effective.filter((p): p is Extract<Prepared, { status: 'todo' }> => p.status === 'todo');
  const doneFiles = new Set<string>();
  for (const p of order) {
    if (failed) {
      break;
    }
    const op = p.op;
    try {
      if (op.kind === 'file') {
        if (doneFiles.has(op.path)) {
          continue;
        }
        doneFiles.add(op.path);
        const fp = ctx.files.get(op.path);
        const mf = files.find((f) => f.path === op.path && f.kind === 'file');
        if (fp === undefined || mf === undefined) {
          continue;
        }
        await makeDirs(dirname(fp.real));
        if (fp.after == null) {
          await removeDurably(fp.real);
        } else {
          const own = fp.before.exists
            ? { mode: fp.mode, uid: fp.before.uid, gid: fp.before.gid }
            : { mode: fp.mode };
          await atomicWrite(fp.real, fp.after, own, runId, () => checkpoint(`temp file of ${fp.path}`));
        }
        mf.changed = true;
        await finishSteps(fp.steps, 'applied');
      } else if (op.kind === 'link') {
        for (const path of op.path.split('\n')) {
          const lp = ctx.links.get(path);
          const mf = files.find((f) => f.path === path && f.kind === 'symlink');
          if (lp === undefined || mf === undefined || mf.changed) {
            continue;
          }
          await makeDirs(dirname(lp.real));
          if (lp.before.exists) {
            await removeDurably(lp.real);
          }
          if (lp.after != null) {
            await symlink(lp.after, lp.real);
            await fsyncDir(dirname(lp.real));
          }
          mf.changed = true;
        }
        await finishSteps([p.n], 'applied', p.detail);
      } else {
        const r = await opts.runner(op.file, op.args);
        if (r.exitCode !== 0) {
          await finishSteps(
            [p.n],
            'failed',
            `${op.file} ${op.args.join(' ')} exited ${r.exitCode}: ${(r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? ''}`,
          );
          // A failed command does not undo the file changes: the rest still runs, the re-diagnosis tells.
          failed = op.file === 'systemctl' && op.args[0] === 'daemon-reload';
          continue;
        }
        await finishSteps([p.n], 'applied', p.detail);
      }
    } catch (e) {
      failed = true;
      await finishSteps([p.n], 'failed', e instanceof Error ? e.message : String(e));
    }
  }
  manifest.state = failed ? 'stopped' : 'finished';
  manifest.finishedAt = now().toISOString();
  await writeManifest(dir, manifest);
  const out: AppliedStep[] = mSteps.map((s) => ({
    n: s.n,
    action: s.action,
    result: s.result === 'pending' ? 'skipped' : s.result,
    detail: s.detail ?? '',
  }));
  return {
    kind: 'applied',
    runId,
    runDir: dir,
    steps: out,
    failed: failed || out.some((s) => s.result === 'failed'),
  };
}
