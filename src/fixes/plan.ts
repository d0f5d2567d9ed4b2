// The fix plan: which actions, in which order, for which findings. Pure: no file or command is touched here.
// Display order is the diagnosis order (root causes first); execution order groups the actions into phases
// (files, then daemon-reload, then modules, then enable/unmask, then the loader restart), the way a person would.
import { invalidReason, type Action, type Risk, type SystemctlAction } from './actions.ts';
import { actionKey } from './render-sh.ts';

export type PlanClass = Risk | 'manual';

/** Execution phases, in order. */
export const PHASES = ['file', 'daemon-reload', 'modprobe', 'enable', 'restart', 'manual'] as const;
export type Phase = (typeof PHASES)[number];

/** What the planner needs of a finding (a Finding of the engine satisfies it). */
export interface PlanFinding {
  readonly id: string;
  readonly checkId: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
  readonly fix?: { readonly actions: readonly Action[] };
}

export interface PlanStep {
  /** 1-based, in execution order. */
  readonly n: number;
  readonly action: Action;
  readonly class: PlanClass;
  readonly phase: Phase;
  /** The findings this action repairs (more than one when identical actions were merged). */
  readonly findingIds: readonly string[];
  readonly checkIds: readonly string[];
  readonly why: string;
  /** What must hold before the action runs, in words. */
  readonly precondition: string;
  /** Set when an earlier action (root cause first) changes the same line or file differently: not applied. */
  readonly conflictsWith?: number;
}

export interface FixPlan {
  /** Steps in execution order (manual ones last). */
  readonly steps: readonly PlanStep[];
  /** Findings the plan considered (after --only), root causes first. */
  readonly findings: readonly PlanFinding[];
  /** Findings that carry no fix at all. */
  readonly withoutFix: readonly string[];
  /** Actions a check proposed that name something invalid (never applied). */
  readonly rejected: readonly { readonly findingId: string; readonly reason: string }[];
}

export interface PlanOptions {
  /** Only findings of these check ids. */
  readonly only?: readonly string[];
}

export function phaseOf(a: Action): Phase {
  switch (a.kind) {
    case 'comment-line':
    case 'replace-line':
    case 'write-file':
    case 'remove-file':
      return 'file';
    case 'modprobe':
      return 'modprobe';
    case 'manual':
      return 'manual';
    case 'systemctl':
      switch (a.verb) {
        case 'daemon-reload':
          return 'daemon-reload';
        case 'enable':
        case 'unmask':
        case 'disable':
        case 'stop':
          // Stopping another firewall belongs with disabling it, before the loader restarts.
          return 'enable';
        case 'start':
        case 'restart':
          return 'restart';
      }
  }
}

export function classOf(a: Action): PlanClass {
  return a.kind === 'manual' ? 'manual' : a.risk;
}

function systemctlPrecondition(a: SystemctlAction): string {
  const unit = a.unit ?? '';
  switch (a.verb) {
    case 'daemon-reload':
      return 'none';
    case 'enable':
      return `${unit} has a unit file with an [Install] section`;
    case 'unmask':
      return `${unit} is masked`;
    case 'disable':
      return `${unit} is enabled`;
    case 'stop':
      return `${unit} is running`;
    case 'start':
    case 'restart':
      return `${unit} exists`;
  }
}

export function describePrecondition(a: Action): string {
  switch (a.kind) {
    case 'comment-line':
    case 'replace-line':
      return `line ${a.line} of ${a.file} still reads exactly: ${a.expect}`;
    case 'write-file':
      return `${a.path} does not exist yet (or already holds exactly this content)`;
    case 'remove-file':
      return `${a.path} was written by nfdoctor (its first line is the nfdoctor marker)`;
    case 'modprobe':
      return `${a.module} is not loaded yet`;
    case 'systemctl':
      return systemctlPrecondition(a);
    case 'manual':
      return 'none (a person does this)';
  }
}

/** What an action changes, for conflict detection: one line of a file, or a whole file. */
function target(a: Action): string | undefined {
  switch (a.kind) {
    case 'comment-line':
    case 'replace-line':
      return `${a.file}:${a.line}`;
    case 'write-file':
    case 'remove-file':
      return a.path;
    default:
      return undefined;
  }
}

interface Draft {
  action: Action;
  findingIds: string[];
  checkIds: string[];
  conflictsWith?: Draft;
}

function mergeRisk(a: Action, b: Action): Action {
  // The merged action is review if any finding considered it review: the stricter reading wins.
  if (a.kind !== 'manual' && b.kind !== 'manual' && a.risk === 'safe' && b.risk === 'review') {
    return { ...a, risk: 'review' };
  }
  return a;
}

