import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCheckOn } from '../../testing.ts';
import { openSnapshot } from '../../../sources/snapshot-reader.ts';
import { labHost, labAvailable, LAB_CAPTURES } from '../../../testing/lab-host.ts';
import { memoryReader } from '../../../testing/memory-reader.ts';
import { kernelFiles } from '../../../testing/kernel-fixture.ts';

const ID = 'kmod/no-modules-dir';
const RELEASE = '6.1.0-56-cloud-amd64';
const DEBIAN = 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12"\n';

/** The trees `ls /lib/modules` showed in a lab capture, as directories the reader can list. */
function labTrees(scenario: string): Record<string, string> {
  const ls = readFileSync(join(LAB_CAPTURES, scenario, 'ls-lib-modules.txt'), 'utf8');
  const names = ls
    .split('\n')
    .filter((l) => l.startsWith('d'))
    .map((l) => l.trim().split(/\s+/).pop() ?? '')
    .filter((n) => n !== '.' && n !== '..' && n !== '');
  return Object.fromEntries(names.map((n) => [`/lib/modules/${n}/modules.dep`, '']));
}

function host(
  files: Record<string, string | Buffer>,
  commands: Record<string, string> = {},
  os = DEBIAN,
): ReturnType<typeof memoryReader> {
  return memoryReader({
    files: { '/etc/os-release': os, '/proc/modules': '', ...files },
    commands: Object.fromEntries(
      Object.entries({ 'uname-r': `${RELEASE}\n`, ...commands }).map(([id, stdout]) => [id, { stdout }]),
    ),
  });
}

describe.skipIf(!labAvailable)('kmod/no-modules-dir on real lab captures', () => {
  it('fails on linode-modules-load: only 6.1.0-0-nflab-distro-amd64 in /lib/modules, a warning because the firewall still loads', async () => {
    const { run } = await runCheckOn(
      ID,
      labHost('linode-modules-load', { files: labTrees('linode-modules-load') }),
    );
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => f.messageId)).toEqual(['packageFilesMissing']);
    const f = run.findings[0]!;
    expect(f.severity).toBe('warning');
    expect(f.subjects).toContain('kernel:modules-dir');
    expect(f.data.release).toBe(RELEASE);
    expect(f.evidence).toContainEqual(
      expect.objectContaining({ source: '/lib/modules', text: '6.1.0-0-nflab-distro-amd64' }),
    );
    expect(f.evidence.some((e) => e.text?.startsWith(`linux-image-${RELEASE}\t`) === true)).toBe(true);
    // A package from the network and a kernel choice: manual steps only.
    expect(f.fix?.actions.map((a) => a.kind)).toEqual(['manual']);
    expect(f.fix?.actions[0]).toMatchObject({
      command: expect.stringContaining(`sudo apt-get install --reinstall linux-image-${RELEASE}`) as string,
    });
  });

  it('passes on the healthy host', async () => {
    const { run } = await runCheckOn(ID, labHost('healthy'));
    expect(run.status).toBe('pass');
  });
});

