// The validation stage against what iptables-restore 1.8.9 prints: every message below is the one the real
// iptables-nft-restore printed for the rule alone, in a network namespace (scripts/single-rules.mjs runs the
// whole of fixtures/rules/single-rules.txt that way), and nfdoctor must print the same words.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIptablesSaveFamily, type IpFamily } from '../parsers/iptables-save.ts';
import { parseServices } from '../parsers/services.ts';
import { accountNames, nameSet, protocolNames } from '../parsers/name-databases.ts';
import {
  RuleValidator,
  RULE_REJECTED,
  RULE_REJECTED_LEGACY,
  RULE_REJECTED_NFT,
  hzRejections,
} from './rule-validator.ts';
import { hexStringError, icmpTypeError, parseRate, u32Error, XT_LIMIT_SCALE } from './extension-values.ts';
import { limitOverflowsAt } from './targets.ts';

const SAMPLES = join(import.meta.dirname, '../parsers/__samples__');
const read = (path: string) => readFileSync(join(SAMPLES, path), 'utf8');
const NAMES = {
  services: parseServices(read('services/debian-bookworm-netbase-6.4')).value,
  protocols: nameSet(protocolNames(read('protocols/debian-bookworm-netbase-6.4'))),
  users: nameSet(accountNames(read('accounts/debian-base-passwd-3.6.1.passwd.master'))),
  groups: nameSet(accountNames(read('accounts/debian-base-passwd-3.6.1.group.master'))),
};

function validate(family: IpFamily, table: string, rule: string) {
  const chain = /^-A (\S+)/.exec(rule)?.[1] ?? 'INPUT';
  const builtin = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'].includes(chain);
  const text = `*${table}\n${builtin ? '' : `:${chain} - [0:0]\n`}${rule}\nCOMMIT\n`;
  const parsed = parseIptablesSaveFamily(text, 'rules', family);
  const validator = new RuleValidator({ family, file: 'rules', ...NAMES });
  for (const t of parsed.value.tables) {
    for (const r of t.rules) {
      validator.rule(r);
    }
    validator.closeTable(t);
  }
  return { parser: parsed.diagnostics, rejected: validator.finish(), hz: validator.hzDependentRules() };
}

