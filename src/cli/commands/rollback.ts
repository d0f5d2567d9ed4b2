// nfdoctor rollback [RUN_ID] [--list] [--root DIR] [--force]
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { listRuns } from '../../fixes/manifest.ts';
import { rollbackRun } from '../../fixes/rollback.ts';
import { EXIT, UsageError } from '../errors.ts';
import { requireSystemRoot } from '../read-input.ts';
import { execRunner } from './fix.ts';
import type { CommandOutput } from './check.ts';

export const ROLLBACK_HELP = `Usage: nfdoctor rollback [RUN_ID] [--list] [--root DIR] [--force]

Undoes one "nfdoctor fix --apply" run (default: the newest one not rolled back yet) from its
manifest and backups in /var/lib/nfdoctor/runs/RUN_ID: puts back every file byte for byte with its
mode and owner, removes the files and links the run created, undoes enable/unmask, and reloads
systemd (on this host). Works after an interrupted run too.

Options:
  --list        list the runs and their state
  --root DIR    a filesystem mounted from another host (no systemctl there)
  --force       also put back files that changed after the run (by default they are named and
                nothing is changed)

Exit status: 0 rolled back (or nothing to do), 2 refused or no such run.
`;

export async function runRollback(argv: readonly string[]): Promise<CommandOutput> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      list: { type: 'boolean' },
      root: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    return { text: ROLLBACK_HELP, exitCode: EXIT.ok };
  }
  if (positionals.length > 1) {
    throw new UsageError('rollback takes at most one RUN_ID');
  }
  const live = values.root === undefined;
  const root = live ? '/' : resolve(values.root ?? '/');
  if (!live) {
    requireSystemRoot(root);
  }
  if (values.list === true) {
    const runs = await listRuns(root);
    if (runs.length === 0) {
      return {
        text: `no nfdoctor runs under ${root === '/' ? '' : root}/var/lib/nfdoctor/runs\n`,
        exitCode: EXIT.ok,
      };
    }
    const lines = runs.map((r) => {
      const m = r.manifest;
      if (m === undefined) {
        return `${r.runId}  interrupted before its first change (no manifest)`;
      }
      const applied = m.steps.filter((s) => s.result === 'applied').length;
      return `${r.runId}  ${m.state.padEnd(11)} ${applied} step(s) applied, ${m.files.length} path(s)${
        m.rolledBackAt === undefined ? '' : `, rolled back ${m.rolledBackAt}`
      }`;
    });
    return { text: `${lines.join('\n')}\n`, exitCode: EXIT.ok };
  }
  if (live && typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new UsageError('rollback on this host needs root; try sudo');
  }
  const out = await rollbackRun(positionals[0], {
    root,
    live,
    runner: execRunner,
    force: values.force === true,
  });
  switch (out.kind) {
    case 'no-run':
      throw new UsageError(out.message);
    case 'already':
      return {
        text: `run ${out.runId} was already rolled back (${out.at}); nothing changed\n`,
        exitCode: EXIT.ok,
      };
    case 'refused':
      return {
        text: `nfdoctor rollback: run ${out.runId}: nothing changed, because these changed after the run:\n${out.changed
          .map((c) => `  ${c.path}: ${c.why}`)
          .join('\n')}\nLook at them first; --force puts back the old content anyway.\n`,
        exitCode: EXIT.usage,
      };
    case 'rolled-back': {
      const lines = [`nfdoctor rollback: run ${out.runId} rolled back`];
      lines.push(...out.restored.map((p) => `  restored  ${p}`));
      lines.push(...out.removed.map((p) => `  removed   ${p}`));
      lines.push(...out.unchanged.map((p) => `  unchanged ${p} (the run had not changed it yet)`));
      for (const c of out.commands) {
        lines.push(
          `  ran       ${c.argv.join(' ')}${c.exitCode === 0 ? '' : ` (exit ${c.exitCode}: ${c.stderr.trim().split('\n')[0] ?? ''})`}`,
        );
      }
      if (!live) {
        lines.push(`${root} is back as it was; its next boot reads the restored files.`);
      }
      return { text: `${lines.join('\n')}\n`, exitCode: EXIT.ok };
    }
  }
}
