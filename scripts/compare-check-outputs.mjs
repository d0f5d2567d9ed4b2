#!/usr/bin/env node
// Byte-for-byte comparison of `nfdoctor check` between two bundles (e.g. main's and a branch's, each built
// with `node scripts/build.mjs OUT`): stdout, stderr and exit status for every rules file under fixtures/
// and src/parsers/__samples__, the realistic rulesets and their mutations (several seeds), iptables' own
// extension corpus (when its source is cached), generated rulesets, and edge files made here (CR LF,
// byte order mark, no final newline, UTF-8, NUL, empty, lines longer than any read buffer, multi-byte
// characters at every offset of a read boundary). Each file runs in text, json and sarif with different
// backends. Prints the count compared and every difference; exits 1 on any difference.
//
// usage: node scripts/compare-check-outputs.mjs OLD.cjs NEW.cjs [--big] [--keep DIR] [--jobs N] [--old-cache DIR] [--only REGEX]
//        node scripts/compare-check-outputs.mjs --tree OLD_SOURCE_TREE [--big]   (in one process, faster; also
//        compares every file's parse tree, read whole and in pieces)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO } from './bench-lib.mjs';
import { generateRuleset } from './gen-ruleset.mjs';
import { mutations, realisticRulesets } from './realistic-rulesets.mjs';
import { parseTestFile, rulesFile } from './iptables-corpus.mjs';
import { iptablesSourceTree } from './iptables-source.mjs';

const KERNEL = join(REPO, 'fixtures/kernels/6.1.0-56-cloud-amd64');
const VARIANTS = [
  ['--format', 'json'],
  ['--format', 'text', '--backend', 'legacy'],
  ['--format', 'sarif', '--backend', 'nft'],
];

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

/** Files that are (or try to be) iptables-save output: a `*table` line, a COMMIT, or a rules-like name. */
function looksLikeRules(path) {
  if (path.includes('/kernels/') || /\.(gz|tar|ko|xz|zst|json|cpuprofile)$/.test(path)) {
    return false;
  }
  const text = readFileSync(path, 'latin1');
  return /^(\*\w|COMMIT|:[A-Z])/m.test(text) || /rules\.v[46]|iptables-save|ip6tables/.test(path);
}

function corpusFiles() {
  let tree;
  try {
    tree = iptablesSourceTree();
  } catch {
    return [];
  }
  const dir = join(tree, 'extensions');
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir)
    .filter((f) => /^lib(xt|ipt|ip6t)_\w+\.t$/.test(f))
    .sort()
    .flatMap((f) => {
      const tests = parseTestFile(readFileSync(join(dir, f), 'utf8'));
      return tests.length === 0
        ? []
        : [{ name: `corpus/${f}.${f.startsWith('libip6t_') ? 'v6' : 'v4'}`, text: rulesFile(tests).text }];
    });
}

/** Edge inputs for a reader that works in fixed-size pieces: every kind of line end at every offset. */
function edgeFiles() {
  const base = generateRuleset(2000, 3);
  const out = [
    { name: 'edge/crlf.v4', text: base.replace(/\n/g, '\r\n') },
    { name: 'edge/bom.v4', text: `\ufeff${base}` },
    { name: 'edge/no-final-newline.v4', text: base.replace(/\n$/, '') },
    { name: 'edge/empty.v4', text: '' },
    { name: 'edge/blank.v4', text: '\n\n  \n' },
    { name: 'edge/not-rules.v4', text: 'hello world\n' },
    { name: 'edge/nul.v4', bytes: Buffer.concat([Buffer.from(base.slice(0, 200_000)), Buffer.from([0])]) },
    { name: 'edge/late-nul.v4', bytes: Buffer.concat([Buffer.from(base), Buffer.from('#\0\n')]) },
    { name: 'edge/utf8-comments.v4', text: base.replace(/--comment "/g, '--comment "é€😀') },
    {
      name: 'edge/latin1-byte.v4',
      bytes: Buffer.from(base.replace('--comment "', '--comment "\u00e9'), 'latin1'),
    },
    { name: 'edge/long-line.v4', text: base.replace('COMMIT', `# ${'x'.repeat(300_000)}\nCOMMIT`) },
    {
      name: 'edge/long-rule.v4',
      text: base.replace('COMMIT', `-A INPUT -m comment --comment "${'y'.repeat(12_000)}" -j ACCEPT\nCOMMIT`),
    },
    { name: 'edge/only-cr.v4', text: base.replace(/\n/g, '\r') },
  ];
  // Shift every byte of a CR LF file, a UTF-8 file and an LF file across read boundaries.
  const utf8 = base.replace(/--comment "/g, '--comment "ü');
  for (let pad = 1; pad <= 9; pad++) {
    const filler = `# ${'p'.repeat(pad * 997)}\n`;
    out.push({ name: `edge/shift-${pad}-crlf.v4`, text: (filler + base).replace(/\n/g, '\r\n') });
    out.push({ name: `edge/shift-${pad}-utf8.v4`, text: filler + utf8 });
    out.push({ name: `edge/shift-${pad}-lf.v6`, text: filler.replace('#', '# é') + base });
  }
  return out;
}

/** `--only REGEX`: the inputs whose name matches. */
function selected(files) {
  const at = process.argv.indexOf('--only');
  if (at === -1) {
    return files;
  }
  const only = new RegExp(process.argv[at + 1] ?? '');
  return files.filter((f) => only.test(f.name));
}

export function inputs(big) {
  const files = [];
  for (const root of ['fixtures', 'src/parsers/__samples__']) {
    for (const path of walk(join(REPO, root))) {
      if (looksLikeRules(path)) {
        files.push({ name: relative(REPO, path), path });
      }
    }
  }
  for (const seed of [1, 7, 42]) {
    const realistic = realisticRulesets(seed);
    for (const rs of [...realistic, ...mutations(realistic)]) {
      files.push({
        name: `realistic-${seed}/${rs.name.replace(/[^\w.-]+/g, '_')}`,
        text: rs.text,
        family: rs.family,
      });
    }
  }
  for (const seed of [1, 2, 3]) {
    files.push({ name: `generated/${seed}-5000.v4`, text: generateRuleset(5000, seed) });
  }
  if (big) {
    files.push({ name: 'generated/42-100000.v4', text: generateRuleset(100_000, 42), only: [VARIANTS[0]] });
  }
  return [...files, ...corpusFiles(), ...edgeFiles()];
}

function run(bundle, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, 'check', ...args], {
      cwd: REPO,
      env: { ...process.env, LC_ALL: 'C', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }),
    );
  });
}