/** [family, table, rule, what iptables-nft-restore 1.8.9 printed] */
const REFUSED_WITH_IPTABLES_WORDS: readonly [IpFamily, string, string, string][] = [
  // Found by scripts/fuzz-rules.mjs; RATEEST_get_time() and RATEEST_final_check() of libxt_RATEEST.c.
  [
    'ipv4',
    'filter',
    '-A INPUT -j RATEEST --rateest-name a --rateest-interval RE1 --rateest-ewmalog 500.0ms',
    'RATEEST: bad interval value "RE1"',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -j RATEEST --rateest-name a --rateest-interval 1s --rateest-ewmalog 1m',
    'RATEEST: bad ewmalog value "1m"',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -j RATEEST --rateest-name a --rateest-interval -1.0ms --rateest-ewmalog 500.0ms',
    'RATEEST: interval value is too large',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -j RATEEST --rateest-name a --rateest-interval 8.1s --rateest-ewmalog 16s',
    'RATEEST: interval value is too large',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -j RATEEST --rateest-name a --rateest-interval 1s --rateest-ewmalog 1s',
    'RATEEST: ewmalog value is out of range',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -j RATEEST --rateest-name a --rateest-interval 0 --rateest-ewmalog 1s',
    'RATEEST: ewmalog value is out of range',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -j RATEEST --rateest-name a --rateest-interval 250ms --rateest-ewmalog 360ms',
    'RATEEST: ewmalog value is out of range',
  ],
  // libxt_hashlimit.c hashlimit_mt_check(): a byte rate's burst covers at least one chunk; a packet burst's k or m.
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-upto 1kb/s --hashlimit-burst 1023 --hashlimit-name a',
    'burst cannot be smaller than 1024b',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-upto 1mb/s --hashlimit-burst 900k --hashlimit-name a',
    'burst cannot be smaller than 1048576b',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 1000k --hashlimit-name a',
    'bad value for option "--hashlimit-burst", or out of range (1-1000000).',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-above -1gb/s --hashlimit-name a -j DROP',
    'iptables-restore is killed by SIGFPE at this line (a division by zero in libxt_hashlimit.so bytes_to_cost(), iptables 1.8.9; measured, exit status 136): nothing of the file loads. Write a byte rate below 4096mb/s',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-upto 65536mb/s --hashlimit-burst 900k --hashlimit-name a',
    'iptables-restore is killed by SIGFPE at this line (a division by zero in libxt_hashlimit.so hashlimit_mt_check(), iptables 1.8.9; measured, exit status 136): nothing of the file loads. Write a byte rate below 4096mb/s',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-upto 4/s --hashlimit-name a --hashlimit-rate-match --hashlimit-rate-interval 4294967295',
    'hashlimit: Bad value for "--hashlimit-rate-interval" option: "4294967295"',
  ],
  // xtopt_parse_host() prints getaddrinfo()'s own error; glibc refuses these names without asking DNS.
  [
    'ipv4',
    'mangle',
    '-A PREROUTING -p udp -j TPROXY --on-port 12345 --on-ip 0x23/0xff',
    'getaddrinfo: Name or service not known',
  ],
  [
    'ipv6',
    'mangle',
    '-A PREROUTING -p tcp -j TPROXY --on-port 80 --on-ip 1.2.3.4',
    'getaddrinfo: Address family for hostname not supported',
  ],
  ['ipv4', 'filter', '-A INPUT -s a..b -j DROP', "host/network `a..b' not found"],
  ['ipv4', 'filter', '-A INPUT -d x!y -j DROP', "host/network `x!y' not found"],
  [
    'ipv4',
    'filter',
    `-A INPUT -s ${'a'.repeat(64)}.example -j DROP`,
    `host/network \`${'a'.repeat(64)}.example' not found`,
  ],
  ['ipv4', 'filter', '-A INPUT -p tcp --dport 80:70 -j ACCEPT', 'invalid portrange (min > max)'],
  ['ipv4', 'filter', '-A INPUT -p tcp -m multiport --dports 80:80 -j ACCEPT', 'invalid portrange specified'],
  ['ipv4', 'filter', '-A INPUT -s 10.0.0.256 -j ACCEPT', "host/network `10.0.0.256' not found"],
  ['ipv6', 'filter', '-A INPUT -s 2001:db8::g -j ACCEPT', "host/network `2001:db8::g' not found"],
  ['ipv4', 'filter', '-A INPUT -p tcpp -j ACCEPT', 'unknown protocol "tcpp" specified'],
  ['ipv4', 'filter', '-A INPUT -p 256 -j ACCEPT', 'unknown protocol "256" specified'],
  ['ipv4', 'filter', '-A INPUT -m limit --limit 3/week -j ACCEPT', 'bad rate "3/week"\''],
  ['ipv4', 'filter', '-A INPUT -m limit --limit 1000000/sec -j ACCEPT', 'Rate too fast "1000000/sec"'],
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-upto 10/sec --hashlimit-mode foo --hashlimit-name x -j ACCEPT',
    'hashlimit: Bad value for "--hashlimit-mode" option: "foo"',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-above 20/sec --hashlimit-burst 0 --hashlimit-name x -j DROP',
    'bad value for option "--hashlimit-burst", or out of range (1-1000000).',
  ],
  ['ipv4', 'filter', '-A INPUT -m string --algo bm --hex-string "|zz|" -j DROP', "Invalid hex char 'z'"],
  ['ipv4', 'filter', '-A INPUT -m string --algo bm --hex-string "|414|" -j DROP', 'Invalid hex block'],
  ['ipv4', 'filter', '-A INPUT -m u32 --u32 "0&0xFFFF=" -j DROP', 'u32: test ended with no value specified'],
  ['ipv4', 'filter', '-A INPUT -m u32 --u32 "6%0xFF=1" -j DROP', 'u32: at char 1: operator expected'],
  ['ipv4', 'filter', '-A INPUT -m dscp --dscp-class XX -j ACCEPT', "Invalid DSCP value `XX'"],
  ['ipv4', 'filter', '-A INPUT -p tcp -m tcp --tcp-flags FOO SYN -j ACCEPT', "Unknown TCP flag `FOO'"],
  ['ipv4', 'filter', '-A INPUT -p tcp --tcp-option 300 -j ACCEPT', 'Bad TCP option "300"'],
  ['ipv4', 'filter', '-A INPUT -p icmp --icmp-type foo -j ACCEPT', "Unknown ICMP type `foo'"],
  ['ipv4', 'filter', '-A INPUT -p icmp --icmp-type 8/300 -j ACCEPT', "Unknown ICMP code `8/300'"],
  [
    'ipv4',
    'filter',
    '-A INPUT -p icmp -m icmp --icmp-type t -j ACCEPT',
    "Ambiguous ICMP type `t': `TOS-network-unreachable' or `TOS-host-unreachable'?",
  ],
  ['ipv4', 'filter', '-A INPUT -p icmp -m icmp --icmp-type 3:4 -j ACCEPT', 'ICMP type range not supported'],
  ['ipv6', 'filter', '-A INPUT -p icmpv6 --icmpv6-type foo -j ACCEPT', "Unknown ICMPv6 type `foo'"],
  [
    'ipv4',
    'filter',
    '-A INPUT -j REJECT --reject-with icmp6-adm-prohibited',
    'unknown reject type "icmp6-adm-prohibited"',
  ],
  [
    'ipv6',
    'filter',
    '-A INPUT -j REJECT --reject-with icmp-port-unreachable',
    'unknown reject type "icmp-port-unreachable"',
  ],
  ['ipv4', 'nat', '-A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.300', 'Bad IP address "10.0.0.300"'],
  ['ipv4', 'filter', '-A INPUT -j NFQUEUE --queue-balance 5:3', '5 should be less than 3'],
  ['ipv4', 'raw', '-A PREROUTING -j CT --zone 70000', 'Cannot parse 70000 as a zone ID'],
  ['ipv4', 'raw', '-A PREROUTING -j CT --ctevents new,foo', 'Unknown event type "foo"'],
  ['ipv4', 'mangle', '-A POSTROUTING -j CLASSIFY --set-class 1', 'Bad class value "1"'],
  [
    'ipv4',
    'filter',
    '-A INPUT -m iprange --dst-range 192.168.1.300-192.168.1.400 -j ACCEPT',
    'iprange: Bad value for "--dst-range" option: "192.168.1.300"',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m time --timestart 25:00 -j ACCEPT',
    'invalid time "25:00" specified, should be hh:mm[:ss] format and within the boundaries',
  ],
  ['ipv4', 'filter', '-A INPUT -m time --weekdays Mon,Funday -j ACCEPT', 'Fun is not a valid day specifier'],
  [
    'ipv4',
    'filter',
    '-A INPUT -m time --datestart 2026-13-01 -j ACCEPT',
    'Invalid date "2026-13-01" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]',
  ],
  ['ipv4', 'filter', '-A INPUT -m time --monthdays 31,32 -j ACCEPT', '32 is not a valid day for --monthdays'],
  [
    'ipv4',
    'filter',
    '-A INPUT -m connbytes --connbytes 100:10 --connbytes-dir original --connbytes-mode packets -j ACCEPT',
    '100 should be less than 10',
  ],
  ['ipv4', 'filter', '-A INPUT -p sctp -m sctp --chunk-types any FOO -j ACCEPT', "Unknown sctp chunk `FOO'"],
  [
    'ipv4',
    'filter',
    '-A INPUT -p sctp -m sctp --chunk-types some INIT -j ACCEPT',
    'Match type has to be one of "ALL", "ANY" or "ONLY"',
  ],
  ['ipv4', 'filter', '-A INPUT -p dccp -m dccp --dccp-types FOO -j ACCEPT', "Unknown DCCP type `FOO'"],
  ['ipv6', 'filter', '-A INPUT -m ipv6header --header foo -j DROP', "unknown header `foo' specified"],
  ['ipv6', 'filter', '-A INPUT -p ipv6-mh -m mh --mh-type foo -j ACCEPT', "Invalid MH type `foo'"],
  [
    'ipv4',
    'filter',
    '-A INPUT -p tcp --dport 22 --sport 22 --dport 23 -j ACCEPT',
    "Only one `--destination-port' allowed",
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m conntrack --ctdir FOO -j ACCEPT',
    'conntrack: Bad value for "--ctdir" option: "FOO"',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m statistic --mode nth --every 5 --packet 5 -j DROP',
    'the --packet p must be 0 <= p <= n-1',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m statistic --mode random -j DROP',
    '--probability must be specified when using random mode',
  ],
  ['ipv4', 'filter', '-A INPUT -j CONNSECMARK', 'CONNSECMARK target: parameter required'],
  [
    'ipv4',
    'filter',
    '-A INPUT -m policy --dir in --pol ipsec --strict',
    'policy match: empty policy element 0. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required.',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m policy --dir in --pol ipsec --strict --reqid 1 --spi 0x1 --proto esp --tunnel-dst 10.0.0.0/8',
    'policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode',
  ],
  [
    'ipv4',
    'filter',
    '-A OUTPUT -m owner --uid-owner nosuchuser -j ACCEPT',
    'owner: Bad value for "--uid-owner" option: "nosuchuser"',
  ],
  ['ipv4', 'mangle', '-A FORWARD -p tcp -j TCPOPTSTRIP --strip-options 1', 'Option value may not be 0 or 1'],
  [
    'ipv4',
    'nat',
    '-A PREROUTING -p tcp -j REDIRECT --to-ports 42-1234/567',
    'Shifted portmap ranges not supported with this kernel',
  ],
  ['ipv4', 'filter', '-A INPUT -p tcp -m tcpmss --mss 65535:1000 -j ACCEPT', 'tcpmss: invalid range given'],
  [
    'ipv4',
    'filter',
    '-A INPUT -p icmp -m icmp --icmp-type echo -j ACCEPT',
    "Ambiguous ICMP type `echo': `echo-reply' or `echo-request'?",
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -p icmp -m icmp --icmp-type ti -j ACCEPT',
    "Ambiguous ICMP type `ti': `time-exceeded' or `timestamp-request'?",
  ],
  ['ipv4', 'filter', '-A INPUT -s 192.168.0.0/16, -j ACCEPT', "host/network `' not found"],
  ['ipv4', 'filter', '-A INPUT -s 10.0.0.1-10.0.0.5 -j ACCEPT', "host/network `10.0.0.1-10.0.0.5' not found"],
  [
    'ipv4',
    'filter',
    '-A INPUT -m time --contiguous -j ACCEPT',
    'time: --contiguous only makes sense when stoptime is smaller than starttime',
  ],
  [
    'ipv4',
    'mangle',
    '-A PREROUTING -j HMARK --hmark-tuple src,dst --hmark-mod 10 --hmark-rnd 0x1 --hmark-src-prefix 24',
    'HMARK: option "--hmark-src-prefix" can only be used once.',
  ],
  [
    'ipv4',
    'mangle',
    '-A PREROUTING -j HMARK --hmark-tuple src,foo --hmark-mod 10 --hmark-rnd 0x1',
    'Bad type "foo"',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m realm --realm 0x1/256x2a',
    'realm: trailing garbage after value for option "--realm".',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m realm --realm 0x1/0x4294967295a',
    'realm: bad integer value for option "--realm", or out of range.',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m policy --dir in --pol ipsec --proto esp --proto esp',
    'policy match: double --proto option',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m policy --dir in --pol ipsec --proto tcp',
    'policy match: protocol must be ah/esp/ipcomp',
  ],
  ['ipv4', 'filter', '-A INPUT -m bpf', 'bpf: one of --bytecode or --pinned is required'],
  ['ipv6', 'filter', '-A INPUT -m dst --dst-opts ACCEPT -j ACCEPT', "dst: no valid digits in opt `ACCEPT'"],
  ['ipv6', 'filter', '-A INPUT -m hbh --hbh-opts 0:2 -j ACCEPT', 'PAD0 has not got length'],
  ['ipv4', 'filter', '-A INPUT -c 1 x -j ACCEPT', '-c byte counter not numeric'],
  ['ipv4', 'filter', '-A INPUT -s 10.0.0.0/0x21 -j ACCEPT', "invalid mask `0x21' specified"],
  // HMARK_check() refuses masks the kernel would also refuse, before the kernel sees them (measured, 1.8.9).
  [
    'ipv4',
    'mangle',
    '-A PREROUTING -j HMARK --hmark-tuple spi,sport --hmark-mod 10 --hmark-rnd 0x1',
    'you cannot use --hmark-spi-mask and --hmark-?port-mask,at the same time',
  ],
  [
    'ipv4',
    'mangle',
    '-A PREROUTING -j HMARK --hmark-mod 10 --hmark-rnd 0x1',
    'you have to specify --hmark-tuple at least',
  ],
  ['ipv4', 'mangle', '-A PREROUTING -j HMARK --hmark-tuple src --hmark-mod 10', '--hmark-rnd is mandatory'],
  [
    'ipv4',
    'filter',
    '-A FORWARD -m policy --dir OUT --pol none -j ACCEPT',
    'policy_match: invalid dir "OUT"',
  ],
  [
    'ipv4',
    'filter',
    '-A FORWARD -m policy --dir in --pol NONE -j ACCEPT',
    'policy match: invalid policy "NONE"',
  ],
  [
    'ipv4',
    'filter',
    '-A FORWARD -m policy --dir in --pol ipsec --mode TUNNEL -j ACCEPT',
    'policy match: invalid mode "TUNNEL"',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m time --datestart 2026--01 -j ACCEPT',
    'Invalid date "2026--01" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]',
  ],
  [
    'ipv4',
    'nat',
    '-A PREROUTING -j NETMAP --to 10.0.0.0/8 --to 10.0.0.0/8',
    'NETMAP: option "--to" can only be used once.',
  ],
  [
    'ipv6',
    'filter',
    '-A INPUT ! -s 2001:db8::1,2001:db8::2 -j ACCEPT',
    '! not allowed with multiple source or destination IP addresses',
  ],
  [
    'ipv4',
    'mangle',
    '-A PREROUTING -m CONNMARK --mark 1 -j ACCEPT',
    "Couldn't load match `CONNMARK':No such file or directory: CONNMARK is a target (-j CONNMARK); the match is -m connmark",
  ],
  [
    'ipv4',
    'mangle',
    '-A PREROUTING -j HMARK --hmark-tuple src,,dst --hmark-mod 10 --hmark-rnd 0x1',
    'Bad type ",dst"',
  ],
  [
    'ipv4',
    'mangle',
    '-A PREROUTING -j HMARK --hmark-tuple src, --hmark-mod 10 --hmark-rnd 0x1',
    '"--hmark-tuple" requires a list of types with no spaces, e.g. src,dst,sport,dport,proto',
  ],
  [
    'ipv6',
    'filter',
    '-A INPUT -m connlimit --connlimit-above 10 --connlimit-mask 129 -j DROP',
    'connlimit: bad value for option "--connlimit-mask", neither a valid network mask nor valid CIDR (0-128).',
  ],
  ['ipv6', 'filter', '-A INPUT -m ipv6header --header tcp -j DROP', "unknown header `6' specified"],
  [
    'ipv4',
    'filter',
    '-A INPUT -p udp -m udp --dport -1 -j ACCEPT',
    'Port "-1" does not resolve to anything.',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -p udp -m udp --dport 0x10 -j ACCEPT',
    'Port "0x10" does not resolve to anything.',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m bpf --bytecode "2,48 0 0 9" -j ACCEPT',
    'bpf: parsed program length is less than the encoded length parameter',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m cluster --cluster-total-nodes 2 --cluster-local-node 3 --cluster-hash-seed 0xdeadbeef -j ACCEPT',
    "cluster match: `--cluster-local-node' must be <= `--cluster-total-nodes'",
  ],
  [
    'ipv6',
    'filter',
    '-A INPUT -p ipv6-mh -m mh --mh-type 10:5 -j ACCEPT',
    'Invalid MH type range (min > max)',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m multiport --ports 80 -p tcp -j ACCEPT',
    "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'",
  ],
  [
    'ipv4',
    'nat',
    '-A POSTROUTING -j DROP',
    'The "nat" table is not intended for filtering, the use of DROP is therefore inhibited.',
  ],
  [
    'ipv4',
    'nat',
    '-A POSTROUTING -j MASQUERADE --to 1000 -p tcp',
    'Need TCP, UDP, SCTP or DCCP with port specification',
  ],
];

