import { describe, expect, it } from 'vitest';
import { planFix, selectSteps, type PlanFinding } from './plan.ts';
import type { Action } from './actions.ts';

const restart: Action = {
  kind: 'systemctl',
  verb: 'restart',
  unit: 'netfilter-persistent.service',
  risk: 'safe',
  why: 'restores the rules',
};
const reload: Action = { kind: 'systemctl', verb: 'daemon-reload', risk: 'safe', why: 'reads the drop-in' };
const unblock: Action = {
  kind: 'comment-line',
  file: '/etc/modprobe.d/x.conf',
  line: 1,
  expect: 'install xt_recent /bin/false',
  risk: 'safe',
  why: 'unblocks',
};
const wants: Action = {
  kind: 'replace-line',
  file: '/etc/systemd/system/netfilter-persistent.service.d/r.conf',
  line: 2,
  expect: 'Requires=systemd-modules-load.service',
  text: 'Wants=systemd-modules-load.service',
  risk: 'safe',
  why: 'w',
};
const emptySet: Action = {
  kind: 'write-file',
  path: '/etc/iptables/ipsets',
  content: '# written by nfdoctor\ncreate blocklist hash:ip\n',
  mode: 0o600,
  risk: 'review',
  why: 'an empty set',
};
const saveSet: Action = {
  kind: 'manual',
  instruction: 'save the set contents',
  command: 'ipset save',
  why: 'nobody saved them',
};

function finding(
  id: string,
  actions: readonly Action[],
  severity: PlanFinding['severity'] = 'error',
): PlanFinding {
  return { id, checkId: id.split('#')[0] ?? id, severity, message: id, fix: { actions } };
}

describe('planFix', () => {
  it('orders by phase (files, daemon-reload, modprobe, enable, restart, manual), root causes first inside a phase', () => {
    const plan = planFix([
      finding('kmod/module-unavailable#xt_recent', [unblock, restart]),
      finding('boot/modules-load-config#dep', [
        { kind: 'systemctl', verb: 'enable', unit: 'netfilter-persistent.service', risk: 'safe', why: 'e' },
        reload,
        wants,
        { kind: 'modprobe', module: 'xt_recent', risk: 'safe', why: 'm' },
      ]),
      finding('ipset/set-unavailable#blocklist', [saveSet, emptySet]),
    ]);
    expect(plan.steps.map((s) => [s.n, s.phase, s.action.kind])).toEqual([
      [1, 'file', 'comment-line'],
      [2, 'file', 'replace-line'],
      [3, 'file', 'write-file'],
      [4, 'daemon-reload', 'systemctl'],
      [5, 'modprobe', 'modprobe'],
      [6, 'enable', 'systemctl'],
      [7, 'restart', 'systemctl'],
      [8, 'manual', 'manual'],
    ]);
    expect(plan.steps.map((s) => s.class)).toEqual([
      'safe',
      'safe',
      'review',
      'safe',
      'safe',
      'safe',
      'safe',
      'manual',
    ]);
    expect(plan.steps[0]?.precondition).toBe(
      'line 1 of /etc/modprobe.d/x.conf still reads exactly: install xt_recent /bin/false',
    );
  });

  it('merges identical actions, keeping every finding they repair and the stricter risk', () => {
    const plan = planFix([
      finding('a/x#1', [unblock, restart]),
      finding('b/y#2', [
        { ...restart, why: 'other words' },
        { ...unblock, risk: 'review' },
      ]),
    ]);
    expect(plan.steps).toHaveLength(2);
    expect(plan.steps[0]).toMatchObject({
      findingIds: ['a/x#1', 'b/y#2'],
      checkIds: ['a/x', 'b/y'],
      class: 'review',
    });
    expect(plan.steps[1]?.findingIds).toEqual(['a/x#1', 'b/y#2']);
  });

  it('keeps the root cause when two findings change the same line differently', () => {
    const plan = planFix([
      finding('a/x#1', [unblock]),
      finding('b/y#2', [
        {
          kind: 'replace-line',
          file: '/etc/modprobe.d/x.conf',
          line: 1,
          expect: 'install xt_recent /bin/false',
          text: 'x',
          risk: 'safe',
          why: 'w',
        },
      ]),
    ]);
    expect(plan.steps[1]?.conflictsWith).toBe(1);
    const sel = selectSteps(plan, { includeReview: true, noRestart: false });
    expect(sel.apply.map((s) => s.n)).toEqual([1]);
    expect(sel.skipped[0]?.reason).toMatch(/step 1/);
  });

  it('--only keeps the findings of the named checks', () => {
    const plan = planFix([finding('a/x#1', [unblock]), finding('b/y#2', [wants])], { only: ['b/y'] });
    expect(plan.steps.map((s) => s.findingIds)).toEqual([['b/y#2']]);
    expect(plan.findings.map((f) => f.id)).toEqual(['b/y#2']);
  });

  it('rejects actions that name invalid units, modules or paths', () => {
    const plan = planFix([
      finding('a/x#1', [
        { kind: 'modprobe', module: 'x; reboot', risk: 'safe', why: 'w' },
        { kind: 'systemctl', verb: 'restart', unit: '../../evil.service', risk: 'safe', why: 'w' },
        {
          kind: 'write-file',
          path: '/etc/../root/.ssh/authorized_keys',
          content: '',
          mode: 0o600,
          risk: 'safe',
          why: 'w',
        },
      ]),
    ]);
    expect(plan.steps).toEqual([]);
    expect(plan.rejected.map((r) => r.reason)).toEqual([
      'not a module name: x; reboot',
      'not a unit name: ../../evil.service',
      'not an absolute normalised path: /etc/../root/.ssh/authorized_keys',
    ]);
  });

  it('selectSteps: safe always, review only when asked, manual never, restart not with --no-restart', () => {
    const plan = planFix([finding('a/x#1', [unblock, emptySet, saveSet, restart])]);
    expect(
      selectSteps(plan, { includeReview: false, noRestart: false }).apply.map((s) => s.action.kind),
    ).toEqual(['comment-line', 'systemctl']);
    expect(
      selectSteps(plan, { includeReview: true, noRestart: true }).apply.map((s) => s.action.kind),
    ).toEqual(['comment-line', 'write-file']);
    expect(planFix([finding('a/x#1', [])]).withoutFix).toEqual(['a/x#1']);
  });
});
