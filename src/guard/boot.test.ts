// The boot run on real lab hosts, with every effect recorded instead of done.
import { describe, it, expect } from 'vitest';
import { CHECKS } from '../checks/index.ts';
import { runBoot, type BootEffects, type GuardConfig, type RestoreResult } from './boot.ts';
import { parseAllow, type Allow } from './emergency.ts';
import { BOOT_JSON, MESSAGE_IDS, MOTD_FILE } from './messages.ts';
import { diagnosedHost } from './fixture-hosts.ts';
import type { Family } from '../knowledge/extensions.ts';
import { buildHostModel, type HostModel } from '../model/host-model.ts';
import { runChecks } from '../checks/engine.ts';
import { labHost } from '../testing/lab-host.ts';

interface Recorded {
  readonly files: Map<string, string>;
  readonly removed: string[];
  readonly journal: Record<string, string>[];
  readonly restores: { family: Family; text: string }[];
}

function recorder(restoreOk = true): { effects: BootEffects; rec: Recorded } {
  const rec: Recorded = { files: new Map(), removed: [], journal: [], restores: [] };
  const effects: BootEffects = {
    writeFile: (p, t) => {
      rec.files.set(p, t);
      return Promise.resolve();
    },
    removeFile: (p) => {
      rec.removed.push(p);
      return Promise.resolve();
    },
    journal: (f) => {
      rec.journal.push({ ...f });
      return Promise.resolve();
    },
    restore: (family, text): Promise<RestoreResult> => {
      rec.restores.push({ family, text });
      return Promise.resolve({
        ok: restoreOk,
        command: 'iptables-restore --noflush',
        detail: restoreOk ? '' : 'boom',
      });
    },
  };
  return { effects, rec };
}

const FAIL_CLOSED: GuardConfig = {
  failClosed: true,
  allow: [parseAllow('10.0.2.0/24:22') as Allow],
  textfileDir: '/var/lib/prometheus/node-exporter',
};
const META = { version: '0.0.0-test', time: new Date('2026-12-02T02:00:00Z'), bootId: 'b0' };

async function boot(
  host: string,
  config: GuardConfig,
  restoreOk = true,
  patch?: (m: HostModel) => HostModel,
) {
  const { model, result } = await diagnosedHost(host);
  const m = patch === undefined ? model : patch(model);
  const { effects, rec } = recorder(restoreOk);
  const outcome = await runBoot(m, result, CHECKS, config, effects, META);
  return { outcome, rec };
}