describe("rules iptables 1.8.9 refuses in its extensions' parse functions, in its own words", () => {
  it.each(REFUSED_WITH_IPTABLES_WORDS)('%s %s: %s', (family, table, rule, message) => {
    const { parser, rejected } = validate(family, table, rule);
    expect(parser.filter((d) => d.severity === 'error')).toEqual([]);
    expect(rejected.map((d) => [d.code, d.message])).toEqual([[RULE_REJECTED, message]]);
  });
});

/** Neighbours of the rules above that the real restore loads (fixtures/rules/single-rules.txt). */
const LOADED: readonly [IpFamily, string, string][] = [
  ['ipv4', 'filter', '-A INPUT -p tcp --dport http:https -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -p udp --dport 80:70 -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -p GRE -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -p 0x11 -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -s 10.1 -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -s localhost -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -j RATEEST --rateest-name b --rateest-interval 250ms --rateest-ewmalog 361ms'],
  ['ipv4', 'filter', '-A INPUT -m hashlimit --hashlimit-upto 1kb/s --hashlimit-burst 1k --hashlimit-name a'],
  ['ipv4', 'filter', '-A INPUT -m hashlimit --hashlimit-upto 65536mb/s --hashlimit-name a'],
  ['ipv4', 'filter', '-A INPUT -m hashlimit --hashlimit-upto 32767mb/s --hashlimit-name a'],
  ['ipv6', 'mangle', '-A POSTROUTING -j SNPT --src-pfx fd00::/0x30 --dst-pfx 2001:db8:1::/48'],
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-upto 1/s --hashlimit-srcmask 4294967295 --hashlimit-name a',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-upto 1/s --hashlimit-srcmask 255.255.0xff00 --hashlimit-name a',
  ],
  [
    'ipv6',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-upto 1/s --hashlimit-srcmask ffff:ffff:: --hashlimit-name a',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-upto 100kb/s --hashlimit-burst 200kb --hashlimit-name a',
  ],
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 976k --hashlimit-name a',
  ],
  ['ipv4', 'filter', '-A INPUT -j RATEEST --rateest-name c --rateest-interval 1SEC --rateest-ewmalog 2Secs'],
  ['ipv4', 'filter', '-A INPUT -j RATEEST --rateest-name d --rateest-interval 0x10ms --rateest-ewmalog 1s'],
  ['ipv4', 'filter', '-A INPUT -j RATEEST --rateest-name e --rateest-interval 8s --rateest-ewmalog 16s'],
  ['ipv4', 'security', '-A INPUT -j CONNSECMARK --save'],
  ['ipv4', 'filter', '-A INPUT -m time --timestart 22:00 --timestop 06:00 --contiguous -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -m recent --rcheck --seconds 60 --hitcount 3 --name x -j DROP'],
  ['ipv4', 'filter', '-A OUTPUT -m owner --uid-owner 0-100 -j ACCEPT'],
  ['ipv4', 'mangle', '-A INPUT -p tcp -j SYNPROXY --mss 1460'],
  [
    'ipv4',
    'mangle',
    '-A PREROUTING -j HMARK --hmark-src-prefix 24 --hmark-tuple src,dst --hmark-mod 10 --hmark-rnd 0x1',
  ],
  ['ipv4', 'mangle', '-A PREROUTING -j HMARK --hmark-tuple s,d,sp,dp,p --hmark-mod 10 --hmark-rnd 0x1'],
  ['ipv4', 'filter', '-A FORWARD -m physdev --physdev-out tap1 -j ACCEPT'],
  ['ipv4', 'filter', '-A OUTPUT -m physdev --physdev-out tap1 --physdev-is-bridged -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -s 167772161 -j ACCEPT'],
  ['ipv6', 'filter', '-A INPUT -s ::ffff:10.0.0.1 -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -m limit --limit 3/m -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -m hashlimit --hashlimit-upto 100kb/s --hashlimit-name x -j ACCEPT'],
  [
    'ipv4',
    'filter',
    '-A INPUT -m hashlimit --hashlimit-upto 10/minute --hashlimit-mode srcip|dstip --hashlimit-name x -j ACCEPT',
  ],
  ['ipv4', 'filter', '-A INPUT -m string --algo bm --hex-string "ab|41|cd" -j DROP'],
  ['ipv4', 'filter', '-A INPUT -m u32 --u32 "6 & 0xFF = 1 && 4 & 0x3FFF = 0" -j DROP'],
  ['ipv4', 'filter', '-A INPUT -m dscp --dscp-class EFX -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -p icmp -m icmp --icmp-type echo-request -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -p icmp -m icmp --icmp-type time-exceeded -j ACCEPT'],
  ['ipv6', 'filter', '-A INPUT -j REJECT --reject-with adm'],
  ['ipv4', 'filter', '-A OUTPUT -m owner --gid-owner nogroup -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -m time --kerneltz --contiguous --timestart 22:00 --timestop 06:00 -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -p tcp -m multiport --dport 22 -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -m multiport -p tcp --dports 22 -j ACCEPT'],
  ['ipv4', 'nat', '-A POSTROUTING -o eth0 -j SNAT --to 1.2.3.4'],
  ['ipv6', 'mangle', '-A PREROUTING -j TPROXY -p tcp --on-port 80 --on-ip ::1'],
  ['ipv4', 'filter', '-A INPUT -m policy --dir in --pol none'],
  ['ipv4', 'filter', '-A INPUT -m statistic --mode nth --every 5 --packet 4 -j DROP'],
  ['ipv6', 'filter', '-A INPUT -m ipv6header --header ipv6-frag --soft -j DROP'],
  ['ipv6', 'filter', '-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT'],
  // libxtables resolves these leniently: ports through getaddrinfo() (cut to 16 bits), masks through inet_aton().
  ['ipv4', 'filter', '-A INPUT -p udp -m udp --dport 70000 -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -m conntrack --ctorigdstport 99999999999 -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -m conntrack --ctorigsrc 10.0.0.0/33 -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" -j ACCEPT'],
  // read the way libxtables reads them (measured, 1.8.9)
  ['ipv4', 'filter', '-A INPUT -m ttl ! --ttl 0'],
  ['ipv4', 'filter', '-A INPUT -c 1,2 -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -s 10.0x10.0.1/0x10 -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -m iprange --src-range 010.1-10.0.0.0x10 -j ACCEPT'],
  ['ipv4', 'filter', '-A INPUT -m time --timestart 10:4294967296 --timestop 09:00 --contiguous -j ACCEPT'],
  ['ipv6', 'nat', '-A PREROUTING -p tcp -j DNAT --to-destination [dead::beef-dead::fee7]:1000-2000/1x'],
  ['ipv4', 'filter', '-A INPUT -m connlabel --label 65537'],
  ['ipv4', 'raw', '-A PREROUTING -p tcp -j CT --notrack --helper CT'],
];

