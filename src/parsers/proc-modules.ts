// /proc/modules ("name size refcount deps state offset", kernel/module/procfs.c m_show) and lsmod(8)
// output ("Module Size Used by" header, kmod tools/lsmod.c), which is derived from it.

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';
import { isValidModuleName } from './module-name.ts';

export interface LoadedModule {
  readonly name: string;
  readonly size: number;
  /** -1 when the kernel prints "-" (module unload support compiled out, CONFIG_MODULE_UNLOAD=n). */
  readonly refcount: number;
  readonly usedBy: readonly string[];
  /** Live | Loading | Unloading; lsmod does not show it, so "Live" is assumed there. */
  readonly state: string;
  /** Taint flags such as "(OE)" after the address, without parentheses; "" when none. */
  readonly taint: string;
  readonly line: number;
}

const STATES = new Set(['Live', 'Loading', 'Unloading']);

export function parseProcModules(text: string, file: string): Parsed<LoadedModule[]> {
  const lines = splitLines(text);
  const first = lines.find((l) => l.trim() !== '');
  if (first !== undefined && /^Module\s+Size\s+Used by/.test(first.trim())) {
    return parseLsmod(text, file);
  }
  const value: LoadedModule[] = [];
  const diagnostics: Diagnostic[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const trimmed = (lines[i] ?? '').trim();
    if (trimmed === '') {
      continue;
    }
    const f = trimmed.split(/\s+/);
    const [name, size, refs, deps, state] = f;
    if (
      name === undefined ||
      size === undefined ||
      refs === undefined ||
      deps === undefined ||
      state === undefined
    ) {
      diagnostics.push(bad(file, line, trimmed, 'expected "name size refcount deps state address"'));
      continue;
    }
    if (!isValidModuleName(name) || !/^\d+$/.test(size) || !/^(\d+|-)$/.test(refs)) {
      diagnostics.push(bad(file, line, trimmed, 'expected "name size refcount deps state address"'));
      continue;
    }
    if (!STATES.has(state)) {
      diagnostics.push({
        at: { file, line },
        severity: 'info',
        code: 'proc-modules-unknown-state',
        message: `unknown module state "${clip(state)}" for ${name}`,
      });
    }
    const taintField = f.slice(6).join('');
    value.push({
      name,
      size: Number(size),
      refcount: refs === '-' ? -1 : Number(refs),
      // "-" means none; the list ends with ',' ("nf_nat,xt_nat,").
      usedBy: deps === '-' ? [] : deps.split(',').filter((d) => d !== '' && d !== '[permanent]'),
      state,
      taint: taintField.replace(/^\(|\)$/g, ''),
      line,
    });
  }
  return { value, diagnostics };
}

export function parseLsmod(text: string, file: string): Parsed<LoadedModule[]> {
  const value: LoadedModule[] = [];
  const diagnostics: Diagnostic[] = [];
  const lines = splitLines(text);
  let sawHeader = false;
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const trimmed = (lines[i] ?? '').trim();
    if (trimmed === '') {
      continue;
    }
    if (!sawHeader && /^Module\s+Size\s+Used by/.test(trimmed)) {
      sawHeader = true;
      continue;
    }
    const m = /^(\S+)\s+(\d+)\s+(-?\d+|-)(?:\s+(\S+))?\s*$/.exec(trimmed);
    if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined || !isValidModuleName(m[1])) {
      diagnostics.push(bad(file, line, trimmed, 'expected "Module Size UsedCount [users]"'));
      continue;
    }
    value.push({
      name: m[1],
      size: Number(m[2]),
      refcount: m[3] === '-' ? -1 : Math.max(-1, Number(m[3])),
      usedBy: (m[4] ?? '').split(',').filter((d) => d !== '' && d !== '[permanent]'),
      state: 'Live',
      taint: '',
      line,
    });
  }
  return { value, diagnostics };
}

function bad(file: string, line: number, text: string, expected: string): Diagnostic {
  return {
    at: { file, line },
    severity: 'warning',
    code: 'proc-modules-malformed-line',
    message: `${expected}, got "${clip(text)}"`,
  };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
