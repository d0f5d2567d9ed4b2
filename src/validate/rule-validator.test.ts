// The validation stage on the shapes people write, each expectation measured with real
// iptables-restore 1.8.9 (both backends) in a network namespace (see validate.netns.test.ts).
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IpFamily } from '../parsers/iptables-save.ts';
import { validate } from '../testing/validate.ts';

const SAMPLES = join(import.meta.dirname, '../parsers/__samples__');

const filter = (rules: string) =>
  `*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules}\nCOMMIT\n`;

describe('rules iptables-restore 1.8.9 rejects, with its message', () => {
  const cases: [string, IpFamily, string, string][] = [
    [
      '-p tcp with -m udp',
      'ipv4',
      '-A INPUT -p tcp -m udp --dport 53 -j ACCEPT',
      "UDP match requires '-p udp'",
    ],
    [
      'a UDP-only service with -p tcp',
      'ipv4',
      '-A INPUT -p tcp --dport iax -j ACCEPT',
      "invalid port/service `iax' specified",
    ],
    [
      'a port out of range',
      'ipv4',
      '-A INPUT -p tcp -m tcp --dport 99999 -j ACCEPT',
      "invalid port/service `99999' specified",
    ],
    [
      '--in-interface=lo (iptables takes the whole word)',
      'ipv4',
      '-A INPUT --in-interface=lo -j ACCEPT',
      "interface name `--in-interface=lo' must be shorter than IFNAMSIZ (15)",
    ],
    [
      'an IPv4 address in ip6tables',
      'ipv6',
      '-A INPUT -s 192.0.2.1/32 -j ACCEPT',
      "host/network `192.0.2.1' not found",
    ],
    [
      'an IPv6 address in iptables',
      'ipv4',
      '-A INPUT -d 2001:db8::1 -j ACCEPT',
      "host/network `2001:db8::1' not found",
    ],
    ['a mask too long', 'ipv4', '-A INPUT -s 10.0.0.0/33 -j ACCEPT', "invalid mask `33' specified"],
    [
      'multiport without -p',
      'ipv4',
      '-A INPUT -m multiport --dports 22,80 -j ACCEPT',
      "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'",
    ],
    [
      'an option given twice',
      'ipv4',
      '-A INPUT -m conntrack --ctstate NEW --ctstate NEW -j ACCEPT',
      'conntrack: option "--ctstate" can only be used once.',
    ],
    [
      'a misspelled state',
      'ipv4',
      '-A INPUT -m conntrack --ctstate ESTABLISHED,RELATD -j ACCEPT',
      'Bad ctstate "RELATD"',
    ],
    [
      '"!" on an option that cannot be inverted',
      'ipv4',
      '-A INPUT -m limit ! --limit 5/s -j ACCEPT',
      'limit: option "--limit" cannot be inverted.',
    ],
    [
      'a value out of range',
      'ipv4',
      '-A INPUT -m limit --limit 5/s --limit-burst 10001 -j ACCEPT',
      'limit: bad value for option "--limit-burst", or out of range (0-10000).',
    ],
    [
      'a missing mandatory option',
      'ipv4',
      '-A INPUT -m recent --name SSH -j DROP',
      "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'",
    ],
    [
      'options that exclude each other',
      'ipv4',
      '-A INPUT -m recent --set --update --name SSH -j DROP',
      'recent: option "--set" cannot be used together with "--update".',
    ],
    [
      'a jump to an undeclared chain',
      'ipv4',
      '-A INPUT -j LOGGING',
      'chain LOGGING is not declared in table filter',
    ],
    [
      'DNAT in the filter table',
      'ipv4',
      '-A INPUT -p tcp -j DNAT --to-destination 192.0.2.1',
      'DNAT target: only valid in nat table, not filter',
    ],
    [
      'REJECT tcp-reset without -p tcp',
      'ipv6',
      '-A INPUT -j REJECT --reject-with tcp-reset',
      'TCP_RESET invalid for non-tcp',
    ],
    [
      '-m icmp6 without -p',
      'ipv6',
      '-A INPUT -m icmp6 --icmpv6-type 128 -j ACCEPT',
      'icmp6 match: only valid for protocol 58',
    ],
    ['a bad log level', 'ipv4', '-A INPUT -j LOG --log-level warn', 'log level "warn" unknown'],
  ];
  it.each(cases)('%s', (_what, family, rule, message) => {
    const { rejected } = validate(filter(rule), family);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({
      code: 'rule-rejected',
      severity: 'error',
      at: { file: 'rules', line: 5 },
    });
    expect(rejected[0]?.message).toContain(message);
  });

  it('TCPMSS --set-mss up to 65535 less the IP header: 20 bytes for IPv4, 40 for IPv6 (r22)', () => {
    const mss = (value: number) => `-A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss ${value}`;
    const messages = (family: IpFamily, value: number) =>
      validate(filter(mss(value)), family).rejected.map((d) => d.message);
    expect(messages('ipv4', 65515)).toEqual([]);
    expect(messages('ipv4', 65516)).toEqual([
      'TCPMSS: bad value for option "--set-mss", or out of range (0-65515).',
    ]);
    expect(messages('ipv6', 65495)).toEqual([]);
    expect(messages('ipv6', 65496)).toEqual([
      'TCPMSS: bad value for option "--set-mss", or out of range (0-65495).',
    ]);
  });

  it('DNAT with ports needs a port protocol; MASQUERADE only in POSTROUTING', () => {
    const nat = `*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -j DNAT --to-destination 192.0.2.1:8080\n-A PREROUTING -o eth0 -j MASQUERADE\nCOMMIT\n`;
    const { rejected } = validate(nat, 'ipv4');
    expect(rejected.map((d) => [d.at.line, d.message.split(':')[0]])).toEqual([
      [4, 'Need TCP, UDP, SCTP or DCCP with port specification'],
      [5, 'MASQUERADE target'],
    ]);
  });
});

