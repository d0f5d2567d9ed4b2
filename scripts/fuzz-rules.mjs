#!/usr/bin/env node
// Rules nobody wrote down: each rule of fixtures/rules/single-rules.txt mutated at random (seeded) the way
// hands and scripts get rules wrong (a number out of range or malformed, a value or an option dropped, an
// option given twice, a `!` moved, a name abbreviated or in another case, two options swapped, a value
// put under another option), then loaded alone with the real iptables-restore 1.8.9 (nf_tables and
// legacy) in a throwaway network namespace and compared with `check`, as scripts/single-rules.mjs does.
// Prints every disagreement and the agreement figure. Root only.
//
// --from corpus mutates the rules iptables' own extension tests (extensions/*.t of the 1.8.9 source) mark
// OK instead: every extension, not only the ones people use most.
//
// usage: node scripts/fuzz-rules.mjs [--seed N] [--count N] [--from corpus] [--print]   (--print: the mutants only)
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom } from './gen-ruleset.mjs';
import { SINGLE_RULES, compareSingleRules, singleRuleFiles } from './single-rules.mjs';
import { printAgreement } from './realistic-rulesets.mjs';

const NUMBERS = [
  '0',
  '1',
  '-1',
  '255',
  '256',
  '65535',
  '65536',
  '4294967295',
  '4294967296',
  '0x10',
  '1x',
  '1.5',
  '',
];

/** "FAMILY TABLE -A CHAIN words..." split into its head and the rule's words (quotes kept as written). */
function splitRule(line) {
  const m = /^([46]) (\S+) -A (\S+) (.*)$/.exec(line);
  if (m === null) {
    return undefined;
  }
  const words = m[4].match(/"[^"]*"|\S+/g) ?? [];
  return { head: `${m[1]} ${m[2]} -A ${m[3]}`, words };
}

const isOption = (word) => /^--?[A-Za-z]/.test(word);

/** Index ranges [start, end) of each option with the values that follow it. */
function optionGroups(words) {
  const groups = [];
  for (let i = 0; i < words.length; i++) {
    if (isOption(words[i])) {
      let end = i + 1;
      while (end < words.length && !isOption(words[end]) && words[end] !== '!') {
        end++;
      }
      groups.push([i, end]);
    }
  }
  return groups;
}

const MUTATIONS = [
  // a number replaced by a boundary or a malformed one
  (words, rnd) => {
    const at = indexesWhere(words, (w) => /\d/.test(w) && !isOption(w));
    if (at.length === 0) return undefined;
    const i = pick(rnd, at);
    const parts = words[i].split(/(\d+)/);
    const numberParts = parts.map((p, k) => (/^\d+$/.test(p) ? k : -1)).filter((k) => k >= 0);
    parts[pick(rnd, numberParts)] = pick(rnd, NUMBERS);
    return replaceAt(words, i, parts.join(''));
  },
  // an option's value dropped
  (words, rnd) => {
    const at = indexesWhere(words, (w, i) => i > 0 && isOption(words[i - 1]) && !isOption(w) && w !== '!');
    return at.length === 0 ? undefined : words.filter((_, k) => k !== pick(rnd, at));
  },
  // an option and its values dropped
  (words, rnd) => {
    const groups = optionGroups(words);
    if (groups.length < 2) return undefined;
    const [s, e] = pick(rnd, groups);
    return [...words.slice(0, s), ...words.slice(e)];
  },
  // an option given twice
  (words, rnd) => {
    const groups = optionGroups(words);
    if (groups.length === 0) return undefined;
    const [s, e] = pick(rnd, groups);
    return [...words.slice(0, e), ...words.slice(s, e), ...words.slice(e)];
  },
  // a `!` added before an option, or after it
  (words, rnd) => {
    const groups = optionGroups(words);
    if (groups.length === 0) return undefined;
    const [s] = pick(rnd, groups);
    const at = rnd() < 0.5 ? s : s + 1;
    return [...words.slice(0, at), '!', ...words.slice(at)];
  },
  // a `!` removed
  (words, rnd) => {
    const at = indexesWhere(words, (w) => w === '!');
    return at.length === 0 ? undefined : words.filter((_, k) => k !== pick(rnd, at));
  },
  // a long option abbreviated (getopt_long accepts an unambiguous prefix)
  (words, rnd) => {
    const at = indexesWhere(words, (w) => /^--[a-z-]{4,}$/.test(w));
    if (at.length === 0) return undefined;
    const i = pick(rnd, at);
    const keep = 3 + Math.floor(rnd() * (words[i].length - 3));
    return replaceAt(words, i, words[i].slice(0, keep));
  },
  // a name or value in another case
  (words, rnd) => {
    const at = indexesWhere(words, (w) => /[A-Za-z]/.test(w) && !w.startsWith('"'));
    if (at.length === 0) return undefined;
    const i = pick(rnd, at);
    const w = words[i];
    return replaceAt(words, i, w === w.toUpperCase() ? w.toLowerCase() : w.toUpperCase());
  },
  // two neighbouring options swapped
  (words, rnd) => {
    const groups = optionGroups(words);
    if (groups.length < 2) return undefined;
    const k = Math.floor(rnd() * (groups.length - 1));
    const [s1, e1] = groups[k];
    const [s2, e2] = groups[k + 1];
    if (e1 !== s2) return undefined;
    return [...words.slice(0, s1), ...words.slice(s2, e2), ...words.slice(s1, e1), ...words.slice(e2)];
  },
  // a value put under another option of the rule
  (words, rnd) => {
    const values = indexesWhere(
      words,
      (w, i) => i > 0 && isOption(words[i - 1]) && !isOption(w) && w !== '!',
    );
    if (values.length < 2) return undefined;
    const a = pick(rnd, values);
    const b = pick(rnd, values);
    return a === b || words[a] === words[b] ? undefined : replaceAt(words, a, words[b]);
  },
];

