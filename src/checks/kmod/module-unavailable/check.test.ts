import { describe, it, expect } from 'vitest';
import { runCheckOn } from '../../testing.ts';
import { labHost, labAvailable } from '../../../testing/lab-host.ts';
import { memoryReader } from '../../../testing/memory-reader.ts';
import { kernelFiles } from '../../../testing/kernel-fixture.ts';
import { modulesDisabledHost, treeMissingHost } from '../../story-variants.ts';

const ID = 'kmod/module-unavailable';
const RELEASE = '6.1.0-56-cloud-amd64';
const RULES =
  '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate NEW -m recent --set --name SSH\nCOMMIT\n';

function host(files: Record<string, string | Buffer>, commands: Record<string, string> = {}) {
  return memoryReader({
    files: {
      '/etc/iptables/rules.v4': RULES,
      '/etc/os-release': 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12"\n',
      ...files,
    },
    commands: Object.fromEntries(
      Object.entries({ 'uname-r': `${RELEASE}\n`, ...commands }).map(([id, stdout]) => [id, { stdout }]),
    ),
  });
}

describe.skipIf(!labAvailable)('kmod/module-unavailable on real lab captures', () => {
  it('fails on missing-xt-recent: install xt_recent /bin/false blocks the module the rules use', async () => {
    const { run } = await runCheckOn(ID, labHost('missing-xt-recent'));
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => `${f.id} ${f.messageId}`)).toEqual([`${ID}#xt_recent:blocked blocked`]);
    const f = run.findings[0]!;
    expect(f.evidence[0]).toMatchObject({ source: '/etc/modprobe.d/nflab-no-xt-recent.conf', line: 1 });
    expect(f.evidence.some((e) => e.source === '/etc/iptables/rules.v4' && e.line === 7)).toBe(true);
    expect(f.subjects).toContain('rules:/etc/iptables/rules.v4:7');
    expect(f.fix?.actions).toEqual([
      expect.objectContaining({
        kind: 'comment-line',
        file: '/etc/modprobe.d/nflab-no-xt-recent.conf',
        line: 1,
        expect: 'install xt_recent /bin/false',
        risk: 'safe',
      }),
      expect.objectContaining({ kind: 'systemctl', verb: 'restart', unit: 'netfilter-persistent.service' }),
    ]);
  });

  it('passes on the healthy host', async () => {
    const { run } = await runCheckOn(ID, labHost('healthy'));
    expect(run.status).toBe('pass');
  });

  it('passes on the provider-kernel simulation, where the modules are loaded although /lib/modules is gone', async () => {
    const { run } = await runCheckOn(ID, labHost('linode-modules-load'));
    expect(run.status).toBe('pass');
  });
});

