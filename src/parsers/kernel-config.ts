// Kernel .config (/boot/config-<release>, /proc/config.gz): "CONFIG_X=y|m|"str"|123" and
// "# CONFIG_X is not set", as written by kconfig (scripts/kconfig/confdata.c conf_write_symbol).

import type { Diagnostic, Parsed } from './types.ts';
import {
  LazyReadonlyMap,
  inOwnForm,
  lineNumberAt,
  lineStarts,
  nextLineStartingWith,
  splitLines,
} from './types.ts';
import { zlib } from '../lazy-builtins.ts';

/** 'y' | 'm' | 'n' (from "is not set") or the raw value; strings keep their quotes as written. */
export interface ConfigValue {
  readonly value: string;
  readonly line: number;
}

const NOT_SET = /^# CONFIG_[A-Za-z0-9_]+ is not set$/;
const NOT_SET_TAIL = ' is not set'.length;
/** The name and the "=": the value is the rest of the line, which `.` would not cross at CR, U+2028, U+2029. */
const ASSIGN_HEAD = /^CONFIG_[A-Za-z0-9_]+=/;
const LINE_BREAK_INSIDE = /[\r\u2028\u2029]/;

/**
 * The symbol and value of one config line, else whether it is a comment or malformed. Tests and slices
 * rather than capture groups: a Debian config has ~5,000 lines and a diagnosis parses it once per host.
 */
function configEntry(raw: string): { name: string; value: string } | 'comment' | 'malformed' {
  if (raw.charCodeAt(0) === 35) {
    return NOT_SET.test(raw) ? { name: raw.slice(2, raw.length - NOT_SET_TAIL), value: 'n' } : 'comment';
  }
  if (!ASSIGN_HEAD.test(raw)) {
    return 'malformed';
  }
  const eq = raw.indexOf('=');
  const value = raw.slice(eq + 1);
  return LINE_BREAK_INSIDE.test(value) ? 'malformed' : { name: raw.slice(0, eq), value };
}

export function parseKernelConfig(text: string, file: string): Parsed<Map<string, ConfigValue>> {
  const value = new Map<string, ConfigValue>();
  const diagnostics: Diagnostic[] = [];
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = (lines[i] ?? '').trimEnd();
    if (raw === '') {
      continue;
    }
    const entry = configEntry(raw);
    if (entry === 'comment') {
      continue;
    }
    if (entry === 'malformed') {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'config-malformed-line',
        message: `expected CONFIG_NAME=value, got "${clip(raw)}"`,
      });
      continue;
    }
    const { name, value: v } = entry;
    if (v === '') {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'config-empty-value',
        message: `${name} has no value`,
      });
    } else if (v.startsWith('"') && !/^"(?:[^"\\]|\\.)*"$/.test(v)) {
      diagnostics.push({
        at: { file, line },
        severity: 'warning',
        code: 'config-unterminated-string',
        message: `${name} has an unterminated string value`,
      });
    }
    const previous = value.get(name);
    if (previous !== undefined) {
      diagnostics.push({
        at: { file, line },
        severity: 'info',
        code: 'config-duplicate-symbol',
        message: `${name} was already set at line ${previous.line}; this later value wins`,
      });
    }
    value.set(name, { value: v, line });
  }
  return { value, diagnostics };
}

/**
 * A line in another form than kconfig writes: "CONFIG_X=value" (no trailing white space; a string in full
 * quotes), a comment without trailing white space, or a blank line. Mirrors parseKernelConfig, which reads
 * those without a word; any other line may need a diagnostic (multiline: finds the first such line).
 */
const NOT_KCONFIG_LINE =
  /^(?!CONFIG_[A-Za-z0-9_]+=(?:"(?:[^"\\\n]|\\[^\n])*"|[^"\s](?:[^\n]*\S)?)$|#(?:[^\n]*\S)?$|[^\S\n]*$)/m;
