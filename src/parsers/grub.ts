// GRUB 2 boot selection: grubenv (grub-editenv(1): a 1024-byte block of "name=value" lines padded with '#'),
// the menu of grub.cfg as grub-mkconfig writes it (util/grub.d/10_linux.in: `menuentry 'TITLE' ...
// $menuentry_id_option 'ID' {`, `submenu 'Advanced options for ...' ... {`, `linux /boot/vmlinuz-RELEASE`),
// and which entry boots next (GRUB manual, "Simple configuration" GRUB_DEFAULT and "Environment block":
// next_entry (grub-reboot) first, then the default, where "saved" means saved_entry; a default is an index,
// a title or an id, and "A>B" walks into submenu A).

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';

export interface GrubEnvValue {
  readonly value: string;
  readonly line: number;
}

export function parseGrubEnv(text: string): ReadonlyMap<string, GrubEnvValue> {
  const out = new Map<string, GrubEnvValue>();
  splitLines(text).forEach((raw, i) => {
    if (raw.startsWith('#') || !raw.includes('=')) {
      return;
    }
    const eq = raw.indexOf('=');
    out.set(raw.slice(0, eq), { value: raw.slice(eq + 1), line: i + 1 });
  });
  return out;
}

export interface GrubEntry {
  readonly title: string;
  readonly id?: string;
  readonly line: number;
  /** The kernel release of the `linux` line (/boot/vmlinuz-R or /vmlinuz-R), when it names one. */
  readonly release?: string;
  /** Entries of a submenu; undefined for a menuentry. */
  readonly children?: readonly GrubEntry[];
}

export interface GrubCfg {
  readonly entries: readonly GrubEntry[];
  /** `set default="..."` (the last one outside any entry), as written. */
  readonly default?: { readonly value: string; readonly line: number };
}

/** The words of one line with sh-like quoting ('...', "..."), as GRUB's script lexer reads them. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let any = false;
  for (const c of line) {
    if (quote !== undefined) {
      if (c === quote) {
        quote = undefined;
      } else {
        cur += c;
      }
    } else if (c === "'" || c === '"') {
      quote = c;
      any = true;
    } else if (c === ' ' || c === '\t') {
      if (any || cur !== '') {
        out.push(cur);
      }
      cur = '';
      any = false;
    } else {
      cur += c;
    }
  }
  if (any || cur !== '') {
    out.push(cur);
  }
  return out;
}

interface Open {
  title: string;
  id?: string;
  line: number;
  release?: string;
  children?: GrubEntry[];
}

export function parseGrubCfg(text: string, file: string): Parsed<GrubCfg> {
  const diagnostics: Diagnostic[] = [];
  const top: GrubEntry[] = [];
  const stack: { open: Open; depth: number }[] = [];
  let depth = 0;
  let def: GrubCfg['default'];
  const close = (): void => {
    const done = stack.pop();
    if (done === undefined) {
      return;
    }
    const entry: GrubEntry = {
      title: done.open.title,
      line: done.open.line,
      ...(done.open.id === undefined ? {} : { id: done.open.id }),
      ...(done.open.release === undefined ? {} : { release: done.open.release }),
      ...(done.open.children === undefined ? {} : { children: done.open.children }),
    };
    const parent = stack.at(-1)?.open.children;
    (parent ?? top).push(entry);
  };
  splitLines(text).forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) {
      return;
    }
    const w = words(t);
    const head = w[0];
    if (head === 'menuentry' || head === 'submenu') {
      const idAt = w.indexOf('$menuentry_id_option');
      const id = idAt >= 0 ? w[idAt + 1] : w[w.indexOf('--id') + 1];
      stack.push({
        open: {
          title: w[1] ?? '',
          line,
          ...(id === undefined || id === '{' ? {} : { id }),
          ...(head === 'submenu' ? { children: [] } : {}),
        },
        depth,
      });
      depth++;
      return;
    }
    const m = /^set\s+default=(?:"([^"]*)"|'([^']*)'|(\S*))/.exec(t);
    if (m != null && stack.length === 0) {
      def = { value: m[1] ?? m[2] ?? m[3] ?? '', line };
    }
    if ((head === 'linux' || head === 'linuxefi' || head === 'linux16') && stack.length > 0) {
      const r = /\/vmlinuz-(\S+)$/.exec(w[1] ?? '')?.[1];
      const cur = stack.at(-1)?.open;
      if (cur !== undefined && r !== undefined) {
        cur.release = r;
      }
    }
    // Blocks inside an entry (if ... fi has no braces; only "{" / "}" nest).
    for (const c of t) {
      if (c === '{' && !/^(menuentry|submenu)\b/.test(t)) {
        depth++;
      } else if (c === '}') {
        depth--;
        if (stack.length > 0 && stack.at(-1)?.depth === depth) {
          close();
        }
      }
    }
  });
  if (stack.length > 0) {
    diagnostics.push({
      severity: 'warning',
      code: 'unclosed-block',
      message: `${String(stack.length)} menu block(s) not closed at the end of the file`,
      at: { file, line: stack[0]?.open.line ?? 1 },
    });
    while (stack.length > 0) {
      close();
    }
  }
  return { value: { entries: top, ...(def === undefined ? {} : { default: def }) }, diagnostics };
}

/** The entry `spec` names ("2", "Title", "id", "A>B"), walking into submenus; undefined if none. */
export function resolveGrubEntry(entries: readonly GrubEntry[], spec: string): GrubEntry | undefined {
  let level: readonly GrubEntry[] = entries;
  let found: GrubEntry | undefined;
  for (const part of spec.split('>')) {
    found = /^\d+$/.test(part) ? level[Number(part)] : level.find((e) => e.title === part || e.id === part);
    if (found === undefined) {
      return undefined;
    }
    level = found.children ?? [];
  }
  // A submenu as the default boots its first entry.
  while (found?.children !== undefined) {
    found = found.children[0];
  }
  return found;
}

export interface BootChoice {
  /** What names the entry: "next_entry", "saved_entry", "set default", "GRUB_DEFAULT" or "first entry". */
  readonly by: string;
  readonly spec: string;
  readonly entry?: GrubEntry;
}

/**
 * The entry GRUB boots next. grub.cfg written by grub-mkconfig (00_header) does: next_entry if set, else
 * `set default="<GRUB_DEFAULT>"`, where GRUB_DEFAULT=saved becomes "${saved_entry}". Without grub.cfg the
 * same decision is taken from GRUB_DEFAULT of /etc/default/grub.
 */
export function nextBoot(
  env: ReadonlyMap<string, GrubEnvValue> | undefined,
  cfg: GrubCfg | undefined,
  grubDefault: string | undefined,
): BootChoice | undefined {
  const entries = cfg?.entries ?? [];
  const pick = (by: string, spec: string): BootChoice => {
    const entry = resolveGrubEntry(entries, spec);
    return { by, spec, ...(entry === undefined ? {} : { entry }) };
  };
  const next = env?.get('next_entry')?.value;
  if (next !== undefined && next !== '') {
    return pick('next_entry', next);
  }
  const def = cfg?.default?.value ?? grubDefault;
  const by = cfg?.default !== undefined ? 'set default' : 'GRUB_DEFAULT';
  if (def === undefined) {
    return cfg === undefined ? undefined : pick('first entry', '0');
  }
  if (def === '${saved_entry}' || def === 'saved') {
    const saved = env?.get('saved_entry')?.value;
    return saved === undefined || saved === '' ? pick('first entry', '0') : pick('saved_entry', saved);
  }
  return pick(by, def);
}
