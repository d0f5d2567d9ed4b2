import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { runCheckOn } from '../../testing.ts';
import { labHost, labAvailable } from '../../../testing/lab-host.ts';
import { openSnapshot } from '../../../sources/snapshot-reader.ts';

const ID = 'rules/icmpv6-dropped';
const HOSTS = join(import.meta.dirname, '../../../../fixtures/hosts');
const V6 = (icmp: string, policy = 'DROP') =>
  `*filter\n:INPUT ${policy} [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -s 2001:db8::/32 -p tcp -m tcp --dport 22 -j ACCEPT\n${icmp}\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n`;

describe.skipIf(!labAvailable)('rules/icmpv6-dropped on the healthy lab host with rules.v6 replaced', () => {
  const host = (rules: string) => labHost('healthy', { files: { '/etc/iptables/rules.v6': rules } });

  it('warns when INPUT drops, -p icmp is accepted and ICMPv6 is not, with the fix of that line', async () => {
    const { run } = await runCheckOn(ID, host(V6('-A INPUT -p icmp -j ACCEPT')));
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => [f.severity, f.message])).toEqual([
      [
        'warning',
        '/etc/iptables/rules.v6 line 7 accepts -p icmp, which in IPv6 matches nothing, and no rule accepts ICMPv6: with the INPUT policy DROP (line 2) neighbor discovery and ping are dropped, so the host loses IPv6 once these rules load',
      ],
    ]);
    expect(run.findings[0]?.fix?.actions[0]).toMatchObject({
      kind: 'replace-line',
      line: 7,
      expect: '-A INPUT -p icmp -j ACCEPT',
      text: '-A INPUT -p ipv6-icmp -j ACCEPT',
      risk: 'review',
    });
  });

  it('looks at OUTPUT the same way, each chain at its own line', async () => {
    const out = V6('-A INPUT -p icmp -j ACCEPT')
      .replace(':OUTPUT ACCEPT [0:0]', ':OUTPUT DROP [0:0]')
      .replace('COMMIT', '-A OUTPUT -p icmp -j ACCEPT\nCOMMIT');
    const { run } = await runCheckOn(ID, host(out));
    expect(run.findings.map((f) => f.key)).toEqual(['/etc/iptables/rules.v6:7', '/etc/iptables/rules.v6:9']);
    expect(run.findings[1]?.message).toContain('with the OUTPUT policy DROP (line 4)');
  });

  it('rewrites the long form too', async () => {
    const { run } = await runCheckOn(ID, host(V6('-A INPUT --protocol icmp -j ACCEPT')));
    expect(run.findings[0]?.fix?.actions[0]).toMatchObject({
      kind: 'replace-line',
      text: '-A INPUT --protocol ipv6-icmp -j ACCEPT',
    });
  });

  it('passes with ICMPv6 accepted, with an ACCEPT policy, or without any -p icmp', async () => {
    expect((await runCheckOn(ID, host(V6('-A INPUT -p ipv6-icmp -j ACCEPT')))).run.status).toBe('pass');
    expect((await runCheckOn(ID, host(V6('-A INPUT -p icmp -j ACCEPT', 'ACCEPT')))).run.status).toBe('pass');
    expect((await runCheckOn(ID, host(V6('-A INPUT -p tcp --dport 80 -j ACCEPT')))).run.status).toBe('pass');
    const both = V6('-A INPUT -p icmp -j ACCEPT').replace(
      'COMMIT',
      '-A INPUT -p icmpv6 --icmpv6-type 135 -j ACCEPT\nCOMMIT',
    );
    expect((await runCheckOn(ID, host(both))).run.status).toBe('pass');
  });
});

describe('rules/icmpv6-dropped on lab snapshots', () => {
  it('leaves a file of IPv4 rules to loader/rules-file-family, whose advice names its -p icmp', async () => {
    const { run, result } = await runCheckOn(
      ID,
      await openSnapshot(join(HOSTS, 'v4-rules-copied-to-v6.tar.gz')),
    );
    expect(run.findings).toEqual([]);
    const family = result.findings.find((f) => f.checkId === 'loader/rules-file-family');
    expect(family?.next).toContain('Its -p icmp lines match nothing in IPv6');
  });
});