describe('rules that only fail together', () => {
  const timer = (label: string, alarm: boolean, chain = 'INPUT') =>
    `-A ${chain} -j IDLETIMER --timeout 10 --label ${label}${alarm ? ' --alarm' : ''}`;

  it('one IDLETIMER label with and without --alarm: the second rule, in any table, citing the first', () => {
    const text = `${filter(`${timer('idle', false)}\n${timer('idle', false, 'OUTPUT')}`)}*mangle\n${timer('idle', true)}\nCOMMIT\n`;
    const { rejected } = validate(text, 'ipv4');
    expect(rejected.map((d) => d.at.line)).toEqual([9]);
    expect(rejected[0]?.message).toContain('label "idle" already has a plain timer (line 5)');
  });

  it('one label with one timer type, and two labels with two types, load', () => {
    const text = filter(`${timer('a', true)}\n${timer('a', true, 'OUTPUT')}\n${timer('b', false)}`);
    expect(validate(text, 'ipv4').rejected).toEqual([]);
  });
});

describe('libip6t_rt.c: options that need an earlier one (measured, r21)', () => {
  const rt = (options: string) => validate(filter(`-A INPUT -m rt ${options} -j DROP`), 'ipv6').rejected;
  it.each([
    ['--rt-0-addrs 2001:db8::1', "`--rt-type 0' required before `--rt-0-addrs'"],
    ['--rt-type 2 --rt-0-res', "`--rt-type 0' required before `--rt-0-res'"],
    ['! --rt-type 0 --rt-0-addrs 2001:db8::1', "`--rt-type 0' required before `--rt-0-addrs'"],
    ['--rt-type 0 --rt-0-not-strict', "`--rt-0-addr ...' required before `--rt-0-not-strict'"],
  ])('%s', (options, message) => {
    expect(rt(options).map((d) => d.message)).toEqual([message]);
  });
  it('loads them in that order', () => {
    expect(rt('--rt-type 0 --rt-0-addrs 2001:db8::1 --rt-0-not-strict --rt-0-res')).toEqual([]);
  });
});

describe('rules whose load depends on the target host', () => {
  // Measured (r20, fixtures/rules/file-cases.txt): both backends refuse it on a kernel without SELinux, and
  // --test passes; on an SELinux host with that context in its policy it loads.
  it('SECMARK --selctx: a warning naming the context, never an error', () => {
    const text =
      '*security\n-A INPUT -p tcp --dport 80 -j SECMARK --selctx system_u:object_r:http_packet_t:s0\nCOMMIT\n';
    const { rejected } = validate(text, 'ipv4');
    expect(rejected.map((d) => [d.at.line, d.severity, d.code])).toEqual([
      [2, 'warning', 'state-dependent-load'],
    ]);
    expect(rejected[0]?.message).toContain('--selctx system_u:object_r:http_packet_t:s0');
    expect(rejected[0]?.message).toContain('without SELinux enabled');
  });

  it('-s/-d names and scoped IPv6 addresses resolve when the rules load: a warning; addresses and localhost none', () => {
    const warnings = (text: string, family: IpFamily) =>
      validate(filter(text), family).rejected.map((d) => [
        d.severity,
        d.code,
        d.message.slice(0, d.message.indexOf(': ')),
      ]);
    expect(warnings('-A INPUT -s 192.0.2.0/24,db.example.com -j ACCEPT', 'ipv4')).toEqual([
      ['warning', 'state-dependent-load', 'db.example.com'],
    ]);
    expect(warnings('-A INPUT -s fe80::1%eth0 -j ACCEPT', 'ipv6')).toEqual([
      ['warning', 'state-dependent-load', 'fe80::1%eth0'],
    ]);
    expect(warnings('-A INPUT -s 10.0.0.1 -d localhost -j ACCEPT', 'ipv4')).toEqual([]);
    expect(warnings('-A INPUT -s 2001:db8::/32 -d ::ffff:192.0.2.1 -j ACCEPT', 'ipv6')).toEqual([]);
  });

  it('CONNSECMARK asks nothing of SELinux; SECMARK outside mangle/security stays an error', () => {
    expect(validate('*security\n-A INPUT -j CONNSECMARK --save\nCOMMIT\n', 'ipv4').rejected).toEqual([]);
    const filterSecmark = validate(filter('-A INPUT -j SECMARK --selctx a:b:c:s0'), 'ipv4').rejected;
    expect(filterSecmark.map((d) => d.severity)).toEqual(['error']);
  });
});

