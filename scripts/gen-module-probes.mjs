#!/usr/bin/env node
// Writes lab/scenarios/module-probes.tsv: the probe rules whose kernel module loads the lab measures
// (lab/scenarios/module-probes.sh). Rules come from iptables 1.8.9's own extension tests (extensions/*.t:
// "rule;expected;OK|FAIL[;LEGACY|NFT]" lines under ":CHAIN,..." and "*table" headers), at most
// PER_FILE accepted rules per test file, chosen to cover the most distinct options, plus the cases
// extensions load modules for on their own (text search algorithms, loggers, conntrack helpers, sets).
//
//   node scripts/gen-module-probes.mjs IPTABLES_SOURCE_DIR     (the unpacked Debian source of 1.8.9)
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// One rule per test file: the lab runs under TCG at several seconds per (rule, backend) pair.
const PER_FILE = 1;
const OUT = new URL('../lab/scenarios/module-probes.tsv', import.meta.url);

/** Probes the test corpus lacks (its CT --helper and nfacct lines are commented out; sets need a set). */
const EXTRAS = [
  // [family, backends, table, chain, pre, rule]
  ['ipv4', 'nft,legacy', 'raw', 'PREROUTING', '', '-p tcp --dport 21 -j CT --helper ftp'],
  ['ipv6', 'nft,legacy', 'raw', 'PREROUTING', '', '-p tcp --dport 21 -j CT --helper ftp'],
  ['ipv4', 'nft,legacy', 'raw', 'PREROUTING', '', '-p udp --dport 5060 -j CT --helper sip'],
  ['ipv4', 'nft,legacy', 'raw', 'PREROUTING', '', '-p udp --dport 69 -j CT --helper tftp'],
  ['ipv4', 'nft,legacy', 'raw', 'PREROUTING', '', '-p tcp --dport 6667 -j CT --helper irc'],
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', '', '-m helper --helper sip'],
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', '', '-m helper --helper ftp'],
  ['ipv4', 'nft,legacy', 'nat', 'POSTROUTING', 'helper:ftp', '-o eth0 -j MASQUERADE'],
  [
    'ipv4',
    'nft,legacy',
    'nat',
    'PREROUTING',
    'helper:ftp',
    '-p tcp --dport 21 -j DNAT --to-destination 10.0.0.1',
  ],
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', '', '-m state --state ESTABLISHED,RELATED -j ACCEPT'],
  ['ipv6', 'nft,legacy', 'filter', 'INPUT', '', '-m state --state NEW'],
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', '', '-m string --string "GET /" --algo bm -j DROP'],
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', '', '-m string --string "GET /" --algo kmp -j DROP'],
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', '', '-j LOG --log-prefix "in: "'],
  ['ipv6', 'nft,legacy', 'filter', 'INPUT', '', '-j LOG'],
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', '', '-j NFLOG --nflog-group 5'],
  ['ipv6', 'nft,legacy', 'filter', 'INPUT', '', '-j NFLOG'],
  ['ipv4', 'nft,legacy', 'raw', 'PREROUTING', '', '-j TRACE'],
  ['ipv6', 'nft,legacy', 'raw', 'OUTPUT', '', '-j TRACE'],
  [
    'ipv4',
    'nft,legacy',
    'filter',
    'INPUT',
    'ipset:blocklist:hash:ip',
    '-m set --match-set blocklist src -j DROP',
  ],
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', 'ipset:nets:hash:net', '-m set --match-set nets src -j DROP'],
  [
    'ipv4',
    'nft,legacy',
    'filter',
    'INPUT',
    'ipset:ports:bitmap:port range 0-1024',
    '-j SET --add-set ports dst',
  ],
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', 'ipset:pairs:hash:ip,port', '-m set --match-set pairs src,dst'],
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', '', '-p tcp --dport 22 -j REJECT --reject-with tcp-reset'],
  [
    'ipv4',
    'nft,legacy',
    'filter',
    'INPUT',
    '',
    '-p icmp --icmp-type echo-request -m limit --limit 1/s -j ACCEPT',
  ],
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', '', '-m conntrack --ctstate INVALID -j DROP'],
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', '', '-m comment --comment "empty rule with a comment"'],
  // Tables alone: what declaring each table loads.
  ['ipv4', 'nft,legacy', 'filter', 'INPUT', '', ''],
  ['ipv4', 'nft,legacy', 'nat', 'POSTROUTING', '', ''],
  ['ipv4', 'nft,legacy', 'mangle', 'PREROUTING', '', ''],
  ['ipv4', 'nft,legacy', 'raw', 'PREROUTING', '', ''],
  ['ipv6', 'nft,legacy', 'filter', 'INPUT', '', ''],
  ['ipv6', 'nft,legacy', 'nat', 'POSTROUTING', '', ''],
];

