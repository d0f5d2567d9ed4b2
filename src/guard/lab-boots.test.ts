// What the guard did on real boots of the lab VM (Debian 12, systemd 252, TCG on a loaded 2-core host): the
// evidence the guard-scenario.sh check hook recorded on the broken boot (fixtures/lab-captures/guard-<scenario>/
// check.log, "== title" sections, extracted by lab/extract-guard-capture.sh), after `guard install --fail-closed
// --allow 10.0.2.0/24:22 --textfile ...` on the setup boot. Only captures that exist are checked (the VM runs
// are not part of CI).
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_CAPTURES } from '../testing/lab-host.ts';
import { MESSAGE_IDS } from './messages.ts';
import { parseFastState } from './fast.ts';

function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let title = '';
  for (const line of text.split('\n')) {
    const m = /^== (.*)$/.exec(line);
    if (m != null) {
      title = m[1] ?? '';
      out.set(title, '');
    } else if (title !== '') {
      out.set(title, `${out.get(title) ?? ''}${line}\n`);
    }
  }
  return out;
}

/** systemd's time spans as systemd-analyze prints them: "211ms", "5.206s", "1min 1.073s". In milliseconds. */
export function spanMs(text: string): number {
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(min|ms|us|s|h)\b/g)) {
    const f = { h: 3_600_000, min: 60_000, s: 1000, ms: 1, us: 0.001 }[unit ?? 's'] ?? 0;
    ms += Number(n) * f;
  }
  return ms;
}

/** "unit Key=123 Key2=456" lines of the "boot timestamps" section -> unit -> key -> microseconds. */
function timestamps(text: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const line of text.split('\n')) {
    const [unit, ...kv] = line.trim().split(/\s+/);
    if (unit === undefined || !/\.(service|target)$/.test(unit)) {
      continue;
    }
    out.set(unit, new Map(kv.map((p) => p.split('=')).map(([k, v]) => [k ?? '', Number(v)])));
  }
  return out;
}

const BAD: Readonly<Record<string, string>> = {
  'missing-xt-recent': 'kmod/module-unavailable#xt_recent:blocked',
  'ipset-missing-set': 'ipset/set-unavailable#blocklist',
  'modules-load-fails-requires': 'boot/modules-load-config#xt_recent:insert',
};

describe('spanMs', () => {
  it('reads systemd-analyze spans', () => {
    expect(spanMs('211ms')).toBe(211);
    expect(spanMs('5.206s')).toBeCloseTo(5206);
    expect(spanMs('1min 1.073s')).toBeCloseTo(61_073);
  });
});