describe('their neighbours that load', () => {
  it.each(LOADED)('%s %s: %s', (family, table, rule) => {
    const { parser, rejected } = validate(family, table, rule);
    expect([...parser, ...rejected].filter((d) => d.severity === 'error')).toEqual([]);
  });
});

describe('what the kernel refuses when the rule is inserted (both backends)', () => {
  const cases: [IpFamily, string, string, string][] = [
    ['ipv4', 'raw', '-A PREROUTING -j CT --helper ftp', 'You must specify a L4 protocol'],
    ['ipv4', 'raw', '-A PREROUTING -p udp -j CT --helper ftp', 'No such helper "ftp"'],
    ['ipv6', 'raw', '-A PREROUTING -p tcp -j CT --helper irc', 'No such helper "irc"'],
    ['ipv4', 'mangle', '-A PREROUTING -j ECN --ecn-tcp-remove', 'cannot use operation on non-tcp rule'],
    [
      'ipv4',
      'filter',
      '-A OUTPUT -m addrtype --limit-iface-in --src-type LOCAL -j ACCEPT',
      'input interface limitation not valid',
    ],
    [
      'ipv4',
      'filter',
      '-A OUTPUT -m physdev --physdev-out tap1 -j ACCEPT',
      '--physdev-out and --physdev-is-out only supported in the FORWARD and POSTROUTING chains',
    ],
    [
      'ipv4',
      'filter',
      '-A OUTPUT -m physdev --physdev-is-out ! --physdev-is-bridged -j ACCEPT',
      '--physdev-out and --physdev-is-out only supported in the FORWARD and POSTROUTING chains',
    ],
    [
      'ipv4',
      'raw',
      '-A PREROUTING -j CONNSECMARK --save',
      "only valid in 'mangle' or 'security' table, not 'raw'",
    ],
    [
      'ipv4',
      'filter',
      '-A INPUT -j SECMARK --selctx system_u:object_r:ssh_packet_t:s0',
      "only valid in 'mangle' or 'security' table, not 'filter'",
    ],
    [
      'ipv4',
      'filter',
      '-A INPUT -m recent --set --seconds 60 -j DROP',
      '--set takes no --seconds or --hitcount',
    ],
    [
      'ipv4',
      'filter',
      '-A INPUT -m recent --remove --hitcount 2 --name x -j DROP',
      '--remove takes no --seconds or --hitcount',
    ],
    [
      'ipv4',
      'filter',
      '-A OUTPUT -m owner --uid-owner 0x10-0x5 -j ACCEPT',
      '--uid-owner 0x10-0x5 ends below its start',
    ],
    [
      'ipv4',
      'mangle',
      '-A PREROUTING -p tcp -j SYNPROXY --mss 1460',
      'used from hooks PREROUTING, but only usable from INPUT/FORWARD',
    ],
    [
      'ipv4',
      'mangle',
      '-A PREROUTING -j HMARK --hmark-spi 4 --hmark-dport 80 --hmark-mod 10 --hmark-rnd 0x1',
      "spi-set and port-set can't be combined",
    ],
    ['ipv4', 'filter', '-A INPUT -j IDLETIMER --timeout 2147483 --label t', 'timeout value is too big'],
    ['ipv4', 'filter', '-A INPUT -m connlabel --label 128', 'label bit 128 is past the 128 labels'],
    ['ipv4', 'filter', '-A INPUT -m recent --name a/b --set', 'cannot name a file in /proc/net'],
    [
      'ipv4',
      'filter',
      '-A INPUT -m hashlimit --hashlimit-upto 1/s --hashlimit-name ..',
      'cannot name a file',
    ],
    ['ipv4', 'filter', '-A INPUT ! -p tcp -m tcp -j ACCEPT', 'tcp match: only valid for protocol 6'],
    ['ipv4', 'filter', '-A INPUT ! -p tcp --tcp-option 8 -j ACCEPT', 'tcp match: only valid for protocol 6'],
    ['ipv4', 'filter', '-A INPUT -j REJECT --reject-with TCP-RESET', 'TCP_RESET invalid for non-tcp'],
    ['ipv4', 'filter', '-A INPUT -m string --algo xx --string foo -j DROP', 'no text search algorithm "xx"'],
    [
      'ipv4',
      'filter',
      '-A INPUT -m string --algo bm --string "" -j DROP',
      'the pattern of --string is empty',
    ],
    [
      'ipv4',
      'filter',
      '-A INPUT -m string --algo bm --string foo --from 10 --to 5 -j DROP',
      '--from is past --to',
    ],
    [
      'ipv4',
      'filter',
      '-A INPUT -m hashlimit --hashlimit-upto 10/s --hashlimit-name x --hashlimit-htable-expire 0 -j ACCEPT',
      'expire 0',
    ],
    [
      'ipv4',
      'mangle',
      '-A INPUT -j CLASSIFY --set-class 1:10',
      'only usable from OUTPUT/FORWARD/POSTROUTING',
    ],
    [
      'ipv4',
      'mangle',
      '-A PREROUTING -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu',
      'path-MTU clamping only supported',
    ],
    [
      'ipv4',
      'filter',
      '-A INPUT -j NFQUEUE --queue-balance 0:65535',
      'number of queues (65536) out of range',
    ],
    ['ipv4', 'filter', '-A INPUT -m recent --name "" --set -j ACCEPT', 'empty --name'],
    ['ipv4', 'mangle', '-A OUTPUT -p tcp -m socket -j ACCEPT', 'socket match: used from hooks OUTPUT'],
    ['ipv4', 'filter', '-A INPUT -m rpfilter -j DROP', 'rpfilter match'],
    ['ipv4', 'filter', '-A OUTPUT -p udp -j CHECKSUM --checksum-fill', 'only valid in mangle table'],
    [
      'ipv6',
      'mangle',
      '-A PREROUTING -j SNPT --src-pfx 2001:db8::/64 --dst-pfx 2001:db8:1::/64',
      'only usable from INPUT/POSTROUTING',
    ],
    ['ipv4', 'filter', '-A INPUT -j IDLETIMER --timeout 0 --label x', 'timeout value is zero'],
    [
      'ipv4',
      'filter',
      '-A INPUT -m devgroup --src-group 1 --dst-group 2 -j ACCEPT',
      '--dst-group is not usable from INPUT',
    ],
    [
      'ipv4',
      'filter',
      '-A INPUT -m hashlimit --hashlimit-upto 10/sec --hashlimit-srcmask 33 --hashlimit-name x -j ACCEPT',
      'no prefix length of 32 bits or less',
    ],
    ['ipv4', 'filter', '-A INPUT -m osf --genre linux', 'osf match: only valid for protocol 6'],
    [
      'ipv4',
      'filter',
      '-A INPUT -m hashlimit --hashlimit-upto 32768mb/s --hashlimit-name a',
      'hashlimit match: overflow, rate too high: 1',
    ],
    [
      'ipv6',
      'mangle',
      '-A PREROUTING -j DNPT --src-pfx 2001:db8::1/64 --dst-pfx fd00::/64',
      'DNPT target: --src-pfx 2001:db8::1/64: the address has bits set past its /64 prefix',
    ],
    [
      'ipv6',
      'mangle',
      '-A PREROUTING -j DNPT --src-pfx dead::beef --dst-pfx 1c3::/64',
      'DNPT target: --src-pfx dead::beef: the prefix is longer than 64 bits (no length is /128)',
    ],
    [
      'ipv4',
      'filter',
      '-A OUTPUT -p tcp -m osf --genre linux',
      'osf match: used from hooks OUTPUT, but only valid from PREROUTING/INPUT/FORWARD',
    ],
    [
      'ipv4',
      'filter',
      '-A INPUT -m hashlimit --hashlimit-upto 10/sec --hashlimit-srcmask 255.0.255.0 --hashlimit-name x -j ACCEPT',
      'no prefix length of 32 bits or less',
    ],
    [
      'ipv6',
      'filter',
      '-A INPUT -m hashlimit --hashlimit-upto 10/sec --hashlimit-srcmask ffff::ffff --hashlimit-name x -j ACCEPT',
      'no prefix length of 128 bits or less',
    ],
    [
      'ipv6',
      'filter',
      '-A INPUT -m addrtype --dst-type BLACKHOLE -j ACCEPT',
      'ipv6 BLACKHOLE matching not supported',
    ],
    [
      'ipv6',
      'filter',
      '-A INPUT -m addrtype --src-type B -j ACCEPT',
      'ipv6 does not support BROADCAST matching',
    ],
    [
      'ipv4',
      'filter',
      '-A INPUT -m policy --dir out --pol ipsec --proto esp',
      'output policy not valid in PREROUTING and INPUT',
    ],
  ];
  it.each(cases)('%s %s: %s', (family, table, rule, words) => {
    const { rejected } = validate(family, table, rule);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.code).toBe(RULE_REJECTED);
    expect(rejected[0]?.message).toContain(words);
    expect(rejected[0]?.message).toContain('the kernel refuses the rule');
  });
});