function parseTestFile(text) {
  const rules = [];
  let chains = [];
  let table = 'filter';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('@')) {
      continue;
    }
    if (line.startsWith(':')) {
      chains = line.slice(1).split(',');
      continue;
    }
    if (line.startsWith('*')) {
      table = line.slice(1);
      continue;
    }
    const [rule, , verdict, only] = line.split(';');
    if (verdict !== 'OK' || rule === undefined || chains[0] === undefined) {
      continue;
    }
    // Jumps to user chains and sets need objects the test harness creates separately.
    if (/-[jg] [a-z][a-z0-9_-]*(\s|$)/.test(rule) || /--match-set|--add-set|--del-set/.test(rule)) {
      continue;
    }
    const backends = only === 'LEGACY' ? 'legacy' : only === 'NFT' ? 'nft' : 'nft,legacy';
    rules.push({ table, chain: chains[0], rule, backends });
  }
  return rules;
}

function optionsOf(rule) {
  return new Set(rule.match(/--?[a-zA-Z][\w-]*/g) ?? []);
}

/** Greedy: the rule adding the most options not yet covered, until PER_FILE rules. */
function pick(rules) {
  const chosen = [];
  const covered = new Set();
  const left = [...rules];
  while (chosen.length < PER_FILE && left.length > 0) {
    let best = 0;
    let bestGain = -1;
    left.forEach((r, i) => {
      const gain = [...optionsOf(r.rule)].filter((o) => !covered.has(o)).length;
      if (gain > bestGain) {
        best = i;
        bestGain = gain;
      }
    });
    if (bestGain === 0 && chosen.length > 0) {
      break;
    }
    const [r] = left.splice(best, 1);
    chosen.push(r);
    for (const o of optionsOf(r.rule)) {
      covered.add(o);
    }
  }
  return chosen;
}

function familiesOf(file) {
  if (file.startsWith('libipt_')) {
    return ['ipv4'];
  }
  if (file.startsWith('libip6t_')) {
    return ['ipv6'];
  }
  if (file.startsWith('libxt_')) {
    // Family-independent x_tables modules: IPv4 probes them; IPv6 is covered by libip6t_ files and EXTRAS.
    return ['ipv4'];
  }
  return [];
}

function main() {
  const src = process.argv[2];
  if (src === undefined) {
    process.stderr.write('usage: node scripts/gen-module-probes.mjs IPTABLES_1.8.9_SOURCE_DIR\n');
    process.exit(2);
  }
  const dir = join(src, 'extensions');
  const rows = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.t') || familiesOf(file).length === 0) {
      continue;
    }
    const chosen = pick(parseTestFile(readFileSync(join(dir, file), 'utf8')));
    for (const family of familiesOf(file)) {
      for (const r of chosen) {
        rows.push([file.replace(/\.t$/, ''), family, r.backends, r.table, r.chain, '', r.rule]);
      }
    }
  }
  for (const e of EXTRAS) {
    rows.push(['extra', ...e]);
  }
  // Empty fields become "-": the scenario reads the file with bash `read`, which merges adjacent tabs.
  const lines = rows.map((r, i) =>
    [`p${String(i + 1).padStart(3, '0')}`, ...r.map((f) => (f === '' ? '-' : f))].join('\t'),
  );
  const header =
    '# generated by scripts/gen-module-probes.mjs from iptables 1.8.9 extensions/*.t, do not edit\n' +
    '# id\tsource\tfamily\tbackends\ttable\tchain\tpre\trule\n';
  writeFileSync(OUT, header + lines.join('\n') + '\n');
  process.stdout.write(`${lines.length} probes -> ${OUT.pathname}\n`);
}

main();
