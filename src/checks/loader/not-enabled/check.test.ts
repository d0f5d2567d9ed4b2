import { describe, it, expect } from 'vitest';
import { runCheckOn } from '../../testing.ts';
import { labHost, labAvailable, STOCK_NETFILTER_PERSISTENT_UNIT } from '../../../testing/lab-host.ts';
import { memoryReader } from '../../../testing/memory-reader.ts';
import { ALPINE_LINKS, alpineFiles } from '../../../testing/openrc-host.ts';

const ID = 'loader/not-enabled';
const RULES = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n';
const NFP = STOCK_NETFILTER_PERSISTENT_UNIT;
const FIREWALLD = `[Unit]
Description=firewalld - dynamic firewall daemon
Before=network-pre.target
Wants=network-pre.target
Conflicts=iptables.service ip6tables.service ebtables.service ipset.service nftables.service

[Service]
ExecStart=/usr/sbin/firewalld --nofork --nopid

[Install]
WantedBy=multi-user.target
`;
const NFTABLES = `[Unit]
Description=nftables
Wants=network-pre.target
Before=network-pre.target shutdown.target
DefaultDependencies=no

[Service]
Type=oneshot
ExecStart=/usr/sbin/nft -f /etc/nftables.conf

[Install]
WantedBy=sysinit.target
`;
const RHEL_IPTABLES = `[Unit]
Description=IPv4 firewall with iptables
AssertPathExists=/etc/sysconfig/iptables
Before=network-pre.target

[Service]
Type=oneshot
ExecStart=/usr/libexec/iptables/iptables.init start

[Install]
WantedBy=multi-user.target
`;

function debian(
  files: Record<string, string> = {},
  commands: Record<string, string> = {},
  links: Record<string, string> = {},
): ReturnType<typeof memoryReader> {
  return memoryReader({
    files: {
      '/etc/os-release': 'ID=debian\n',
      '/etc/iptables/rules.v4': RULES,
      '/lib/systemd/system/netfilter-persistent.service': NFP,
      '/run/systemd/system/.keep': '',
      ...files,
    },
    links,
    commands: Object.fromEntries(
      Object.entries({
        'uname-r': '6.1.0-56-cloud-amd64\n',
        'systemctl.is-enabled.netfilter-persistent': 'enabled\n',
        ...commands,
      }).map(([id, stdout]) => [id, { stdout }]),
    ),
  });
}

describe.skipIf(!labAvailable)('loader/not-enabled on real lab captures', () => {
  it('passes on the healthy host (netfilter-persistent enabled, no other firewall)', async () => {
    const { run } = await runCheckOn(ID, labHost('healthy'));
    expect(run.status).toBe('pass');
  });
});

/** A safe systemctl action on the loader of the saved rules. */
function nfp(verb: string): unknown {
  return expect.objectContaining({
    kind: 'systemctl',
    verb,
    unit: 'netfilter-persistent.service',
    risk: 'safe',
  });
}

