import { describe, it, expect } from 'vitest';
import { runCheckOn } from '../../testing.ts';
import { labHost, labAvailable } from '../../../testing/lab-host.ts';
import { memoryReader } from '../../../testing/memory-reader.ts';
import { kernelFiles } from '../../../testing/kernel-fixture.ts';

const ID = 'userspace/extension-library';
const RELEASE = '6.1.0-56-cloud-amd64';
const XT = '/usr/lib/x86_64-linux-gnu/xtables';
// A library registers its extension from its constructor; the symbol name is in the file (userspace.ts).
const REGISTERS = Buffer.from('\x7fELF...xtables_register_match...');
// Debian xtables-addons-common 3.23-1 libxt_iface.so: a stub without any xtables_register_* reference.
const STUB = Buffer.from('\x7fELF...libxtables.so.12...');

function host(rules: string, libs: Record<string, Buffer>, version = 'iptables v1.8.9 (nf_tables)\n') {
  return memoryReader({
    files: {
      ...kernelFiles(RELEASE),
      '/etc/os-release': 'ID=debian\n',
      '/etc/iptables/rules.v4': rules,
      ...Object.fromEntries(Object.entries(libs).map(([n, c]) => [`${XT}/${n}`, c])),
    },
    commands: { 'uname-r': { stdout: `${RELEASE}\n` }, 'iptables-version': { stdout: version } },
  });
}

const RECENT =
  '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate NEW -m recent --set --name SSH\nCOMMIT\n';

describe('userspace/extension-library', () => {
  it('fails when libxt_recent.so is missing, and passes when it is there', async () => {
    const broken = await runCheckOn(ID, host(RECENT, { 'libxt_conntrack.so': REGISTERS }));
    expect(broken.run.status).toBe('fail');
    const f = broken.run.findings[0]!;
    expect(`${f.id} ${f.messageId}`).toBe(`${ID}#ipv4/match/recent missing`);
    expect(f.subjects).toContain('userspace:libxt_recent.so');
    expect(f.evidence[0]).toMatchObject({ source: '/etc/iptables/rules.v4', line: 3 });
    expect(f.fix?.actions.map((a) => a.kind)).toEqual(['manual', 'manual']);
    expect(f.fix?.actions[0]).toMatchObject({ command: 'sudo apt-get install --reinstall iptables' });

    const ok = await runCheckOn(
      ID,
      host(RECENT, { 'libxt_conntrack.so': REGISTERS, 'libxt_recent.so': REGISTERS }),
    );
    expect(ok.run.status).toBe('pass');
  });

  it('fails when the library registers nothing (xtables-addons 3.23-1 libxt_iface.so) and says to drop the rule', async () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m iface --iface lo --up -j ACCEPT\nCOMMIT\n';
    const { run } = await runCheckOn(ID, host(rules, { 'libxt_iface.so': STUB }));
    expect(run.status).toBe('fail');
    const f = run.findings[0]!;
    expect(f.messageId).toBe('registersNothing');
    expect(f.evidence[1]).toMatchObject({ source: `${XT}/libxt_iface.so` });
    expect(f.fix?.actions).toEqual([
      expect.objectContaining({
        kind: 'comment-line',
        file: '/etc/iptables/rules.v4',
        line: 3,
        expect: '-A INPUT -m iface --iface lo --up -j ACCEPT',
        risk: 'review',
      }),
      // This generated host does not run systemd: the restart is the SysV one, shown for a person.
      expect.objectContaining({ kind: 'manual', command: 'sudo service netfilter-persistent restart' }),
    ]);
  });

  it('links a missing library of an extension newer than the installed iptables to userspace/iptables-too-old', async () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m srh --srh-next-hdr 17 -j DROP\nCOMMIT\n';
    const { run, result } = await runCheckOn(
      ID,
      host(rules, { 'libxt_tcp.so': REGISTERS }, 'iptables v1.6.1\n'),
    );
    expect(run.status).toBe('fail');
    const cause = result.findings.find((f) => f.checkId === 'userspace/iptables-too-old');
    expect(run.findings[0]?.causedBy).toEqual([cause?.id]);
    expect(run.findings[0]?.fix).toBeUndefined();
  });

  it.skipIf(!labAvailable)(
    'is unknown, not pass, when the xtables directory was not captured (lab healthy)',
    async () => {
      const { run } = await runCheckOn(ID, labHost('healthy'));
      expect(run.status).toBe('unknown');
      expect(run.reason).toMatch(/no listing of the xtables directory/);
    },
  );
});