export function planFix(findings: readonly PlanFinding[], opts: PlanOptions = {}): FixPlan {
  const only = opts.only;
  const chosen =
    only === undefined || only.length === 0 ? findings : findings.filter((f) => only.includes(f.checkId));
  const drafts: Draft[] = [];
  const byKey = new Map<string, Draft>();
  const byTarget = new Map<string, Draft>();
  const rejected: { findingId: string; reason: string }[] = [];
  for (const f of chosen) {
    for (const action of f.fix?.actions ?? []) {
      const bad = invalidReason(action);
      if (bad !== undefined) {
        rejected.push({ findingId: f.id, reason: bad });
        continue;
      }
      const key = actionKey(action);
      const same = byKey.get(key);
      if (same !== undefined) {
        same.action = mergeRisk(same.action, action);
        if (!same.findingIds.includes(f.id)) {
          same.findingIds.push(f.id);
        }
        if (!same.checkIds.includes(f.checkId)) {
          same.checkIds.push(f.checkId);
        }
        continue;
      }
      const d: Draft = { action, findingIds: [f.id], checkIds: [f.checkId] };
      const t = target(action);
      if (t !== undefined) {
        const earlier = byTarget.get(t);
        if (earlier !== undefined) {
          d.conflictsWith = earlier;
        } else {
          byTarget.set(t, d);
        }
      }
      byKey.set(key, d);
      drafts.push(d);
    }
  }
  // Stable sort by phase keeps root-cause order inside each phase.
  const ordered = drafts
    .map((d, i) => ({ d, i }))
    .sort((x, y) => PHASES.indexOf(phaseOf(x.d.action)) - PHASES.indexOf(phaseOf(y.d.action)) || x.i - y.i)
    .map((x) => x.d);
  const number = new Map(ordered.map((d, i) => [d, i + 1]));
  const steps = ordered.map((d, i): PlanStep => {
    const conflict = d.conflictsWith === undefined ? undefined : number.get(d.conflictsWith);
    return {
      n: i + 1,
      action: d.action,
      class: classOf(d.action),
      phase: phaseOf(d.action),
      findingIds: d.findingIds,
      checkIds: d.checkIds,
      why: d.action.why,
      precondition: describePrecondition(d.action),
      ...(conflict === undefined ? {} : { conflictsWith: conflict }),
    };
  });
  return {
    steps,
    findings: chosen,
    withoutFix: chosen.filter((f) => (f.fix?.actions ?? []).length === 0).map((f) => f.id),
    rejected,
  };
}

export interface Selection {
  /** Steps the applier runs. */
  readonly apply: readonly PlanStep[];
  /** Steps left out, with why. */
  readonly skipped: readonly { readonly step: PlanStep; readonly reason: string }[];
}

export interface SelectOptions {
  readonly includeReview: boolean;
  readonly noRestart: boolean;
}

/** Which steps `fix --apply` runs: safe ones; review ones only when asked; manual ones never. */
export function selectSteps(plan: FixPlan, opts: SelectOptions): Selection {
  const apply: PlanStep[] = [];
  const skipped: { step: PlanStep; reason: string }[] = [];
  for (const step of plan.steps) {
    if (step.class === 'manual') {
      skipped.push({ step, reason: 'a person must do this' });
    } else if (step.conflictsWith !== undefined) {
      skipped.push({ step, reason: `changes what step ${step.conflictsWith} changes; that one comes first` });
    } else if (step.class === 'review' && !opts.includeReview) {
      skipped.push({
        step,
        reason: 'review: changes what traffic is allowed or what is installed (--include-review)',
      });
    } else if (step.phase === 'restart' && opts.noRestart) {
      skipped.push({ step, reason: '--no-restart' });
    } else {
      apply.push(step);
    }
  }
  return { apply, skipped };
}

/** One line saying what an action does, for the text plan and the apply report. */
export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'comment-line':
      return `comment out line ${a.line} of ${a.file}: ${a.expect}`;
    case 'replace-line':
      return `in ${a.file}, line ${a.line}: "${a.expect}" -> "${a.text}"`;
    case 'write-file':
      return `write ${a.path} (mode ${a.mode.toString(8).padStart(4, '0')})`;
    case 'remove-file':
      return `remove ${a.path} (written by nfdoctor)`;
    case 'systemctl':
      return a.unit === undefined ? `systemctl ${a.verb}` : `systemctl ${a.verb} ${a.unit}`;
    case 'modprobe':
      return `modprobe ${a.module}`;
    case 'manual':
      return a.command === undefined ? a.instruction : `${a.instruction}: ${a.command}`;
  }
}
