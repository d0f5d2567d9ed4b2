import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCheckOn } from '../../testing.ts';
import { labHost, labAvailable } from '../../../testing/lab-host.ts';
import { denying, memoryReader } from '../../../testing/memory-reader.ts';
import { parseJournalShort } from '../../../parsers/journal.ts';
import type { HostReader } from '../../../sources/host-reader.ts';
import { parseDenial } from './check.ts';

const ID = 'security/permission-denied';
const sample = (name: string): string => readFileSync(join(import.meta.dirname, 'samples', name), 'utf8');
const RULES = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n';

function host(
  journal: string,
  files: Record<string, string>,
  os = 'ID=debian\n',
  kind: HostReader['kind'] = 'live',
) {
  return memoryReader({
    files: { '/etc/os-release': os, ...files },
    commands: { 'journal.boot': { stdout: journal } },
    kind,
  });
}

describe('security/permission-denied', () => {
  it('parses the real AVC line of audit.log (container-selinux#221)', () => {
    const line =
      'type=AVC msg=audit(1679342138.151:13404): avc:  denied  { read } for  pid=155106 comm="iptables-restor" name="hello" dev="vda2" ino=31392461 scontext=unconfined_u:system_r:iptables_t:s0 tcontext=unconfined_u:object_r:admin_home_t:s0 tclass=file permissive=0';
    const d = parseDenial({ message: line, fields: new Map(), line: 1 });
    expect(d?.kind).toBe('selinux');
    expect(d?.perms).toBe('read');
    expect(d?.fields.get('comm')).toBe('iptables-restor');
    expect(d?.fields.get('tcontext')).toBe('unconfined_u:object_r:admin_home_t:s0');
  });

  it('fails on an SELinux denial of the rules file on RHEL and says restorecon on that file', async () => {
    const rhel = 'ID="rocky"\nID_LIKE="rhel centos fedora"\n';
    const { run } = await runCheckOn(
      ID,
      host(sample('selinux-avc.log'), { '/etc/sysconfig/iptables': RULES }, rhel),
    );
    expect(run.status).toBe('fail');
    const f = run.findings.find(
      (x) => x.messageId === 'selinux' && x.data.target === '/etc/sysconfig/iptables',
    )!;
    expect(f.id).toBe(`${ID}#selinux:iptables-restor:/etc/sysconfig/iptables:read`);
    expect(f.evidence[0]).toMatchObject({ source: 'journalctl -b', line: 2 });
    expect(f.evidence[1]?.text).toBe("Can't open /etc/sysconfig/iptables: Permission denied");
    expect(f.fix?.actions[0]).toMatchObject({
      kind: 'manual',
      command: 'ls -Z /etc/sysconfig/iptables; sudo restorecon -v /etc/sysconfig/iptables',
    });
    expect(f.subjects).toContain('file:/etc/sysconfig/iptables');
    // The open failure is explained by the AVC, not reported again.
    expect(run.findings.some((x) => x.messageId === 'openDenied')).toBe(false);
  });

  it('fails on AppArmor denials of firewall programs and ignores other programs', async () => {
    const { run } = await runCheckOn(ID, host(sample('apparmor.log'), { '/etc/iptables/rules.v4': RULES }));
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => f.data.profile)).toEqual(['ufw-init', '/usr/sbin/fwknopd']);
    const fw = run.findings[1]!;
    // Widening a security profile is a person's decision: manual, with the command to paste.
    expect(fw.fix?.actions[0]).toMatchObject({
      kind: 'manual',
      command: expect.stringMatching(
        /^echo '  \/usr\/sbin\/xtables-legacy-multi ix,' \| sudo tee -a \/etc\/apparmor\.d\/local\/usr\.sbin\.fwknopd && /,
      ) as string,
    });
  });

  it('reports a bare "Permission denied" of the loader when no denial explains it', async () => {
    const journal =
      'Nov 23 10:00:01 host netfilter-persistent[201]: /usr/share/netfilter-persistent/plugins.d/15-ip4tables: 39: cannot open /etc/iptables/rules.v4: Permission denied\n';
    const { run } = await runCheckOn(ID, host(journal, { '/etc/iptables/rules.v4': RULES }));
    expect(run.status).toBe('fail');
    expect(run.findings[0]?.messageId).toBe('openDenied');
    expect(run.findings[0]?.data.path).toBe('/etc/iptables/rules.v4');
  });

  it('is unknown, never pass, when nfdoctor itself cannot read the rules file', async () => {
    const reader = denying(host('', { '/etc/iptables/rules.v4': RULES }), ['/etc/iptables/rules.v4']);
    const { run } = await runCheckOn(ID, reader);
    expect(run.status).toBe('unknown');
    expect(run.reason).toBe(
      'nfdoctor could not read /etc/iptables/rules.v4: permission-denied (run nfdoctor as root)',
    );
  });

  it('passes when the only denial in the journal is of an unrelated program', async () => {
    const journal = sample('apparmor.log')
      .split('\n')
      .filter((l) => l.includes('snap.openra.ra') && !l.startsWith('--'))
      .join('\n');
    expect(parseJournalShort(journal, 'x').value).toHaveLength(1);
    const { run } = await runCheckOn(ID, host(journal, { '/etc/iptables/rules.v4': RULES }));
    expect(run.status).toBe('pass');
  });

  it.skipIf(!labAvailable)(
    'passes on the lab healthy host (the rules.v6 "No such file" line is not a denial)',
    async () => {
      const { run } = await runCheckOn(ID, labHost('healthy'));
      expect(run.status).toBe('pass');
    },
  );
});
