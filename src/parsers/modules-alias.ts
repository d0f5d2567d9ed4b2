// modules.alias: "alias <fnmatch pattern> <module>" lines written by depmod(8) (kmod tools/depmod.c output_aliases).

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';
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

interface GlobEntry {
  readonly prefix: string;
  readonly pattern: string;
  readonly module: string;
  readonly order: number;
}

/**
 * Resolves a name the way modprobe resolves it through modules.alias(.bin): the name and every pattern are
 * alias_normalize'd ("nft-chain-2-nat" finds "nft_chain_2_nat"), literal patterns are looked up in a Map
 * and glob patterns are fnmatch'ed. depmod writes modules.alias in modules.order sequence and stores that
 * position as the trie value's priority, and index_searchwild returns values sorted by it
 * (libkmod-index.c add_value), so file order is kmod's order.
 */
export function buildAliasIndex(aliases: readonly ModuleAlias[]): AliasIndex {
  const literal = new Map<string, { module: string; order: number }[]>();
  const globs = new Map<string, GlobEntry[]>();
  for (let order = 0; order < aliases.length; order++) {
    const a = aliases[order] as ModuleAlias;
    const pattern = normalizeAlias(a.pattern);
    if (pattern === undefined) {
      continue;
    }
    const wildcard = firstWildcard(pattern);
    if (wildcard === pattern.length) {
      const list = literal.get(pattern);
      if (list === undefined) {
        literal.set(pattern, [{ module: a.module, order }]);
      } else {
        list.push({ module: a.module, order });
      }
      continue;
    }
    const prefix = pattern.slice(0, wildcard);
    const key = prefix.slice(0, BUCKET);
    const entry: GlobEntry = { prefix, pattern, module: a.module, order };
    const bucket = globs.get(key);
    if (bucket === undefined) {
      globs.set(key, [entry]);
    } else {
      bucket.push(entry);
    }
  }
  return {
    lookup(name: string): string[] {
      const key = normalizeAlias(name);
      if (key === undefined) {
        return [];
      }
      const hits: { module: string; order: number }[] = [...(literal.get(key) ?? [])];
      for (let k = 0; k <= Math.min(BUCKET, key.length); k++) {
        const bucket = globs.get(key.slice(0, k));
        if (bucket === undefined) {
          continue;
        }
        for (const g of bucket) {
          if (key.startsWith(g.prefix) && fnmatch(g.pattern, key)) {
            hits.push(g);
          }
        }
      }
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
    },
  };
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