describe('what only iptables-nft-restore refuses', () => {
  it('an inverted zero-length prefix, which iptables-nft 1.8.9 cannot express (legacy loads a rule that never matches)', () => {
    for (const [family, rule] of [
      ['ipv4', '-A INPUT ! -s 0.0.0.0/0 -j ACCEPT'],
      ['ipv4', '-A INPUT ! -s 10.0.0.0/0x0 -j ACCEPT'],
      ['ipv6', '-A INPUT ! -d ::/0 -j ACCEPT'],
    ] as const) {
      const { rejected } = validate(family, 'filter', rule);
      expect(
        rejected.map((d) => d.code),
        rule,
      ).toEqual([RULE_REJECTED_NFT]);
      expect(rejected[0]?.message).toContain('RULE_APPEND failed (Invalid argument)');
    }
    expect(validate('ipv4', 'filter', '-A INPUT ! -s 10.0.0.0/1 -j ACCEPT').rejected).toEqual([]);
  });

  it('-j QUEUE, which iptables-nft sends as an xtables target no kernel has (r23; legacy makes it a verdict)', () => {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const { rejected } = validate(family, 'filter', '-A INPUT -p udp --dport 9999 -j QUEUE');
      expect(rejected.map((d) => d.code)).toEqual([RULE_REJECTED_NFT]);
      expect(rejected[0]?.message).toContain('Write -j NFQUEUE --queue-num 0');
    }
    expect(validate('ipv4', 'filter', '-A INPUT -j NFQUEUE --queue-num 0').rejected).toEqual([]);
  });
});

