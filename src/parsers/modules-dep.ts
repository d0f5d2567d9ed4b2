// modules.dep: "<module path>: <dep path> <dep path>..." written by depmod(8); format in modules.dep(5).

import type { Diagnostic, Parsed } from './types.ts';
import { LazyReadonlyMap, inOwnForm, lineNumberAt, lineStarts, splitLines } from './types.ts';
import { moduleNameFromPath, normalizeModuleName } from './module-name.ts';

export interface ModuleDep {
  readonly name: string;
  /** Relative to /lib/modules/<release> (depmod writes relative paths; absolute ones come from old depmods). */
  readonly path: string;
  /**
   * Names of every module that must be loaded first: depmod writes the full transitive closure in reverse
   * load order, so modprobe inserts them from the end of the list backwards (see loadOrder()).
   */
  readonly deps: readonly string[];
  readonly depPaths: readonly string[];
  readonly line: number;
}

const MODULE_FILE = /\.ko(\.(xz|zst|gz))?$/;

/** A dependency list whose every word is a module file: nothing to report, so it is split only when read. */
const ALL_MODULE_FILES = /^(?:[ \t]+[^ \t]*\.ko(?:\.(?:xz|zst|gz))?)*[ \t]*$/;

/**
 * One modules.dep line. Every line lists the module's whole dependency closure (1,749 paths on the 1,121
 * lines of Debian's 6.1 cloud kernel) and a diagnosis reads the dependencies of a few dozen modules: the
 * lists are split on first read. Own enumerable fields are the public ones; the memo is private.
 */
class DepLine implements ModuleDep {
  #depPaths: readonly string[] | undefined;
  #deps: readonly string[] | undefined;
  readonly #rest: string;
  constructor(
    readonly name: string,
    readonly path: string,
    rest: string,
    readonly line: number,
    readonly file: string,
  ) {
    this.#rest = rest;
  }
  get depPaths(): readonly string[] {
    this.#depPaths ??= splitWords(this.#rest);
    return this.#depPaths;
  }
  get deps(): readonly string[] {
    this.#deps ??= this.depPaths.map(moduleNameFromPath);
    return this.#deps;
  }
}

function splitWords(text: string): string[] {
  return text.split(/[ \t]+/).filter((d) => d !== '');
}

/** Each entry also carries `file` (the path given), so that an index of them needs no copies. */
export function parseModulesDep(
  text: string,
  file: string,
): Parsed<(ModuleDep & { readonly file: string })[]> {
  const value: (ModuleDep & { readonly file: string })[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Map<string, number>();
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      continue;
    }
    const colon = trimmed.indexOf(':');
    if (colon <= 0) {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'dep-missing-colon',
        message: `expected "<module path>: <deps>", got "${clip(trimmed)}"`,
      });
      continue;
    }
    const path = trimmed.slice(0, colon).trim();
    if (!MODULE_FILE.test(path)) {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'dep-not-a-module-path',
        message: `"${clip(path)}" does not end in .ko, .ko.xz, .ko.zst or .ko.gz`,
      });
      continue;
    }
    let rest = trimmed.slice(colon + 1);
    if (!ALL_MODULE_FILES.test(rest)) {
      const words = splitWords(rest);
      const bad = words.filter((d) => !MODULE_FILE.test(d));
      if (bad.length > 0) {
        diagnostics.push({
          at: { file, line },
          severity: 'warning',
          code: 'dep-not-a-module-path',
          message: `dependencies that are not module files are ignored: ${bad.map(clip).join(', ')}`,
        });
      }
      rest = words.filter((d) => MODULE_FILE.test(d)).join(' ');
    }
    const name = moduleNameFromPath(path);
    const previous = seen.get(name);
    if (previous !== undefined) {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'dep-duplicate-module',
        message: `module ${name} already listed at line ${previous}; this line is ignored by modprobe`,
      });
    } else {
      seen.set(name, line);
    }
    value.push(new DepLine(name, path, rest, line, file));
  }
  return { value, diagnostics };
}

type DepEntry = ModuleDep & { readonly file: string };

/**
 * A line in another form than depmod's "<module path>:[ <dep path>]..." (no blank around the path, a module
 * file extension on every path), a blank line or a comment: the first such line. Mirrors parseModulesDep,
 * which reads the first form without a word and skips the other two; any other line may need a diagnostic.
 */
