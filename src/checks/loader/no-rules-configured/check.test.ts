import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { runCheckOn } from '../../testing.ts';
import { labHost, labAvailable } from '../../../testing/lab-host.ts';
import { denying, memoryReader } from '../../../testing/memory-reader.ts';
import { openSnapshot } from '../../../sources/snapshot-reader.ts';
import { ALPINE_LINKS, alpineFiles } from '../../../testing/openrc-host.ts';

const ID = 'loader/no-rules-configured';
const DEV_VM = join(import.meta.dirname, '../../../../fixtures/hosts/dev-vm-no-modules.tar.gz');
const LIVE =
  '*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n';

describe('loader/no-rules-configured', () => {
  it.skipIf(!labAvailable)('passes on the lab healthy host, which has /etc/iptables/rules.v4', async () => {
    expect((await runCheckOn(ID, labHost('healthy'))).run.status).toBe('pass');
  });

  it('fails as an error when rules are loaded but not saved anywhere', async () => {
    const host = memoryReader({
      files: { '/etc/os-release': 'ID=debian\n' },
      commands: { 'iptables-save.nft': { stdout: LIVE, argv: ['iptables-nft-save'] } },
    });
    const { run } = await runCheckOn(ID, host);
    expect(run.status).toBe('fail');
    expect(run.findings[0]).toMatchObject({
      messageId: 'notPersisted',
      severity: 'error',
      data: { count: 2 },
    });
    // Which live rules to keep is a person's decision.
    expect(run.findings[0]?.fix?.actions).toEqual([
      expect.objectContaining({
        kind: 'manual',
        command: 'sudo apt-get install iptables-persistent && sudo netfilter-persistent save',
      }),
    ]);
  });

  it('on the real dev VM snapshot (a docker container: no init system, nothing loaded or saved) says the entrypoint is what runs, as info', async () => {
    const { run } = await runCheckOn(ID, await openSnapshot(DEV_VM));
    expect(run.status).toBe('fail');
    expect(run.findings[0]).toMatchObject({ messageId: 'containerNothing', severity: 'info' });
    expect(run.findings[0]?.message).toBe(
      'No iptables rules are loaded or saved in this docker container, which has no init system (only its entrypoint runs at start): its traffic is filtered, if at all, by the host',
    );
    expect(run.findings[0]?.evidence[0]).toMatchObject({
      source: 'command: systemd-detect-virt',
      text: 'docker',
    });
    // Not iptables-persistent: its unit would never run without systemd.
    expect(JSON.stringify(run.findings[0]?.fix)).not.toContain('iptables-persistent');
    expect(
      run.findings[0]?.evidence.some((e) => e.source === '/etc/iptables/rules.v4' && e.note === 'absent'),
    ).toBe(true);
  });

  it('warns that rules loaded in a container without an init system are gone when it restarts', async () => {
    const host = memoryReader({
      files: { '/etc/os-release': 'ID=debian\n' },
      commands: {
        'iptables-save.nft': { stdout: LIVE, argv: ['iptables-nft-save'] },
        'systemd-detect-virt': { stdout: 'podman\n' },
      },
    });
    const { run } = await runCheckOn(ID, host);
    expect(run.findings[0]).toMatchObject({
      messageId: 'containerNotPersisted',
      severity: 'warning',
      data: { count: 2, virt: 'podman' },
    });
    expect(run.findings[0]?.fix?.actions[0]).toMatchObject({ kind: 'manual' });
    expect(run.findings[0]?.fix?.persistence).toContain('entrypoint');
  });

  it('keeps the loader advice in a container that runs systemd (LXC system container)', async () => {
    const host = memoryReader({
      // /run/systemd/system exists when systemd is the init system (sd_booted(3)).
      files: { '/etc/os-release': 'ID=debian\n', '/run/systemd/system/session-1.scope': '' },
      commands: {
        'iptables-save.nft': { stdout: LIVE, argv: ['iptables-nft-save'] },
        'systemd-detect-virt': { stdout: 'lxc\n' },
      },
    });
    const { run } = await runCheckOn(ID, host);
    expect(run.findings[0]).toMatchObject({ messageId: 'notPersisted', severity: 'error' });
  });

  it('on Alpine (OpenRC services installed, nothing saved) looks where they restore from and says rc-update, not apt', async () => {
    const { run } = await runCheckOn(ID, memoryReader({ files: alpineFiles(), links: ALPINE_LINKS }));
    const f = run.findings[0];
    expect(f?.messageId).toBe('nothingConfigured');
    expect(f?.evidence.map((e) => e.source)).toEqual(
      expect.arrayContaining(['/etc/iptables/rules-save', '/var/lib/ip6tables/rules-save']),
    );
    expect(f?.fix?.actions[0]).toMatchObject({
      kind: 'manual',
      command:
        'sudo apk add iptables ip6tables && sudo rc-service iptables save && sudo rc-service ip6tables save && sudo rc-update add iptables default && sudo rc-update add ip6tables default',
    });
  });

  it('passes on Alpine once the file its conf.d names exists', async () => {
    const files = alpineFiles({ '/etc/iptables/rules-save': LIVE });
    const { run } = await runCheckOn(ID, memoryReader({ files, links: ALPINE_LINKS }));
    expect(run.status).toBe('pass');
  });

  it('does not apply when ufw manages the firewall', async () => {
    const host = memoryReader({
      files: {},
      commands: { 'systemctl.is-enabled.ufw': { stdout: 'enabled\n' } },
    });
    expect((await runCheckOn(ID, host)).run.status).toBe('not-applicable');
  });

  it('says unknown, not "nothing configured", when the saved rules exist but cannot be read', async () => {
    const host = memoryReader({ files: {} });
    const denied = denying(host, ['/etc/iptables/rules.v4']);
    const { run } = await runCheckOn(ID, denied);
    expect(run.status).toBe('unknown');
    expect(run.reason).toMatch(/rules\.v4 \(permission-denied\)/);
    expect((await runCheckOn('kmod/module-unavailable', denied)).run.status).toBe('unknown');
  });
});