describe('kmod/module-unavailable on generated hosts', () => {
  it('says fileMissing under the missing module tree (one root, which carries the fix) when /lib/modules/$(uname -r) is gone', async () => {
    const config = kernelFiles(RELEASE)[`/boot/config-${RELEASE}`]!;
    const { run } = await runCheckOn(ID, host({ [`/boot/config-${RELEASE}`]: config, '/proc/modules': '' }));
    expect(run.status).toBe('fail');
    const recent = run.findings.find((f) => f.key === 'xt_recent:file-missing');
    expect(recent?.messageId).toBe('fileMissing');
    expect(recent?.causedBy.some((c) => c.startsWith('kmod/no-modules-dir#'))).toBe(true);
    expect(recent?.fix).toBeUndefined();
  });

  it('says fileMissing with the package to install when only the module file is gone', async () => {
    const files = kernelFiles(RELEASE, ['kernel/net/netfilter/xt_recent.ko']);
    const { run } = await runCheckOn(ID, host({ ...files, '/proc/modules': '' }));
    const recent = run.findings.find((f) => f.key === 'xt_recent:file-missing');
    expect(recent?.causedBy).toEqual([]);
    expect(recent?.fix?.actions.map((a) => a.kind)).toEqual(['manual', 'manual']);
    expect(recent?.fix?.actions[0]).toMatchObject({
      command: `sudo apt-get install --reinstall linux-image-${RELEASE}\nsudo depmod -a`,
    });
  });

  it('tells a container to load the module on its host', async () => {
    const files = {
      ...kernelFiles(RELEASE),
      '/proc/modules': '',
      '/proc/sys/kernel/modules_disabled': '0\n',
    };
    const { run } = await runCheckOn(ID, host(files, { 'systemd-detect-virt': 'lxc\n' }));
    // The module is loadable in principle; inside a container nothing but the host can load it.
    expect(run.status).toBe('fail');
    const recent = run.findings.find((f) => f.data.module === 'xt_recent');
    expect(recent?.messageId).toBe('container');
    // Only the host can act: nothing here is applied inside the container.
    expect(recent?.fix?.actions.every((a) => a.kind === 'manual')).toBe(true);
    expect(recent?.fix?.actions[0]).toMatchObject({ command: 'sudo modprobe xt_recent' });
  });

  it('is not-applicable without saved rules and unknown without a kernel release', async () => {
    expect((await runCheckOn(ID, memoryReader({ files: {} }))).run.status).toBe('not-applicable');
    const noRelease = memoryReader({ files: { '/etc/iptables/rules.v4': RULES } });
    expect((await runCheckOn(ID, noRelease)).run.status).toBe('unknown');
  });

  it('names every file and line a module serves in one finding (rules.v4 and rules.v6 need the same xt_recent)', async () => {
    const files = kernelFiles(RELEASE);
    const v6 =
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p ipv6-icmp -j ACCEPT\n-A INPUT -m recent --set --name S6\nCOMMIT\n';
    const { run } = await runCheckOn(
      ID,
      host({
        ...files,
        '/etc/iptables/rules.v6': v6,
        '/proc/modules': '',
        '/etc/modprobe.d/hardening.conf': 'blacklist xt_recent\n',
      }),
    );
    expect(run.findings.map((f) => f.id)).toEqual([`${ID}#xt_recent:blocked`]);
    const f = run.findings[0]!;
    expect(f.message).toContain(
      'xt_recent (for match recent, /etc/iptables/rules.v4 line 3 and /etc/iptables/rules.v6 line 4) is blacklisted',
    );
    expect(f.subjects).toEqual(
      expect.arrayContaining(['rules:/etc/iptables/rules.v4:3', 'rules:/etc/iptables/rules.v6:4']),
    );
  });

  it('warns when a blocked module is loaded now (by hand), and says error once the loader failed this boot', async () => {
    const files = {
      ...kernelFiles(RELEASE),
      '/proc/modules': 'xt_recent 24576 4 - Live 0x0\n',
      '/etc/modprobe.d/hardening.conf': '# policy\nblacklist xt_recent\n',
    };
    const up = await runCheckOn(ID, host(files));
    const latent = up.run.findings.find((f) => f.key === 'xt_recent:blocked-at-boot');
    expect(latent?.severity).toBe('warning');
    expect(latent?.message).toContain('is loaded now, but the next boot cannot load it');
    expect(latent?.message).toContain('systemd-modules-load skips a blacklisted module');
    // The rules are up: the fix lifts the block and restarts nothing.
    expect(latent?.fix?.actions).toEqual([
      expect.objectContaining({ kind: 'comment-line', file: '/etc/modprobe.d/hardening.conf', line: 2 }),
    ]);
    const failed = 'Id=netfilter-persistent.service\nActiveState=failed\nSubState=failed\nResult=exit-code\n';
    const down = await runCheckOn(ID, host(files, { 'systemctl.show.netfilter-persistent': failed }));
    expect(down.run.findings.find((f) => f.key === 'xt_recent:blocked-at-boot')?.severity).toBe('error');
    // Loaded and not blocked: nothing to say.
    const plain = await runCheckOn(ID, host({ ...files, '/etc/modprobe.d/hardening.conf': '' }));
    expect(plain.run.status).toBe('pass');
  });

  it('says signatureRefused for a DKMS module the kernel refuses under lockdown', async () => {
    const files = kernelFiles(RELEASE);
    const dep = `/lib/modules/${RELEASE}/modules.dep`;
    const alias = `/lib/modules/${RELEASE}/modules.alias`;
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m geoip --src-cc XX -j DROP\nCOMMIT\n';
    const lockdown =
      'Nov 23 10:57:49.000000 host kernel: Lockdown: modprobe: unsigned module loading is restricted; see man kernel_lockdown.7\n';
    const reader = memoryReader({
      files: {
        ...files,
        '/etc/iptables/rules.v4': rules,
        '/proc/modules': '',
        [dep]: `${files[dep]?.toString() ?? ''}updates/dkms/xt_geoip.ko: kernel/net/netfilter/x_tables.ko\n`,
        [alias]: `${files[alias]?.toString() ?? ''}alias ipt_geoip xt_geoip\n`,
        [`/lib/modules/${RELEASE}/updates/dkms/xt_geoip.ko`]: '',
      },
      commands: { 'uname-r': { stdout: `${RELEASE}\n` }, 'journal.boot': { stdout: lockdown } },
    });
    const { run } = await runCheckOn(ID, reader);
    expect(run.status).toBe('fail');
    const f = run.findings.find((x) => x.messageId === 'signatureRefused');
    expect(f?.key).toBe('xt_geoip:signature');
    expect(f?.evidence[0]?.text).toMatch(/^Lockdown: modprobe: unsigned module loading is restricted/);
    expect(f?.fix?.actions[0]).toMatchObject({
      kind: 'manual',
      command: expect.stringContaining('sudo mokutil --import /var/lib/dkms/mok.pub') as string,
    });
  });
});