const NOT_DEPMOD_LINE =
  /^(?![^\s:]+\.ko(?:\.(?:xz|zst|gz))?:(?:[ \t]+[^ \t\n]*\.ko(?:\.(?:xz|zst|gz))?)*$|[^\S\n]*$|[^\S\n]*#)/m;

/**
 * modules.dep by module name, from a text as depmod writes it, each line split only when its module is read:
 * a diagnosis reads a few dozen of the 1,121 (cloud) to 4,023 (generic Debian 6.1 kernel) lines. Entries
 * equal parseModulesDep's, in file order. Built by `depIndexOfText`.
 */
class DepIndex extends LazyReadonlyMap<DepEntry> {
  readonly #text: string;
  readonly #file: string;
  /** Module name -> where its line starts. */
  readonly #starts: ReadonlyMap<string, number>;
  /** Line starts in file order: a line's number is its position here, plus one. */
  readonly #lineStarts: readonly number[];
  readonly #entries = new Map<string, DepEntry>();

  constructor(
    text: string,
    file: string,
    starts: ReadonlyMap<string, number>,
    lineStarts: readonly number[],
  ) {
    super();
    this.#text = text;
    this.#file = file;
    this.#starts = starts;
    this.#lineStarts = lineStarts;
  }

  get size(): number {
    return this.#starts.size;
  }

  override has(name: string): boolean {
    return this.#starts.has(name);
  }

  get(name: string): DepEntry | undefined {
    const known = this.#entries.get(name);
    if (known !== undefined) {
      return known;
    }
    const start = this.#starts.get(name);
    if (start === undefined) {
      return undefined;
    }
    const text = this.#text;
    const newline = text.indexOf('\n', start);
    const colon = text.indexOf(':', start);
    const entry = new DepLine(
      name,
      text.slice(start, colon),
      text.slice(colon + 1, newline === -1 ? text.length : newline),
      lineNumberAt(this.#lineStarts, start),
      this.#file,
    );
    this.#entries.set(name, entry);
    return entry;
  }

  keys(): MapIterator<string> {
    return this.#starts.keys();
  }
}

/**
 * modules.dep by normalized module name, as the index of parseModulesDep's entries would be, when the text is
 * in depmod's own form with each module once (then parseModulesDep has nothing to report). Each line is
 * split when its module is first read. Undefined otherwise: parseModulesDep then reads the file.
 */
export function depIndexOfText(text: string, file: string): ReadonlyMap<string, DepEntry> | undefined {
  if (!inOwnForm(text, NOT_DEPMOD_LINE)) {
    return undefined;
  }
  const starts = new Map<string, number>();
  const lines = lineStarts(text);
  for (const start of lines) {
    // NOT_DEPMOD_LINE held: a module line starts with its path; a blank line (an empty one starts with its
    // newline) or a comment starts with white space or "#".
    if (!BLANK_OR_COMMENT_START.test(text[start] as string)) {
      const colon = text.indexOf(':', start);
      const name = moduleNameFromPath(text.slice(start, colon));
      if (starts.has(name)) {
        return undefined;
      }
      starts.set(name, start);
    }
  }
  return new DepIndex(text, file, starts, lines);
}

/**
 * modules.dep by normalized module name: depIndexOfText where it applies, else parseModulesDep's entries
 * (a later line of the same module replacing an earlier one) with its diagnostics.
 */
export function readModulesDep(text: string, file: string): Parsed<ReadonlyMap<string, DepEntry>> {
  const lazy = depIndexOfText(text, file);
  if (lazy !== undefined) {
    return { value: lazy, diagnostics: [] };
  }
  const p = parseModulesDep(text, file);
  const byName = new Map<string, DepEntry>();
  for (const d of p.value) {
    byName.set(normalizeModuleName(d.name), d);
  }
  return { value: byName, diagnostics: p.diagnostics };
}

/** The first character of a line that is not a module line (what trim() removes, or a comment's "#"). */
const BLANK_OR_COMMENT_START = /^[\s#]$/;

/**
 * Modules in the order modprobe inserts them for `name` (dependencies first, `name` last), or undefined
 * when `name` is not in modules.dep. The reversed closure equals kmod 30's `modprobe --show-depends`
 * order for all 254 netfilter modules of Debian 6.1.0-56 (softdeps aside: see modules-softdep.ts).
 */
export function loadOrder(deps: readonly ModuleDep[], name: string): string[] | undefined {
  const entry = deps.find((d) => d.name === name);
  if (entry === undefined) {
    return undefined;
  }
  return [...entry.deps].reverse().concat(entry.name);
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