/**
 * The old bundle's output, kept in `dir` (when given) under a hash of the bundle, the arguments and the
 * input's bytes: comparing several new builds against one old one runs the old one once.
 */
async function cached(dir, bundle, args) {
  if (dir === undefined) {
    return run(bundle, args);
  }
  const hash = createHash('sha256');
  hash.update(readFileSync(bundle));
  hash.update(JSON.stringify(args));
  try {
    hash.update(readFileSync(args[0]));
  } catch {
    hash.update('unreadable');
  }
  const path = join(dir, `${hash.digest('hex')}.json`);
  if (existsSync(path)) {
    const saved = JSON.parse(readFileSync(path, 'utf8'));
    return {
      status: saved.status,
      stdout: Buffer.from(saved.stdout, 'base64'),
      stderr: Buffer.from(saved.stderr, 'base64'),
    };
  }
  const result = await run(bundle, args);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path,
    JSON.stringify({
      status: result.status,
      stdout: result.stdout.toString('base64'),
      stderr: result.stderr.toString('base64'),
    }),
  );
  return result;
}

/** Runs `task` over `items`, `width` at a time. */
async function pool(items, width, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const item = items[next++];
        await task(item);
      }
    }),
  );
}

/** Writes the generated inputs under `scratch`; every file with its path and the variants to run. */
function materialize(files, scratch) {
  return files.map((file) => {
    let path = file.path;
    if (path === undefined) {
      path = join(scratch, file.name);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, file.bytes ?? file.text);
    }
    return { ...file, path };
  });
}

/** The text cut into pieces of `size` characters, as a file read piece by piece reaches the parser. */
function* piecesOf(text, size) {
  for (let at = 0; at < text.length; at += size) {
    yield text.slice(at, at + size);
  }
}

/**
 * What parseIptablesSave returns for a file (the whole model: tables, chain declarations, rules,
 * diagnostics), whole and in pieces of 64 KiB and of 997 characters, as one JSON text per way of reading.
 */
function parseTrees(parser, path) {
  const text = readFileSync(path, 'latin1');
  const family = parser.familyFromFileName(path);
  const ways = [text, piecesOf(text, 65536), piecesOf(text, 997)];
  return ways.map((way) => {
    try {
      return JSON.stringify(parser.parseIptablesSaveFamily(way, path, family));
    } catch (err) {
      return `error ${err.name}: ${err.message}`;
    }
  });
}

/**
 * `--tree OLD_DIR`: the `check` command of an old source tree (a git worktree of main) and of this one,
 * run in this process (runCheck: argument parsing, reading, checking, rendering; only the final write
 * and the exit are main's). Much faster than two processes per file; a thrown error compares by message.
 * The parse trees of every file are compared too (parseTrees).
 */
