import { describe, expect, it } from 'vitest';
import { planFix, selectSteps, type PlanFinding } from './plan.ts';
import { verdict } from './verify.ts';
import type { AppliedStep } from './apply.ts';
import type { Action } from './actions.ts';

const edit: Action = {
  kind: 'comment-line',
  file: '/etc/modprobe.d/x.conf',
  line: 1,
  expect: 'install xt_recent /bin/false',
  risk: 'safe',
  why: 'w',
};
const restart: Action = {
  kind: 'systemctl',
  verb: 'restart',
  unit: 'netfilter-persistent.service',
  risk: 'safe',
  why: 'w',
};
const manual: Action = { kind: 'manual', instruction: 'save the set', why: 'w' };

const blocked: PlanFinding = {
  id: 'kmod/module-unavailable#xt_recent',
  checkId: 'kmod/module-unavailable',
  severity: 'error',
  message: 'm',
  fix: { actions: [edit, restart] },
};
const noSet: PlanFinding = {
  id: 'ipset/set-unavailable#blocklist',
  checkId: 'ipset/set-unavailable',
  severity: 'error',
  message: 'm',
  fix: { actions: [manual] },
};

function ran(results: readonly AppliedStep['result'][]): AppliedStep[] {
  return results.map((result, i) => ({ n: i + 1, action: edit, result, detail: '' }));
}

describe('verdict after --apply', () => {
  const plan = planFix([blocked, noSet]);
  const all = selectSteps(plan, { includeReview: false, noRestart: false });

  it('clean when nothing is reported any more', () => {
    expect(verdict(plan, all, ran(['applied', 'applied']), []).kind).toBe('clean');
  });

  it('not-removed when a finding whose every step ran is still reported (also when a step failed)', () => {
    expect(verdict(plan, all, ran(['applied', 'applied']), [blocked])).toMatchObject({
      kind: 'not-removed',
      stillPresent: [blocked.id],
    });
    expect(verdict(plan, all, ran(['applied', 'failed']), [blocked]).kind).toBe('not-removed');
  });

  it('needs-person when what remains had a manual step or a step left out (--no-restart)', () => {
    expect(verdict(plan, all, ran(['applied', 'applied']), [noSet])).toMatchObject({
      kind: 'needs-person',
      remaining: [noSet.id],
    });
    const noRestart = selectSteps(plan, { includeReview: false, noRestart: true });
    expect(verdict(plan, noRestart, ran(['applied']), [blocked]).kind).toBe('needs-person');
  });

  it('info findings left over do not count', () => {
    expect(verdict(plan, all, ran(['applied', 'applied']), [{ ...noSet, severity: 'info' }]).kind).toBe(
      'clean',
    );
  });
});
