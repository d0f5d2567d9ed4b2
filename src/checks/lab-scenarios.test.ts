// End to end: every lab scenario (a real Debian 12 boot broken in a named way) diagnosed with the right root
// cause and chain. Runs on the lab's text captures and, where present, on the snapshot our own collector
// took inside the same broken VM (fixtures/hosts/<scenario>.tar.gz, full JSON journal).
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labHost } from '../testing/lab-host.ts';
import { openSnapshot } from '../sources/snapshot-reader.ts';
import { buildHostModel } from '../model/host-model.ts';
import { runChecks, type DiagnosisResult } from './engine.ts';
import { CHECKS } from './index.ts';
import type { HostReader } from '../sources/host-reader.ts';

const HOSTS = join(import.meta.dirname, '../../fixtures/hosts');

interface Expectation {
  /** "checkId#key" prefixes of the root causes (findings caused by nothing), in report order. */
  readonly roots: readonly string[];
  /** [finding, one of its causes] pairs that must be linked. */
  readonly chain: readonly (readonly [string, string])[];
  readonly worst: 'error' | 'warning' | 'none';
}

const SCENARIOS: Readonly<Record<string, Expectation>> = {
  healthy: { roots: [], chain: [], worst: 'none' },
  'missing-xt-recent': {
    roots: ['kmod/module-unavailable#xt_recent:blocked'],
    chain: [
      ['loader/restore-failed#/etc/iptables/rules.v4:7', 'kmod/module-unavailable#xt_recent:blocked'],
      [
        'loader/restore-failed#unit:netfilter-persistent.service',
        'loader/restore-failed#/etc/iptables/rules.v4:7',
      ],
    ],
    worst: 'error',
  },
  'missing-xt-recent-notest': {
    roots: ['kmod/module-unavailable#xt_recent:blocked'],
    chain: [['loader/restore-failed#/etc/iptables/rules.v4:8', 'kmod/module-unavailable#xt_recent:blocked']],
    worst: 'error',
  },
  'linode-modules-load': {
    roots: ['kmod/no-modules-dir#'],
    chain: [
      ['boot/modules-load-config#/etc/modules-load.d/modules.conf:7:not-found', 'kmod/no-modules-dir#'],
    ],
    worst: 'warning',
  },
  'linode-modules-load-requires': {
    roots: ['kmod/no-modules-dir#'],
    chain: [
      ['boot/modules-load-config#/etc/modules-load.d/modules.conf:7:not-found', 'kmod/no-modules-dir#'],
    ],
    worst: 'warning',
  },
  'modules-load-fails': { roots: ['boot/modules-load-config#xt_recent:insert'], chain: [], worst: 'error' },
  'modules-load-fails-requires': {
    roots: ['boot/modules-load-config#xt_recent:insert'],
    chain: [
      [
        'boot/modules-load-config#netfilter-persistent.service:dependency',
        'boot/modules-load-config#xt_recent:insert',
      ],
      [
        'loader/silent-failure#/etc/iptables/rules.v4:never-loaded',
        'boot/modules-load-config#netfilter-persistent.service:dependency',
      ],
    ],
    worst: 'error',
  },
  'ipset-missing-set': {
    roots: ['ipset/set-unavailable#blocklist'],
    chain: [
      ['loader/silent-failure#/etc/iptables/rules.v4:7', 'ipset/set-unavailable#blocklist'],
      [
        'loader/silent-failure#/etc/iptables/rules.v4:no-rules',
        'loader/silent-failure#/etc/iptables/rules.v4:7',
      ],
    ],
    worst: 'error',
  },
};

async function diagnose(reader: HostReader): Promise<DiagnosisResult> {
  return runChecks(CHECKS, await buildHostModel(reader));
}

function assertScenario(result: DiagnosisResult, want: Expectation): void {
  const ids = new Set(result.findings.map((f) => f.id));
  const roots = result.findings.filter((f) => !f.causedBy.some((c) => ids.has(c))).map((f) => f.id);
  expect(roots.length).toBe(want.roots.length);
  want.roots.forEach((prefix, i) => {
    expect(roots[i]).toContain(prefix);
  });
  for (const [finding, cause] of want.chain) {
    const f = result.findings.find((x) => x.id === finding);
    expect(f, `finding ${finding}`).toBeDefined();
    expect(
      f?.causedBy.some((c) => c.startsWith(cause)),
      `${finding} caused by ${cause}: ${f?.causedBy.join(', ') ?? ''}`,
    ).toBe(true);
    // Root causes are reported before what they explain.
    const at = result.findings.findIndex((x) => x.id === finding);
    const causeAt = result.findings.findIndex((x) => x.id.startsWith(cause));
    expect(causeAt).toBeLessThan(at);
  }
  const worst = result.findings.some((f) => f.severity === 'error')
    ? 'error'
    : result.findings.some((f) => f.severity === 'warning')
      ? 'warning'
      : 'none';
  expect(worst).toBe(want.worst);
  for (const f of result.findings) {
    expect(f.evidence.length, f.id).toBeGreaterThan(0);
  }
  expect(result.checks.filter((c) => c.status === 'error')).toEqual([]);
}

describe('every lab scenario is diagnosed with the right root cause and chain', () => {
  for (const [scenario, want] of Object.entries(SCENARIOS)) {
    it(`${scenario} (lab text capture)`, async () => {
      assertScenario(await diagnose(labHost(scenario)), want);
    });
    const snapshot = join(HOSTS, `${scenario}.tar.gz`);
    it.skipIf(!existsSync(snapshot))(`${scenario} (snapshot from our collector in the same VM)`, async () => {
      assertScenario(await diagnose(await openSnapshot(snapshot)), want);
    });
  }
});
