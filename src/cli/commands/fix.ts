// nfdoctor fix [--root DIR | --snapshot FILE] [--only CHECK_ID...] [--format text|json|sh|ansible]
// nfdoctor fix --apply [--yes] [--include-review] [--root DIR] [--no-restart]
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { HostReader } from '../../sources/host-reader.ts';
import { LiveReader, RootReader } from '../../sources/fs-readers.ts';
import { buildHostModel, type HostModel } from '../../model/host-model.ts';
import { runChecks, type DiagnosisResult } from '../../checks/engine.ts';
import { CHECKS } from '../../checks/index.ts';
import type { Finding } from '../../checks/types.ts';
import { liveView } from '../../checks/loader/live-rules.ts';
import { describeAction, planFix, selectSteps, type FixPlan } from '../../fixes/plan.ts';
import type { Action } from '../../fixes/actions.ts';
import { applyPlan, type Runner } from '../../fixes/apply.ts';
import { renderShellScript } from '../../fixes/render-sh.ts';
import { renderAnsiblePlaybook } from '../../fixes/render-ansible.ts';
import { verdict } from '../../fixes/verify.ts';
import { execArgv } from '../../sources/exec.ts';
import { readline } from '../../lazy-builtins.ts';
import { EXIT, UsageError } from '../errors.ts';
import { chooseReader } from './diagnose.ts';
import type { CommandOutput } from './check.ts';
import { reportJson } from '../../report/json-text.ts';

export const FIX_SCHEMA_VERSION = 1;

export const FIX_HELP = `Usage: nfdoctor fix [--root DIR | --snapshot FILE] [--only CHECK_ID...] [--format text|json|sh]
       nfdoctor fix --apply [--yes] [--include-review] [--root DIR] [--no-restart]

Diagnoses, then prints the repair plan: the actions in order, root causes first, each with the
finding it repairs, why, its risk and what must still hold before it runs. Read-only.

  safe     puts back what the saved configuration already intends and widens nothing
  review   changes what traffic is allowed or what is installed: applied only with --include-review
  manual   what a person must do (another kernel, a package from the network, set contents
           nobody saved): shown, never applied

Source (default: this host):
  --root DIR           a filesystem mounted from another host
  --snapshot FILE      a snapshot from far away: plan only, --apply is refused

Options:
  --only CHECK_ID      only the findings of these checks (repeatable, or comma-separated)
  --format text|json|sh|ansible
                       output format (default text); sh: a POSIX sh script of the same plan for a
                       host without Node (checks every precondition first, keeps backups, stops at
                       the first mismatch; NFDOCTOR_ROOT=DIR runs it against a mounted system);
                       ansible: the same plan as a playbook of builtin modules (line edits with
                       backups behind the same precondition, manual steps as debug tasks;
                       -e nfdoctor_root=DIR for a mounted system)
  --apply              apply the safe steps: checks every precondition first (nothing changes if one
                       fails), backs up every file under /var/lib/nfdoctor/runs/RUN_ID, writes atomically,
                       then diagnoses again and prints before -> after
  --yes                do not ask (needed without a terminal)
  --include-review     also apply review steps
  --no-restart         do not start or restart the firewall loader now
  --root DIR (apply)   changes the mounted system: no systemctl or modprobe there; units are enabled
                       through their [Install] symlinks and the output says what its next boot does

Undo a run with "nfdoctor rollback".

Exit status: 0 nothing left to fix; 1 findings remain that need a person (listed); 2 unusable input or
refused; 3 applied, but the re-diagnosis still shows what the fix should have removed.
`;

function parseOnly(
  values: readonly string[] | undefined,
  positionals: readonly string[],
): string[] | undefined {
  if (values === undefined) {
    if (positionals.length > 0) {
      throw new UsageError(`unexpected argument "${positionals[0] ?? ''}" (check ids go after --only)`);
    }
    return undefined;
  }
  const ids = [...values, ...positionals].flatMap((v) => v.split(',')).filter((v) => v !== '');
  const known = new Set(CHECKS.map((c) => c.meta.id));
  for (const id of ids) {
    if (!known.has(id)) {
      throw new UsageError(`--only: no check "${id}" (see nfdoctor checks)`);
    }
  }
  return ids;
}

