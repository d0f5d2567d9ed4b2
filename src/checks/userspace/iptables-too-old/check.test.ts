import { describe, it, expect } from 'vitest';
import { runCheckOn } from '../../testing.ts';
import { memoryReader } from '../../../testing/memory-reader.ts';
import { compareVersions } from './check.ts';

const ID = 'userspace/iptables-too-old';
// kube-proxy's masquerade rule (kubernetes/kubernetes#78547), which needs iptables >= 1.6.2.
const RULES =
  '*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.244.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE --random-fully\nCOMMIT\n';

function host(commands: Record<string, string>, os = 'ID=debian\n') {
  return memoryReader({
    files: { '/etc/os-release': os, '/etc/iptables/rules.v4': RULES },
    commands: Object.fromEntries(Object.entries(commands).map(([k, v]) => [k, { stdout: v }])),
  });
}

describe('userspace/iptables-too-old', () => {
  it('fails when MASQUERADE --random-fully meets iptables 1.6.1', async () => {
    const { run } = await runCheckOn(ID, host({ 'iptables-version': 'iptables v1.6.1\n' }));
    expect(run.status).toBe('fail');
    const f = run.findings[0]!;
    expect(`${f.id} ${f.messageId}`).toBe(
      `${ID}#/etc/iptables/rules.v4:MASQUERADE--random-fully optionTooNew`,
    );
    expect(f.data).toMatchObject({ since: '1.6.2', installed: '1.6.1', lines: '3' });
    expect(f.evidence[1]).toMatchObject({ source: 'command: iptables --version' });
    expect(f.subjects).toContain('extension:ipv4/target/MASQUERADE');
  });

  it('reads the version from dpkg when iptables --version is missing, and passes on 1.8.9', async () => {
    const { run } = await runCheckOn(ID, host({ 'dpkg-query': 'iptables\t1.8.9-2\tii \n' }));
    expect(run.status).toBe('pass');
  });

  it('reads rpm -q on RHEL', async () => {
    const { run } = await runCheckOn(
      ID,
      host(
        { 'rpm-q': 'iptables-1.4.21-35.el7.x86_64\nipset-7.1-1.el7.x86_64\n' },
        'ID="centos"\nID_LIKE="rhel fedora"\n',
      ),
    );
    expect(run.status).toBe('fail');
    expect(run.findings[0]?.fix?.actions[0]).toMatchObject({
      kind: 'manual',
      command: 'sudo dnf upgrade iptables\\*',
    });
  });

  it('is unknown when the rules use a newer option and the version cannot be read', async () => {
    const { run } = await runCheckOn(ID, host({}));
    expect(run.status).toBe('unknown');
  });

  it('compares dotted versions numerically', () => {
    expect(compareVersions('1.4.21', '1.6.2')).toBeLessThan(0);
    expect(compareVersions('1.8.10', '1.8.9')).toBeGreaterThan(0);
    expect(compareVersions('1.4.19.1', '1.4.19')).toBeGreaterThan(0);
  });
});
