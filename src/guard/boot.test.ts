// The boot run on real lab hosts, with every effect recorded instead of done.
import { describe, it, expect } from 'vitest';
import { CHECKS } from '../checks/index.ts';
import { emergencyModules, emergencyProblems, runBoot, type BootEffects, type GuardConfig } from './boot.ts';
import { loadGroundTruth, readCapture, readProbes } from '../testing/module-probes.ts';
import { parseFastState, type FastState } from './fast.ts';
import { emergencyRuleset, parseAllow, type Allow } from './emergency.ts';
import { BOOT_JSON, MESSAGE_IDS, MOTD_FILE } from './messages.ts';
import { diagnosedHost } from './fixture-hosts.ts';
import { buildHostModel, type HostModel } from '../model/host-model.ts';
import { labHost } from '../testing/lab-host.ts';

interface Recorded {
  readonly files: Map<string, string>;
  readonly removed: string[];
  readonly journal: Record<string, string>[];
}

function recorder(): { effects: BootEffects; rec: Recorded } {
  const rec: Recorded = { files: new Map(), removed: [], journal: [] };
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
  };
  return { effects, rec };
}

const FAIL_CLOSED: GuardConfig = {
  failClosed: true,
  allow: [parseAllow('10.0.2.0/24:22') as Allow],
  textfileDir: '/var/lib/prometheus/node-exporter',
};
const META = { version: '0.0.0-test', time: new Date('2026-12-02T02:00:00Z'), bootId: 'b0' };

/** What the pre-network script writes (src/guard/fast.ts), for an ipv4 family. */
function fastState(lines: readonly string[]): FastState {
  return parseFastState(
    [
      'boot=b0',
      'failclosed=1',
      'ipv4.files=/etc/iptables/rules.v4',
      'ipv4.backend=nft',
      ...lines,
      'ipv6.verdict=not-configured',
      '',
    ].join('\n'),
  );
}
const APPLIED = fastState([
  'ipv4.verdict=not-loaded',
  'ipv4.failclosed=applied',
  'ipv4.variant=stateful',
  'ipv4.command=iptables-nft-restore --noflush',
]);
const LIVE = fastState(['ipv4.verdict=live']);

async function boot(
  host: string,
  config: GuardConfig,
  fast: FastState | undefined,
  patch?: (m: HostModel) => HostModel,
) {
  const { model, result } = await diagnosedHost(host);
  const m = patch === undefined ? model : patch(model);
  const { effects, rec } = recorder();
  const outcome = await runBoot(m, result, CHECKS, config, effects, META, fast);
  return { outcome, rec };
}

