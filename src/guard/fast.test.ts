// The pre-network script (fastScript) run for real by dash and by busybox sh (with busybox's own grep,
// readlink, tr and mkdir), against a throwaway root and PATH shims that stand in for iptables-save /
// iptables-restore / nft: the saved files and live rulesets of the lab's real boots, then the edge cases.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  mkdtempSync,
  mkdirSync,
  writeFileSync,
  readFileSync,
  existsSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { fastScript, parseFastState, FAST_STATE, type FastConfig } from './fast.ts';
import { emergencyRuleset, parseAllow, type Allow } from './emergency.ts';
import { familyStates } from './decision.ts';
import { LAB_CAPTURES, labHost } from '../testing/lab-host.ts';
import { FIXTURE_KERNELS } from '../testing/kernel-fixture.ts';
import { buildHostModel } from '../model/host-model.ts';
import { runChecks } from '../checks/engine.ts';
import { CHECKS } from '../checks/index.ts';

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const SHELLS = [
  ...(have('dash') ? [{ name: 'dash', argv: ['dash'] }] : []),
  ...(have('busybox') ? [{ name: 'busybox sh', argv: ['busybox', 'sh'] }] : []),
];
const ALLOW = ['10.0.2.0/24:22', '2001:db8::/32:22'].map((s) => parseAllow(s) as Allow);
const CONFIG: FastConfig = { failClosed: true, allow: ALLOW, backend: 'nft', version: 'test' };

let work = '';
let busyboxBin = '';
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nfdoctor-fast-'));
  busyboxBin = join(work, 'busybox-bin');
  mkdirSync(busyboxBin);
  for (const applet of ['grep', 'readlink', 'tr', 'mkdir', 'cat']) {
    if (have('busybox')) {
      symlinkSync(
        spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim(),
        join(busyboxBin, applet),
      );
    }
  }
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Host {
  /** Saved files by absolute path. */
  readonly saved?: Readonly<Record<string, string>>;
  /** Live `*-save` output per tool name (iptables-nft-save ...); absent: empty output. */
  readonly live?: Readonly<Record<string, string>>;
  /** Tools whose save fails. */
  readonly saveFails?: readonly string[];
  /** The loaders' backend: where iptables-restore points. */
  readonly backend?: 'nft' | 'legacy' | 'no iptables-restore';
  /** Restore input containing this text fails (as a kernel without the module would). */
  readonly restoreRejects?: string;
  readonly nftTables?: string;
  readonly legacyNames?: Readonly<Record<'ipv4' | 'ipv6', string>>;
  /** /proc/sys/kernel/osrelease, /lib/modules/RELEASE/modules.builtin and the loaded modules (/sys/module). */
  readonly kernel?: {
    readonly release: string;
    readonly builtin?: string;
    readonly loaded?: readonly string[];
  };
  /** modprobe in PATH and its exit status (absent: no modprobe). */
  readonly modprobe?: number;
}

interface Run {
  readonly status: number | null;
  readonly stderr: string;
  readonly state: string;
  /** "tool args" and the restore input, per restore call. */
  readonly restores: { tool: string; input: string }[];
  readonly calls: string[];
}