describe('kmod/no-modules-dir on generated hosts', () => {
  const rules = {
    '/etc/iptables/rules.v4':
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n',
  };

  it('says providerKernel for a Linode kernel next to an installed Debian kernel, an error when the rules cannot load', async () => {
    const { run } = await runCheckOn(
      ID,
      host(
        { ...rules, '/lib/modules/6.1.0-13-amd64/modules.dep': '', '/boot/vmlinuz-6.1.0-13-amd64': '' },
        {
          'uname-r': '6.2.9-x86_64-linode160\n',
          'dpkg-query':
            'linux-image-6.1.0-13-amd64\t6.1.55-1\tii \nlinux-image-amd64\t6.1.55-1\tii \nsystemd\t252.39-1\tii \n',
        },
      ),
    );
    expect(run.status).toBe('fail');
    const f = run.findings[0]!;
    expect(f.messageId).toBe('providerKernel');
    expect(f.severity).toBe('error');
    expect(f.evidence).toContainEqual(
      expect.objectContaining({ source: '/boot', note: 'no image of 6.2.9-x86_64-linode160' }),
    );
  });

  it('says notRebooted when a newer kernel of the same flavour is installed and the running one is gone', async () => {
    const { run } = await runCheckOn(
      ID,
      host(
        { '/lib/modules/6.1.0-57-cloud-amd64/modules.dep': '', '/boot/vmlinuz-6.1.0-57-cloud-amd64': '' },
        { 'dpkg-query': 'linux-image-6.1.0-57-cloud-amd64\t6.1.193-1\tii \n' },
      ),
    );
    expect(run.status).toBe('fail');
    expect(run.findings[0]?.messageId).toBe('notRebooted');
    expect(run.findings[0]?.data.newest).toBe('6.1.0-57-cloud-amd64');
    expect(run.findings[0]?.fix?.actions).toEqual([
      expect.objectContaining({ kind: 'manual', command: expect.stringContaining('sudo reboot') as string }),
    ]);
  });

  it('says removed when dpkg keeps only the config files (rc) of the running kernel', async () => {
    const { run } = await runCheckOn(
      ID,
      host(
        { '/lib/modules/6.1.0-50-cloud-amd64/modules.dep': '', '/boot/vmlinuz-6.1.0-50-cloud-amd64': '' },
        {
          'dpkg-query': `linux-image-${RELEASE}\t6.1.192-2\trc \nlinux-image-6.1.0-50-cloud-amd64\t6.1.180-1\tii \n`,
        },
      ),
    );
    expect(run.status).toBe('fail');
    expect(run.findings[0]?.messageId).toBe('removed');
    expect(run.findings[0]?.evidence).toContainEqual(
      expect.objectContaining({
        text: `linux-image-${RELEASE}\t6.1.192-2\trc`,
        note: 'not installed (state rc)',
      }),
    );
  });

  it('reads rpm on RHEL: the running kernel-core removed, a newer one installed', async () => {
    const el = '5.14.0-362.8.1.el9_3.x86_64';
    const { run } = await runCheckOn(
      ID,
      host(
        { '/lib/modules/5.14.0-427.13.1.el9_4.x86_64/modules.dep': '' },
        {
          'uname-r': `${el}\n`,
          'rpm-q': 'kernel-core-5.14.0-427.13.1.el9_4.x86_64\npackage kernel-modules is not installed\n',
        },
        'ID="rhel"\nID_LIKE="fedora"\n',
      ),
    );
    expect(run.findings[0]?.messageId).toBe('notRebooted');
  });

  it('says noModulesDep with depmod when the tree exists without its index', async () => {
    const { run } = await runCheckOn(ID, host({ [`/lib/modules/${RELEASE}/kernel/net/x.ko`]: '' }));
    expect(run.status).toBe('fail');
    expect(run.findings[0]?.messageId).toBe('noModulesDep');
    expect(run.findings[0]?.fix?.actions[0]).toMatchObject({
      kind: 'manual',
      command: `sudo depmod -a ${RELEASE}`,
    });
  });

  it('passes with the tree, is not-applicable in a container, unknown without a release', async () => {
    expect((await runCheckOn(ID, host(kernelFiles(RELEASE)))).run.status).toBe('pass');
    const lxc = await runCheckOn(ID, host({}, { 'systemd-detect-virt': 'lxc\n' }));
    expect(lxc.run.status).toBe('not-applicable');
    expect(lxc.run.reason).toMatch(/container/);
    expect((await runCheckOn(ID, memoryReader({ files: {} }))).run.status).toBe('unknown');
  });
});

const SNAPSHOT = join(import.meta.dirname, '../../../../fixtures/hosts/linode-modules-load.tar.gz');

describe.skipIf(!existsSync(SNAPSHOT))('kmod/no-modules-dir on the real linode-modules-load snapshot', () => {
  it('fails with packageFilesMissing, as on the lab extract', async () => {
    const { run } = await runCheckOn(ID, await openSnapshot(SNAPSHOT));
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => `${f.messageId} ${f.severity}`)).toEqual(['packageFilesMissing warning']);
  });
});