function indexesWhere(words, test) {
  return words.map((w, i) => (test(w, i) ? i : -1)).filter((i) => i >= 0);
}

function replaceAt(words, i, word) {
  return words.map((w, k) => (k === i ? word : w));
}

function pick(rnd, items) {
  return items[Math.floor(rnd() * items.length)];
}

/** The corpus rules every backend loads, as "FAMILY TABLE -A CHAIN RULE" lines (set-up free files only). */
export async function corpusRuleLines() {
  const { parseTestFile } = await import('./iptables-corpus.mjs');
  const { iptablesSourceTree } = await import('./iptables-source.mjs');
  const dir = join(iptablesSourceTree(), 'extensions');
  const lines = [];
  for (const f of readdirSync(dir).filter((name) => /^lib(xt|ipt|ip6t)_\w+\.t$/.test(name))) {
    const family = f.startsWith('libip6t_') ? '6' : '4';
    for (const t of parseTestFile(readFileSync(join(dir, f), 'utf8'))) {
      const [chain] = t.chains;
      if (!t.needsSetup && chain !== undefined && t.fields[2]?.trim() === 'OK' && t.fields.length <= 3) {
        lines.push(`${family} ${t.table} -A ${chain} ${t.rule}`);
      }
    }
  }
  return lines.join('\n');
}

/** `count` distinct mutants of the rules in `text`, none equal to a rule of the file itself. */
export function mutants(text, seed, count) {
  const rnd = createRandom(seed);
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map(splitRule)
    .filter((r) => r !== undefined);
  const known = new Set(rules.map((r) => `${r.head} ${r.words.join(' ')}`));
  const out = new Set();
  for (let tries = 0; out.size < count && tries < count * 20; tries++) {
    const rule = pick(rnd, rules);
    const mutated = pick(rnd, MUTATIONS)(rule.words, rnd);
    if (mutated === undefined || mutated.length === 0) continue;
    const line = `${rule.head} ${mutated.join(' ')}`.trimEnd();
    if (!known.has(line) && !/ $/.test(line)) out.add(line);
  }
  return [...out];
}

async function main() {
  const flag = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i === -1 ? fallback : Number(process.argv[i + 1]);
  };
  const from = process.argv.includes('--from') ? process.argv[process.argv.indexOf('--from') + 1] : 'single';
  const source = from === 'corpus' ? await corpusRuleLines() : readFileSync(SINGLE_RULES, 'utf8');
  const lines = mutants(source, flag('--seed', 1), flag('--count', 500));
  if (process.argv.includes('--print')) {
    console.log(lines.join('\n'));
    return;
  }
  const { checkHarness } = await import('./iptables-corpus.mjs');
  const { checkRules, kernel } = await checkHarness('fuzzed rules');
  const files = singleRuleFiles(lines.join('\n'));
  const rows = await compareSingleRules(files, checkRules, kernel);
  printAgreement(rows, files.length, 'rule', (r) => [r.rule]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}
