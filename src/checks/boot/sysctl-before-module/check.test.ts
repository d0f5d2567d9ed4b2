import { describe, it, expect } from 'vitest';
import { runCheckOn } from '../../testing.ts';
import { memoryReader } from '../../../testing/memory-reader.ts';
import { kernelFiles } from '../../../testing/kernel-fixture.ts';

const ID = 'boot/sysctl-before-module';
const RELEASE = '6.1.0-56-cloud-amd64';
const SYSCTL = '# tuning\nnet.netfilter.nf_conntrack_max = 262144\n';

function host(files: Record<string, string | Buffer>, journal = '') {
  return memoryReader({
    files: { ...kernelFiles(RELEASE), '/proc/modules': '', ...files },
    commands: {
      'uname-r': { stdout: `${RELEASE}\n` },
      ...(journal === '' ? {} : { 'journal.boot': { stdout: journal } }),
    },
  });
}

describe('boot/sysctl-before-module', () => {
  it('fails when nf_conntrack is a module and nothing loads it before systemd-sysctl', async () => {
    const journal =
      "Nov 23 10:57:48.214531 host systemd-sysctl[190]: Couldn't write '262144' to 'net/netfilter/nf_conntrack_max', ignoring: No such file or directory\n";
    const { run } = await runCheckOn(ID, host({ '/etc/sysctl.d/90-conntrack.conf': SYSCTL }, journal));
    expect(run.status).toBe('fail');
    const f = run.findings[0]!;
    expect(f.messageId).toBe('notApplied');
    expect(f.evidence[0]).toMatchObject({ source: '/etc/sysctl.d/90-conntrack.conf', line: 2 });
    expect(f.evidence.some((e) => e.text?.includes("Couldn't write '262144'") === true)).toBe(true);
    expect(f.fix?.actions).toEqual([
      expect.objectContaining({
        kind: 'write-file',
        path: '/etc/modules-load.d/nfdoctor-nf_conntrack.conf',
        content: '# written by nfdoctor\nnf_conntrack\n',
        risk: 'safe',
      }),
      expect.objectContaining({ kind: 'modprobe', module: 'nf_conntrack', risk: 'safe' }),
      // No /run/systemd/system in this host: no systemd-sysctl.service to restart.
      expect.objectContaining({ kind: 'manual', command: 'sudo sysctl --system' }),
    ]);
  });

  it('passes when modules-load.d loads a module that depends on nf_conntrack', async () => {
    const files = {
      '/etc/sysctl.d/90-conntrack.conf': SYSCTL,
      '/etc/modules-load.d/fw.conf': 'xt_conntrack\n',
    };
    expect((await runCheckOn(ID, host(files))).run.status).toBe('pass');
  });

  it('passes when the kernel has nf_conntrack built in', async () => {
    const config = `CONFIG_MODULES=y\nCONFIG_NF_CONNTRACK=y\n`;
    const reader = memoryReader({
      files: {
        [`/boot/config-${RELEASE}`]: config,
        '/proc/modules': '',
        '/etc/sysctl.d/90-conntrack.conf': SYSCTL,
      },
      commands: { 'uname-r': { stdout: `${RELEASE}\n` } },
    });
    expect((await runCheckOn(ID, reader)).run.status).toBe('pass');
  });

  it('lets the last assignment of a key win and is not applicable without conntrack settings', async () => {
    const files = {
      '/etc/sysctl.d/10-a.conf': SYSCTL,
      '/etc/sysctl.d/20-b.conf': 'net.netfilter.nf_conntrack_max = 131072\n',
    };
    const { run } = await runCheckOn(ID, host(files));
    expect(run.findings.map((f) => f.data.value)).toEqual(['131072']);
    expect(
      (await runCheckOn(ID, host({ '/etc/sysctl.d/10-net.conf': 'net.ipv4.ip_forward = 1\n' }))).run.status,
    ).toBe('not-applicable');
  });
});