let n = 0;
function runScript(shell: (typeof SHELLS)[number], host: Host, config: FastConfig = CONFIG): Run {
  const dir = join(work, `case-${String(n++)}`);
  const root = join(dir, 'root');
  const bin = join(dir, 'bin');
  mkdirSync(join(root, 'proc/sys/kernel/random'), { recursive: true });
  mkdirSync(join(root, 'proc/net'), { recursive: true });
  mkdirSync(bin);
  writeFileSync(join(root, 'proc/sys/kernel/random/boot_id'), '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\n');
  for (const [path, text] of Object.entries(host.saved ?? {})) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  for (const [fam, text] of Object.entries(host.legacyNames ?? {})) {
    writeFileSync(
      join(root, fam === 'ipv4' ? 'proc/net/ip_tables_names' : 'proc/net/ip6_tables_names'),
      text,
    );
  }
  if (host.kernel !== undefined) {
    writeFileSync(join(root, 'proc/sys/kernel/osrelease'), `${host.kernel.release}\n`);
    if (host.kernel.builtin !== undefined) {
      mkdirSync(join(root, 'lib/modules', host.kernel.release), { recursive: true });
      writeFileSync(join(root, 'lib/modules', host.kernel.release, 'modules.builtin'), host.kernel.builtin);
    }
    for (const m of host.kernel.loaded ?? []) {
      mkdirSync(join(root, 'sys/module', m), { recursive: true });
    }
  }
  const log = join(dir, 'calls');
  const liveDir = join(dir, 'live');
  mkdirSync(liveDir);
  for (const [tool, text] of Object.entries(host.live ?? {})) {
    writeFileSync(join(liveDir, tool), text);
  }
  const shim = (name: string, body: string): void => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >>'${log}'\n${body}\n`, { mode: 0o755 });
  };
  for (const t of ['iptables', 'ip6tables']) {
    for (const b of ['nft', 'legacy']) {
      const save = `${t}-${b}-save`;
      shim(
        save,
        (host.saveFails ?? []).includes(save)
          ? 'echo "could not fetch rule set" >&2; exit 1'
          : `[ -f '${liveDir}/${save}' ] && cat '${liveDir}/${save}'; exit 0`,
      );
      const reject = host.restoreRejects ?? '';
      shim(
        `${t}-${b}-restore`,
        `in=$(cat); printf '%s\\n' "$in" > '${dir}/restore-'$(date +%s%N)
${reject === '' ? '' : `case $in in *'${reject}'*) echo "${t}-restore v1.8.9: line 5 failed" >&2; exit 1 ;; esac`}
exit 0`,
      );
    }
  }
  shim('xtables-nft-multi', 'exit 0');
  shim('xtables-legacy-multi', 'exit 0');
  if (host.backend !== 'no iptables-restore') {
    symlinkSync(`xtables-${host.backend ?? 'nft'}-multi`, join(bin, 'iptables-restore'));
  }
  if (host.modprobe !== undefined) {
    shim('modprobe', `exit ${String(host.modprobe)}`);
  }
  if (host.nftTables !== undefined) {
    shim('nft', `printf '%s' '${host.nftTables}'`);
  }
  const script = join(dir, 'guard-boot.sh');
  writeFileSync(script, fastScript(config));
  const PATH = `${bin}:${shell.argv[0] === 'busybox' ? `${busyboxBin}:` : ''}/usr/bin:/bin`;
  if (
    host.modprobe === undefined &&
    spawnSync('sh', ['-c', 'command -v modprobe'], { env: { PATH } }).status === 0
  ) {
    // A test must never load a module on this machine.
    throw new Error(`a real modprobe is in the test PATH (${PATH})`);
  }
  const r = spawnSync(shell.argv[0] ?? 'sh', [...shell.argv.slice(1), script], {
    encoding: 'utf8',
    env: { PATH, NFDOCTOR_ROOT: root },
  });
  const statePath = join(root, FAST_STATE);
  const restores = spawnSync('sh', ['-c', `ls '${dir}' | grep '^restore-' | sort`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((f) => f !== '')
    .map((f) => ({ tool: '', input: readFileSync(join(dir, f), 'utf8') }));
  const calls = existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
  const restoreCalls = calls.filter((c) => /-restore /.test(c));
  return {
    status: r.status,
    stderr: r.stderr,
    state: existsSync(statePath) ? readFileSync(statePath, 'utf8') : '',
    restores: restores.map((x, i) => ({ ...x, tool: restoreCalls[i] ?? '' })),
    calls,
  };
}

const RULES =
  '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n';
const EMPTY_LIVE =
  '# Generated by iptables-nft-save v1.8.9 (nf_tables) on Wed Dec  2 04:00:00 2026\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
const V4 = '/etc/iptables/rules.v4';
const V6 = '/etc/iptables/rules.v6';

/** The real lab boots: rules.v4 as saved and iptables-save as it was on the broken boot. */
const LAB = [
  'healthy',
  'linode-modules-load',
  'linode-modules-load-requires',
  'modules-load-fails',
  'modules-load-fails-requires',
  'missing-xt-recent',
  'missing-xt-recent-notest',
  'ipset-missing-set',
];

for (const shell of SHELLS) {
  describe(`pre-network check under ${shell.name}`, () => {
    for (const scenario of LAB) {
      it(`${scenario}: agrees with the full diagnosis on the real boot`, async () => {
        const cap = join(LAB_CAPTURES, scenario);
        const saved = readFileSync(join(cap, 'files/etc/iptables/rules.v4'), 'utf8');
        const live = readFileSync(join(cap, 'iptables-save.txt'), 'utf8');
        const r = runScript(shell, { saved: { [V4]: saved }, live: { 'iptables-nft-save': live } });
        const state = parseFastState(r.state);
        const model = await buildHostModel(labHost(scenario));
        const node = familyStates(model, runChecks(CHECKS, model)).find((s) => s.family === 'ipv4');
        // The full diagnosis's "loaded" is the script's "live" (it does not compare rule by rule).
        const expected = node?.verdict === 'loaded' ? 'live' : node?.verdict;
        expect(state.families.ipv4?.verdict).toBe(expected);
        if (expected === 'not-loaded') {
          expect(r.status).toBe(1);
          expect(state.families.ipv4?.failClosed).toBe('applied');
          expect(r.restores.map((x) => x.input)).toEqual([emergencyRuleset('ipv4', ALLOW, 'stateful')]);
          expect(r.restores[0]?.tool).toBe('iptables-nft-restore --noflush');
          expect(r.stderr).toMatch(
            /^<3>nfdoctor guard: the ipv4 firewall did not load at boot: \/etc\/iptables\/rules\.v4 has rules, iptables-nft-save shows none; fail-closed: emergency stateful ruleset loaded .*undo: nfdoctor guard release\n$/,
          );
        } else {
          expect(r.status).toBe(0);
          expect(r.stderr).toBe('');
          expect(r.restores).toEqual([]);
        }
        expect(state.bootId).toBe('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0');
        expect(state.families.ipv6?.verdict).toBe('not-configured');
      }, 60_000);
    }

    it('no saved rules, or only an open file: not configured, runs no iptables command at all', () => {
      const none = runScript(shell, {});
      expect(parseFastState(none.state).families.ipv4?.verdict).toBe('not-configured');
      expect(none.calls).toEqual([]);
      const open = runScript(shell, {
        saved: { [V4]: '*filter\n:INPUT ACCEPT [0:0]\n:FOO - [0:0]\nCOMMIT\n', [V6]: '# nothing\n' },
      });
      expect(parseFastState(open.state).families).toMatchObject({
        ipv4: { verdict: 'not-configured' },
        ipv6: { verdict: 'not-configured' },
      });
      expect(open.calls).toEqual([]);
      expect(open.status).toBe(0);
    });

    it('a DROP policy alone, or rules with [packets:bytes] counters, is a firewall', () => {
      for (const saved of [
        '*filter\n:INPUT DROP [0:0]\nCOMMIT\n',
        '*filter\n[12:345] -A INPUT -j ACCEPT\nCOMMIT\n',
        '*filter\n-P INPUT DROP\nCOMMIT\n',
      ]) {
        const r = runScript(shell, { saved: { [V4]: saved }, live: { 'iptables-nft-save': EMPTY_LIVE } });
        expect(parseFastState(r.state).families.ipv4?.verdict, saved).toBe('not-loaded');
      }
    });

    it('live DROP policy without rules counts as live', () => {
      const r = runScript(shell, {
        saved: { [V4]: RULES },
        live: { 'iptables-nft-save': EMPTY_LIVE.replace(':INPUT ACCEPT', ':INPUT DROP') },
      });
      expect(parseFastState(r.state).families.ipv4?.verdict).toBe('live');
      expect(r.restores).toEqual([]);
    });

    it('both families, ip6tables tools for ipv6 (ICMPv6 discovery kept open)', () => {
      const r = runScript(shell, { saved: { [V4]: RULES, [V6]: RULES }, live: {} });
      const state = parseFastState(r.state);
      expect(state.families.ipv6).toMatchObject({
        verdict: 'not-loaded',
        failClosed: 'applied',
        variant: 'stateful',
      });
      expect(r.restores.map((x) => x.tool)).toEqual([
        'iptables-nft-restore --noflush',
        'ip6tables-nft-restore --noflush',
      ]);
      expect(r.restores[1]?.input).toBe(emergencyRuleset('ipv6', ALLOW, 'stateful'));
      expect(r.restores[1]?.input).toContain('neighbour-solicitation');
    });

    it('the kernel cannot do conntrack: the stateful restore fails, the stateless one goes in', () => {
      const r = runScript(shell, { saved: { [V4]: RULES }, live: {}, restoreRejects: 'conntrack' });
      const f = parseFastState(r.state).families.ipv4;
      expect(f).toMatchObject({ verdict: 'not-loaded', failClosed: 'applied', variant: 'stateless' });
      expect(f?.refusals).toEqual(['stateful: iptables-restore v1.8.9: line 5 failed']);
      expect(r.restores.map((x) => x.input)).toEqual([
        emergencyRuleset('ipv4', ALLOW, 'stateful'),
        emergencyRuleset('ipv4', ALLOW, 'stateless'),
      ]);
      expect(r.stderr).toMatch(/emergency stateless ruleset loaded/);
    });

    it('both restores fail: refused, said with priority err, unit fails', () => {
      const r = runScript(shell, { saved: { [V4]: RULES }, live: {}, restoreRejects: 'NFDOCTOR-GUARD-IN' });
      const f = parseFastState(r.state).families.ipv4;
      expect(f).toMatchObject({ verdict: 'not-loaded', failClosed: 'refused' });
      expect(f?.refusals).toHaveLength(2);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^<3>.*fail-closed NOT applied: iptables-nft-restore refused both/);
    });

    it('fail-closed off: alert only, nothing restored', () => {
      const r = runScript(shell, { saved: { [V4]: RULES }, live: {} }, { ...CONFIG, failClosed: false });
      expect(parseFastState(r.state).families.ipv4).toMatchObject({
        verdict: 'not-loaded',
        failClosed: 'off',
      });
      expect(r.restores).toEqual([]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^<3>nfdoctor guard: the ipv4 firewall did not load/);
    });

    it('legacy loaders: the legacy save and restore, whatever install saw', () => {
      const r = runScript(shell, {
        saved: { [V4]: RULES },
        backend: 'legacy',
        live: { 'iptables-nft-save': '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n' },
      });
      // nft has a rule: the legacy loader's empty ruleset is not the only one, so nothing is replaced.
      expect(parseFastState(r.state).families.ipv4).toMatchObject({
        verdict: 'not-loaded',
        backend: 'legacy',
        failClosed: 'refused',
      });
      expect(parseFastState(r.state).families.ipv4?.detail).toMatch(/iptables-nft-save shows rules/);
      expect(r.calls[0]).toBe('iptables-legacy-save ');
      const clean = runScript(shell, { saved: { [V4]: RULES }, backend: 'legacy', live: {} });
      expect(clean.restores.map((x) => x.tool)).toEqual(['iptables-legacy-restore --noflush']);
    });

    it('no iptables-restore in PATH: the backend install saw', () => {
      for (const backend of ['nft', 'legacy'] as const) {
        const r = runScript(
          shell,
          { saved: { [V4]: RULES }, backend: 'no iptables-restore', live: {} },
          { ...CONFIG, backend },
        );
        expect(parseFastState(r.state).families.ipv4?.backend).toBe(backend);
        expect(r.calls[0]).toBe(`iptables-${backend}-save `);
      }
    });

    it('never over rules elsewhere: legacy tables with rules on an nft host, or a foreign nftables table', () => {
      const legacy = runScript(shell, {
        saved: { [V4]: RULES },
        live: { 'iptables-legacy-save': '*filter\n:INPUT DROP [0:0]\nCOMMIT\n' },
        legacyNames: { ipv4: 'filter\n', ipv6: '' },
      });
      expect(parseFastState(legacy.state).families.ipv4?.failClosed).toBe('refused');
      expect(legacy.restores).toEqual([]);
      // No legacy table exists: iptables-legacy-save is not even run.
      const noLegacy = runScript(shell, { saved: { [V4]: RULES }, live: {} });
      expect(noLegacy.calls.some((c) => c.startsWith('iptables-legacy-save'))).toBe(false);
      const foreign = runScript(shell, {
        saved: { [V4]: RULES },
        live: {},
        nftTables: 'table ip filter\ntable inet firewalld\n',
      });
      expect(parseFastState(foreign.state).families.ipv4?.detail).toMatch(/nft has table inet firewalld/);
      expect(foreign.restores).toEqual([]);
      const own = runScript(shell, {
        saved: { [V4]: RULES },
        live: {},
        nftTables: 'table ip filter\ntable ip nat\ntable ip6 filter\n',
      });
      expect(parseFastState(own.state).families.ipv4?.failClosed).toBe('applied');
    });

    describe('on a kernel without nf_tables (a loader that never ran: modules-load-fails-requires)', () => {
      const RELEASE = '6.1.0-56-cloud-amd64';
      // The real modules.builtin of the lab's kernel: nf_tables is a module there, not built in.
      const BUILTIN = readFileSync(join(FIXTURE_KERNELS, RELEASE, 'modules.builtin'), 'utf8');
      const BARE = { release: RELEASE, builtin: BUILTIN, loaded: ['crc32c_intel'] };
      const NFT_V4 = [
        'crc32c_intel',
        'libcrc32c',
        'nf_conntrack',
        'nf_tables',
        'nfnetlink',
        'nft_compat',
        'xt_tcpudp',
      ];
      const PRELOADING: FastConfig = {
        ...CONFIG,
        preload: {
          nft: { ipv4: NFT_V4, ipv6: ['ip6_tables', 'nf_tables'] },
          legacy: { ipv4: ['ip_tables', 'iptable_filter', 'xt_tcpudp'] },
        },
      };

      it('no save (nothing can be live), one modprobe -a of the modules not loaded yet, then the restore', () => {
        const r = runScript(shell, { saved: { [V4]: RULES }, kernel: BARE, modprobe: 0 }, PRELOADING);
        expect(r.calls).toEqual([
          'modprobe -q -b -a libcrc32c nf_conntrack nf_tables nfnetlink nft_compat xt_tcpudp',
          'iptables-nft-restore --noflush',
        ]);
        const state = parseFastState(r.state).families.ipv4;
        expect(state).toMatchObject({ verdict: 'not-loaded', failClosed: 'applied', variant: 'stateful' });
        expect(r.state).toContain(
          'ipv4.preload=libcrc32c nf_conntrack nf_tables nfnetlink nft_compat xt_tcpudp rc=0\n',
        );
        expect(r.restores.map((x) => x.input)).toEqual([emergencyRuleset('ipv4', ALLOW, 'stateful')]);
        expect(r.stderr).toMatch(
          /^<3>nfdoctor guard: the ipv4 firewall did not load at boot: \/etc\/iptables\/rules\.v4 has rules, nf_tables is not in the kernel, so nothing is live on nft; fail-closed: emergency stateful ruleset loaded/,
        );
        expect(r.status).toBe(1);
      });

      it('fail-closed off: not a single command runs', () => {
        const r = runScript(
          shell,
          { saved: { [V4]: RULES }, kernel: BARE, modprobe: 0 },
          {
            ...PRELOADING,
            failClosed: false,
          },
        );
        expect(r.calls).toEqual([]);
        expect(parseFastState(r.state).families.ipv4).toMatchObject({
          verdict: 'not-loaded',
          failClosed: 'off',
        });
      });

      it('nf_tables loaded, or built in, or the modules directory unreadable: the save runs as before', () => {
        for (const kernel of [
          { ...BARE, loaded: ['nf_tables'] },
          { ...BARE, builtin: `${BUILTIN}kernel/net/netfilter/nf_tables.ko\n` },
          { release: RELEASE },
          { release: '', builtin: '' },
        ]) {
          const r = runScript(
            shell,
            {
              saved: { [V4]: RULES },
              live: { 'iptables-nft-save': '*filter\n-A INPUT -j DROP\nCOMMIT\n' },
              kernel,
              modprobe: 0,
            },
            PRELOADING,
          );
          expect(r.calls, JSON.stringify(kernel)).toEqual(['iptables-nft-save ']);
          expect(parseFastState(r.state).families.ipv4?.verdict).toBe('live');
        }
      });

      it('every module already loaded (the loader ran and failed): no modprobe', () => {
        const r = runScript(
          shell,
          { saved: { [V4]: RULES }, live: {}, kernel: { ...BARE, loaded: NFT_V4 }, modprobe: 0 },
          PRELOADING,
        );
        expect(r.calls).toEqual(['iptables-nft-save ', 'iptables-nft-restore --noflush']);
        expect(r.state).not.toContain('preload=');
      });

      it('modprobe fails or is missing: the restore still goes in (it autoloads), the failure is recorded', () => {
        const failing = runScript(shell, { saved: { [V4]: RULES }, kernel: BARE, modprobe: 1 }, PRELOADING);
        expect(failing.calls.map((c) => c.split(' ')[0])).toEqual(['modprobe', 'iptables-nft-restore']);
        expect(failing.state).toMatch(/\nipv4\.preload=.* rc=1\n/);
        expect(parseFastState(failing.state).families.ipv4?.failClosed).toBe('applied');
        const missing = runScript(shell, { saved: { [V4]: RULES }, kernel: BARE }, PRELOADING);
        expect(missing.calls).toEqual(['iptables-nft-restore --noflush']);
        expect(parseFastState(missing.state).families.ipv4?.failClosed).toBe('applied');
      });

      it('no preload list (installed on another root, or an older install): the restore autoloads', () => {
        const r = runScript(shell, { saved: { [V4]: RULES }, kernel: BARE, modprobe: 0 });
        expect(r.calls).toEqual(['iptables-nft-restore --noflush']);
      });

      it('legacy loaders: the nft side is not asked (no nft table can exist), the legacy list is preloaded', () => {
        const r = runScript(
          shell,
          { saved: { [V4]: RULES }, backend: 'legacy', live: {}, kernel: BARE, modprobe: 0, nftTables: '' },
          PRELOADING,
        );
        expect(r.calls).toEqual([
          'iptables-legacy-save ',
          'modprobe -q -b -a ip_tables iptable_filter xt_tcpudp',
          'iptables-legacy-restore --noflush',
        ]);
      });

      it('both families: ipv6 sees nf_tables again only if it is loaded (here the shims load nothing)', () => {
        const r = runScript(
          shell,
          { saved: { [V4]: RULES, [V6]: RULES }, kernel: BARE, modprobe: 0 },
          PRELOADING,
        );
        expect(r.calls).toEqual([
          'modprobe -q -b -a libcrc32c nf_conntrack nf_tables nfnetlink nft_compat xt_tcpudp',
          'iptables-nft-restore --noflush',
          'modprobe -q -b -a ip6_tables nf_tables',
          'ip6tables-nft-restore --noflush',
        ]);
      });

      it('module names that are not names never reach the script', () => {
        const script = fastScript({
          ...CONFIG,
          preload: { nft: { ipv4: ['nf_tables', 'x;reboot', '$(reboot)', 'a b'] } },
        });
        expect(script).toContain('nft/ipv4) set -- nf_tables ;;');
        expect(script).not.toContain('reboot');
        expect(script.split('\n').filter((l) => l.includes(') set -- '))).toEqual([
          '  nft/ipv4) set -- nf_tables ;;',
          '  *) set -- ;;',
        ]);
      });
    });

    it('iptables-save fails: unknown, a warning, no action, unit not failed', () => {
      const r = runScript(shell, { saved: { [V4]: RULES }, saveFails: ['iptables-nft-save'] });
      expect(parseFastState(r.state).families.ipv4).toMatchObject({
        verdict: 'unknown',
        detail: 'iptables-nft-save failed',
      });
      expect(r.stderr).toMatch(/^<4>nfdoctor guard: cannot tell/);
      expect(r.status).toBe(0);
      expect(r.restores).toEqual([]);
    });
  });
}

describe('parseFastState', () => {
  it('never throws and keeps only known verdicts', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const s = parseFastState(text);
        for (const f of Object.values(s.families)) {
          expect(['not-configured', 'live', 'not-loaded', 'unknown']).toContain(f.verdict);
        }
      }),
    );
  });
});
