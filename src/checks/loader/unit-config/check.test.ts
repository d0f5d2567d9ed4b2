// loader/unit-config on RHEL- and Arch-shaped hosts made of the packages' real unit files, iptables.init and
// iptables-config (src/testing/distro-hosts.ts), and on the Debian lab captures (nothing to report there).
import { describe, it, expect } from 'vitest';
import { runCheckOn } from '../../testing.ts';
import {
  RHEL_FILES,
  archTree,
  distroHost,
  distroRoot,
  okFact,
  LAB_RULES,
  specSed,
  rhelConfig,
  rhelTree,
  showUnit,
} from '../../../testing/distro-hosts.ts';
import { labHost, labAvailable } from '../../../testing/lab-host.ts';

const ID = 'loader/unit-config';
const EMPTY_SAVE = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';

describe(`${ID} on RHEL (iptables-services)`, () => {
  it('passes on an enabled iptables.service with its file and the package defaults', async () => {
    const { run, result } = await runCheckOn(ID, distroRoot(rhelTree({ enabled: ['iptables.service'] })));
    expect(run.status).toBe('pass');
    expect(result.findings.filter((f) => f.checkId === ID)).toEqual([]);
  });

  it('ip6tables.service enabled without /etc/sysconfig/ip6tables: the assertion fails it at every boot', async () => {
    const { run, result } = await runCheckOn(
      ID,
      distroRoot(rhelTree({ enabled: ['iptables.service', 'ip6tables.service'] })),
    );
    expect(run.status).toBe('fail');
    const f = result.findings.find(
      (x) => x.id === `${ID}#ip6tables.service:missing:/etc/sysconfig/ip6tables`,
    );
    expect(f?.messageId).toBe('restoresMissing');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('AssertPathExists=/etc/sysconfig/ip6tables fails');
    expect(f?.evidence).toContainEqual(
      expect.objectContaining({ source: '/usr/lib/systemd/system/ip6tables.service', line: 3 }),
    );
    expect(f?.fix?.actions.map((a) => (a.kind === 'manual' ? a.command : a.kind))).toEqual([
      'sudo service ip6tables save',
      'sudo systemctl disable ip6tables.service',
    ]);
  });

  it('IPTABLES_SAVE_ON_STOP="yes" is a warning, and the cause (error) when the saved file is empty', async () => {
    const warn = await runCheckOn(
      ID,
      distroRoot(
        rhelTree({
          enabled: ['iptables.service'],
          files: { '/etc/sysconfig/iptables-config': rhelConfig({ IPTABLES_SAVE_ON_STOP: 'yes' }) },
        }),
      ),
    );
    expect(warn.run.status).toBe('fail');
    const w = warn.result.findings.find((x) => x.checkId === ID);
    expect(w?.messageId).toBe('saveOnStop');
    expect(w?.severity).toBe('warning');
    expect(w?.evidence[0]).toEqual(
      expect.objectContaining({ source: '/etc/sysconfig/iptables-config', line: 19 }),
    );
    expect(w?.fix?.actions[0]).toEqual(
      expect.objectContaining({
        kind: 'replace-line',
        file: '/etc/sysconfig/iptables-config',
        line: 19,
        expect: 'IPTABLES_SAVE_ON_STOP="yes"',
        text: 'IPTABLES_SAVE_ON_STOP="no"',
        risk: 'review',
      }),
    );
    const empty = await runCheckOn(
      ID,
      distroRoot(
        rhelTree({
          enabled: ['iptables.service'],
          files: {
            '/etc/sysconfig/iptables-config': rhelConfig({ IPTABLES_SAVE_ON_RESTART: 'yes' }),
            '/etc/sysconfig/iptables': EMPTY_SAVE,
          },
        }),
      ),
    );
    const e = empty.result.findings.find((x) => x.checkId === ID);
    expect(e?.messageId).toBe('savedEmpty');
    expect(e?.severity).toBe('error');
    expect(e?.evidence[0]?.line).toBe(25);
  });

  it('ip6tables.service reads IP6TABLES_SAVE_ON_STOP from /etc/sysconfig/ip6tables-config (the spec sed of the IPv4 file)', async () => {
    const { result } = await runCheckOn(
      ID,
      distroRoot(
        rhelTree({
          enabled: ['iptables.service', 'ip6tables.service'],
          files: {
            '/etc/sysconfig/ip6tables': LAB_RULES.replace(/^-A INPUT -p icmp .*\n/m, ''),
            '/etc/sysconfig/ip6tables-config': specSed(
              'ip6tables-config',
              rhelConfig({ IPTABLES_SAVE_ON_STOP: 'yes' }),
            ),
          },
        }),
      ),
    );
    const f = result.findings.find((x) => x.checkId === ID);
    expect(f?.id).toBe(`${ID}#ip6tables.service:IP6TABLES_SAVE_ON_STOP`);
    expect(f?.message).toContain('IP6TABLES_SAVE_ON_STOP="yes" in /etc/sysconfig/ip6tables-config');
    expect(f?.evidence[0]).toEqual(
      expect.objectContaining({ source: '/etc/sysconfig/ip6tables-config', line: 19 }),
    );
  });

  it("RHEL 7's script unloads modules on restart: a helper loaded only by modules-load.d is named", async () => {
    const tree = rhelTree({
      enabled: ['iptables.service'],
      files: {
        '/etc/modules-load.d/ftp.conf': 'nf_conntrack_ftp\n',
        '/usr/libexec/iptables/iptables.init': RHEL_FILES.init7,
      },
    });
    const rhel8 = await runCheckOn(
      ID,
      distroHost(tree, { commands: { 'rpm-q': okFact('iptables-services-1.8.4-22.el8.noarch\n') } }),
    );
    expect(rhel8.result.findings.filter((f) => f.checkId === ID)).toEqual([]);
    const rhel7 = await runCheckOn(
      ID,
      distroHost(tree, { commands: { 'rpm-q': okFact('iptables-services-1.4.21-35.el7.x86_64\n') } }),
    );
    const f = rhel7.result.findings.find((x) => x.checkId === ID);
    expect(f?.messageId).toBe('modulesUnload');
    expect(f?.data).toEqual(expect.objectContaining({ modules: 'nf_conntrack_ftp' }));
    expect(f?.fix?.actions[0]).toEqual(
      expect.objectContaining({
        kind: 'replace-line',
        line: 6,
        text: 'IPTABLES_MODULES="nf_conntrack_ftp"',
        risk: 'safe',
      }),
    );
    // Listed in IPTABLES_MODULES, the init loads it again after each restore.
    const listed = await runCheckOn(
      ID,
      distroHost(
        rhelTree({
          enabled: ['iptables.service'],
          files: {
            '/etc/modules-load.d/ftp.conf': 'nf_conntrack_ftp\n',
            '/etc/sysconfig/iptables-config': rhelConfig({ IPTABLES_MODULES: 'nf_conntrack_ftp' }),
          },
        }),
        { commands: { 'rpm-q': okFact('iptables-services-1.4.21-35.el7.x86_64\n') } },
      ),
    );
    expect(listed.result.findings.filter((x) => x.checkId === ID)).toEqual([]);
  });

  it('a drop-in that makes iptables.service restore another file leaves /etc/sysconfig/iptables unused', async () => {
    const { result } = await runCheckOn(
      ID,
      distroRoot(
        rhelTree({
          enabled: ['iptables.service'],
          files: {
            '/etc/systemd/system/iptables.service.d/override.conf':
              '[Service]\nExecStart=\nExecStart=/usr/sbin/iptables-restore /root/fw.rules\n',
          },
        }),
      ),
    );
    const f = result.findings.find((x) => x.messageId === 'restoresOther');
    expect(f?.data).toEqual(
      expect.objectContaining({ file: '/etc/sysconfig/iptables', restores: '/root/fw.rules' }),
    );
    expect(f?.evidence[0]).toEqual(
      expect.objectContaining({ source: '/etc/systemd/system/iptables.service.d/override.conf', line: 3 }),
    );
  });
});