describe('runBoot', () => {
  for (const [host, root] of [
    ['missing-xt-recent', 'kmod/module-unavailable#xt_recent:blocked'],
    ['ipset-missing-set', 'ipset/set-unavailable#blocklist'],
    ['modules-load-fails-requires', 'boot/modules-load-config#xt_recent:insert'],
  ] as const) {
    it(`${host}: one err journal entry with the root cause, emergency ruleset, boot.json, textfile, banner`, async () => {
      const { outcome, rec } = await boot(host, FAIL_CLOSED);
      expect(outcome.good).toBe(false);
      expect(rec.journal).toHaveLength(1);
      const j = rec.journal[0] ?? {};
      expect(j.MESSAGE_ID).toBe(MESSAGE_IDS.notLoaded);
      expect(j.MESSAGE_ID).toMatch(/^[0-9a-f]{32}$/);
      expect(j.PRIORITY).toBe('3');
      expect(j.NFDOCTOR_FAMILY).toBe('ipv4');
      expect(j.NFDOCTOR_ROOT_CAUSE).toContain(root);
      expect(j.NFDOCTOR_FAIL_CLOSED).toBe('applied');
      expect(j.MESSAGE).toMatch(/ipv4 firewall did not load at boot \(\/etc\/iptables\/rules\.v4\)/);
      expect(j.MESSAGE).toMatch(/Root cause: /);
      expect(j.MESSAGE).toMatch(/nfdoctor guard release/);
      expect(j.MESSAGE).not.toContain('\n');
      expect(rec.restores.map((r) => r.family)).toEqual(['ipv4']);
      expect(rec.restores[0]?.text).toContain('-s 10.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT');
      expect(rec.restores[0]?.text).toContain('--ctstate RELATED,ESTABLISHED');
      const record = JSON.parse(rec.files.get(BOOT_JSON) ?? '{}') as {
        families: { family: string; verdict: string; failClosed: { status: string } }[];
        diagnosis: { findings: { id: string }[] };
        bootId: string;
      };
      expect(record.bootId).toBe('b0');
      expect(record.families[0]).toMatchObject({
        family: 'ipv4',
        verdict: 'not-loaded',
        failClosed: { status: 'applied' },
      });
      expect(record.diagnosis.findings.some((f) => f.id.startsWith(root))).toBe(true);
      expect(rec.files.get('/var/lib/prometheus/node-exporter/nfdoctor.prom')).toMatch(
        /nfdoctor_firewall_loaded\{family="ipv4"\} 0\n[\s\S]*nfdoctor_guard_emergency_ruleset\{family="ipv4"\} 1/,
      );
      expect(rec.files.get(MOTD_FILE)).toMatch(/ipv4 firewall did NOT load[\s\S]*nfdoctor guard release/);
      expect(rec.removed).toEqual([]);
    }, 60_000);
  }

  it('healthy: silent, changes nothing, clears the banner', async () => {
    const { outcome, rec } = await boot('healthy', FAIL_CLOSED);
    expect(outcome.good).toBe(true);
    expect(rec.journal).toEqual([]);
    expect(rec.restores).toEqual([]);
    expect(rec.removed).toEqual([MOTD_FILE]);
    expect([...rec.files.keys()].sort()).toEqual([
      BOOT_JSON,
      '/var/lib/prometheus/node-exporter/nfdoctor.prom',
    ]);
    expect(rec.files.get('/var/lib/prometheus/node-exporter/nfdoctor.prom')).toMatch(
      /nfdoctor_firewall_loaded\{family="ipv4"\} 1/,
    );
  }, 60_000);

  it('without --fail-closed: alerts, loads nothing', async () => {
    const { rec } = await boot('missing-xt-recent', { failClosed: false, allow: [] });
    expect(rec.restores).toEqual([]);
    expect(rec.journal[0]?.NFDOCTOR_FAIL_CLOSED).toBe('off');
    expect(rec.files.has('/var/lib/prometheus/node-exporter/nfdoctor.prom')).toBe(false);
    expect(rec.files.get(MOTD_FILE)).not.toContain('emergency');
  }, 60_000);

  it('never over rules that are there: a family with live rules is left alone', async () => {
    const { rec } = await boot('missing-xt-recent', FAIL_CLOSED, true, (m) => {
      const healthyLive = m.liveRules.map((l) =>
        l.ruleset === undefined
          ? l
          : {
              ...l,
              ruleset: {
                ...l.ruleset,
                tables: [
                  {
                    ...(l.ruleset.tables[0] ?? { name: 'filter', line: 1, chains: [], rules: [] }),
                    name: 'filter',
                    chains: [{ name: 'INPUT', policy: 'DROP', builtin: true, line: 2 }],
                  },
                ],
              },
            },
      );
      return { ...m, liveRules: healthyLive } as HostModel;
    });
    expect(rec.restores).toEqual([]);
    expect(rec.journal[0]?.NFDOCTOR_FAIL_CLOSED).toBe('refused');
    expect(rec.journal[0]?.MESSAGE).toMatch(/already has rules; the guard does not replace them/);
  }, 60_000);

  it('says so when iptables-restore refuses both variants', async () => {
    const { rec } = await boot('ipset-missing-set', FAIL_CLOSED, false);
    expect(rec.restores.map((r) => r.text.includes('conntrack'))).toEqual([true, false]);
    expect(rec.journal[0]?.NFDOCTOR_FAIL_CLOSED).toBe('refused');
    expect(rec.journal[0]?.MESSAGE).toMatch(/Fail-closed NOT applied: .*boom/);
    expect(rec.files.get(MOTD_FILE)).not.toContain('emergency');
  }, 60_000);

  it('checks the running kernel first: conntrack blocked -> the stateless variant', async () => {
    const run = async (conf: string) => {
      const model = await buildHostModel(
        labHost('modules-load-fails-requires', { files: { '/etc/modprobe.d/zz-test.conf': conf } }),
      );
      const { effects, rec } = recorder();
      await runBoot(model, runChecks(CHECKS, model), CHECKS, FAIL_CLOSED, effects, META);
      return rec;
    };
    const noConntrack = await run('install xt_conntrack /bin/false\n');
    expect(noConntrack.restores).toHaveLength(1);
    expect(noConntrack.restores[0]?.text).not.toContain('conntrack');
    expect(noConntrack.journal[0]?.MESSAGE).toMatch(/emergency stateless ruleset loaded/);
    // nf_tables is already loaded on that boot, so blocking it changes nothing: the check asks what the
    // running kernel has, not what modprobe.d says about loading it again.
    const loaded = await run('install nf_tables /bin/false\n');
    expect(loaded.restores[0]?.text).toContain('conntrack');
  }, 60_000);
});
