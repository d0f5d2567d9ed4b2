// `systemctl show [-p PROP...] UNIT...` output (systemctl(1)): one "Key=Value" per line, the value verbatim to
// the end of the line (it may contain '='); with several units, blocks are separated by one empty line.
// List properties are space-separated on one line (Requires=a.service b.service); empty values print as
// "Key=" (shown only with --all or -p). Property order is systemd's, not the -p order.

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';

export function parseSystemctlShow(text: string, file: string): Parsed<Map<string, string>[]> {
  const blocks: Map<string, string>[] = [];
  const diagnostics: Diagnostic[] = [];
  let cur: Map<string, string> | undefined;
  splitLines(text).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') {
      cur = undefined;
      return;
    }
    const eq = raw.indexOf('=');
    if (eq <= 0) {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'show-not-a-property',
        message: `not a Key=Value line: ${raw.slice(0, 80)}`,
      });
      return;
    }
    if (cur === undefined) {
      cur = new Map();
      blocks.push(cur);
    }
    const key = raw.slice(0, eq);
    if (cur.has(key)) {
      // `systemctl show` never repeats a key within one unit: this is a second unit without a blank line.
      diagnostics.push({
        at: { file, line },
        severity: 'info',
        code: 'show-repeated-key',
        message: `${key} repeats without a separating empty line; starting a new unit block`,
      });
      cur = new Map();
      blocks.push(cur);
    }
    cur.set(key, raw.slice(eq + 1));
  });
  return { value: blocks, diagnostics };
}

/** The block whose Id= (or, failing that, one of whose Names=) is `unit`. */
export function showBlockFor(
  blocks: readonly ReadonlyMap<string, string>[],
  unit: string,
): ReadonlyMap<string, string> | undefined {
  return (
    blocks.find((b) => b.get('Id') === unit) ??
    blocks.find((b) => (b.get('Names') ?? '').split(/\s+/).includes(unit))
  );
}

/** Splits a space-separated list property (Requires=, After=, Names=, DropInPaths= ...). */
export function showList(block: ReadonlyMap<string, string> | undefined, key: string): string[] {
  return (block?.get(key) ?? '').split(/\s+/).filter((s) => s !== '');
}