describe('runBoot', () => {
  for (const [host, root] of [
    ['missing-xt-recent', 'kmod/module-unavailable#xt_recent:blocked'],
    ['ipset-missing-set', 'ipset/set-unavailable#blocklist'],
    ['modules-load-fails-requires', 'boot/modules-load-config#xt_recent:insert'],
  ] as const) {
    it(`${host}: one err journal entry with the root cause, emergency ruleset, boot.json, textfile, banner`, async () => {
      const { outcome, rec } = await boot(host, FAIL_CLOSED, APPLIED);
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
      expect(j.MESSAGE).toMatch(
        /emergency stateful ruleset loaded \(loopback, established\/related replies, 10\.0\.2\.0\/24:22/,
      );
      const record = JSON.parse(rec.files.get(BOOT_JSON) ?? '{}') as {
        families: { family: string; verdict: string; failClosed: { status: string } }[];
        diagnosis: { findings: { id: string }[] };
        bootId: string;
        preNetwork: FastState;
      };
      expect(record.bootId).toBe('b0');
      expect(record.preNetwork.families.ipv4?.verdict).toBe('not-loaded');
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
    const { outcome, rec } = await boot('healthy', FAIL_CLOSED, LIVE);
    expect(outcome.good).toBe(true);
    expect(rec.journal).toEqual([]);
    expect(rec.removed).toEqual([MOTD_FILE]);
    expect([...rec.files.keys()].sort()).toEqual([
      BOOT_JSON,
      '/var/lib/prometheus/node-exporter/nfdoctor.prom',
    ]);
    expect(rec.files.get('/var/lib/prometheus/node-exporter/nfdoctor.prom')).toMatch(
      /nfdoctor_firewall_loaded\{family="ipv4"\} 1/,
    );
  }, 60_000);

  it('without --fail-closed: alerts, says nothing about an emergency ruleset', async () => {
    const off = fastState(['ipv4.verdict=not-loaded', 'ipv4.failclosed=off']);
    const { rec } = await boot('missing-xt-recent', { failClosed: false, allow: [] }, off);
    expect(rec.journal[0]?.NFDOCTOR_FAIL_CLOSED).toBe('off');
    expect(rec.files.has('/var/lib/prometheus/node-exporter/nfdoctor.prom')).toBe(false);
    expect(rec.files.get(MOTD_FILE)).not.toContain('emergency');
  }, 60_000);

  it('never over rules that were there: the pre-network check saw live rules, the diagnosis finds them wrong', async () => {
    const { rec } = await boot('missing-xt-recent', FAIL_CLOSED, LIVE);
    expect(rec.journal[0]?.NFDOCTOR_FAIL_CLOSED).toBe('refused');
    expect(rec.journal[0]?.MESSAGE).toMatch(
      /already had rules before the network came up; the guard does not replace them/,
    );
    expect(rec.files.get(MOTD_FILE)).not.toContain('emergency');
  }, 60_000);

  it('says so when iptables-restore refused both variants, with what it said', async () => {
    const refused = fastState([
      'ipv4.verdict=not-loaded',
      'ipv4.stateful=iptables-restore: line 5 failed',
      'ipv4.stateless=iptables-restore: line 5 failed',
      'ipv4.failclosed=refused',
      'ipv4.detail=iptables-nft-restore --noflush refused both emergency rulesets',
    ]);
    const { rec } = await boot('ipset-missing-set', FAIL_CLOSED, refused);
    expect(rec.journal[0]?.NFDOCTOR_FAIL_CLOSED).toBe('refused');
    expect(rec.journal[0]?.MESSAGE).toMatch(
      /Fail-closed NOT applied: iptables-nft-restore --noflush refused both emergency rulesets \(stateful: iptables-restore: line 5 failed; stateless: /,
    );
    expect(rec.files.get(MOTD_FILE)).not.toContain('emergency');
  }, 60_000);

  it('says so when the pre-network check did not run', async () => {
    const { rec } = await boot('missing-xt-recent', FAIL_CLOSED, undefined);
    expect(rec.journal[0]?.NFDOCTOR_FAIL_CLOSED).toBe('refused');
    expect(rec.journal[0]?.MESSAGE).toMatch(/the pre-network check did not run this boot/);
  }, 60_000);

  it('install-time kernel check: conntrack blocked -> the stateful emergency ruleset cannot be provided', async () => {
    const problems = async (conf: string, variant: 'stateful' | 'stateless') => {
      const model = await buildHostModel(
        labHost('modules-load-fails-requires', { files: { '/etc/modprobe.d/zz-test.conf': conf } }),
      );
      return emergencyProblems(model, 'ipv4', emergencyRuleset('ipv4', FAIL_CLOSED.allow, variant));
    };
    expect((await problems('install xt_conntrack /bin/false\n', 'stateful')).join()).toMatch(/xt_conntrack/);
    expect(await problems('install xt_conntrack /bin/false\n', 'stateless')).toEqual([]);
    // nf_tables is already loaded on that boot, so blocking it changes nothing: the check asks what the
    // running kernel has, not what modprobe.d says about loading it again.
    expect(await problems('install nf_tables /bin/false\n', 'stateful')).toEqual([]);
  }, 60_000);
  it('install-time preload list: every module the real kernel loaded for the same matches, per backend', async () => {
    const model = await buildHostModel(labHost('modules-load-fails-requires'));
    const texts = (['stateful', 'stateless'] as const).map((v) =>
      emergencyRuleset('ipv4', FAIL_CLOSED.allow, v),
    );
    // module-probes ground truth (a real 6.1 kernel, nothing loaded before each probe): -m conntrack and -m tcp,
    // the two matches of the ipv4 emergency rulesets that are not native nf_tables expressions.
    const { probes, capture } = loadGroundTruth();
    const ids = new Set(
      readProbes(probes)
        .filter((p) => p.family === 'ipv4' && (p.source === 'libxt_conntrack' || p.source === 'libxt_tcp'))
        .map((p) => p.id),
    );
    for (const backend of ['nft', 'legacy'] as const) {
      const predicted = await emergencyModules(model, 'ipv4', backend, texts);
      const measured = readCapture(capture).filter(
        (m) => m.backend === backend && ids.has(m.id) && m.rc === 0,
      );
      expect(measured.length, backend).toBeGreaterThanOrEqual(2);
      for (const m of measured.flatMap((x) => x.loaded)) {
        expect(predicted, `${backend}: ${m}`).toContain(m);
      }
    }
    // The real guard boot of modules-load-fails-requires gained exactly these (lsmod of that capture).
    expect(await emergencyModules(model, 'ipv4', 'nft', texts)).toEqual(
      expect.arrayContaining([
        'nfnetlink',
        'nf_tables',
        'nft_compat',
        'x_tables',
        'xt_conntrack',
        'xt_tcpudp',
      ]),
    );
  }, 60_000);
});