describe('loader/not-enabled on generated hosts', () => {
  it('fails when netfilter-persistent is masked by a /dev/null link in /etc/systemd/system', async () => {
    const { run } = await runCheckOn(
      ID,
      debian(
        {},
        { 'systemctl.is-enabled.netfilter-persistent': '' },
        {
          '/etc/systemd/system/netfilter-persistent.service': '/dev/null',
        },
      ),
    );
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => f.messageId)).toEqual(['masked']);
    const f = run.findings[0]!;
    expect(f.subjects).toContain('unit:netfilter-persistent.service');
    expect(f.evidence[0]).toMatchObject({
      source: '/etc/systemd/system/netfilter-persistent.service -> /dev/null',
    });
    expect(f.fix?.actions).toEqual([nfp('unmask'), nfp('enable'), nfp('start')]);
  });

  it('fails when is-enabled says disabled', async () => {
    const { run } = await runCheckOn(
      ID,
      debian({}, { 'systemctl.is-enabled.netfilter-persistent': 'disabled\n' }),
    );
    expect(run.status).toBe('fail');
    expect(run.findings[0]?.messageId).toBe('disabled');
    expect(run.findings[0]?.evidence[0]).toMatchObject({ text: 'disabled' });
    expect(run.findings[0]?.fix?.actions).toEqual([nfp('enable'), nfp('start')]);
  });

  it('warns when ufw is enabled next to netfilter-persistent', async () => {
    const { run } = await runCheckOn(
      ID,
      debian(
        { '/lib/systemd/system/ufw.service': '[Unit]\nDescription=ufw\n' },
        { 'systemctl.is-enabled.ufw': 'enabled\n' },
      ),
    );
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => `${f.messageId} ${f.severity}`)).toEqual(['ufwAlongside warning']);
    expect(run.findings[0]?.subjects).toContain('unit:ufw.service');
  });

  it('says firewalld stops netfilter-persistent through its Conflicts= on the iptables.service alias', async () => {
    const { run } = await runCheckOn(
      ID,
      debian(
        { '/lib/systemd/system/firewalld.service': FIREWALLD },
        { 'systemctl.is-enabled.firewalld': 'enabled\n', 'systemctl.is-enabled.iptables': 'alias\n' },
        { '/lib/systemd/system/iptables.service': 'netfilter-persistent.service' },
      ),
    );
    expect(run.findings.map((f) => f.messageId)).toEqual(['firewalldConflict']);
    expect(run.findings[0]?.evidence).toContainEqual(
      expect.objectContaining({
        source: '/lib/systemd/system/firewalld.service',
        line: 5,
        text: 'Conflicts=iptables.service',
      }),
    );
  });

  it('does not report the Debian iptables.service alias as a second loader', async () => {
    const { run } = await runCheckOn(
      ID,
      debian(
        {},
        { 'systemctl.is-enabled.iptables': 'enabled\n' },
        {
          '/lib/systemd/system/iptables.service': 'netfilter-persistent.service',
        },
      ),
    );
    expect(run.status).toBe('pass');
  });

  it('fails on nftables.service with "flush ruleset" next to iptables-nft rules, not when it is ordered first', async () => {
    const files = {
      '/lib/systemd/system/nftables.service': NFTABLES,
      '/etc/nftables.conf': '#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n}\n',
    };
    const { run } = await runCheckOn(ID, debian(files, { 'systemctl.is-enabled.nftables': 'enabled\n' }));
    expect(run.findings.map((f) => f.messageId)).toEqual(['nftablesFlush']);
    expect(run.findings[0]?.evidence).toContainEqual(
      expect.objectContaining({ source: '/etc/nftables.conf', line: 3, text: 'flush ruleset' }),
    );
    const ordered = await runCheckOn(
      ID,
      debian(
        {
          ...files,
          '/etc/systemd/system/netfilter-persistent.service.d/after-nft.conf':
            '[Unit]\nAfter=nftables.service\n',
        },
        { 'systemctl.is-enabled.nftables': 'enabled\n' },
      ),
    );
    expect(ordered.run.status).toBe('pass');
  });

  it('fails on RHEL when iptables.service is disabled while /etc/sysconfig/iptables exists', async () => {
    const { run } = await runCheckOn(
      ID,
      memoryReader({
        files: {
          '/etc/os-release': 'ID="rhel"\nID_LIKE="fedora"\n',
          '/etc/sysconfig/iptables': RULES,
          '/usr/lib/systemd/system/iptables.service': RHEL_IPTABLES,
          '/run/systemd/system/.keep': '',
        },
        commands: { 'systemctl.is-enabled.iptables': { stdout: 'disabled\n' } },
      }),
    );
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => `${f.key} ${f.messageId}`)).toEqual([
      'iptables.service:disabled disabled',
    ]);
    expect(run.findings[0]?.evidence).toContainEqual(
      expect.objectContaining({ source: '/etc/sysconfig/iptables' }),
    );
  });

  it('is not-applicable without saved rules, unknown when enablement cannot be read', async () => {
    expect((await runCheckOn(ID, memoryReader({ files: {} }))).run.status).toBe('not-applicable');
    const { run } = await runCheckOn(ID, debian({}, { 'systemctl.is-enabled.netfilter-persistent': '' }));
    expect(run.status).toBe('unknown');
  });
});

describe('loader/not-enabled on OpenRC hosts (Alpine files from the package)', () => {
  const RULES = '*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n';
  const alpine = (links: Record<string, string> = {}) =>
    memoryReader({
      files: alpineFiles({ '/etc/iptables/rules-save': RULES }),
      links: { ...ALPINE_LINKS, ...links },
    });

  it('passes when the iptables service is linked into a boot runlevel', async () => {
    const { run } = await runCheckOn(
      ID,
      alpine({ '/etc/runlevels/default/iptables': '/etc/init.d/iptables' }),
    );
    expect(run.status).toBe('pass');
  });

  it('fails when no runlevel starts it, with the runlevel listings as evidence and rc-update as the fix', async () => {
    const { run } = await runCheckOn(ID, alpine());
    expect(run.findings.map((f) => f.message)).toEqual([
      '/etc/init.d/iptables is in no boot runlevel of OpenRC (sysinit, boot, default): nothing restores /etc/iptables/rules-save at boot',
    ]);
    const f = run.findings[0];
    expect(f?.evidence).toContainEqual(
      expect.objectContaining({ source: '/etc/runlevels/default', text: 'sshd', note: 'no iptables' }),
    );
    expect(f?.fix?.actions.map((a) => (a.kind === 'manual' ? a.command : a.kind))).toEqual([
      'sudo rc-update add iptables default',
      'sudo rc-service iptables start',
    ]);
    // SAVE_ON_STOP="yes" in the packaged conf.d: a stop saves whatever is loaded over the file.
    expect(f?.next).toContain('SAVE_ON_STOP="yes" (/etc/conf.d/iptables line 11)');
  });

  it('says unknown when no runlevel could be listed (a snapshot without the listings)', async () => {
    const host = alpine();
    const unlisted = {
      ...host,
      listDir: (path: string) =>
        path.startsWith('/etc/runlevels/')
          ? Promise.resolve({ path, status: 'not-collected' as const, reason: 'not in the snapshot' })
          : host.listDir(path),
    };
    const { run } = await runCheckOn(ID, unlisted);
    expect(run.status).toBe('unknown');
  });
});