describe('rules iptables-restore 1.8.9 loads are never rejected', () => {
  const ok = [
    '-A INPUT -p ipv6-icmp -m icmpv6 --icmpv6-type 128 -j ACCEPT',
    '-A INPUT -p tcp -m state --state NEW,ESTABLISHED -m tcp --dport ssh -j ACCEPT',
    '-A INPUT -p udp --sport http -j ACCEPT', // udp ports resolve a service of any protocol (getaddrinfo)
    '-A INPUT -m conntrack --ctstate est,rel -j ACCEPT', // strncasecmp: prefixes are states
    '-A INPUT -p tcp -m multiport --dports 22,80,443,8000:8080 -j ACCEPT',
    '-A INPUT -m comment --comment "two words" -j ACCEPT',
    '-A INPUT -p tcp -m tcp --dport 22 -m recent --update --seconds 60 --hitcount 4 --name SSH --rsource -j DROP',
    '-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-mode srcip --hashlimit-name h -j ACCEPT',
    '-A INPUT -j LOG --log-prefix "in: " --log-level 4',
  ];
  it.each(ok)('%s', (rule) => {
    expect(validate(filter(rule), /icmpv6/.test(rule) ? 'ipv6' : 'ipv4').rejected).toEqual([]);
  });

  it('every real captured ruleset in __samples__ (iptables-save of both backends, hand-written files)', () => {
    const dir = join(SAMPLES, 'iptables-save');
    for (const f of readdirSync(dir)) {
      const family = /v6|ip6/.test(f) ? 'ipv6' : 'ipv4';
      expect(validate(readFileSync(join(dir, f), 'utf8'), family, f).rejected, f).toEqual([]);
    }
  });
});

describe("the other family's ICMP: a rule that loads and matches nothing (iptables says nothing)", () => {
  const filter = (rule: string) => `*filter\n:INPUT DROP [0:0]\n${rule}\nCOMMIT\n`;
  const warned = (text: string, family: IpFamily) =>
    validate(text, family).rejected.map((d) => [d.code, d.severity, d.at.line]);

  it('warns on -p icmp in IPv6 (rules.v4 copied to rules.v6) and -p ipv6-icmp in IPv4, at the line', () => {
    expect(warned(filter('-A INPUT -p icmp -j ACCEPT'), 'ipv6')).toEqual([
      ['protocol-of-other-family', 'warning', 3],
    ]);
    expect(warned(filter('-A INPUT -p 1 -j ACCEPT'), 'ipv6')).toEqual([
      ['protocol-of-other-family', 'warning', 3],
    ]);
    expect(warned(filter('-A INPUT -p ipv6-icmp -j ACCEPT'), 'ipv4')).toEqual([
      ['protocol-of-other-family', 'warning', 3],
    ]);
    expect(validate(filter('-A INPUT -p icmp -j ACCEPT'), 'ipv6').rejected[0]?.message).toBe(
      '-p icmp in an IPv6 rule is protocol 1 (ICMP for IPv4), which IPv6 packets do not carry: the rule loads and matches nothing; ICMPv6 (ping, neighbor discovery) is -p ipv6-icmp',
    );
  });

  it('says nothing of the right ICMP, a negation, or a rule iptables refuses anyway', () => {
    expect(warned(filter('-A INPUT -p ipv6-icmp -j ACCEPT'), 'ipv6')).toEqual([]);
    expect(warned(filter('-A INPUT -p icmp -j ACCEPT'), 'ipv4')).toEqual([]);
    expect(warned(filter('-A INPUT ! -p icmp -j ACCEPT'), 'ipv6')).toEqual([]);
    // -m icmp does not exist for ip6tables: that is the error (iptables' words), not this warning.
    const mIcmp = validate(filter('-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT'), 'ipv6').rejected;
    expect(mIcmp.map((d) => [d.code, d.severity])).toEqual([['rule-rejected', 'error']]);
    expect(mIcmp[0]?.message).toBe(
      "Couldn't load match `icmp':No such file or directory: ip6tables matches ICMPv6 with -p ipv6-icmp -m icmp6 --icmpv6-type",
    );
    expect(
      validate(filter('-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT'), 'ipv4').rejected[0]
        ?.message,
    ).toBe(
      "Couldn't load match `icmp6':No such file or directory: iptables matches ICMP with -p icmp -m icmp --icmp-type",
    );
  });
});
