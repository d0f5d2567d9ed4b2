// The emergency ruleset with the real iptables-restore / ip6tables-restore of both backends (nf_tables and
// legacy), inside a network namespace this file creates and deletes; skipped when not root or the tools are
// missing. Never touches the host's firewall: every command runs under `ip netns exec NAME`.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { emergencyRuleset, parseAllow, type Allow } from './emergency.ts';
import { emergencyLive, releaseEmergency, restoreRules, type SystemOptions } from './system.ts';
import { fastScript, parseFastState, FAST_STATE } from './fast.ts';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Family } from '../knowledge/extensions.ts';

const TOOLS = [
  'ip',
  'iptables-nft-restore',
  'iptables-legacy-restore',
  'ip6tables-nft-restore',
  'ip6tables-legacy-restore',
];
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const have = (t: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${t}`], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).status === 0;
const NETNS = `nfdg-${randomBytes(4).toString('hex')}`;
let created = false;

beforeAll(() => {
  if (isRoot && TOOLS.every(have)) {
    created = spawnSync('ip', ['netns', 'add', NETNS]).status === 0;
  }
});
afterAll(() => {
  if (created) {
    spawnSync('ip', ['netns', 'delete', NETNS]);
  }
});

function save(family: Family, flavour: string): string {
  const tool = `${family === 'ipv4' ? 'iptables' : 'ip6tables'}${flavour}-save`;
  const r = spawnSync('ip', ['netns', 'exec', NETNS, tool], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/, '[0:0]'))
    .join('\n');
}

const ALLOW = ['10.0.2.0/24:22', '2001:db8::/32:22'].map((s) => parseAllow(s) as Allow);

describe.runIf(isRoot && TOOLS.every(have))('emergency ruleset in a network namespace', () => {
  for (const flavour of ['-nft', '-legacy'] as const) {
    for (const family of ['ipv4', 'ipv6'] as const) {
      for (const variant of ['stateful', 'stateless'] as const) {
        it(`${flavour.slice(1)} ${family} ${variant}: loads next to existing tables, release puts the ruleset back`, async () => {
          expect(created).toBe(true);
          const o: SystemOptions = { commandPrefix: ['ip', 'netns', 'exec', NETNS], flavour };
          // A nat rule someone else owns: the guard must neither need nor touch it.
          const nat =
            family === 'ipv4'
              ? '-A POSTROUTING -s 10.9.0.0/16 -j MASQUERADE'
              : '-A POSTROUTING -s fd00::/8 -j MASQUERADE';
          const pre = await restoreRules(family, `*nat\n${nat}\nCOMMIT\n`, o);
          expect(pre.ok, pre.detail).toBe(true);
          const before = save(family, flavour);
          expect(await emergencyLive(family, o)).toBe(false);

          const r = await restoreRules(family, emergencyRuleset(family, ALLOW, variant), o);
          expect(r.ok, r.detail).toBe(true);
          expect(r.command).toContain(`tables${flavour}-restore --noflush`);
          expect(await emergencyLive(family, o)).toBe(true);
          const live = save(family, flavour);
          expect(live).toContain(nat);
          expect(live).toMatch(/-A INPUT -j NFDOCTOR-GUARD-IN/);
          expect(live).toMatch(/-A NFDOCTOR-GUARD-IN -j DROP/);
          expect(live).toMatch(/-A NFDOCTOR-GUARD-FWD -j DROP/);
          expect(live).toContain(
            family === 'ipv4'
              ? '-s 10.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT'
              : '-s 2001:db8::/32 -p tcp -m tcp --dport 22 -j ACCEPT',
          );

          const rel = await releaseEmergency(family, o);
          expect(rel?.ok, rel?.detail).toBe(true);
          expect(await emergencyLive(family, o)).toBe(false);
          expect(await releaseEmergency(family, o)).toBeUndefined();
          // Back to what was there: the nat rule, and a filter table with nothing in it (ACCEPT policies).
          const after = save(family, flavour);
          expect(after).toContain(nat);
          expect(after).not.toContain('NFDOCTOR');
          const filterRules = after.split('*filter')[1]?.split('COMMIT')[0] ?? '';
          expect(filterRules).not.toMatch(/^-A /m);
          expect(filterRules.match(/^:\S+ ACCEPT/gm)?.length ?? 3).toBe(3);
          // Every other table is as it was (nf_tables keeps the now empty filter table: same packets pass).
          const withoutFilter = (t: string): string => t.replace(/\*filter\n[\s\S]*?COMMIT\n/, '');
          expect(withoutFilter(after)).toBe(withoutFilter(before));
          await restoreRules(family, '*nat\n-F POSTROUTING\nCOMMIT\n', o);
        }, 60_000);
      }
    }
  }
});

// The pre-network script itself (what nfdoctor-guard.service runs), with the real tools of each backend:
// iptables-restore in PATH points at that backend's multi-binary, as update-alternatives makes it.
describe.runIf(isRoot && TOOLS.every(have) && have('dash'))(
  'pre-network script in a network namespace',
  () => {
    const multi = (b: string): string =>
      spawnSync('sh', ['-c', `readlink -f "$(command -v iptables-${b}-restore)"`], {
        encoding: 'utf8',
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      }).stdout.trim();
    const SAVED =
      '*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n';

    for (const backend of ['nft', 'legacy'] as const) {
      it(`${backend}: empty kernel ruleset -> emergency ruleset for both families; rules there -> left alone`, async () => {
        expect(created).toBe(true);
        const dir = mkdtempSync(join(tmpdir(), 'nfdoctor-fast-netns-'));
        try {
          const root = join(dir, 'root');
          mkdirSync(join(root, 'etc/iptables'), { recursive: true });
          writeFileSync(join(root, 'etc/iptables/rules.v4'), SAVED);
          writeFileSync(join(root, 'etc/iptables/rules.v6'), SAVED);
          // /proc of the namespace's processes: ip_tables_names and boot_id are the running kernel's.
          symlinkSync('/proc', join(root, 'proc'));
          mkdirSync(join(dir, 'bin'));
          symlinkSync(multi(backend), join(dir, 'bin/iptables-restore'));
          const script = join(dir, 'guard-boot.sh');
          // The other backend's answer: install saw it, the script must follow iptables-restore instead.
          writeFileSync(
            script,
            fastScript({
              failClosed: true,
              allow: ALLOW,
              backend: backend === 'nft' ? 'legacy' : 'nft',
              version: 't',
            }),
          );
          const runIt = () =>
            spawnSync('ip', ['netns', 'exec', NETNS, 'dash', script], {
              encoding: 'utf8',
              env: { PATH: `${join(dir, 'bin')}:/usr/sbin:/usr/bin:/sbin:/bin`, NFDOCTOR_ROOT: root },
            });
          const r = runIt();
          expect(r.status, r.stderr).toBe(1);
          const state = parseFastState(readFileSync(join(root, FAST_STATE), 'utf8'));
          for (const family of ['ipv4', 'ipv6'] as const) {
            expect(state.families[family]).toMatchObject({
              verdict: 'not-loaded',
              backend,
              failClosed: 'applied',
              variant: 'stateful',
            });
            const o: SystemOptions = {
              commandPrefix: ['ip', 'netns', 'exec', NETNS],
              flavour: `-${backend}`,
            };
            expect(await emergencyLive(family, o)).toBe(true);
            expect(save(family, `-${backend}`)).toMatch(
              /-A NFDOCTOR-GUARD-IN -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT/,
            );
          }
          // Second run on the same boot: now rules are live, so the script changes nothing.
          const before = save('ipv4', `-${backend}`);
          const again = runIt();
          expect(again.status, again.stderr).toBe(0);
          expect(parseFastState(readFileSync(join(root, FAST_STATE), 'utf8')).families.ipv4?.verdict).toBe(
            'live',
          );
          expect(save('ipv4', `-${backend}`)).toBe(before);
          for (const family of ['ipv4', 'ipv6'] as const) {
            const o: SystemOptions = {
              commandPrefix: ['ip', 'netns', 'exec', NETNS],
              flavour: `-${backend}`,
            };
            const rel = await releaseEmergency(family, o);
            expect(rel?.ok, rel?.detail).toBe(true);
            expect(save(family, `-${backend}`)).not.toContain('NFDOCTOR');
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }, 60_000);
    }
  },
);