describe(`${ID} on Arch`, () => {
  it("warns that the stock unit is not ordered before the network, with the drop-in RHEL's unit has", async () => {
    const { run, result } = await runCheckOn(ID, distroRoot(archTree({ enabled: ['iptables.service'] })));
    expect(run.status).toBe('fail');
    const f = result.findings.find((x) => x.id === `${ID}#iptables.service:after-network`);
    expect(f?.severity).toBe('warning');
    expect(f?.fix?.actions[0]).toEqual(
      expect.objectContaining({
        kind: 'write-file',
        path: '/etc/systemd/system/iptables.service.d/nfdoctor-before-network.conf',
        content: '# written by nfdoctor\n[Unit]\nWants=network-pre.target\nBefore=network-pre.target\n',
        risk: 'safe',
      }),
    );
  });

  it('passes once the drop-in orders it before network-pre.target', async () => {
    const { run } = await runCheckOn(
      ID,
      distroRoot(
        archTree({
          enabled: ['iptables.service'],
          files: {
            '/etc/systemd/system/iptables.service.d/nfdoctor-before-network.conf':
              '# written by nfdoctor\n[Unit]\nWants=network-pre.target\nBefore=network-pre.target\n',
          },
        }),
      ),
    );
    expect(run.status).toBe('pass');
  });

  it('ip6tables.service enabled without ip6tables.rules: iptables-restore cannot open it (journal)', async () => {
    const journal = [
      'Nov 23 11:03:50.000000 arch systemd[1]: Starting IPv6 Packet Filtering Framework...',
      "Nov 23 11:03:50.100000 arch ip6tables-restore[301]: Can't open /etc/iptables/ip6tables.rules: No such file or directory",
      'Nov 23 11:03:50.200000 arch systemd[1]: ip6tables.service: Main process exited, code=exited, status=1/FAILURE',
      "Nov 23 11:03:50.200001 arch systemd[1]: ip6tables.service: Failed with result 'exit-code'.",
    ].join('\n');
    const { result } = await runCheckOn(
      ID,
      distroHost(
        archTree({
          enabled: ['iptables.service', 'ip6tables.service'],
          drop: ['/etc/iptables/ip6tables.rules'],
        }),
        {
          commands: {
            'journal.boot': okFact(journal),
            'systemctl.show.ip6tables': showUnit('ip6tables.service', 'failed', 'exit-code'),
            'systemctl.is-enabled.ip6tables': okFact('enabled\n'),
            'systemctl.is-enabled.iptables': okFact('enabled\n'),
          },
        },
      ),
    );
    const f = result.findings.find((x) => x.messageId === 'restoresMissing');
    expect(f?.message).toContain('cannot open the file');
    expect(f?.evidence).toContainEqual(
      expect.objectContaining({ text: expect.stringContaining("Can't open /etc/iptables/ip6tables.rules") }),
    );
    expect(f?.fix?.actions[0]).toEqual(
      expect.objectContaining({ command: "sudo sh -c 'ip6tables-save > /etc/iptables/ip6tables.rules'" }),
    );
  });
});

describe.skipIf(!labAvailable)(`${ID} on the Debian lab captures`, () => {
  it('passes: netfilter-persistent runs before network-pre.target and has its rules.v4', async () => {
    const { run, result } = await runCheckOn(ID, labHost('healthy'));
    expect(run.status).toBe('pass');
    expect(result.findings.filter((f) => f.checkId === ID)).toEqual([]);
  });
});