describe.skipIf(!labAvailable)('kmod/module-unavailable: one root per cause on real-shaped hosts', () => {
  it('hangs every module under one kernel.modules_disabled root that cites the sysctl.d file and line', async () => {
    const { run } = await runCheckOn(ID, modulesDisabledHost());
    const root = run.findings.find((f) => f.key === 'modules-disabled');
    expect(root?.messageId).toBe('loadingDisabledBy');
    expect(root?.causedBy).toEqual([]);
    expect(root?.evidence).toContainEqual(
      expect.objectContaining({ source: '/etc/sysctl.d/60-hardening.conf', line: 3 }),
    );
    expect(root?.fix?.actions[0]).toMatchObject({
      kind: 'manual',
      command: 'sudoedit /etc/sysctl.d/60-hardening.conf',
    });
    expect(root?.fix?.actions[1]).toMatchObject({
      kind: 'write-file',
      path: '/etc/modules-load.d/nfdoctor-xt_recent.conf',
    });
    const recent = run.findings.find((f) => f.key === 'xt_recent:loading-disabled');
    expect(recent?.causedBy).toEqual([`${ID}#modules-disabled`]);
    expect(recent?.fix).toBeUndefined();
  });

  it('says the setting was made at run time when no sysctl.d file sets it', async () => {
    const { run } = await runCheckOn(
      ID,
      labHost('missing-xt-recent', {
        drop: ['/etc/modprobe.d/nflab-no-xt-recent.conf'],
        files: { '/proc/sys/kernel/modules_disabled': '1\n' },
      }),
    );
    expect(run.findings.find((f) => f.key === 'modules-disabled')?.messageId).toBe('loadingDisabledRuntime');
  });

  it('hangs a module of a missing module tree under kmod/no-modules-dir', async () => {
    const { run } = await runCheckOn(ID, treeMissingHost());
    const recent = run.findings.find((f) => f.key === 'xt_recent:file-missing');
    expect(recent?.causedBy.some((c) => c.startsWith('kmod/no-modules-dir#'))).toBe(true);
  });
});
