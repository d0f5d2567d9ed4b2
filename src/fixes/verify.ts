// After --apply: what the re-diagnosis says about the run. A finding whose every step ran (applied, already
// satisfied, left to the next boot of a mounted root, or tried and failed) should be gone; if it is still reported
// the fix did not do what it should ("not-removed", exit 3). Findings that remain because a step was left out
// (manual, review without --include-review, --no-restart) need a person ("needs-person", exit 1).
import type { AppliedStep } from './apply.ts';
import type { FixPlan, PlanFinding, Selection } from './plan.ts';

export type VerdictKind = 'clean' | 'needs-person' | 'not-removed';

export interface Verdict {
  readonly kind: VerdictKind;
  /** Findings the run should have removed and that are still reported. */
  readonly stillPresent: readonly string[];
  /** Error and warning findings after the run. */
  readonly remaining: readonly string[];
}

export function expectedGone(
  plan: FixPlan,
  selection: Selection,
  steps: readonly AppliedStep[],
): Set<string> {
  const ran = new Set(steps.filter((s) => s.result !== 'pending' && s.result !== 'skipped').map((s) => s.n));
  const skipped = new Set(selection.skipped.map((s) => s.step.n));
  const gone = new Set<string>();
  for (const f of plan.findings) {
    const mine = plan.steps.filter((s) => s.findingIds.includes(f.id));
    if (mine.length > 0 && mine.every((s) => !skipped.has(s.n) && ran.has(s.n))) {
      gone.add(f.id);
    }
  }
  return gone;
}

export function verdict(
  plan: FixPlan,
  selection: Selection,
  steps: readonly AppliedStep[],
  after: readonly PlanFinding[],
): Verdict {
  const gone = expectedGone(plan, selection, steps);
  const stillPresent = after.filter((f) => gone.has(f.id)).map((f) => f.id);
  const remaining = after.filter((f) => f.severity !== 'info').map((f) => f.id);
  return {
    kind: stillPresent.length > 0 ? 'not-removed' : remaining.length > 0 ? 'needs-person' : 'clean',
    stillPresent,
    remaining,
  };
}
