#!/usr/bin/env node
// Generates a deterministic iptables-save(8) ruleset with exactly N rules, for benchmarks and load tests:
// kube-proxy-like nat chains (KUBE-SERVICES / KUBE-SVC-* / KUBE-SEP-*) plus fail2ban-like filter chains (f2b-*).
// The output is valid input for iptables-restore(8) (checked with `iptables-restore --test` in a netns).
//
// usage: node scripts/gen-ruleset.mjs N [--seed S] [-o FILE]
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** mulberry32: small, fast, seedable; the same seed always gives the same file. */
export function createRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HASH_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const NAMESPACES = ['default', 'kube-system', 'monitoring', 'payments', 'web', 'search', 'auth', 'batch'];
const SERVICE_WORDS = [
  'api',
  'db',
  'cache',
  'frontend',
  'worker',
  'gateway',
  'metrics',
  'queue',
  'search',
  'auth',
];
const PORT_NAMES = ['http', 'https', 'grpc', 'metrics', 'tcp'];
const JAILS = [
  { name: 'sshd', ports: '22' },
  { name: 'nginx-http-auth', ports: '80,443' },
  { name: 'postfix', ports: '25,465,587' },
  { name: 'dovecot', ports: '110,143,993,995' },
  { name: 'recidive', ports: '0:65535' },
];
/** Rules one kube service can take at most: SERVICES entry, MARK-MASQ, 4 x (SVC->SEP + 2 SEP rules). */
const MAX_SERVICE_RULES = 14;
const KUBE_FIXED_RULES = 7;

export function generateRuleset(ruleCount, seed = 1) {
  const random = createRandom(seed);
  const pick = (items) => items[Math.floor(random() * items.length)];
  const octet = () => 1 + Math.floor(random() * 254);
  const usedHashes = new Set();
  const chainHash = () => {
    for (;;) {
      let hash = '';
      for (let i = 0; i < 16; i++) {
        hash += HASH_ALPHABET[Math.floor(random() * HASH_ALPHABET.length)];
      }
      if (!usedHashes.has(hash)) {
        usedHashes.add(hash);
        return hash;
      }
    }
  };

  const natChains = [];
  const natRules = [];
  let remaining = ruleCount;
  const f2bShare = Math.max(1, Math.round(ruleCount * 0.05));
  if (ruleCount - f2bShare >= KUBE_FIXED_RULES + MAX_SERVICE_RULES) {
    natChains.push('KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ');
    natRules.push(
      '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
      '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    );
    remaining -= KUBE_FIXED_RULES;
    let serviceIndex = 0;
    while (remaining - MAX_SERVICE_RULES >= f2bShare) {
      serviceIndex++;
      const service = `${pick(NAMESPACES)}/${pick(SERVICE_WORDS)}-${serviceIndex}:${pick(PORT_NAMES)}`;
      const clusterIp = `10.96.${Math.floor(serviceIndex / 250) % 256}.${(serviceIndex % 250) + 1}`;
      const port = 80 + Math.floor(random() * 9000);
      const svcChain = `KUBE-SVC-${chainHash()}`;
      natChains.push(svcChain);
      const comment = `"${service} cluster IP"`;
      natRules.push(
        `-A KUBE-SERVICES -d ${clusterIp}/32 -p tcp -m comment --comment ${comment} -m tcp --dport ${port} -j ${svcChain}`,
        `-A ${svcChain} ! -s 10.244.0.0/16 -d ${clusterIp}/32 -p tcp -m comment --comment ${comment} -m tcp --dport ${port} -j KUBE-MARK-MASQ`,
      );
      const endpoints = 1 + Math.floor(random() * 4);
      for (let e = 0; e < endpoints; e++) {
        const podIp = `10.244.${octet()}.${octet()}`;
        const targetPort = 8000 + Math.floor(random() * 1000);
        const sepChain = `KUBE-SEP-${chainHash()}`;
        natChains.push(sepChain);
        const left = endpoints - e;
        const statistic =
          left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
        natRules.push(
          `-A ${svcChain} -m comment --comment "${service} -> ${podIp}:${targetPort}"${statistic} -j ${sepChain}`,
          `-A ${sepChain} -s ${podIp}/32 -m comment --comment "${service}" -j KUBE-MARK-MASQ`,
          `-A ${sepChain} -p tcp -m comment --comment "${service}" -m tcp -j DNAT --to-destination ${podIp}:${targetPort}`,
        );
      }
      remaining -= 2 + 3 * endpoints;
    }
  }

  const filterChains = [];
  const filterRules = [];
  const jailCount = Math.min(JAILS.length, Math.floor(remaining / 2));
  if (jailCount === 0 && remaining > 0) {
    filterRules.push('-A INPUT -i lo -j ACCEPT');
    remaining--;
  }
  const jails = JAILS.slice(0, jailCount);
  const bans = jails.map(() => []);
  let bansLeft = remaining - 2 * jailCount;
  for (let i = 0; bansLeft > 0; i = (i + 1) % jailCount, bansLeft--) {
    bans[i].push(`${octet()}.${octet()}.${octet()}.${octet()}`);
  }
  jails.forEach((jail, i) => {
    const chain = `f2b-${jail.name}`;
    filterChains.push(chain);
    filterRules.push(`-A INPUT -p tcp -m multiport --dports ${jail.ports} -j ${chain}`);
    for (const ip of bans[i]) {
      filterRules.push(`-A ${chain} -s ${ip}/32 -j REJECT --reject-with icmp-port-unreachable`);
    }
    filterRules.push(`-A ${chain} -j RETURN`);
  });

  const date = 'Mon Nov 23 12:00:00 2026';
  const lines = [`# Generated by iptables-save v1.8.9 (nf_tables) on ${date}`];
  if (natRules.length > 0) {
    lines.push(
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
    );
    for (const chain of natChains) {
      lines.push(`:${chain} - [0:0]`);
    }
    for (const rule of natRules) {
      lines.push(rule);
    }
    lines.push(
      'COMMIT',
      `# Completed on ${date}`,
      `# Generated by iptables-save v1.8.9 (nf_tables) on ${date}`,
    );
  }
  lines.push('*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]');
  for (const chain of filterChains) {
    lines.push(`:${chain} - [0:0]`);
  }
  for (const rule of filterRules) {
    lines.push(rule);
  }
  lines.push('COMMIT', `# Completed on ${date}`);
  return lines.join('\n') + '\n';
}

function parseArguments(argv) {
  const options = { count: undefined, seed: 1, output: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--seed') {
      options.seed = Number(argv[++i]);
    } else if (arg === '-o' || arg === '--output') {
      options.output = argv[++i];
    } else if (options.count === undefined) {
      options.count = Number(arg.replace(/k$/i, '000'));
    } else {
      throw new Error(`unexpected argument: ${arg}`);
    }
  }
  if (!Number.isInteger(options.count) || options.count < 0 || !Number.isInteger(options.seed)) {
    throw new Error('usage: gen-ruleset.mjs N [--seed S] [-o FILE]   (N and S are non-negative integers)');
  }
  return options;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { count, seed, output } = parseArguments(process.argv.slice(2));
    const text = generateRuleset(count, seed);
    if (output === undefined) {
      process.stdout.write(text);
    } else {
      writeFileSync(output, text);
    }
  } catch (error) {
    process.stderr.write(`gen-ruleset: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
}