/** The symbol of each line that sets one ("CONFIG_X=...") or says it is not set, in file order. */
const SYMBOLS = /(?<=^)CONFIG_[A-Za-z0-9_]+(?==)|(?<=^# )CONFIG_[A-Za-z0-9_]+(?= is not set$)/gm;

/**
 * The symbols of a config as kconfig writes it, each line read when its symbol is looked up: a diagnosis asks
 * for a few dozen of a Debian config's 4,034 (cloud) to 8,777 (generic 6.1) symbols. Values and line numbers
 * equal parseKernelConfig's, in file order. Built by `configValuesOfText`.
 */
class ConfigValues extends LazyReadonlyMap<ConfigValue> {
  readonly #text: string;
  readonly #symbols: readonly string[];
  readonly #known = new Map<string, ConfigValue | undefined>();
  #lineStarts: number[] | undefined;

  constructor(text: string, symbols: readonly string[]) {
    super();
    this.#text = text;
    this.#symbols = symbols;
  }

  get size(): number {
    return this.#symbols.length;
  }

  get(name: string): ConfigValue | undefined {
    if (this.#known.has(name)) {
      return this.#known.get(name);
    }
    const value = /^CONFIG_[A-Za-z0-9_]+$/.test(name) ? this.#read(name) : undefined;
    this.#known.set(name, value);
    return value;
  }

  /** The value of `name` from its line: each symbol has one (configValuesOfText checked). */
  #read(name: string): ConfigValue | undefined {
    const text = this.#text;
    const set = lineStartingWith(text, `${name}=`, false);
    if (set !== -1) {
      const newline = text.indexOf('\n', set);
      return {
        value: text.slice(set + name.length + 1, newline === -1 ? text.length : newline),
        line: this.#lineOf(set),
      };
    }
    const unset = lineStartingWith(text, `# ${name} is not set`, true);
    return unset === -1 ? undefined : { value: 'n', line: this.#lineOf(unset) };
  }

  #lineOf(start: number): number {
    this.#lineStarts ??= lineStarts(this.#text);
    return lineNumberAt(this.#lineStarts, start);
  }

  *keys(): MapIterator<string> {
    yield* this.#symbols;
  }
}

/** Where the first line that starts with `head` (and, when `whole`, is just `head`) starts, or -1. */
function lineStartingWith(text: string, head: string, whole: boolean): number {
  for (let start = nextLineStartingWith(text, head, 0); start !== -1;) {
    const end = start + head.length;
    if (!whole || end === text.length || text.charCodeAt(end) === 10) {
      return start;
    }
    start = nextLineStartingWith(text, head, end + 1);
  }
  return -1;
}

/**
 * The symbols of a config in kconfig's own form with each symbol once (then parseKernelConfig has nothing to
 * report), read line by line only where a symbol is looked up; undefined otherwise.
 */
export function configValuesOfText(text: string): ReadonlyMap<string, ConfigValue> | undefined {
  if (!inOwnForm(text, NOT_KCONFIG_LINE)) {
    return undefined;
  }
  const symbols = text.match(SYMBOLS) ?? [];
  return new Set(symbols).size === symbols.length ? new ConfigValues(text, symbols) : undefined;
}

/** parseKernelConfig, with the values read as they are looked up when the text is in kconfig's own form. */
export function readKernelConfig(text: string, file: string): Parsed<ReadonlyMap<string, ConfigValue>> {
  const lazy = configValuesOfText(text);
  return lazy === undefined ? parseKernelConfig(text, file) : { value: lazy, diagnostics: [] };
}

/** Unquotes a kconfig string value ("a\"b" -> a"b); other values are returned unchanged. */
export function configString(value: string): string {
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(value);
  return m?.[1] === undefined ? value : m[1].replace(/\\(.)/g, '$1');
}

/**
 * The most a kernel config may inflate to. Debian's generic 6.12 config is under 300 KB; a file of a snapshot
 * or a mounted disk that inflates further is not a config, and inflating all of it could exhaust memory.
 */
export const MAX_KERNEL_CONFIG_BYTES = 16 * 1024 * 1024;

/**
 * /proc/config.gz (CONFIG_IKCONFIG_PROC) is gzip; /boot/config-* is plain text. Gzip is recognised by its
 * magic bytes, so either can be passed. Never throws; gzip that inflates beyond MAX_KERNEL_CONFIG_BYTES is
 * an error.
 */
export function decodeMaybeGzip(data: Uint8Array): { text: string } | { error: string } {
  let bytes = data;
  try {
    if (data[0] === 0x1f && data[1] === 0x8b) {
      bytes = zlib().gunzipSync(data, { maxOutputLength: MAX_KERNEL_CONFIG_BYTES });
    }
  } catch (e) {
    if (e instanceof RangeError) {
      return {
        error: `inflates to more than ${MAX_KERNEL_CONFIG_BYTES / 1024 / 1024} MiB: not a kernel config`,
      };
    }
    return { error: `not valid gzip data: ${e instanceof Error ? e.message : String(e)}` };
  }
  return { text: new TextDecoder('utf-8', { fatal: false }).decode(bytes) };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
