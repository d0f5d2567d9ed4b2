import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRules, type CheckOptions, type CheckResult } from './check-rules.ts';
import { hostKernelLayout, kernelDirLayout } from './kernel-view.ts';
import { memoryReader, type MemoryHost } from '../testing/memory-reader.ts';
import { FIXTURE_KERNELS, kernelFiles } from '../testing/kernel-fixture.ts';
import { RootReader } from '../sources/fs-readers.ts';

const CLOUD = '6.1.0-56-cloud-amd64';
const TRIXIE = '6.12.117+deb13-cloud-amd64';
const LAB = join(import.meta.dirname, '../../fixtures/lab-captures');
const labFile = (scenario: string, path: string): string =>
  readFileSync(join(LAB, scenario, 'files', path), 'utf8');
const HEALTHY_RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m set --match-set blocklist src -j DROP
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH --rsource
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 6 --name SSH --rsource -j DROP
-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT
-A INPUT -p icmp -j ACCEPT
COMMIT
`;
const IPSETS = 'create blocklist hash:ip family inet hashsize 1024 maxelem 65536\nadd blocklist 192.0.2.66\n';

function hostWith(
  release: string,
  extra: MemoryHost['files'] = {},
  without: readonly string[] = [],
): CheckOptions['kernelReader'] {
  return memoryReader({ files: { ...kernelFiles(release, without), ...extra } });
}

async function check(
  rules: string,
  opts: Partial<Omit<CheckOptions, 'backend'>> & { release?: string; backend?: 'nft' | 'legacy' } = {},
): Promise<CheckResult> {
  const release = opts.release ?? CLOUD;
  const reader = opts.kernelReader ?? hostWith(release);
  return checkRules({
    rules: [{ path: '/etc/iptables/rules.v4', text: rules }],
    ipsets: opts.ipsets ?? [{ path: '/etc/iptables/ipsets', text: IPSETS }],
    kernelReader: reader,
    layout: opts.layout ?? hostKernelLayout(release, 'snapshot', 'test host'),
    backend: { value: opts.backend ?? 'nft', why: 'test' },
  });
}

function requirement(r: CheckResult, extension: string) {
  const found = r.results.find((x) => x.requirement.extension === extension);
  if (found === undefined) {
    throw new Error(
      `no requirement ${extension}: ${r.results.map((x) => x.requirement.extension).join(', ')}`,
    );
  }
  return found;
}

describe('checkRules on real Debian 6.1 cloud kernel metadata', () => {
  it('finds every module of the lab healthy ruleset loadable, through the kernel aliases', async () => {
    const r = await check(HEALTHY_RULES);
    expect(r.ok).toBe(true);
    const recent = requirement(r, 'recent');
    expect(recent.satisfiedBy).toBe('xt_recent');
    expect(recent.modules[0]).toMatchObject({
      name: 'xt_recent',
      state: 'loadable',
      requestedAs: 'ipt_recent',
    });
    expect(recent.requirement.lines).toEqual([8, 9]);
    expect(requirement(r, 'nf_tables').satisfiedBy).toBe('nf_tables');
    expect(requirement(r, 'nft_compat (match)').satisfiedBy).toBe('nft_compat');
    expect(requirement(r, 'hash:ip').satisfiedBy).toBe('ip_set_hash_ip');
    // iptables-nft 1.8.9 turns "-p tcp -m tcp --dport 22" into native payload matching: no xt_tcpudp needed.
    expect(r.results.some((x) => x.requirement.extension === 'tcp')).toBe(false);
    expect(r.sets).toEqual([expect.objectContaining({ set: 'blocklist', defined: true, type: 'hash:ip' })]);
  });

  it('asks for iptable_<table> and the xt match modules with the legacy backend', async () => {
    const r = await check(HEALTHY_RULES, { backend: 'legacy' });
    expect(r.ok).toBe(true);
    expect(requirement(r, 'filter').satisfiedBy).toBe('iptable_filter');
    expect(requirement(r, 'tcp').satisfiedBy).toBe('xt_tcpudp');
    expect(r.results.some((x) => x.requirement.extension === 'nf_tables')).toBe(false);
  });

  it('satisfies -m state by xt_conntrack or xt_state, and NAT with nft_chain_nat', async () => {
    const rules =
      '*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m state --state NEW -j ACCEPT\nCOMMIT\n';
    const r = await check(rules);
    expect(r.ok).toBe(true);
    expect(requirement(r, 'nat').satisfiedBy).toBe('nft_chain_nat');
    expect(requirement(r, 'MASQUERADE').satisfiedBy).toBe('xt_MASQUERADE');
    expect(requirement(r, 'state').modules.map((m) => m.name)).toEqual(['xt_conntrack', 'xt_state']);
  });

  it('reports a module blocked by "install X /bin/false" with the modprobe.d line as evidence', async () => {
    const reader = hostWith(CLOUD, {
      '/etc/modprobe.d/nflab-no-xt-recent.conf': labFile(
        'missing-xt-recent',
        'etc/modprobe.d/nflab-no-xt-recent.conf',
      ),
    });
    const r = await check(HEALTHY_RULES, { kernelReader: reader });
    expect(r.ok).toBe(false);
    const recent = requirement(r, 'recent');
    expect(recent.ok).toBe(false);
    expect(recent.modules[0]).toMatchObject({ name: 'xt_recent', state: 'blocked', blockedBy: 'install' });
    expect(recent.modules[0]?.evidence[0]).toMatchObject({
      source: '/etc/modprobe.d/nflab-no-xt-recent.conf',
      line: 1,
    });
  });

  it('reports a blacklisted module as blocked for alias autoload only', async () => {
    const reader = hostWith(CLOUD, {
      '/etc/modprobe.d/hardening.conf': '# local policy\nblacklist xt_recent\n',
    });
    const r = await check(HEALTHY_RULES, { kernelReader: reader });
    const recent = requirement(r, 'recent');
    expect(recent.modules[0]).toMatchObject({ state: 'blocked', blockedBy: 'blacklist' });
    expect(recent.modules[0]?.evidence[0]).toMatchObject({
      source: '/etc/modprobe.d/hardening.conf',
      line: 2,
    });
  });

  it('treats a loaded module as available even when blacklisted, and reads /proc/modules', async () => {
    const reader = hostWith(CLOUD, {
      '/etc/modprobe.d/hardening.conf': 'blacklist xt_recent\n',
      '/proc/modules': 'xt_recent 24576 2 - Live 0x0000000000000000\n',
    });
    const r = await check(HEALTHY_RULES, { kernelReader: reader });
    expect(requirement(r, 'recent').modules[0]).toMatchObject({ state: 'loaded' });
  });

  it('says file-missing when modules.dep lists a module whose file is gone', async () => {
    const reader = hostWith(CLOUD, {}, ['kernel/net/netfilter/xt_recent.ko']);
    const r = await check(HEALTHY_RULES, { kernelReader: reader });
    expect(requirement(r, 'recent').modules[0]).toMatchObject({ state: 'file-missing' });
  });

  it('says file-missing with the CONFIG symbol when the whole modules directory is gone', async () => {
    const reader = memoryReader({
      files: { [`/boot/config-${CLOUD}`]: readFileSync(join(FIXTURE_KERNELS, CLOUD, `config-${CLOUD}`)) },
    });
    const r = await check(HEALTHY_RULES, { kernelReader: reader });
    expect(r.ok).toBe(false);
    expect(requirement(r, 'recent').modules[0]).toMatchObject({
      name: 'xt_recent',
      state: 'file-missing',
      config: 'CONFIG_NETFILTER_XT_MATCH_RECENT',
    });
    expect(r.kernel.missing.map((m) => m.path)).toContain(`/lib/modules/${CLOUD}/modules.dep`);
  });

  it('says unknown, naming what is missing, when neither metadata nor config exist', async () => {
    const r = await check(HEALTHY_RULES, {
      kernelReader: memoryReader({ files: {} }),
      layout: hostKernelLayout(CLOUD, 'root', '/mnt'),
    });
    expect(r.ok).toBe(false);
    expect(requirement(r, 'recent').modules[0]?.state).toBe('unknown');
    expect(requirement(r, 'recent').modules[0]?.reason).toMatch(/modules\.dep and no kernel config/);
  });

  it('says no-module-support for a running kernel without /proc/modules and without metadata', async () => {
    const r = await check(HEALTHY_RULES, {
      kernelReader: memoryReader({ files: { '/proc/cmdline': 'quiet\n' } }),
    });
    expect(requirement(r, 'recent').modules[0]?.state).toBe('no-module-support');
  });

  it('says loading-disabled when kernel.modules_disabled is 1', async () => {
    const reader = hostWith(CLOUD, { '/proc/sys/kernel/modules_disabled': '1\n', '/proc/modules': '' });
    const r = await check(HEALTHY_RULES, { kernelReader: reader });
    expect(requirement(r, 'recent').modules[0]?.state).toBe('loading-disabled');
  });

  it('reports an undefined ipset when an ipsets file was given without it', async () => {
    const r = await check(HEALTHY_RULES, {
      ipsets: [{ path: '/etc/iptables/ipsets', text: 'create other hash:net\n' }],
    });
    expect(r.ok).toBe(false);
    expect(r.sets[0]).toMatchObject({ set: 'blocklist', defined: false });
  });

  it('does not fail on a set whose definition nobody gave, but says its type was not checked', async () => {
    const r = await check(HEALTHY_RULES, { ipsets: [] });
    expect(r.ok).toBe(true);
    expect(r.sets[0]).toMatchObject({ set: 'blocklist', defined: 'unknown' });
  });
});

describe('checkRules against a kernel without the extension', () => {
  it('says not-built for CLUSTERIP on Debian 13 (removed upstream in 6.7), naming the CONFIG symbol', async () => {
    const rules =
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -d 10.0.0.1 -i lo -j CLUSTERIP --new --hashmode sourceip --clustermac 01:00:5e:00:00:20 --total-nodes 2 --local-node 1\nCOMMIT\n';
    const r = await check(rules, { release: TRIXIE });
    const clusterip = requirement(r, 'CLUSTERIP');
    expect(clusterip.ok).toBe(false);
    expect(clusterip.modules[0]).toMatchObject({
      state: 'not-built',
      config: 'CONFIG_IP_NF_TARGET_CLUSTERIP',
    });
  });

  it('resolves the same ruleset on the generic Debian 6.1 kernel (26k aliases) for both backends', async () => {
    for (const backend of ['nft', 'legacy'] as const) {
      const r = await check(HEALTHY_RULES, { release: '6.1.0-56-amd64', backend });
      expect(r.ok).toBe(true);
      expect(requirement(r, 'recent').modules[0]).toMatchObject({ name: 'xt_recent', state: 'loadable' });
    }
  });

  it('loads .ko.xz modules of Debian 13 through modules.dep', async () => {
    const r = await check(HEALTHY_RULES, { release: TRIXIE });
    expect(r.ok).toBe(true);
    expect(requirement(r, 'recent').modules[0]).toMatchObject({ name: 'xt_recent', state: 'loadable' });
  });

  it('explains an xtables-addons match as an out-of-tree module that DKMS must build', async () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m geoip --src-cc XX -j DROP\nCOMMIT\n';
    const r = await check(rules);
    const geoip = requirement(r, 'geoip');
    expect(geoip.ok).toBe(false);
    expect(geoip.modules[0]).toMatchObject({ name: 'xt_geoip', state: 'file-missing' });
    expect(geoip.modules[0]?.reason).toMatch(/xtables-addons-dkms/);
  });
});

describe('checkRules with a --kernel directory', () => {
  it('reads a modules directory with the config inside it and checks file stubs', async () => {
    const dir = join(FIXTURE_KERNELS, CLOUD);
    const r = await checkRules({
      rules: [{ path: 'rules.v4', text: HEALTHY_RULES }],
      ipsets: [{ path: 'ipsets', text: IPSETS }],
      kernelReader: new RootReader('/'),
      layout: kernelDirLayout(dir, CLOUD),
      backend: { value: 'legacy', why: 'test' },
    });
    expect(r.kernel.config?.file).toBe(`${dir}/config-${CLOUD}`);
    expect(r.ok).toBe(true);
    expect(requirement(r, 'recent').modules[0]?.evidence[0]?.source).toBe(`${dir}/modules.dep`);
  });
});

describe('checkRules parses each file once, streaming', () => {
  it('a -j to a chain declared further down is a chain jump, not a missing target (full-parse fallback)', async () => {
    const rules =
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j LATER\n-A INPUT -j REJECT\n:LATER - [0:0]\n-A LATER -m recent --set -j DROP\nCOMMIT\n';
    const r = await check(rules, { backend: 'legacy' });
    expect(r.results.some((x) => x.requirement.extension === 'LATER')).toBe(false);
    expect(requirement(r, 'REJECT').requirement.lines).toEqual([4]);
    expect(requirement(r, 'recent').requirement.lines).toEqual([6]);
    expect(
      r.diagnostics.filter((d) => d.at.file === '/etc/iptables/rules.v4').map((d) => [d.code, d.at.line]),
    ).toEqual([['jump-before-chain-declared', 3]]);
    expect(r.files).toEqual([
      { path: '/etc/iptables/rules.v4', family: 'ipv4', tables: ['filter'], rules: 3 },
    ]);
  });

  it('without a backend choice, takes the one a rules file header names, in a later file too', async () => {
    const legacySaved = `# Generated by iptables-save v1.8.9 on Mon Nov 23 12:00:00 2026\n${HEALTHY_RULES}`;
    const r = await checkRules({
      rules: [
        { path: '/etc/iptables/rules.v4', text: HEALTHY_RULES },
        { path: '/etc/iptables/more.v4', text: legacySaved },
      ],
      ipsets: [{ path: '/etc/iptables/ipsets', text: IPSETS }],
      kernelReader: hostWith(CLOUD),
      layout: hostKernelLayout(CLOUD, 'snapshot', 'test host'),
    });
    expect(r.backend.value).toBe('legacy');
    expect(r.backend.why).toMatch(/line 1/);
    expect(requirement(r, 'tcp').satisfiedBy).toBe('xt_tcpudp');
    expect(r.results.some((x) => x.requirement.extension === 'nf_tables')).toBe(false);
    expect(r.files.map((f) => f.rules)).toEqual([7, 7]);
  });
});

