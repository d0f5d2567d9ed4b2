// The proof on real boots: snapshots our collector took on the boot AFTER `nfdoctor fix --apply --yes` had repaired
// a broken lab VM and the VM had rebooted (fixtures/hosts/NAME.after-fix.tar.gz, see fixtures/hosts/README.md).
// Each must show the firewall up and no error (or warning) left, as issue 7 asks per scenario.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openSnapshot } from '../sources/snapshot-reader.ts';
import { buildHostModel } from '../model/host-model.ts';
import { runChecks } from '../checks/engine.ts';
import { CHECKS } from '../checks/index.ts';
import { liveView } from '../checks/loader/live-rules.ts';
import { countRules } from '../model/ruleset-compare.ts';
import type { Severity } from '../checks/types.ts';

const HOSTS = join(import.meta.dirname, '../../fixtures/hosts');

interface Expectation {
  /** Severities that must not appear after the fix and the reboot. */
  readonly none: readonly Severity[];
  /** Findings that may (must) remain: what needs a person. */
  readonly remaining?: readonly string[];
  /** Every saved IPv4 rule is live. */
  readonly rulesUp: boolean;
}

const SCENARIOS: Readonly<Record<string, Expectation>> = {
  healthy: { none: ['error', 'warning'], rulesUp: true },
  'missing-xt-recent': { none: ['error', 'warning'], rulesUp: true },
  'missing-xt-recent-notest': { none: ['error', 'warning'], rulesUp: true },
  'modules-load-fails': { none: ['error', 'warning'], rulesUp: true },
  'modules-load-fails-requires': { none: ['error', 'warning'], rulesUp: true },
  // The provider kernel has no module tree: a person chooses the kernel; nothing else is wrong.
  'linode-modules-load': { none: ['error'], rulesUp: true },
  'linode-modules-load-requires': { none: ['error'], rulesUp: true },
  // kernel.modules_disabled=1 stays (a hardening choice): the modules-load.d entries load the rules' modules
  // before systemd-sysctl disables loading, so the rules come up with the setting kept.
  'modules-disabled': { none: ['error', 'warning'], rulesUp: true },
  // Fixed from the state an administrator leaves (module loaded by hand, rules up): the blacklist line is
  // commented out, so after the reboot the kernel loads xt_recent itself.
  'blacklisted-module': { none: ['error', 'warning'], rulesUp: true },
  // The same on iptables-legacy: fixed from the broken boot itself (nothing loaded by hand).
  'legacy-blacklisted-module': { none: ['error', 'warning'], rulesUp: true },
  // Fixed from the broken boot: only the xt_recent line of dev-sec's `install X /bin/true` list is commented out.
  'hardening-install-true': { none: ['error', 'warning'], rulesUp: true },
  // Only the blacklist line the kernel's alias request hits is commented out; `blacklist ts_bm` stays (harmless).
  'blacklist-name-vs-alias': { none: ['error', 'warning'], rulesUp: true },
  // Nobody saved the set: it stays a manual step; the rules stay down, as before the fix, nothing worse.
  'ipset-missing-set': { none: [], remaining: ['ipset/set-unavailable#'], rulesUp: false },
  // The drop-in ordered the admin's own ipset unit before the loader: the sets first, 5 rules live (the
  // collector now takes that unit's drop-ins, so the snapshot shows the order too).
  'ipset-own-unit-unordered': { none: ['error', 'warning'], rulesUp: true },
};

describe('after fix --apply and a reboot (real lab VMs)', () => {
  const hardening = join(HOSTS, 'hardening-install-true.after-fix.tar.gz');
  it.skipIf(!existsSync(hardening))(
    "hardening-install-true: the fix touched one line of the hardening list, and the reboot kept the others' blocks",
    async () => {
      const reader = await openSnapshot(hardening);
      const file = await reader.readFile('/etc/modprobe.d/dev-sec.conf');
      const lines = file.status === 'ok' ? file.content.toString('utf8').split('\n') : [];
      expect(lines.filter((l) => l.startsWith('install ') && l.endsWith(' /bin/true'))).toHaveLength(12);
      expect(lines[12]).toBe('# disabled by nfdoctor: install xt_recent /bin/true');
      const modules = await reader.readFile('/proc/modules');
      const text = modules.status === 'ok' ? modules.content.toString('utf8') : '';
      const loaded = text.split('\n').map((l) => l.split(' ')[0]);
      expect(loaded).toEqual(expect.arrayContaining(['xt_recent', 'xt_sctp']));
      expect(loaded).not.toContain('sctp');
    },
  );

  for (const [name, want] of Object.entries(SCENARIOS)) {
    const file = join(HOSTS, `${name}.after-fix.tar.gz`);
    it.skipIf(!existsSync(file))(name, async () => {
      const model = await buildHostModel(await openSnapshot(file));
      const result = runChecks(CHECKS, model);
      const bad = result.findings.filter((f) => want.none.includes(f.severity));
      expect(bad.map((f) => `${f.severity} ${f.id}: ${f.message}`)).toEqual([]);
      for (const prefix of want.remaining ?? []) {
        expect(
          result.findings.some((f) => f.id.startsWith(prefix)),
          prefix,
        ).toBe(true);
      }
      expect(result.checks.filter((c) => c.status === 'error')).toEqual([]);
      const saved = model.savedRules.find((s) => s.family === 'ipv4');
      const live = liveView(model, 'ipv4');
      expect(live.status).toBe('known');
      if (want.rulesUp && live.status === 'known') {
        expect(live.rules).toBe(countRules(saved?.ruleset));
        expect(live.rules).toBeGreaterThan(0);
      }
    });
  }
});
