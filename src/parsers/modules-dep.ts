// modules.dep: "<module path>: <dep path> <dep path>..." written by depmod(8); format in modules.dep(5).

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';
import { moduleNameFromPath } from './module-name.ts';

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
