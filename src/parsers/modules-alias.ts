// modules.alias: "alias <fnmatch pattern> <module>" lines written by depmod(8) (kmod tools/depmod.c output_aliases).

import type { Diagnostic, Parsed } from './types.ts';
import { inOwnForm, nextLineStartingWith, splitLines } from './types.ts';
import { isValidModuleName, normalizeModuleName } from './module-name.ts';

export interface ModuleAlias {
  readonly pattern: string;
  readonly module: string;
  readonly line: number;
}

export interface AliasIndex {
  /** Modules whose alias pattern matches `name`, in kmod's order, without duplicates. */
  lookup(name: string): string[];
}

export function parseModulesAlias(text: string, file: string): Parsed<ModuleAlias[]> {
  const value: ModuleAlias[] = [];
  const diagnostics: Diagnostic[] = [];
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const line = i + 1;
    // Fast path for depmod's own output: "alias <pattern> <module>" with single spaces.
    if (raw.startsWith('alias ')) {
      const sp = raw.indexOf(' ', 6);
      if (sp > 6 && raw.indexOf(' ', sp + 1) === -1 && raw.indexOf('\t') === -1 && sp + 1 < raw.length) {
        const module = raw.slice(sp + 1);
        if (MODULE_NAME.test(module)) {
          value.push({ pattern: raw.slice(6, sp), module: normalizeModuleName(module), line });
          continue;
        }
      }
    }
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      continue;
    }
    const fields = trimmed.split(/[ \t]+/);
    if (fields[0] !== 'alias') {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'not-an-alias-line',
        message: `expected "alias <pattern> <module>", got "${clip(trimmed)}"`,
      });
      continue;
    }
    const pattern = fields[1];
    const module = fields[2];
    if (pattern === undefined || module === undefined) {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'alias-missing-field',
        message: `alias line needs a pattern and a module: "${clip(trimmed)}"`,
      });
      continue;
    }
    if (fields.length > 3) {
      diagnostics.push({
        at: { file, line },
        severity: 'info',
        code: 'alias-extra-fields',
        message: `text after the module name is ignored: "${clip(fields.slice(3).join(' '))}"`,
      });
    }
    if (!isValidModuleName(module)) {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'alias-invalid-module-name',
        message: `"${clip(module)}" is not a valid module name`,
      });
    }
    value.push({ pattern, module: normalizeModuleName(module), line });
  }
  return { value, diagnostics };
}

const MODULE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * kmod's alias_normalize (shared/util.c): '-' becomes '_' except inside a [...] bracket; an unmatched
 * ']' or '[' makes the alias invalid (depmod skips it with "Unmatched bracket", modprobe returns -EINVAL).
 */
export function normalizeAlias(alias: string): string | undefined {
  if (alias.indexOf('[') === -1 && alias.indexOf(']') === -1) {
    return alias.indexOf('-') === -1 ? alias : alias.replaceAll('-', '_');
  }
  let out = '';
  for (let i = 0; i < alias.length; i++) {
    const c = alias[i];
    if (c === '-') {
      out += '_';
    } else if (c === ']') {
      return undefined;
    } else if (c === '[') {
      const close = alias.indexOf(']', i);
      if (close === -1) {
        return undefined;
      }
      out += alias.slice(i, close + 1);
      i = close;
    } else {
      out += c ?? '';
    }
  }
  return out;
}

/**
 * kmod's underscores() (libkmod-config.c) for names in modprobe.d: '-' becomes '_' except inside a [...]
 * range, so "nf-conntrack-[0-9]" stays a valid pattern. Unlike alias_normalize it never rejects.
 */
export function underscores(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '[') {
      const close = name.indexOf(']', i);
      const end = close === -1 ? name.length : close + 1;
      out += name.slice(i, end);
      i = end - 1;
    } else {
      out += c === '-' ? '_' : (c ?? '');
    }
  }
  return out;
}

type Token =
  | { readonly t: 'star' }
  | { readonly t: 'any' }
  | { readonly t: 'char'; readonly c: string }
  | { readonly t: 'set'; readonly negate: boolean; readonly test: (c: string) => boolean };