describe('what only iptables-legacy-restore refuses (nf_tables uses its own expressions)', () => {
  const cases: [string, string, string][] = [
    ['filter', '-A INPUT -j TRACE', 'TRACE target: only valid in raw table'],
    ['mangle', '-A FORWARD -p tcp -j TCPMSS --set-mss 1400', 'Only works on TCP SYN packets'],
    ['filter', '-A INPUT ! -p tcp --dport 22 -j ACCEPT', 'tcp match: only valid for protocol 6'],
    ['filter', '-A INPUT -m limit --limit 5/min --limit-burst 0 -j ACCEPT', 'Overflow, try lower'],
  ];
  it.each(cases)('%s: %s', (table, rule, words) => {
    const { rejected } = validate('ipv4', table, rule);
    expect(rejected.map((d) => d.code)).toEqual([RULE_REJECTED_LEGACY]);
    expect(rejected[0]?.message).toContain(words);
  });

  it('decides limit overflows that depend on CONFIG_HZ against the kernel config, and warns without it', () => {
    // 3/day with the default burst 5 (measured: iptables-legacy-restore fails on a CONFIG_HZ=250 kernel).
    const { rejected, hz } = validate('ipv4', 'filter', '-A INPUT -m limit --limit 3/d -j ACCEPT');
    expect(rejected).toEqual([]);
    expect(hz.map((r) => [r.line, r.hz])).toEqual([[2, [250, 1000]]]);
    expect(hzRejections('rules', hz, 250).map((d) => [d.code, d.severity])).toEqual([
      [RULE_REJECTED_LEGACY, 'error'],
    ]);
    expect(hzRejections('rules', hz, 300)).toEqual([]);
    expect(hzRejections('rules', hz, undefined).map((d) => [d.severity, d.message])).toEqual([
      ['warning', expect.stringContaining('CONFIG_HZ=250 or 1000')],
    ]);
  });

  it('decides hashlimit overflows the same way, refused on both backends (xt_hashlimit user2credits, u64)', () => {
    // 1/day with the default burst 5: measured on a CONFIG_HZ=250 kernel, ERANGE with nft and legacy alike;
    // burst 1 loads. At HZ=100 and 300 the product's credits do not wrap below avg's.
    const { rejected, hz } = validate(
      'ipv4',
      'filter',
      '-A INPUT -m hashlimit --hashlimit-above 1/day --hashlimit-name a',
    );
    expect(rejected).toEqual([]);
    expect(hz.map((r) => [r.line, r.hz, r.backends])).toEqual([[2, [250, 1000], 'both']]);
    expect(hzRejections('rules', hz, 250).map((d) => [d.code, d.severity])).toEqual([
      [RULE_REJECTED, 'error'],
    ]);
    expect(hzRejections('rules', hz, 250)[0]?.message).toContain('overflow, try lower: 86400000000/5');
    expect(hzRejections('rules', hz, 100)).toEqual([]);
    const lower = validate(
      'ipv4',
      'filter',
      '-A INPUT -m hashlimit --hashlimit-above 1/day --hashlimit-burst 1 --hashlimit-name b',
    );
    expect(lower.hz).toEqual([]);
    // 1/hour with burst 40: the product wraps past 2^64 at HZ=250, but not below avg's credits (measured: loads).
    const wraps = validate(
      'ipv4',
      'filter',
      '-A INPUT -m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 40 --hashlimit-name c',
    );
    expect([...wraps.hz, ...wraps.rejected]).toEqual([]);
  });
});