// guard-healthy-final: a second healthy boot, with the committed script (state written before the restore,
// TimeoutStartSec=90); the others ran the script of their commit (see fixtures' pre/pre.out and the notes).
// The -quiet captures were taken with nothing else running on the host (load < 2), with the guard-boot script
// (no nft save without nf_tables, one modprobe -a before the emergency restore, Nice=-10): there the < 1 s
// boot cost the guard promises must hold, on a bad boot (emergency restore included) as on a good one:
// healthy 0.389 s, missing-xt-recent 0.336 s, ipset-missing-set 0.304 s, and 0.538 s on
// modules-load-fails-requires, where no netfilter module was loaded before the guard (the script before took
// 4.178 s on that boot, quiet).
const QUIET = new Set([
  'missing-xt-recent-quiet',
  'ipset-missing-set-quiet',
  'healthy-quiet',
  'modules-load-fails-requires-quiet',
]);
for (const capture of [
  'missing-xt-recent',
  'ipset-missing-set',
  'modules-load-fails-requires',
  'healthy',
  'healthy-final',
  'missing-xt-recent-quiet',
  'healthy-quiet',
  'modules-load-fails-requires-quiet',
  'ipset-missing-set-quiet',
  // guard-boot branch: the script that runs no nft save without nf_tables and preloads the emergency
  // ruleset's modules in one modprobe, unit at Nice=-10 (host under load 6-8: every other boot unit 5-9x
  // slower than on the -quiet captures; pre-network unit 4.078 s there, against 4.178 s quiet before).
  'modules-load-fails-requires-preload',
  'healthy-preload',
  // The same boot with main's script (bundle of 32c530f) right after, the host as loaded: 35.456 s.
  'modules-load-fails-requires-oldscript',
]) {
  const scenario = capture.replace(/-(final|quiet|preload|oldscript)$/, '');
  const file = join(LAB_CAPTURES, `guard-${capture}`, 'check.log');
  describe.runIf(existsSync(file))(`guard on a real ${capture} boot`, () => {
    const s = sections(existsSync(file) ? readFileSync(file, 'utf8') : '');
    const get = (prefix: string): string => [...s].find(([k]) => k.startsWith(prefix))?.[1] ?? '';
    const journal = get('journalctl -b SYSLOG_IDENTIFIER=nfdoctor-guard -o json')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, string>);
    const fast = parseFastState(get('/run/nfdoctor/guard-boot.state'));
    const ts = timestamps(get('boot timestamps'));
    const at = (unit: string, key: string): number => ts.get(unit)?.get(key) ?? 0;
    const root = BAD[scenario];

    it('creates no ordering cycle; the pre-network unit ran before network-pre.target', () => {
      expect(get('ordering cycles this boot').trim()).toBe('(none)');
      const guardStart = at('nfdoctor-guard.service', 'InactiveExitTimestampMonotonic');
      const guardEnd =
        at('nfdoctor-guard.service', 'InactiveEnterTimestampMonotonic') ||
        at('nfdoctor-guard.service', 'ActiveEnterTimestampMonotonic');
      expect(guardStart).toBeGreaterThan(0);
      expect(guardEnd).toBeGreaterThan(guardStart);
      expect(at('network-pre.target', 'ActiveEnterTimestampMonotonic')).toBeGreaterThanOrEqual(guardEnd);
    });

    it('the full diagnosis does not delay boot: it starts after multi-user.target, and boot finishes before it does', () => {
      const reportStart = at('nfdoctor-guard-report.service', 'InactiveExitTimestampMonotonic');
      const reportEnd =
        at('nfdoctor-guard-report.service', 'InactiveEnterTimestampMonotonic') ||
        at('nfdoctor-guard-report.service', 'ActiveExitTimestampMonotonic');
      expect(reportStart).toBeGreaterThanOrEqual(at('multi-user.target', 'ActiveEnterTimestampMonotonic'));
      const finished = /^\[\s*(\d+\.\d+)\] .*Startup finished/m.exec(get('Startup finished'));
      expect(finished).not.toBeNull();
      expect(Number(finished?.[1]) * 1e6).toBeLessThan(reportEnd);
      expect(get('systemd-analyze blame (guard units)')).toMatch(/nfdoctor-guard-report\.service/);
    });

    // The pre-network unit's boot cost: its time in systemd-analyze blame, and how long after it started
    // network-pre.target was reached (what it can delay network-pre by). Taken on TCG with the host at load
    // 10-14 on 2 cores, so every unit of these boots is 10-20x slower than the lab README's figures.
    it('boot cost of the pre-network unit', () => {
      const blame = /^\s*(\S.*?) nfdoctor-guard\.service$/m.exec(get('systemd-analyze blame (guard units)'));
      expect(blame).not.toBeNull();
      const cost = spanMs(blame?.[1] ?? '');
      const toNetworkPre =
        (at('network-pre.target', 'ActiveEnterTimestampMonotonic') -
          at('nfdoctor-guard.service', 'InactiveExitTimestampMonotonic')) /
        1000;
      if (QUIET.has(capture)) {
        expect(cost).toBeLessThan(1000);
        expect(toNetworkPre).toBeLessThan(1000);
      }
      if (root === undefined) {
        // A good boot: the sh check alone (one iptables-save). At boot, with every unit ~20x slower than the
        // lab README's figures (netfilter-persistent 35-45 s instead of ~1 s), blame said 1.22 s on one healthy
        // boot and 0.77 s on the other: the < 1 s target is not met on every boot under that load. Re-run on
        // the same boot once settled: 0.18-0.98 s.
        expect(cost).toBeLessThan(2000);
        expect(toNetworkPre).toBeLessThan(2000);
        const reruns = [...s].filter(([k]) => k.startsWith('timing: guard-boot.sh rerun')).map(([, v]) => v);
        expect(reruns).toHaveLength(3);
        for (const r of reruns) {
          expect(Number(/^([\d.]+) s wall/m.exec(r)?.[1] ?? 'NaN')).toBeLessThan(1);
          expect(r).toMatch(/ipv4\.verdict=live/);
        }
      } else {
        // A bad boot adds the emergency restore and the kernel modules it loads (conntrack); still an order of
        // magnitude under the Node guard this replaces (52-96 s before network-pre on the same VM).
        expect(cost).toBeLessThan(52_000);
        expect(toNetworkPre).toBeLessThan(52_000);
      }
    });

    if (root === undefined) {
      it('stays silent and changes nothing', () => {
        expect(fast.families.ipv4?.verdict).toBe('live');
        expect(journal.filter((j) => j.MESSAGE_ID !== undefined)).toEqual([]);
        expect(get('journalctl -b -u nfdoctor-guard.service')).not.toMatch(/nfdoctor guard:/);
        expect(get('iptables-save (as the guard left it)')).not.toContain('NFDOCTOR');
        expect(get('/run/motd.d')).not.toContain('nfdoctor guard');
        expect(get('systemctl show nfdoctor-guard.service')).toContain('Result=success');
        expect(get('systemctl show nfdoctor-guard-report.service')).toContain('Result=success');
        expect(get('textfile')).toMatch(/nfdoctor_firewall_loaded\{family="ipv4"\} 1/);
      });
      return;
    }

    it('pre-network: ipv4 not loaded, emergency ruleset applied, said at priority err, unit failed', () => {
      expect(fast.families.ipv4).toMatchObject({
        verdict: 'not-loaded',
        backend: 'nft',
        failClosed: 'applied',
        variant: 'stateful',
      });
      // Since the guard-boot branch: with nf_tables not in the kernel, no save runs (nothing can be live).
      const state = get('/run/nfdoctor/guard-boot.state');
      const shows = state.includes('ipv4.live=none')
        ? 'nf_tables is not in the kernel, so nothing is live on nft'
        : 'iptables-nft-save shows none';
      expect(get('journalctl -b -u nfdoctor-guard.service')).toMatch(
        new RegExp(
          `sh\\[\\d+\\]: nfdoctor guard: the ipv4 firewall did not load at boot: /etc/iptables/rules\\.v4 has rules, ${shows}; fail-closed: emergency stateful ruleset loaded`,
        ),
      );
      // The one modprobe before the restore, when the script has a preload list: it loaded what it was given.
      if (state.includes('ipv4.preload=')) {
        expect(state).toMatch(/^ipv4\.preload=\S.* rc=0$/m);
      }
      expect(get('systemctl show nfdoctor-guard.service')).toContain('Result=exit-code');
    });

    it('report: one err entry for ipv4 with the stable MESSAGE_ID and the root cause', () => {
      const entries = journal.filter((j) => j.MESSAGE_ID === MESSAGE_IDS.notLoaded);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        PRIORITY: '3',
        NFDOCTOR_FAMILY: 'ipv4',
        NFDOCTOR_FAIL_CLOSED: 'applied',
        _SYSTEMD_UNIT: 'nfdoctor-guard-report.service',
      });
      expect(entries[0]?.NFDOCTOR_ROOT_CAUSE).toContain(root);
      expect(entries[0]?.MESSAGE).toMatch(/Root cause: .*Fail-closed: emergency stateful ruleset loaded/);
    });

    it('the emergency ruleset is live; boot.json, the textfile and the banner are written; the report unit failed', () => {
      expect(get('iptables-save (as the guard left it)')).toMatch(/-A INPUT -j NFDOCTOR-GUARD-IN/);
      expect(get('iptables-save (as the guard left it)')).toContain(
        '-A NFDOCTOR-GUARD-IN -s 10.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT',
      );
      expect(get('/var/lib/nfdoctor/boot.json')).toMatch(/"verdict": "not-loaded"/);
      expect(get('textfile')).toMatch(/nfdoctor_firewall_loaded\{family="ipv4"\} 0/);
      expect(get('textfile')).toMatch(/nfdoctor_guard_emergency_ruleset\{family="ipv4"\} 1/);
      expect(get('/run/motd.d')).toMatch(/ipv4 firewall did NOT load[\s\S]*nfdoctor guard release/);
      expect(get('systemctl show nfdoctor-guard-report.service')).toContain('Result=exit-code');
    });

    it('guard release removes it', () => {
      expect(get('nfdoctor guard release')).toMatch(/released the ipv4 emergency ruleset[\s\S]*rc=0/);
      expect(get('iptables-save after release')).not.toContain('NFDOCTOR');
      expect(get('journalctl -b MESSAGE_ID=9c27f461')).toContain('released');
    });
  });
}

