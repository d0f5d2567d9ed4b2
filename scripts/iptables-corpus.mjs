#!/usr/bin/env node
// Runs iptables' own extension test corpus (extensions/lib{xt,ipt,ip6t}_*.t of the 1.8.9 source, the
// files iptables-test.py reads) through `check` and prints every disagreement and the agreement figure.
// Format (iptables-test.py run_test_file): "*table", ":CHAIN,CHAIN" headers, then "rule;saved;OK|FAIL"
// with an optional ";NFT|LEGACY[;alternative result]" scoping the result to one backend; "@"/"%" lines
// run commands first (nfacct objects, RATEEST estimators): rules that need them are counted apart.
// libxt_*.t run as IPv4 (iptables-test.py uses iptables for them), libip6t_*.t as IPv6.
//
// usage: node scripts/iptables-corpus.mjs [--backend nft|legacy] [--quiet]
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { iptablesSourceTree } from './iptables-source.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/** iptables-test.py variant_res(): a result scoped to one backend is inverted (or the alternative) for the other. */
export function expectedResult(fields, backend) {
  const res = fields[2]?.trim() ?? '';
  const variant = fields[3]?.trim();
  if (variant === undefined || variant === '') return res;
  if ((variant === 'NFT') === (backend === 'nft')) return res;
  const alt = fields[4]?.trim();
  if (alt !== undefined && alt !== '') return alt;
  return res === 'OK' ? 'FAIL' : res === 'FAIL' ? 'OK' : res;
}

/** Every test of one .t file: { line, table, chains, rule, fields, needsSetup }. */
export function parseTestFile(text) {
  const tests = [];
  let table = 'filter';
  let chains = [];
  let setup = false;
  text.split('\n').forEach((line, i) => {
    if (line.startsWith('#') || line.trim() === '') return;
    if (line.startsWith(':')) {
      chains = line.trimEnd().slice(1).split(',');
      return;
    }
    if (line.startsWith('@') || line.startsWith('%')) {
      setup = true;
      return;
    }
    if (line.startsWith('*')) {
      table = line.trimEnd().slice(1);
      return;
    }
    const fields = line.split(';');
    tests.push({ line: i + 1, table, chains, rule: fields[0], fields, needsSetup: setup });
  });
  return tests;
}

/** One rules file per (test file, table): each test and chain on its own line. */
export function rulesFile(tests) {
  const byTable = new Map();
  for (const t of tests) {
    for (const chain of t.chains) {
      const list = byTable.get(t.table) ?? [];
      list.push({ test: t, chain });
      byTable.set(t.table, list);
    }
  }
  const lines = [];
  const where = new Map();
  for (const [table, items] of byTable) {
    lines.push(`*${table}`);
    const chains = new Set(items.map((x) => x.chain));
    for (const c of chains) lines.push(BUILTIN.has(c) ? `:${c} ACCEPT [0:0]` : `:${c} - [0:0]`);
    for (const { test, chain } of items) {
      lines.push(`-A ${chain} ${test.rule}`);
      where.set(lines.length, test);
    }
    lines.push('COMMIT');
  }
  return { text: `${lines.join('\n')}\n`, where };
}

/**
 * `check` as a library, with a real Debian 6.1 kernel's metadata (fixtures/kernels) and this host's
 * userspace (/etc/services, xtables libraries): what the comparison scripts run each file through.
 */
/** checkRules and the kernel to check against: Debian 12's release decides version-dependent refusals with `debianRelease`, else this host's. */
export async function checkHarness(label, { debianRelease = false } = {}) {
  const load = (path) => tsImport(join(ROOT, path), import.meta.url);
  const { checkRules } = await load('src/resolve/check-rules.ts');
  const { comparisonKernel, RELEASE } = await load('src/testing/comparison-kernel.ts');
  return { checkRules, kernel: debianRelease ? comparisonKernel(label, RELEASE) : comparisonKernel(label) };
}

export async function runCorpus(backend, tree = iptablesSourceTree()) {
  // The .t files were written before Linux 6.11 (libxt_recent.t: --hitcount 999 FAILs): Debian 12's 6.1.
  const { checkRules, kernel } = await checkHarness('corpus', { debianRelease: true });
  const dir = join(tree, 'extensions');
  const files = readdirSync(dir)
    .filter((f) => /^lib(xt|ipt|ip6t)_\w+\.t$/.test(f))
    .sort();
  const results = [];
  for (const f of files) {
    const tests = parseTestFile(readFileSync(join(dir, f), 'utf8'));
    if (tests.length === 0) continue;
    const family = f.startsWith('libip6t_') ? 'ipv6' : 'ipv4';
    const { text, where } = rulesFile(tests);
    const r = await checkRules({
      rules: [{ path: f, text, family }],
      ipsets: [],
      ...kernel,
      backend: { value: backend, why: 'corpus' },
    });
    const rejected = new Map();
    for (const d of r.diagnostics) {
      const test = d.severity === 'error' && d.at.line !== undefined ? where.get(d.at.line) : undefined;
      if (test !== undefined && !rejected.has(test)) rejected.set(test, d.message);
    }
    for (const test of tests) {
      const expected = expectedResult(test.fields, backend);
      if (expected !== 'OK' && expected !== 'FAIL') continue; // NOMATCH: loads, but -C finds no match
      const got = rejected.has(test) ? 'FAIL' : 'OK';
      results.push({ file: f, ...test, expected, got, message: rejected.get(test) });
    }
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--backend');
  const backends = i === -1 ? ['nft', 'legacy'] : [process.argv[i + 1]];
  const quiet = process.argv.includes('--quiet');
  for (const backend of backends) {
    const results = await runCorpus(backend);
    const disagree = results.filter((r) => r.expected !== r.got);
    if (!quiet) {
      for (const r of disagree) {
        const why = r.got === 'FAIL' ? `nfdoctor rejects: ${r.message}` : 'nfdoctor accepts';
        console.log(`${backend}\t${r.file}:${r.line}\texpected ${r.expected}\t${r.rule}\t${why}`);
      }
    }
    const falseRejections = disagree.filter((r) => r.got === 'FAIL').length;
    const agree = results.length - disagree.length;
    console.log(
      `${backend}: ${agree} of ${results.length} corpus rules agree (${((100 * agree) / results.length).toFixed(1)}%); ` +
        `${falseRejections} rejected that iptables accepts, ${disagree.length - falseRejections} accepted that iptables rejects`,
    );
  }
}
