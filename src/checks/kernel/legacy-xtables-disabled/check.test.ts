import { describe, it, expect } from 'vitest';
import { runCheckOn } from '../../testing.ts';
import { labHost, labAvailable } from '../../../testing/lab-host.ts';
import { memoryReader } from '../../../testing/memory-reader.ts';

const ID = 'kernel/legacy-xtables-disabled';
const RELEASE = '6.18.5-custom';
const RULES = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n';
// The shape `make olddefconfig` gives a 6.1-era config on 6.18 (apple/containerization#913): the old table
// options are still asked for, the new gate is off, so nothing legacy is built.
const CONFIG_OFF =
  'CONFIG_MODULES=y\nCONFIG_NF_TABLES=m\nCONFIG_NETFILTER_XTABLES=m\n# CONFIG_NETFILTER_XTABLES_LEGACY is not set\n';
const CONFIG_ON =
  'CONFIG_MODULES=y\nCONFIG_NETFILTER_XTABLES=m\nCONFIG_NETFILTER_XTABLES_LEGACY=y\nCONFIG_IP_NF_IPTABLES_LEGACY=m\nCONFIG_IP_NF_FILTER=m\n';

function host(config: string | undefined, alternative = '/usr/sbin/iptables-legacy', release = RELEASE) {
  return memoryReader({
    files: {
      '/etc/os-release': 'ID=debian\n',
      '/etc/iptables/rules.v4': RULES,
      ...(config === undefined ? {} : { [`/boot/config-${release}`]: config }),
    },
    links: { '/etc/alternatives/iptables': alternative },
    commands: {
      'uname-r': { stdout: `${release}\n` },
      'journal.boot': {
        stdout:
          "Nov 23 10:00:01 host netfilter-persistent[201]: iptables-restore v1.8.9 (legacy): iptables-restore: unable to initialize table 'filter'\n",
      },
    },
  });
}

describe('kernel/legacy-xtables-disabled', () => {
  it('fails on 6.18 with iptables-legacy and CONFIG_NETFILTER_XTABLES_LEGACY unset, and says to switch to nft', async () => {
    const { run } = await runCheckOn(ID, host(CONFIG_OFF));
    expect(run.status).toBe('fail');
    const f = run.findings[0]!;
    expect(`${f.id} ${f.messageId}`).toBe(`${ID}#gate legacyDisabled`);
    expect(f.evidence[0]).toMatchObject({
      source: `/boot/config-${RELEASE}`,
      line: 4,
      text: '# CONFIG_NETFILTER_XTABLES_LEGACY is not set',
    });
    expect(f.evidence.some((e) => e.text?.includes("unable to initialize table 'filter'") === true)).toBe(
      true,
    );
    expect(f.subjects).toContain('module:iptable_filter');
    // Switching the variant is a person's decision; the restart waits for it.
    expect(f.fix?.actions.map((a) => a.kind)).toEqual(['manual', 'manual', 'manual']);
    expect(f.fix?.actions[0]).toMatchObject({
      command: expect.stringMatching(
        /^sudo update-alternatives --set iptables \/usr\/sbin\/iptables-nft/,
      ) as string,
    });
  });

  it('says PREEMPT_RT kernels cannot have the legacy tables', async () => {
    const { run } = await runCheckOn(ID, host(`${CONFIG_OFF}CONFIG_PREEMPT_RT=y\n`));
    expect(run.findings[0]?.messageId).toBe('preemptRt');
  });

  it('passes when the gate and the IPv4 legacy tables are built', async () => {
    const { run } = await runCheckOn(ID, host(CONFIG_ON));
    expect(run.status).toBe('pass');
  });

  it('fails when the gate is on but IP_NF_IPTABLES_LEGACY is off', async () => {
    const { run } = await runCheckOn(ID, host(CONFIG_ON.replace('CONFIG_IP_NF_IPTABLES_LEGACY=m\n', '')));
    expect(run.status).toBe('fail');
    expect(run.findings[0]?.messageId).toBe('familyDisabled');
  });

  it('does not apply to the nft backend or to kernels before 6.17, and is unknown without a kernel config', async () => {
    expect((await runCheckOn(ID, host(CONFIG_OFF, '/usr/sbin/iptables-nft'))).run.status).toBe(
      'not-applicable',
    );
    expect((await runCheckOn(ID, host('CONFIG_MODULES=y\n', undefined, '6.1.0-56-amd64'))).run.status).toBe(
      'not-applicable',
    );
    expect((await runCheckOn(ID, host(undefined))).run.status).toBe('unknown');
  });

  it.skipIf(!labAvailable)('does not apply to the lab hosts (nf_tables backend)', async () => {
    expect((await runCheckOn(ID, labHost('healthy'))).run.status).toBe('not-applicable');
  });
});