const CLASSES: Readonly<Record<string, (c: string) => boolean>> = {
  alnum: (c) => /^[A-Za-z0-9]$/.test(c),
  alpha: (c) => /^[A-Za-z]$/.test(c),
  blank: (c) => c === ' ' || c === '\t',
  cntrl: (c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127,
  digit: (c) => c >= '0' && c <= '9',
  graph: (c) => c.charCodeAt(0) > 32 && c.charCodeAt(0) < 127,
  lower: (c) => c >= 'a' && c <= 'z',
  print: (c) => c.charCodeAt(0) >= 32 && c.charCodeAt(0) < 127,
  punct: (c) => /^[!-/:-@[-`{-~]$/.test(c),
  space: (c) => /^[ \t\n\v\f\r]$/.test(c),
  upper: (c) => c >= 'A' && c <= 'Z',
  xdigit: (c) => /^[0-9A-Fa-f]$/.test(c),
};

/** Parses a bracket expression starting after '['; undefined when it has no closing ']' (then '[' is literal). */
function parseBracket(p: string, start: number): { token: Token; next: number } | undefined {
  let i = start;
  let negate = false;
  if (p[i] === '!' || p[i] === '^') {
    negate = true;
    i++;
  }
  const tests: ((c: string) => boolean)[] = [];
  let first = true;
  while (i < p.length) {
    let c = p[i] ?? '';
    if (c === ']' && !first) {
      const all = tests;
      return { token: { t: 'set', negate, test: (x) => all.some((f) => f(x)) }, next: i + 1 };
    }
    first = false;
    if (c === '[' && p[i + 1] === ':') {
      const end = p.indexOf(':]', i + 2);
      const cls = end === -1 ? undefined : CLASSES[p.slice(i + 2, end)];
      if (end !== -1 && cls !== undefined) {
        tests.push(cls);
        i = end + 2;
        continue;
      }
      if (end !== -1) {
        // glibc: an unknown class name makes the whole pattern fail to match.
        return { token: { t: 'set', negate: false, test: () => false }, next: end + 2 };
      }
    }
    if (c === '\\' && i + 1 < p.length) {
      i++;
      c = p[i] ?? '';
    }
    i++;
    if (p[i] === '-' && p[i + 1] !== undefined && p[i + 1] !== ']') {
      let hi = p[i + 1] ?? '';
      i += 2;
      if (hi === '\\' && i < p.length) {
        hi = p[i] ?? '';
        i++;
      }
      const lo = c;
      tests.push((x) => x >= lo && x <= hi);
    } else {
      const lit = c;
      tests.push((x) => x === lit);
    }
  }
  return undefined;
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i] ?? '';
    if (c === '*') {
      if (tokens[tokens.length - 1]?.t !== 'star') {
        tokens.push({ t: 'star' });
      }
      i++;
    } else if (c === '?') {
      tokens.push({ t: 'any' });
      i++;
    } else if (c === '[') {
      const b = parseBracket(pattern, i + 1);
      if (b === undefined) {
        tokens.push({ t: 'char', c: '[' });
        i++;
      } else {
        tokens.push(b.token);
        i = b.next;
      }
    } else if (c === '\\' && i + 1 < pattern.length) {
      tokens.push({ t: 'char', c: pattern[i + 1] ?? '' });
      i += 2;
    } else {
      tokens.push({ t: 'char', c });
      i++;
    }
  }
  return tokens;
}

function matchOne(tok: Token, c: string): boolean {
  switch (tok.t) {
    case 'any':
      return true;
    case 'char':
      return tok.c === c;
    case 'set':
      return tok.test(c) !== tok.negate;
    case 'star':
      return false;
  }
}

/** Linear-time wildcard match: every non-star token consumes exactly one character. */
function matchTokens(tokens: readonly Token[], s: string): boolean {
  let ti = 0;
  let si = 0;
  let starTi = -1;
  let starSi = 0;
  while (si < s.length) {
    const tok = tokens[ti];
    if (tok !== undefined && tok.t === 'star') {
      starTi = ti++;
      starSi = si;
    } else if (tok !== undefined && matchOne(tok, s[si] ?? '')) {
      ti++;
      si++;
    } else if (starTi !== -1) {
      ti = starTi + 1;
      si = ++starSi;
    } else {
      return false;
    }
  }
  while (tokens[ti]?.t === 'star') {
    ti++;
  }
  return ti === tokens.length;
}

const compiled = new Map<string, Token[]>();

/**
 * fnmatch(3) with flags 0, as kmod calls it for alias, install, softdep and blacklist-free lookups
 * (libkmod-index.c index_searchwild, libkmod-module.c): '*' and '?' also match '/' and a leading '.',
 * backslash escapes the next character, "[...]" supports '!'/'^', ranges and [:class:].
 */
export function fnmatch(pattern: string, name: string): boolean {
  let tokens = compiled.get(pattern);
  if (tokens === undefined) {
    tokens = tokenize(pattern);
    if (compiled.size > 50_000) {
      compiled.clear();
    }
    compiled.set(pattern, tokens);
  }
  return matchTokens(tokens, name);
}

export function hasGlob(pattern: string): boolean {
  return firstWildcard(pattern) !== pattern.length;
}

const BUCKET = 24;

interface AliasHit {
  readonly module: string;
  /** Where the alias is in the file (kmod's order): its index in the list, or its offset in the text. */
  readonly order: number;
}

interface GlobEntry extends AliasHit {
  readonly prefix: string;
  readonly pattern: string;
}

/**
 * Aliases by normalized pattern: literal patterns in a Map, glob patterns in buckets keyed by the first
 * BUCKET characters of their literal prefix (a lookup reads the buckets of its own prefixes only).
 */
class AliasTable {
  private readonly literal = new Map<string, AliasHit[]>();
  private readonly globs = new Map<string, GlobEntry[]>();

  add(rawPattern: string, module: string, order: number): void {
    const pattern = normalizeAlias(rawPattern);
    if (pattern === undefined) {
      return;
    }
    const wildcard = firstWildcard(pattern);
    if (wildcard === pattern.length) {
      const list = this.literal.get(pattern);
      if (list === undefined) {
        this.literal.set(pattern, [{ module, order }]);
      } else {
        list.push({ module, order });
      }
      return;
    }
    const prefix = pattern.slice(0, wildcard);
    const key = prefix.slice(0, BUCKET);
    const entry: GlobEntry = { prefix, pattern, module, order };
    const bucket = this.globs.get(key);
    if (bucket === undefined) {
      this.globs.set(key, [entry]);
    } else {
      bucket.push(entry);
    }
  }

  /** Adds to `hits` every alias whose pattern matches `key` (normalized). */
  collect(key: string, hits: AliasHit[]): void {
    hits.push(...(this.literal.get(key) ?? []));
    for (let k = 0; k <= Math.min(BUCKET, key.length); k++) {
      const bucket = this.globs.get(key.slice(0, k));
      if (bucket === undefined) {
        continue;
      }
      for (const g of bucket) {
        if (key.startsWith(g.prefix) && fnmatch(g.pattern, key)) {
          hits.push(g);
        }
      }
    }
  }
}

/** Looks names up as modprobe does: normalized, then `collect` adds the matching aliases. */
function aliasIndex(collect: (key: string, hits: AliasHit[]) => void): AliasIndex {
  return {
    lookup(name: string): string[] {
      const key = normalizeAlias(name);
      if (key === undefined) {
        return [];
      }
      const hits: AliasHit[] = [];
      collect(key, hits);
      return modulesInOrder(hits);
    },
  };
}

/** The modules of `hits` in file order, each once. */
function modulesInOrder(hits: AliasHit[]): string[] {
  hits.sort((x, y) => x.order - y.order);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const h of hits) {
    if (!seen.has(h.module)) {
      seen.add(h.module);
      out.push(h.module);
    }
  }
  return out;
}

/**
 * Resolves a name the way modprobe resolves it through modules.alias(.bin): the name and every pattern are
 * alias_normalize'd ("nft-chain-2-nat" finds "nft_chain_2_nat"), literal patterns are looked up in a Map
 * and glob patterns are fnmatch'ed. depmod writes modules.alias in modules.order sequence and stores that
 * position as the trie value's priority, and index_searchwild returns values sorted by it
 * (libkmod-index.c add_value), so file order is kmod's order.
 */
export function buildAliasIndex(aliases: readonly ModuleAlias[]): AliasIndex {
  const table = new AliasTable();
  for (let order = 0; order < aliases.length; order++) {
    const a = aliases[order] as ModuleAlias;
    table.add(a.pattern, a.module, order);
  }
  return aliasIndex((key, hits) => {
    table.collect(key, hits);
  });
}

/**
 * A line in another form than depmod's "alias <pattern> <module>", a blank line or a comment (multiline: the
 * first such line). Mirrors parseModulesAlias: its fast path takes exactly the first form, and it skips the
 * other two without a word; any other line may need a diagnostic.
 */
const NOT_DEPMOD_LINE = /^(?!alias [^ \t\n]+ [A-Za-z0-9_-]{1,64}$|[^\S\n]*$|[^\S\n]*#)/m;
/** Raw first characters of the patterns whose literal prefix is empty (firstWildcard is 0). */
const WILDCARD_FIRST = ['*', '?', '[', '\\'];

/**
 * The alias index of a modules.alias text as depmod writes it, built as lookups need it: the lines whose
 * pattern starts with a character are read the first time a name starting with it is looked up (with the
 * patterns that start with a wildcard, which any name may match). A generic Debian 6.1 kernel lists 26k
 * aliases, 24k of them device patterns (pci:, usb:, of:, i2c:, hid: ...) that no firewall module request
 * reads; indexing them all took ~75 ms at every start. Lookups answer as buildAliasIndex(parseModulesAlias())
 * does. Undefined when a line is in another form: parseModulesAlias then reads the file, with diagnostics.
 */
export function aliasIndexOfText(text: string): AliasIndex | undefined {
  if (!inOwnForm(text, NOT_DEPMOD_LINE)) {
    return undefined;
  }
  const tables = new Map<string, AliasTable>();
  const tableOf = (first: string): AliasTable => {
    let table = tables.get(first);
    if (table === undefined) {
      table = new AliasTable();
      // alias_normalize turns a leading '-' into '_'; '' stands for the patterns that start with a wildcard.
      const raw = first === '' ? WILDCARD_FIRST : first === '_' ? ['_', '-'] : [first];
      for (const c of raw) {
        addLinesStartingWith(text, `alias ${c}`, table);
      }
      tables.set(first, table);
    }
    return table;
  };
  return aliasIndex((key, hits) => {
    tableOf('').collect(key, hits);
    const first = key.charAt(0);
    // A name that starts with a wildcard character can only match patterns that start with a wildcard.
    if (first !== '' && !WILDCARD_FIRST.includes(first)) {
      tableOf(first).collect(key, hits);
    }
  });
}

/** The alias index of a modules.alias text: aliasIndexOfText where it applies, else the full parse and its diagnostics. */
export function readModulesAlias(text: string, file: string): Parsed<AliasIndex> {
  const lazy = aliasIndexOfText(text);
  if (lazy !== undefined) {
    return { value: lazy, diagnostics: [] };
  }
  const p = parseModulesAlias(text, file);
  return { value: buildAliasIndex(p.value), diagnostics: p.diagnostics };
}

/** Adds each "alias <pattern> <module>" line that starts with `head`, found by string search, not line by line. */
function addLinesStartingWith(text: string, head: string, table: AliasTable): void {
  for (let start = nextLineStartingWith(text, head, 0); start !== -1;) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    // NOT_DEPMOD_LINE held: one space after the pattern, the module name after it.
    const space = text.indexOf(' ', start + 6);
    table.add(text.slice(start + 6, space), normalizeModuleName(text.slice(space + 1, end)), start);
    start = newline === -1 ? -1 : nextLineStartingWith(text, head, newline + 1);
  }
}

/** '*', '?', '[' or '\\': found by the regex engine, not a character loop (2,400 patterns per kernel). */
const WILDCARD = /[*?[\\]/;

function firstWildcard(p: string): number {
  const at = p.search(WILDCARD);
  return at === -1 ? p.length : at;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