describe('the family of a rules file without --family', () => {
  const v6Rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 2001:db8::1 -p ipv6-icmp -j ACCEPT\nCOMMIT\n';
  const saved = (tool: string, rules: string) =>
    `# Generated by ${tool} v1.8.9 (nf_tables) on Thu Dec  3 18:00:00 2026\n${rules}`;
  async function checkFile(path: string, text: string): Promise<CheckResult> {
    return checkRules({
      rules: [{ path, text }],
      ipsets: [],
      kernelReader: hostWith(CLOUD),
      layout: hostKernelLayout(CLOUD, 'snapshot', 'test host'),
      backend: { value: 'nft', why: 'test' },
    });
  }
  const codes = (r: CheckResult) => r.diagnostics.map((d) => [d.code, d.at.line]);

  it('comes from the header of ip6tables-save when the name says nothing (ip6tables-save > backup)', async () => {
    const r = await checkFile('/srv/fw/backup-2026-12-03', saved('ip6tables-save', v6Rules));
    expect(r.files[0]?.family).toBe('ipv6');
    expect(codes(r)).toEqual([]);
    expect(r.results.map((x) => x.requirement.family)).toContain('ipv6');
    expect(r.results.every((x) => x.requirement.family === 'ipv6')).toBe(true);
  });

  it('comes from the name first: rules.v4 written by ip6tables-save is read as IPv4, and says why it fails', async () => {
    const r = await checkFile('/home/ci/ip6-project/rules.v4', saved('ip6tables-save', v6Rules));
    expect(r.files[0]?.family).toBe('ipv4');
    expect(codes(r)).toEqual([
      ['saved-by-other-family', 1],
      [expect.stringMatching(/^rule-rejected|^bad-address|^host/), 4],
    ]);
    expect(r.diagnostics[0]?.message).toMatch(
      /^ip6tables-save wrote this file \(IPv6 rules\), but it is read as IPv4, as iptables-restore loads it: .*--family ipv6/,
    );
  });

  it('is IPv4 for a name and header that say nothing, as iptables-restore would load it', async () => {
    const r = await checkFile('/srv/fw/firewall.txt', HEALTHY_RULES);
    expect(r.files[0]?.family).toBe('ipv4');
  });
});

