// Kernel .config (/boot/config-<release>, /proc/config.gz): "CONFIG_X=y|m|"str"|123" and
// "# CONFIG_X is not set", as written by kconfig (scripts/kconfig/confdata.c conf_write_symbol).

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';
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

/** Unquotes a kconfig string value ("a\"b" -> a"b); other values are returned unchanged. */
export function configString(value: string): string {
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(value);
  return m?.[1] === undefined ? value : m[1].replace(/\\(.)/g, '$1');
}

/**
 * /proc/config.gz (CONFIG_IKCONFIG_PROC) is gzip; /boot/config-* is plain text. Gzip is recognised by its
 * magic bytes, so either can be passed. Never throws.
 */
export function decodeMaybeGzip(data: Uint8Array): { text: string } | { error: string } {
  try {
    const bytes = data[0] === 0x1f && data[1] === 0x8b ? zlib().gunzipSync(data) : data;
    return { text: new TextDecoder('utf-8', { fatal: false }).decode(bytes) };
  } catch (e) {
    return { error: `not valid gzip data: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
