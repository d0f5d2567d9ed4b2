// modules.builtin (one "kernel/...ko" path per line) and modules.builtin.modinfo (NUL-separated
// "<module>.<key>=<value>" records), both shipped by the kernel build (kernel Makefile, scripts/Makefile.modfinal; modules.builtin(5)).

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';
import { moduleNameFromPath, normalizeModuleName } from './module-name.ts';

export interface BuiltinModule {
  readonly name: string;
  readonly path: string;
  readonly line: number;
}

export function parseModulesBuiltin(text: string, file: string): Parsed<BuiltinModule[]> {
  return parsePathList(text, file, 'builtin');
}

/** Shared by modules.builtin and modules.order: both are one module path per line. */
export function parsePathList(text: string, file: string, what: string): Parsed<BuiltinModule[]> {
  const value: BuiltinModule[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Map<string, number>();
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const path = (lines[i] ?? '').trim();
    if (path === '' || path.startsWith('#')) {
      continue;
    }
    if (/\s/.test(path) || !/\.(ko|o)(\.(xz|zst|gz))?$/.test(path)) {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: `${what}-not-a-module-path`,
        message: `expected one module path ending in .ko, got "${clip(path)}"`,
      });
      continue;
    }
    const name = moduleNameFromPath(path);
    const previous = seen.get(name);
    if (previous !== undefined) {
      diagnostics.push({
        at: { file, line },
        severity: 'info',
        code: `${what}-duplicate-module`,
        message: `module ${name} already listed at line ${previous}`,
      });
    } else {
      seen.set(name, line);
    }
    value.push({ name, path, line });
  }
  return { value, diagnostics };
}

export interface BuiltinModinfo {
  readonly module: string;
  readonly key: string;
  readonly value: string;
}

/**
 * Records are split on NUL only: values may contain newlines (Debian trixie 6.12's has a parm description
 * spanning two lines). Line numbers do not exist in this file; diagnostics carry the 1-based record number
 * in `line`. The module name before the first '.' uses '_' (KBUILD_MODNAME), normalised anyway.
 */
export function parseModulesBuiltinModinfo(
  data: Uint8Array | string,
  file: string,
): Parsed<BuiltinModinfo[]> {
  const text = typeof data === 'string' ? data : new TextDecoder('utf-8', { fatal: false }).decode(data);
  const value: BuiltinModinfo[] = [];
  const diagnostics: Diagnostic[] = [];
  const records = text.split('\0');
  for (let i = 0; i < records.length; i++) {
    const rec = records[i] ?? '';
    if (rec === '' || (i === records.length - 1 && rec.trim() === '')) {
      continue;
    }
    const dot = rec.indexOf('.');
    const eq = rec.indexOf('=');
    if (dot <= 0 || eq === -1 || eq < dot + 2) {
      diagnostics.push({
        at: { file, line: i + 1 },
        severity: 'warning',
        code: 'modinfo-malformed-record',
        message: `record ${i + 1} is not "<module>.<key>=<value>": "${clip(rec)}"`,
      });
      continue;
    }
    value.push({
      module: normalizeModuleName(rec.slice(0, dot)),
      key: rec.slice(dot + 1, eq),
      value: rec.slice(eq + 1),
    });
  }
  return { value, diagnostics };
}

/**
 * alias= records of builtin modules, which depmod indexes as modules.builtin.alias.bin and modprobe consults
 * last (kmod_lookup_alias_from_builtin_file): a request for such an alias is satisfied by vmlinux.
 */
export function builtinAliases(info: readonly BuiltinModinfo[]): { pattern: string; module: string }[] {
  return info.filter((r) => r.key === 'alias').map((r) => ({ pattern: r.value, module: r.module }));
}

function clip(s: string): string {
  const flat = s.replaceAll('\n', '\\n');
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}