describe('the parse functions ported from iptables', () => {
  it('parse_rate(): units by any prefix, and the scaled average', () => {
    expect(parseRate('3/hour', XT_LIMIT_SCALE)).toBe(12000000);
    expect(parseRate('5/s', XT_LIMIT_SCALE)).toBe(2000);
    expect(parseRate('5/M', XT_LIMIT_SCALE)).toBe(120000);
    expect(parseRate('5/x', XT_LIMIT_SCALE)).toBe(0);
    expect(parseRate('0/s', XT_LIMIT_SCALE)).toBe(0);
  });

  it('xt_limit overflow: burst 0 always, large bursts of slow rates by CONFIG_HZ', () => {
    expect(limitOverflowsAt(parseRate('5/min', XT_LIMIT_SCALE), 0)).toEqual([100, 250, 300, 1000]);
    expect(limitOverflowsAt(parseRate('5/min', XT_LIMIT_SCALE), 5)).toEqual([]);
    expect(limitOverflowsAt(parseRate('1/day', XT_LIMIT_SCALE), 1)).toEqual([]);
  });

  it('parse_hex_string() and u32_parse() on the shapes their man pages show', () => {
    expect(hexStringError('|0d 0a|')).toBeUndefined();
    expect(hexStringError('GET /|20|')).toBeUndefined();
    expect(hexStringError('')).toBe('STRING must contain at least one char');
    expect(hexStringError('|41 4')).toBe('Odd number of hex digits');
    expect(hexStringError('|414|')).toBe('Invalid hex block');
    expect(u32Error('0>>22&0x3C@12>>26&0x3C@0=0x0:0x3')).toBeUndefined();
    expect(u32Error('=1')).toBe('u32: at char 0: location spec missing');
    expect(u32Error('6&0xFF')).toBe('u32: abrupt end of input after location specifier');
  });

  it('icmp types: exact names, aliases, unambiguous prefixes and numbers', () => {
    const names = ['echo-reply', 'echo-request', 'ping'];
    expect(icmpTypeError('ping', names, 'ICMP')).toBeUndefined();
    expect(icmpTypeError('echo-r', names, 'ICMP')).toContain('Ambiguous');
    expect(icmpTypeError('8/0', names, 'ICMP')).toBeUndefined();
    expect(icmpTypeError('8x', names, 'ICMP')).toBe('unknown character x');
  });
});