async function inProcess(oldTree, big, scratch) {
  const { tsImport } = await import('tsx/esm/api');
  const load = (tree) => tsImport(join(tree, 'src/cli/commands/check.ts'), import.meta.url);
  const [oldCheck, newCheck] = [await load(oldTree), await load(REPO)];
  const loadParser = (tree) => tsImport(join(tree, 'src/parsers/iptables-save.ts'), import.meta.url);
  const [oldParser, newParser] = [await loadParser(oldTree), await loadParser(REPO)];
  const call = async (runCheck, args) => {
    try {
      const r = await runCheck(args, 'compare', false);
      return `exit ${r.exitCode}\n${r.text}`;
    } catch (err) {
      return `error ${err.name}: ${err.message}`;
    }
  };
  const files = materialize(selected(inputs(big)), scratch);
  let runs = 0;
  const differences = [];
  const cwd = process.cwd();
  process.chdir(REPO);
  let trees = 0;
  try {
    for (const file of files) {
      const oldTrees = parseTrees(oldParser, file.path);
      const newTrees = parseTrees(newParser, file.path);
      oldTrees.forEach((tree, i) => {
        trees++;
        if (tree !== newTrees[i]) {
          differences.push(`${file.name} parse tree ${i}`);
          console.log(
            `DIFFERENT ${file.name} parse tree (${['whole', '64 KiB pieces', '997-character pieces'][i]})`,
          );
        }
      });
      for (const variant of file.only ?? VARIANTS) {
        const args = [file.path, '--kernel', KERNEL, ...variant];
        const a = await call(oldCheck.runCheck, args);
        const b = await call(newCheck.runCheck, args);
        runs++;
        if (a !== b) {
          differences.push(`${file.name} ${variant.join(' ')}`);
          console.log(`DIFFERENT ${file.name} ${variant.join(' ')}`);
        }
      }
    }
  } finally {
    process.chdir(cwd);
  }
  console.log(
    `in process: ${files.length} files, ${runs} (file, format) runs and ${trees} parse trees compared, ${differences.length} different`,
  );
  return differences.length;
}

async function main() {
  const treeAt = process.argv.indexOf('--tree');
  if (treeAt !== -1) {
    const scratch = mkdtempSync(join(tmpdir(), 'nfd-compare-'));
    try {
      process.exitCode =
        (await inProcess(process.argv[treeAt + 1], process.argv.includes('--big'), scratch)) === 0 ? 0 : 1;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    return;
  }
  const [oldBundle, newBundle] = process.argv.slice(2).filter((a) => a.endsWith('.cjs'));
  if (oldBundle === undefined || newBundle === undefined) {
    console.error(
      'usage: compare-check-outputs.mjs OLD.cjs NEW.cjs [--big] [--keep DIR] [--jobs N] [--old-cache DIR]',
    );
    process.exit(2);
  }
  const keepAt = process.argv.indexOf('--keep');
  const jobsAt = process.argv.indexOf('--jobs');
  const jobs = jobsAt === -1 ? 2 : Math.max(1, Number(process.argv[jobsAt + 1]) || 1);
  const cacheAt = process.argv.indexOf('--old-cache');
  const oldCache = cacheAt === -1 ? undefined : process.argv[cacheAt + 1];
  const scratch = keepAt === -1 ? mkdtempSync(join(tmpdir(), 'nfd-compare-')) : process.argv[keepAt + 1];
  const differences = [];
  const runs = [];
  const files = selected(inputs(process.argv.includes('--big')));
  try {
    for (const file of files) {
      let path = file.path;
      if (path === undefined) {
        path = join(scratch, file.name);
        mkdirSync(join(path, '..'), { recursive: true });
        writeFileSync(path, file.bytes ?? file.text);
      }
      for (const variant of file.only ?? VARIANTS) {
        runs.push({ name: file.name, variant, args: [path, '--kernel', KERNEL, ...variant] });
      }
    }
    process.stderr.write(`${files.length} files, ${runs.length} runs per bundle\n`);
    let done = 0;
    await pool(runs, jobs, async ({ name, variant, args }) => {
      const [a, b] = await Promise.all([cached(oldCache, oldBundle, args), run(newBundle, args)]);
      if (a.status !== b.status || !a.stdout.equals(b.stdout) || !a.stderr.equals(b.stderr)) {
        differences.push(`${name} ${variant.join(' ')}: exit ${a.status} vs ${b.status}`);
        console.log(`DIFFERENT ${name} ${variant.join(' ')}`);
      }
      done++;
      if (done % 100 === 0) {
        process.stderr.write(`${done}/${runs.length}\n`);
      }
    });
  } finally {
    if (keepAt === -1) {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  console.log(
    `${files.length} files, ${runs.length} (file, format) runs compared, ${differences.length} different`,
  );
  process.exit(differences.length === 0 ? 0 : 1);
}

await main();