// Two boots of modules-load-fails-requires one after the other on the same loaded host (load 6-12 on 2 cores):
// main's script (the save autoloads nfnetlink and nf_tables, the restore the rest, one kernel-spawned modprobe
// per module request) and the guard-boot one (no save, one modprobe -a at Nice=-10). systemd-logind, which
// does the same work on both boots, says the load was alike.
const OLD = join(LAB_CAPTURES, 'guard-modules-load-fails-requires-oldscript', 'systemd-analyze-blame.txt');
const NEW = join(LAB_CAPTURES, 'guard-modules-load-fails-requires-preload', 'systemd-analyze-blame.txt');
describe.runIf(existsSync(OLD) && existsSync(NEW))(
  'pre-network unit, old script vs new, same loaded host',
  () => {
    const blame = (file: string, unit: string): number =>
      spanMs(
        new RegExp(`^\\s*(\\S.*?) ${unit.replace('.', '\\.')}$`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ??
          '',
      );
    it('costs a fraction of what it did', () => {
      const logind = blame(NEW, 'systemd-logind.service') / blame(OLD, 'systemd-logind.service');
      expect(logind).toBeGreaterThan(0.5);
      expect(logind).toBeLessThan(2);
      expect(blame(NEW, 'nfdoctor-guard.service')).toBeGreaterThan(0);
      expect(blame(NEW, 'nfdoctor-guard.service')).toBeLessThan(blame(OLD, 'nfdoctor-guard.service') / 4);
    });
  },
);