describe('rules only one backend refuses', () => {
  const rules = (...lines: string[]) => `*filter\n${lines.join('\n')}\nCOMMIT\n`;
  const rejected = (r: CheckResult) =>
    r.diagnostics.filter((d) => d.code.startsWith('rule-rejected')).map((d) => [d.code, d.severity]);

  it('is an error for the backend that refuses it and a warning naming that backend for the other', async () => {
    const text = rules('-A INPUT -j TRACE');
    expect(rejected(await check(text, { backend: 'legacy' }))).toEqual([['rule-rejected', 'error']]);
    const nft = await check(text, { backend: 'nft' });
    expect(rejected(nft)).toEqual([['rule-rejected-legacy', 'warning']]);
    expect(nft.diagnostics.find((d) => d.code === 'rule-rejected-legacy')?.message).toContain(
      'iptables-legacy-restore refuses it',
    );
  });

  it("decides a limit overflow that depends on CONFIG_HZ with the kernel's config (Debian: 250)", async () => {
    const text = rules('-A INPUT -m limit --limit 3/d -j ACCEPT');
    const legacy = await check(text, { backend: 'legacy' });
    expect(rejected(legacy)).toEqual([['rule-rejected', 'error']]);
    expect(legacy.diagnostics.find((d) => d.code === 'rule-rejected')?.message).toContain('CONFIG_HZ=250');
    const noConfig = await check(text, {
      backend: 'legacy',
      kernelReader: hostWith(CLOUD, {}, [`config-${CLOUD}`]),
    });
    expect(rejected(noConfig)).toEqual([['rule-rejected-at-hz', 'warning']]);
  });
});