export const execRunner: Runner = async (file, args) => {
  // Restarting the loader restores the whole ruleset; a large one takes a while under a slow kernel.
  const r = await execArgv([file, ...args], { timeoutMs: 180_000 });
  return {
    exitCode: r.status === 'ok' ? 0 : (r.exitCode ?? 127),
    stdout: r.stdout,
    stderr: r.reason !== undefined && r.stderr === '' ? r.reason : r.stderr,
  };
};

/** Test hook for the crash tests: NFDOCTOR_TEST_PAUSE_AFTER=N stops at the Nth checkpoint, writes its label to
 * NFDOCTOR_TEST_PAUSE_MARKER and waits there until killed. */
function testCheckpoint(): ((label: string) => Promise<void>) | undefined {
  const after = Number(process.env.NFDOCTOR_TEST_PAUSE_AFTER ?? '');
  const marker = process.env.NFDOCTOR_TEST_PAUSE_MARKER;
  if (!Number.isInteger(after) || after < 1 || marker === undefined || marker === '') {
    return undefined;
  }
  let seen = 0;
  return async (label) => {
    seen += 1;
    if (seen === after) {
      writeFileSync(marker, `${label}\n`);
      await new Promise<never>(() => {
        setInterval(() => undefined, 60_000);
      });
    }
  };
}

