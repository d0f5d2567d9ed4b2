// "Did each family's firewall load?" on every real lab host: the snapshots our collector took on the broken
// boot (fixtures/hosts) and the lab's own text captures (fixtures/lab-captures).
import { describe, it, expect } from 'vitest';
import { buildHostModel } from '../model/host-model.ts';
import { runChecks } from '../checks/engine.ts';
import { CHECKS } from '../checks/index.ts';
import { labHost, labAvailable } from '../testing/lab-host.ts';
import { familyStates, type FamilyVerdict } from './decision.ts';
import { diagnosedHost } from './fixture-hosts.ts';

interface Expect {
  readonly ipv4: FamilyVerdict;
  readonly ipv6: FamilyVerdict;
  /** Root-cause finding id prefixes for ipv4. */
  readonly roots?: readonly string[];
  readonly open?: boolean;
}

const HOSTS: Readonly<Record<string, Expect>> = {
  healthy: { ipv4: 'loaded', ipv6: 'not-configured', open: false },
  'linode-modules-load': { ipv4: 'loaded', ipv6: 'not-configured', open: false },
  'linode-modules-load-requires': { ipv4: 'loaded', ipv6: 'not-configured', open: false },
  'modules-load-fails': { ipv4: 'loaded', ipv6: 'not-configured', open: false },
  'missing-xt-recent': {
    ipv4: 'not-loaded',
    ipv6: 'not-configured',
    roots: ['kmod/module-unavailable#xt_recent:blocked'],
    open: true,
  },
  'missing-xt-recent-notest': {
    ipv4: 'not-loaded',
    ipv6: 'not-configured',
    roots: ['kmod/module-unavailable#xt_recent:blocked'],
    open: true,
  },
  'ipset-missing-set': {
    ipv4: 'not-loaded',
    ipv6: 'not-configured',
    roots: ['ipset/set-unavailable#blocklist'],
    open: true,
  },
  'modules-load-fails-requires': {
    ipv4: 'not-loaded',
    ipv6: 'not-configured',
    roots: ['boot/modules-load-config#xt_recent:insert'],
    open: true,
  },
  'dev-vm-no-modules': { ipv4: 'not-configured', ipv6: 'not-configured' },
};

describe('familyStates on the collector snapshots of real lab boots', () => {
  for (const [host, want] of Object.entries(HOSTS)) {
    it(
      host,
      async () => {
        const { model, result } = await diagnosedHost(host);
        const [v4, v6] = familyStates(model, result);
        expect(v4?.family).toBe('ipv4');
        expect(v4?.verdict).toBe(want.ipv4);
        expect(v6?.verdict).toBe(want.ipv6);
        if (want.open !== undefined) {
          expect(v4?.liveOpen).toBe(want.open);
        }
        const roots = v4?.rootCauses.map((f) => f.id) ?? [];
        for (const prefix of want.roots ?? []) {
          expect(
            roots.some((id) => id.startsWith(prefix)),
            `${roots.join(', ')} has ${prefix}`,
          ).toBe(true);
        }
        if (want.ipv4 === 'not-loaded') {
          expect(
            v4?.evidence.every((f) => f.subjects.includes('ruleset-not-loaded:/etc/iptables/rules.v4')),
          ).toBe(true);
          expect(v4?.files).toEqual(['/etc/iptables/rules.v4']);
        } else {
          expect(v4?.evidence).toEqual([]);
        }
      },
      60_000,
    );
  }
});

describe.skipIf(!labAvailable)('familyStates on the lab text captures', () => {
  const LAB: Readonly<Record<string, FamilyVerdict>> = {
    healthy: 'loaded',
    'missing-xt-recent': 'not-loaded',
    'ipset-missing-set': 'not-loaded',
    'modules-load-fails-requires': 'not-loaded',
    'modules-load-fails': 'loaded',
    'linode-modules-load': 'loaded',
  };
  for (const [scenario, verdict] of Object.entries(LAB)) {
    it(
      scenario,
      async () => {
        const model = await buildHostModel(labHost(scenario));
        const [v4] = familyStates(model, runChecks(CHECKS, model));
        expect(v4?.verdict).toBe(verdict);
      },
      60_000,
    );
  }
});

describe('undecided', () => {
  it('is unknown, not loaded, when the live ruleset could not be read', async () => {
    const model = await buildHostModel(labHost('healthy'));
    const withoutLive = { ...model, liveRules: [] };
    const [v4] = familyStates(withoutLive, runChecks(CHECKS, withoutLive));
    expect(v4?.verdict).toBe('unknown');
    expect(v4?.reason).toMatch(/rules\.v4|live/);
  }, 60_000);
});