describe('host names an extension option resolves when the rules load (xtopt_parse_host -> getaddrinfo)', () => {
  it('warns as for -s/-d, naming the option', () => {
    const { rejected } = validate(
      'ipv4',
      'mangle',
      '-A PREROUTING -p tcp -j TPROXY --on-port 80 --on-ip proxy.example.org',
    );
    expect(rejected.map((d) => [d.severity, d.code])).toEqual([['warning', 'state-dependent-load']]);
    expect(rejected[0]?.message).toMatch(
      /^--on-ip proxy\.example\.org: iptables resolves the name when the rules load/,
    );
    expect(
      validate('ipv4', 'mangle', '-A PREROUTING -p tcp -j TPROXY --on-port 80 --on-ip 10.0.0.1').rejected,
    ).toEqual([]);
  });

  it('refuses a word getopt handed over as the value, and says so', () => {
    const { rejected } = validate('ipv4', 'filter', '-A INPUT -m recent --rcheck --mask --rsource -j DROP');
    expect(rejected.map((d) => d.severity)).toEqual(['error']);
    expect(rejected[0]?.message).toMatch(
      /^getaddrinfo: Name or service not known \(the option before "--rsource" took it/,
    );
  });
});

describe('cgroup --path, looked up when the rule is inserted (xt_cgroup.c cgroup_mt_check_v1)', () => {
  it('warns for a cgroup that may not exist when the rules load, and says why a unit cgroup does not', () => {
    const unit = validate(
      'ipv4',
      'mangle',
      '-A OUTPUT -m cgroup --path system.slice/nginx.service -j MARK --set-mark 1',
    );
    expect(unit.rejected.map((d) => [d.severity, d.code])).toEqual([['warning', 'state-dependent-load']]);
    expect(unit.rejected[0]?.message).toMatch(/exists only while the unit runs/);
    const slice = validate('ipv4', 'mangle', '-A OUTPUT -m cgroup --path user.slice -j ACCEPT');
    expect(slice.rejected[0]?.message).not.toMatch(/exists only while the unit runs/);
    expect(validate('ipv4', 'mangle', '-A OUTPUT -m cgroup --path / -j ACCEPT').rejected).toEqual([]);
    expect(validate('ipv4', 'mangle', '-A OUTPUT -m cgroup --cgroup 1 -j ACCEPT').rejected).toEqual([]);
  });
});

describe('rt --rt-0-addrs (libip6t_rt.c parse_addresses: inet_pton, at most 16)', () => {
  it('refuses what is no IPv6 address, and a 17th address', () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `::${(i + 1).toString(16)}`).join(',');
    const rule = (addrs: string) => `-A INPUT -m rt --rt-type 0 --rt-0-addrs ${addrs} -j DROP`;
    expect(validate('ipv6', 'filter', rule('1.5:db8::1')).rejected.map((d) => d.message)).toEqual([
      'bad address: 1.5:db8::1',
    ]);
    expect(validate('ipv6', 'filter', rule(list(17))).rejected.map((d) => d.message)).toEqual([
      'too many addresses specified',
    ]);
    expect(validate('ipv6', 'filter', rule(list(16))).rejected).toEqual([]);
  });
});
