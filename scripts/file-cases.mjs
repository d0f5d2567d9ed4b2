#!/usr/bin/env node
// Loads each whole-file case of fixtures/rules/file-cases.txt (the structure between lines: chains, tables,
// commands, loops, line endings) with the real iptables-restore 1.8.9 (nf_tables and legacy) in a network
// namespace created for that case, and compares with `check` against Debian's 6.1 kernel metadata, as
// scripts/single-rules.mjs does for single rules. Prints every disagreement and the agreement figure.
// Root only.
//
// Format: "=== FAMILY NAME" starts a case (FAMILY 4 or 6); the lines up to the next "===" are the file.
// A case whose name says "CRLF" is written with CRLF line endings, "CR only" with CR alone, and "BOM"
// starts with a UTF-8 byte order mark. Lines starting with "#" before the first
// case are comments.
//
// usage: node scripts/file-cases.mjs [FILE]
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nfdoctorVerdicts, printAgreement, realRestore } from './realistic-rulesets.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FILE_CASES = join(ROOT, 'fixtures/rules/file-cases.txt');

/** The cases of a file-cases text: { name, family, text }. */
export function fileCases(text) {
  const cases = [];
  let current;
  text.split('\n').forEach((line, i) => {
    const head = /^=== ([46]) (.+)$/.exec(line);
    if (head !== null) {
      current = {
        name: `${head[2]} (${head[1] === '4' ? 'ipv4' : 'ipv6'})`,
        family: head[1] === '4' ? 'ipv4' : 'ipv6',
        lines: [],
      };
      cases.push(current);
    } else if (current !== undefined) {
      current.lines.push(line);
    } else if (line !== '' && !line.startsWith('#')) {
      throw new Error(`file-cases line ${i + 1}: expected "=== 4|6 NAME" before the first file`);
    }
  });
  return cases.map(({ name, family, lines }) => {
    while (lines.length > 0 && lines[lines.length - 1] === '') {
      lines.pop();
    }
    const body = `${lines.join('\n')}\n`;
    const ended = name.includes('CRLF')
      ? body.replaceAll('\n', '\r\n')
      : name.includes('CR only')
        ? body.replaceAll('\n', '\r')
        : body;
    return { name, family, text: name.includes('BOM') ? `\ufeff${ended}` : ended };
  });
}

/** One row per (case, backend): whether the real restore loads the file and what `check` says. */
export async function compareFileCases(cases, checkRules, kernel) {
  const rows = [];
  for (const c of cases) {
    const real = realRestore(c);
    const ours = await nfdoctorVerdicts(c, checkRules, kernel, { requirements: true });
    for (const backend of ['nft', 'legacy']) {
      rows.push({
        name: c.name,
        backend,
        loads: real[backend]?.status === 0,
        testLoads: real[`${backend}-test`]?.status === 0,
        real: real[backend]?.stderr ?? '',
        nfdoctor: ours[backend],
      });
    }
  }
  return rows;
}

async function main() {
  const { checkHarness } = await import('./iptables-corpus.mjs');
  const { checkRules, kernel } = await checkHarness('file cases');
  const cases = fileCases(readFileSync(process.argv[2] ?? FILE_CASES, 'utf8'));
  const rows = await compareFileCases(cases, checkRules, kernel);
  printAgreement(rows, cases.length, 'file', (r) => [
    r.name,
    r.testLoads === r.loads ? '' : ` (--test ${r.testLoads ? 'passes' : 'fails'})`,
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}