async function confirm(question: string): Promise<boolean> {
  const rl = readline().createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

interface Diagnosis {
  readonly model: HostModel;
  readonly result: DiagnosisResult;
}

async function diagnose(reader: HostReader): Promise<Diagnosis> {
  const model = await buildHostModel(reader);
  return { model, result: runChecks(CHECKS, model) };
}

function liveRules(model: HostModel): { ipv4?: number; ipv6?: number } {
  const out: { ipv4?: number; ipv6?: number } = {};
  for (const family of ['ipv4', 'ipv6'] as const) {
    const v = liveView(model, family);
    if (v.status === 'known') {
      out[family] = v.rules;
    }
  }
  return out;
}

function counts(findings: readonly Finding[]): string {
  const by = (s: string): number => findings.filter((f) => f.severity === s).length;
  return findings.length === 0
    ? '0 findings'
    : `${findings.length} finding(s): ${by('error')} error, ${by('warning')} warning, ${by('info')} info`;
}

function filterOnly(findings: readonly Finding[], only: readonly string[] | undefined): Finding[] {
  return only === undefined || only.length === 0
    ? [...findings]
    : findings.filter((f) => only.includes(f.checkId));
}

function stepJson(s: FixPlan['steps'][number]): object {
  return {
    n: s.n,
    class: s.class,
    phase: s.phase,
    action: s.action,
    findingIds: s.findingIds,
    checkIds: s.checkIds,
    why: s.why,
    precondition: s.precondition,
    ...(s.conflictsWith === undefined ? {} : { conflictsWith: s.conflictsWith }),
  };
}

function findingJson(f: Finding): object {
  return { id: f.id, checkId: f.checkId, severity: f.severity, message: f.message };
}

interface JsonParts {
  readonly version: string;
  readonly mode: 'plan' | 'apply';
  readonly source: { readonly kind: string; readonly label: string };
  readonly plan: FixPlan;
  readonly before: { readonly findings: readonly Finding[]; readonly model: HostModel };
  readonly apply?: object;
  readonly after?: object;
  readonly exitCode: number;
}

/** The JSON report of fix (schema/fix.schema.json). */
function fixJson(p: JsonParts): string {
  return `${reportJson({
    schemaVersion: FIX_SCHEMA_VERSION,
    tool: { name: 'nfdoctor', version: p.version },
    mode: p.mode,
    source: p.source,
    plan: { steps: p.plan.steps.map(stepJson), withoutFix: p.plan.withoutFix, rejected: p.plan.rejected },
    ...(p.apply === undefined ? {} : { apply: p.apply }),
    before: { findings: p.before.findings.map(findingJson), liveRules: liveRules(p.before.model) },
    ...(p.after === undefined ? {} : { after: p.after }),
    exitCode: p.exitCode,
  })}\n`;
}

/** The steps --apply would run (same options), then the manual ones, and what was left out and why. */
function scriptSteps(
  plan: FixPlan,
  values: { readonly 'include-review'?: boolean; readonly 'no-restart'?: boolean },
): { readonly actions: Action[]; readonly leftOut: string[] } {
  const selection = selectSteps(plan, {
    includeReview: values['include-review'] === true,
    noRestart: values['no-restart'] === true,
  });
  const manual = plan.steps.filter((s) => s.class === 'manual');
  const left = selection.skipped.filter((s) => s.step.class !== 'manual');
  return {
    actions: [...selection.apply, ...manual].map((s) => s.action),
    leftOut: left.map((s) => `Left out: ${describeAction(s.step.action)} (${s.reason}).`),
  };
}

/** The plan as a POSIX sh script or an Ansible playbook: the same steps, the same preconditions. */
function planScript(
  kind: 'sh' | 'ansible',
  plan: FixPlan,
  label: string,
  version: string,
  values: { readonly 'include-review'?: boolean; readonly 'no-restart'?: boolean },
): string {
  const { actions, leftOut } = scriptSteps(plan, values);
  const header = `Plan for ${label} by nfdoctor ${version} (${new Date().toISOString()}).`;
  if (kind === 'ansible') {
    const comments = [header, ...leftOut].map((c) => `# ${c.replaceAll('\n', ' ')}\n`).join('');
    return comments + renderAnsiblePlaybook(actions, { name: `nfdoctor fix for ${label}` });
  }
  return renderShellScript(actions, { comments: [header, ...leftOut] });
}

function renderPlanText(plan: FixPlan, label: string, findings: readonly Finding[]): string {
  const lines: string[] = [];
  const changing = plan.steps.filter((s) => s.class !== 'manual');
  const manual = plan.steps.filter((s) => s.class === 'manual');
  lines.push(
    `nfdoctor fix: ${label}: ${counts(findings)}; ${changing.length} action(s), ${manual.length} manual step(s)`,
  );
  if (plan.steps.length === 0) {
    lines.push(
      '',
      findings.length === 0
        ? 'Nothing to fix.'
        : 'No action can repair these findings; see nfdoctor diagnose.',
    );
  }
  if (changing.length > 0) {
    lines.push('', 'Plan (in the order --apply runs it):');
    for (const s of changing) {
      lines.push(`  ${String(s.n).padStart(2)}. [${s.class}] ${describeAction(s.action)}`);
      lines.push(`      for:  ${s.findingIds.join(', ')}`);
      lines.push(`      why:  ${s.why}`);
      lines.push(`      only if: ${s.precondition}`);
      if (s.conflictsWith !== undefined) {
        lines.push(`      not applied: changes what step ${s.conflictsWith} changes`);
      }
    }
  }
  if (manual.length > 0) {
    lines.push('', 'Manual steps (a person must do these; never applied):');
    for (const s of manual) {
      lines.push(
        `  - ${describeAction(s.action)}`,
        `    for: ${s.findingIds.join(', ')}`,
        `    why: ${s.why}`,
      );
    }
  }
  for (const r of plan.rejected) {
    lines.push(`  ! ${r.findingId}: an action names something invalid (${r.reason}); not applied`);
  }
  if (changing.length > 0) {
    lines.push(
      '',
      changing.some((s) => s.class === 'review')
        ? 'Apply: nfdoctor fix --apply (safe steps only; add --include-review for the review steps)'
        : 'Apply: nfdoctor fix --apply',
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function runFix(argv: readonly string[], version: string): Promise<CommandOutput> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      root: { type: 'string' },
      snapshot: { type: 'string' },
      only: { type: 'string', multiple: true },
      format: { type: 'string', default: 'text' },
      apply: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      'include-review': { type: 'boolean' },
      'no-restart': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    return { text: FIX_HELP, exitCode: EXIT.ok };
  }
  const format = values.format;
  if (format !== 'text' && format !== 'json' && format !== 'sh' && format !== 'ansible') {
    throw new UsageError(`--format must be text, json, sh or ansible for fix, not "${format}"`);
  }
  const only = parseOnly(values.only, positionals);
  const applying = values.apply === true;
  if (applying && (format === 'sh' || format === 'ansible')) {
    throw new UsageError(`--format ${format} prints the plan as a script; it does not go with --apply`);
  }
  if (!applying) {
    for (const flag of format === 'sh' || format === 'ansible'
      ? (['yes'] as const)
      : (['yes', 'include-review', 'no-restart'] as const)) {
      if (values[flag] === true) {
        throw new UsageError(`--${flag} only goes with --apply`);
      }
    }
  }
  if (applying && values.snapshot !== undefined) {
    throw new UsageError(
      '--apply cannot change a snapshot: plan it here, apply it on the host (or use --root)',
    );
  }
  const reader = await chooseReader(values);
  const before = await diagnose(reader);
  const beforeFindings = filterOnly(before.result.findings, only);
  const plan = planFix(before.result.findings, only === undefined ? {} : { only });
  const source = { kind: reader.kind, label: reader.label };

  if (!applying) {
    const needsWork =
      beforeFindings.some((f) => f.severity !== 'info') || plan.steps.some((s) => s.class !== 'manual');
    const exitCode = needsWork ? EXIT.findings : EXIT.ok;
    if (format === 'sh' || format === 'ansible') {
      return { text: planScript(format, plan, reader.label, version, values), exitCode };
    }
    const text =
      format === 'json'
        ? fixJson({
            version,
            mode: 'plan',
            source,
            plan,
            before: { findings: beforeFindings, model: before.model },
            exitCode,
          })
        : renderPlanText(plan, reader.label, beforeFindings);
    return { text, exitCode };
  }

  const live = reader.kind === 'live';
  if (live && typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new UsageError('fix --apply on this host needs root (it edits /etc and runs systemctl); try sudo');
  }
  const selection = selectSteps(plan, {
    includeReview: values['include-review'] === true,
    noRestart: values['no-restart'] === true,
  });
  if (selection.apply.length > 0 && values.yes !== true) {
    if (!process.stdin.isTTY) {
      throw new UsageError(
        'fix --apply: no terminal to ask for confirmation; pass --yes to apply without asking',
      );
    }
    process.stderr.write(renderPlanText(plan, reader.label, beforeFindings));
    if (!(await confirm(`Apply ${selection.apply.length} step(s) to ${reader.label}? [y/N] `))) {
      throw new UsageError('fix --apply: not confirmed; nothing changed');
    }
  }
  const root = live ? '/' : resolve(values.root ?? '/');
  const checkpoint = testCheckpoint();
  const outcome =
    selection.apply.length === 0
      ? undefined
      : await applyPlan(selection.apply, {
          root,
          live,
          runner: execRunner,
          version,
          ...(checkpoint === undefined ? {} : { checkpoint }),
        });
  // What both apply-mode JSON documents (refused, and applied or not) carry.
  const applyParts = {
    version,
    mode: 'apply',
    source,
    plan,
    before: { findings: beforeFindings, model: before.model },
  } as const;
  if (outcome?.kind === 'refused') {
    const lines = outcome.mismatches.map((m) => `  step ${m.n}: ${m.message}`);
    if (format === 'json') {
      return {
        text: fixJson({
          ...applyParts,
          apply: { outcome: 'refused', mismatches: outcome.mismatches, steps: [], skipped: [] },
          exitCode: EXIT.usage,
        }),
        exitCode: EXIT.usage,
      };
    }
    return {
      text: `nfdoctor fix --apply: stopped before changing anything: the host changed since the diagnosis\n${lines.join('\n')}\nRun nfdoctor fix again to plan from the current state.\n`,
      exitCode: EXIT.usage,
    };
  }

  const after = await diagnose(live ? new LiveReader() : new RootReader(root, { journal: false }));
  const afterFindings = filterOnly(after.result.findings, only);
  const ran = outcome === undefined ? [] : outcome.steps;
  const v = verdict(plan, selection, ran, afterFindings);
  const stuck = afterFindings.filter((f) => v.stillPresent.includes(f.id));
  const afterPlan = planFix(after.result.findings, only === undefined ? {} : { only });
  const remaining = afterFindings.filter((f) => v.remaining.includes(f.id));
  const exitCode = { clean: EXIT.ok, 'needs-person': EXIT.findings, 'not-removed': EXIT.verifyFailed }[
    v.kind
  ];
  const runId = outcome?.kind === 'applied' ? outcome.runId : undefined;
  const rollbackCmd =
    runId === undefined ? undefined : `nfdoctor rollback ${runId}${live ? '' : ` --root ${root}`}`;
  const rulesBefore = liveRules(before.model);
  const rulesAfter = liveRules(after.model);

  if (format === 'json') {
    return {
      text: fixJson({
        ...applyParts,
        apply: {
          outcome: outcome?.kind ?? 'nothing',
          ...(outcome?.kind === 'applied' ? { runId: outcome.runId, runDir: outcome.runDir } : {}),
          steps: (outcome?.steps ?? []).map((s) => ({ n: s.n, result: s.result, detail: s.detail })),
          skipped: selection.skipped.map((s) => ({ n: s.step.n, reason: s.reason })),
          ...(rollbackCmd === undefined ? {} : { rollback: rollbackCmd }),
        },
        after: {
          findings: afterFindings.map(findingJson),
          liveRules: rulesAfter,
          stillPresent: v.stillPresent,
          left: afterPlan.steps.filter((s) => s.class !== 'safe').map(stepJson),
        },
        exitCode,
      }),
      exitCode,
    };
  }

  const lines: string[] = [];
  if (outcome === undefined) {
    lines.push(`nfdoctor fix --apply: ${reader.label}: nothing to apply`);
  } else {
    lines.push(
      outcome.kind === 'applied'
        ? `nfdoctor fix --apply: ${reader.label}: run ${outcome.runId} (backups and manifest in ${outcome.runDir})`
        : `nfdoctor fix --apply: ${reader.label}: everything was already in place; nothing changed`,
    );
    for (const s of outcome.steps) {
      lines.push(`  ${String(s.n).padStart(2)}. ${s.result.padEnd(9)} ${describeAction(s.action)}`);
      if (s.result !== 'applied' || !live) {
        lines.push(`      ${s.detail}`);
      }
    }
  }
  for (const s of selection.skipped) {
    lines.push(
      `  ${String(s.step.n).padStart(2)}. ${'skipped'.padEnd(9)} ${describeAction(s.step.action)} (${s.reason})`,
    );
  }
  if (!live && outcome?.kind === 'applied') {
    lines.push(
      '',
      `${root} is not running: the changes take effect at its next boot (modules-load.d, modprobe.d, enabled units and the loader are read then).`,
    );
  }
  lines.push('', 'Before -> after:', `  findings: ${counts(beforeFindings)} -> ${counts(afterFindings)}`);
  for (const fam of ['ipv4', 'ipv6'] as const) {
    if (rulesBefore[fam] !== undefined || rulesAfter[fam] !== undefined) {
      lines.push(`  live ${fam} rules: ${rulesBefore[fam] ?? '?'} -> ${rulesAfter[fam] ?? '?'}`);
    }
  }
  const afterIds = new Set(afterFindings.map((f) => f.id));
  for (const f of beforeFindings) {
    lines.push(`  ${afterIds.has(f.id) ? 'remains' : 'fixed  '} ${f.id}`);
  }
  for (const f of afterFindings.filter((f) => !beforeFindings.some((b) => b.id === f.id))) {
    lines.push(`  new     ${f.id}: ${f.message}`);
  }
  if (stuck.length > 0) {
    lines.push('', `The fix was applied but these are still reported: ${stuck.map((f) => f.id).join(', ')}.`);
    if (rollbackCmd !== undefined) {
      lines.push(`To undo the changes: ${rollbackCmd}`);
    }
  } else if (remaining.length > 0) {
    const todo = afterPlan.steps.filter((s) => s.class !== 'safe');
    lines.push('', 'Left for a person:');
    for (const s of todo) {
      lines.push(`  - [${s.class}] ${describeAction(s.action)}  (for ${s.findingIds.join(', ')})`);
    }
    if (todo.length === 0) {
      lines.push(`  - ${remaining.map((f) => f.id).join(', ')}: see nfdoctor diagnose`);
    }
    if (rollbackCmd !== undefined) {
      lines.push(`Undo this run: ${rollbackCmd}`);
    }
  } else if (rollbackCmd !== undefined) {
    lines.push('', `Nothing left to fix. Undo this run: ${rollbackCmd}`);
  }
  return { text: `${lines.join('\n')}\n`, exitCode };
}
