// Human-readable systemctl(1) output we get in captures: `systemctl --failed` (list-units table),
// `systemctl is-enabled UNIT...` (one state per line) and `systemctl status UNIT...` (a header block per unit,
// then recent journal lines). Text meant for people; we read only the stable parts and report the rest.

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';

export interface ListedUnit {
  readonly unit: string;
  readonly load: string;
  readonly active: string;
  readonly sub: string;
  readonly description: string;
  readonly line: number;
}

/** `systemctl --failed` / `list-units`: "● UNIT LOAD ACTIVE SUB DESCRIPTION" rows until the legend. */
export function parseSystemctlListUnits(
  text: string,
  file: string,
): Parsed<{ units: ListedUnit[]; listedCount?: number }> {
  const units: ListedUnit[] = [];
  const diagnostics: Diagnostic[] = [];
  let listedCount: number | undefined;
  let inTable = false;
  splitLines(text).forEach((raw, i) => {
    const line = i + 1;
    // systemctl's state glyphs (● × ○), escaped: the bundle must stay ASCII (scripts/build.mjs says why).
    const l = raw.replace(/^[\s\u25cf\u00d7\u25cb*]+/u, '').trimEnd();
    if (/^UNIT\s+LOAD\s+ACTIVE\s+SUB\b/.test(l)) {
      inTable = true;
      return;
    }
    const count = /^(\d+) loaded units? listed/.exec(l);
    if (count != null) {
      listedCount = Number(count[1]);
      return;
    }
    if (l === '' || /^(LOAD|ACTIVE|SUB)\s+=/.test(l) || l.startsWith('To show all')) {
      inTable = false;
      return;
    }
    if (!inTable) {
      return;
    }
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(l);
    if (m == null) {
      diagnostics.push({ at: { file, line }, severity: 'warning', code: 'list-units-bad-row', message: raw });
      return;
    }
    units.push({
      unit: m[1] ?? '',
      load: m[2] ?? '',
      active: m[3] ?? '',
      sub: m[4] ?? '',
      description: m[5] ?? '',
      line,
    });
  });
  const value = listedCount !== undefined ? { units, listedCount } : { units };
  return { value, diagnostics };
}

/** `systemctl is-enabled` states, one per line (enabled, enabled-runtime, static, disabled, masked ...). */
export function parseSystemctlIsEnabled(
  text: string,
  file: string,
): Parsed<{ state: string; line: number }[]> {
  const known = new Set([
    'enabled',
    'enabled-runtime',
    'linked',
    'linked-runtime',
    'alias',
    'masked',
    'masked-runtime',
    'static',
    'indirect',
    'disabled',
    'generated',
    'transient',
    'bad',
    'not-found',
  ]);
  const out: { state: string; line: number }[] = [];
  const diagnostics: Diagnostic[] = [];
  splitLines(text).forEach((raw, i) => {
    const s = raw.trim();
    if (s === '') {
      return;
    }
    if (!known.has(s)) {
      diagnostics.push({
        at: { file, line: i + 1 },
        severity: 'info',
        code: 'is-enabled-unknown-state',
        message: `unexpected is-enabled output: ${s.slice(0, 80)}`,
      });
    }
    out.push({ state: s, line: i + 1 });
  });
  return { value: out, diagnostics };
}

export interface StatusBlock {
  readonly unit: string;
  readonly description?: string;
  readonly line: number;
  /** Text after "Loaded:", e.g. "loaded (/lib/systemd/system/x.service; enabled; preset: enabled)". */
  readonly loaded?: string;
  readonly fragmentPath?: string;
  readonly unitFileState?: string;
  /** Text after "Active:", e.g. "failed (Result: exit-code) since ...". */
  readonly active?: string;
  readonly activeState?: string;
  readonly subState?: string;
  readonly result?: string;
  readonly dropIns: readonly string[];
  readonly processes: readonly string[];
  /** Log lines printed under the header (short format). */
  readonly logLines: readonly { readonly text: string; readonly line: number }[];
  readonly notices: readonly string[];
}

/** `systemctl status UNIT...`: one block per unit, starting at a line "<glyph> name - description". */
export function parseSystemctlStatus(text: string, file: string): Parsed<StatusBlock[]> {
  const blocks: StatusBlock[] = [];
  const diagnostics: Diagnostic[] = [];
  let cur:
    | {
        -readonly [K in keyof StatusBlock]: StatusBlock[K] extends readonly (infer T)[]
          ? T[]
          : StatusBlock[K];
      }
    | undefined;
  let inDropIn = false;
  let dropDir = '';
  const lines = splitLines(text);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const head =
      /^[\u25cf\u00d7\u25cb\u21bb*]?\s?(\S+\.(?:service|socket|target|mount|timer|path|slice|scope|device|swap|automount))(?: - (.*))?$/u.exec(
        raw,
      );
    if (head != null && !raw.startsWith(' ')) {
      cur = {
        unit: head[1] ?? '',
        line,
        dropIns: [],
        processes: [],
        logLines: [],
        notices: [],
        ...(head[2] !== undefined ? { description: head[2] } : {}),
      };
      blocks.push(cur);
      inDropIn = false;
      return;
    }
    if (cur === undefined) {
      if (raw.trim() !== '') {
        diagnostics.push({
          at: { file, line },
          severity: 'info',
          code: 'status-text-outside-unit',
          message: raw.slice(0, 120),
        });
      }
      return;
    }
    const field = /^\s{2,}([A-Z][A-Za-z -]*?):\s(.*)$/.exec(raw);
    if (field != null) {
      const [, name, rest = ''] = field;
      inDropIn = name === 'Drop-In';
      if (name === 'Loaded') {
        cur.loaded = rest;
        const m = /^\S+ \(([^;)]+)(?:; ([^;)]+))?/.exec(rest);
        if (m?.[1] !== undefined) {
          cur.fragmentPath = m[1];
        }
        if (m?.[2] !== undefined) {
          cur.unitFileState = m[2];
        }
      } else if (name === 'Active') {
        cur.active = rest;
        const m = /^(\S+) \(([^)]*)\)/.exec(rest);
        if (m != null) {
          cur.activeState = m[1] ?? '';
          const inner = m[2] ?? '';
          const res = /^Result: (.*)$/.exec(inner);
          if (res != null) {
            cur.result = res[1] ?? '';
          } else {
            cur.subState = inner;
          }
        } else {
          cur.activeState = rest.split(/\s/)[0] ?? '';
        }
      } else if (name === 'Drop-In') {
        dropDir = rest.trim();
      } else if (name === 'Process' || name === 'Main PID') {
        cur.processes.push(`${name}: ${rest}`);
      }
      return;
    }
    const cont = /^\s+(.*)$/.exec(raw);
    if (cont != null && inDropIn) {
      const t = (cont[1] ?? '').trim();
      if (t.startsWith('└─') || t.startsWith('`-')) {
        for (const n of t.slice(2).split(/,\s*/)) {
          if (n !== '') {
            cur.dropIns.push(`${dropDir}/${n}`);
          }
        }
      } else {
        dropDir = t;
      }
      return;
    }
    if (raw.startsWith('Notice: ') || raw.startsWith('Warning: ')) {
      cur.notices.push(raw);
      return;
    }
    if (raw.trim() === '' || raw.startsWith(' ')) {
      return;
    }
    cur.logLines.push({ text: raw, line });
  });
  return { value: blocks, diagnostics };
}
