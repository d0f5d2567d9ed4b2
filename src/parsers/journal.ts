// journalctl(1) output: `-o json` (one JSON object per line), `-o export` (binary-safe export format) and the
// `-o short*` text formats. Field encoding per systemd docs/JOURNAL_EXPORT_FORMATS.md: in JSON a value is a
// string; an array of numbers when the data is not valid UTF-8 (or has control characters), to be read as
// bytes; null when it is larger than journalctl's field limit (4096 bytes unless --all); and an array of those
// when a field occurs several times in one entry. In export format a field is "NAME=value\n", or, when the
// data is binary, "NAME\n" + 64-bit little-endian length + raw bytes + "\n"; entries end with an empty line.
//
// Which unit an entry is "about" (journalctl(1) -u matches _SYSTEMD_UNIT=X, or UNIT=X from PID 1, and a few
// more): PID 1's job messages ("Failed to start X", "Dependency failed for X") carry UNIT=X while their
// _SYSTEMD_UNIT is init.scope. We expose UNIT (or USER_UNIT) when present, else _SYSTEMD_UNIT, as `unit`, and
// keep _SYSTEMD_UNIT separately. Messages that PID 1 logged before journald ran reach the journal through
// kmsg with _TRANSPORT=kernel and no UNIT= at all (nflab modules-load-fails-requires): match on MESSAGE then.

import type { Diagnostic, Parsed } from './types.ts';
import { splitLines } from './types.ts';

export interface JournalEntry {
  readonly realtimeUs?: bigint;
  readonly message: string;
  readonly priority?: number;
  /** UNIT= / USER_UNIT= (the unit a PID 1 message is about), else _SYSTEMD_UNIT. */
  readonly unit?: string;
  /** _SYSTEMD_UNIT: the unit whose process logged the entry (init.scope for PID 1). */
  readonly sourceUnit?: string;
  readonly syslogIdentifier?: string;
  readonly pid?: number;
  readonly transport?: string;
  readonly bootId?: string;
  readonly hostname?: string;
  /** Timestamp as printed by the short formats (no year for short/short-precise). */
  readonly timeText?: string;
  readonly fields: ReadonlyMap<string, readonly string[]>;
  /** 1-based line (JSON, short) or line of the entry's first field (export). */
  readonly line: number;
}

/** A `-- ... --` line of the short formats (no entries, boot separators, log range headers). */
export interface JournalMarker {
  readonly text: string;
  readonly line: number;
  readonly kind: 'no-entries' | 'boot' | 'range' | 'other';
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function first(fields: ReadonlyMap<string, readonly string[]>, name: string): string | undefined {
  const v = fields.get(name);
  return v === undefined ? undefined : v[0];
}

function toInt(s: string | undefined): number | undefined {
  if (s === undefined || !/^-?\d{1,15}$/.test(s)) {
    return undefined;
  }
  return Number(s);
}

function toBigInt(s: string | undefined): bigint | undefined {
  if (s === undefined || !/^\d{1,20}$/.test(s)) {
    return undefined;
  }
  return BigInt(s);
}

/** The fields an entry exposes as properties: their first values (undefined when absent). */
interface Picked {
  MESSAGE?: string | undefined;
  __REALTIME_TIMESTAMP?: string | undefined;
  PRIORITY?: string | undefined;
  _SYSTEMD_UNIT?: string | undefined;
  UNIT?: string | undefined;
  USER_UNIT?: string | undefined;
  SYSLOG_IDENTIFIER?: string | undefined;
  _PID?: string | undefined;
  SYSLOG_PID?: string | undefined;
  _TRANSPORT?: string | undefined;
  _BOOT_ID?: string | undefined;
  _HOSTNAME?: string | undefined;
}

const PICKED_NAMES = [
  'MESSAGE',
  '__REALTIME_TIMESTAMP',
  'PRIORITY',
  '_SYSTEMD_UNIT',
  'UNIT',
  'USER_UNIT',
  'SYSLOG_IDENTIFIER',
  '_PID',
  'SYSLOG_PID',
  '_TRANSPORT',
  '_BOOT_ID',
  '_HOSTNAME',
] as const satisfies readonly (keyof Picked)[];

function pickFirst(fields: ReadonlyMap<string, readonly string[]>): Picked {
  const p: Picked = {};
  for (const name of PICKED_NAMES) {
    p[name] = first(fields, name);
  }
  return p;
}

function entryFromFields(
  fields: ReadonlyMap<string, readonly string[]>,
  line: number,
  extra?: { timeText?: string },
  p: Picked = pickFirst(fields),
): JournalEntry {
  // Built as one mutable record (no spreads): this runs once per entry and must stay cheap (100k entries).
  const e: {
    -readonly [K in keyof JournalEntry]: JournalEntry[K];
  } = { message: p.MESSAGE ?? '', fields, line };
  const realtimeUs = toBigInt(p.__REALTIME_TIMESTAMP);
  if (realtimeUs !== undefined) {
    e.realtimeUs = realtimeUs;
  }
  const priority = toInt(p.PRIORITY);
  if (priority !== undefined) {
    e.priority = priority;
  }
  const sourceUnit = p._SYSTEMD_UNIT;
  if (sourceUnit !== undefined) {
    e.sourceUnit = sourceUnit;
  }
  const unit = p.UNIT ?? p.USER_UNIT ?? sourceUnit;
  if (unit !== undefined) {
    e.unit = unit;
  }
  const syslogIdentifier = p.SYSLOG_IDENTIFIER;
  if (syslogIdentifier !== undefined) {
    e.syslogIdentifier = syslogIdentifier;
  }
  const pid = toInt(p._PID ?? p.SYSLOG_PID);
  if (pid !== undefined) {
    e.pid = pid;
  }
  const transport = p._TRANSPORT;
  if (transport !== undefined) {
    e.transport = transport;
  }
  const bootId = p._BOOT_ID;
  if (bootId !== undefined) {
    e.bootId = bootId;
  }
  const hostname = p._HOSTNAME;
  if (hostname !== undefined) {
    e.hostname = hostname;
  }
  if (extra?.timeText !== undefined) {
    e.timeText = extra.timeText;
  }
  return e;
}

/** Collects diagnostics but keeps at most `cap` per code, then one summary, so a garbage file stays cheap. */
class DiagSink {
  readonly list: Diagnostic[] = [];
  private readonly counts = new Map<string, number>();
  constructor(
    private readonly file: string,
    private readonly cap = 20,
  ) {}
  add(line: number, severity: Diagnostic['severity'], code: string, message: string): void {
    const n = (this.counts.get(code) ?? 0) + 1;
    this.counts.set(code, n);
    if (n <= this.cap) {
      this.list.push({ at: { file: this.file, line }, severity, code, message });
    }
  }
  finish(): Diagnostic[] {
    for (const [code, n] of this.counts) {
      if (n > this.cap) {
        this.list.push({
          at: { file: this.file },
          severity: 'info',
          code,
          message: `${n - this.cap} more "${code}" diagnostics not listed`,
        });
      }
    }
    return this.list;
  }
}

function decodeJsonValue(v: unknown): string | null | undefined {
  if (typeof v === 'string') {
    return v;
  }
  if (v == null) {
    return null;
  }
  if (Array.isArray(v) && v.every((b) => typeof b === 'number')) {
    const bytes = new Uint8Array(v.length);
    for (let i = 0; i < v.length; i++) {
      bytes[i] = (v[i] as number) & 0xff;
    }
    return utf8.decode(bytes);
  }
  if (typeof v === 'number' || typeof v === 'boolean') {
    return String(v);
  }
  return undefined;
}

/**
 * The fields of one `-o json` entry, decoded lazily: from the parsed object, or for a flat line (every value
 * a string) from the line itself, parsed when a field is first asked for.
 */
class JsonFields implements ReadonlyMap<string, readonly string[]> {
  private parsed: Record<string, unknown> | undefined;
  constructor(
    private readonly source: Record<string, unknown> | string,
    private readonly decoded: Map<string, string[]> | undefined,
  ) {}
  private get rec(): Record<string, unknown> {
    this.parsed ??=
      typeof this.source === 'string' ? (JSON.parse(this.source) as Record<string, unknown>) : this.source;
    return this.parsed;
  }
  first(name: string): string | undefined {
    const v = this.rec[name];
    if (typeof v === 'string') {
      return Object.hasOwn(this.rec, name) ? v : undefined;
    }
    return this.decoded?.get(name)?.[0];
  }
  get(name: string): readonly string[] | undefined {
    if (!Object.hasOwn(this.rec, name)) {
      return undefined;
    }
    const v = this.rec[name];
    return typeof v === 'string' ? [v] : this.decoded?.get(name);
  }
  has(name: string): boolean {
    return Object.hasOwn(this.rec, name) && this.get(name) !== undefined;
  }
  get size(): number {
    return [...this.keys()].length;
  }
  *keys(): MapIterator<string> {
    for (const k of Object.keys(this.rec)) {
      if (this.get(k) !== undefined) {
        yield k;
      }
    }
  }
  *values(): MapIterator<readonly string[]> {
    for (const [, v] of this.entries()) {
      yield v;
    }
  }
  *entries(): MapIterator<[string, readonly string[]]> {
    for (const k of Object.keys(this.rec)) {
      const v = this.get(k);
      if (v !== undefined) {
        yield [k, v];
      }
    }
  }
  [Symbol.iterator](): MapIterator<[string, readonly string[]]> {
    return this.entries();
  }
  forEach(
    cb: (value: readonly string[], key: string, map: ReadonlyMap<string, readonly string[]>) => void,
  ): void {
    for (const [k, v] of this.entries()) {
      cb(v, k, this);
    }
  }
}

const PICKED_SET: ReadonlySet<string> = new Set(PICKED_NAMES);
const PICKED_LENGTHS: ReadonlySet<number> = new Set(PICKED_NAMES.map((name) => name.length));

function isPicked(name: string): boolean {
  return PICKED_SET.has(name);
}

/** Sets `p[name]` when name is one of the picked fields (a switch: names are compared, never hashed). */
function pick(p: Picked, name: string, v: string): void {
  switch (name) {
    case 'MESSAGE':
      p.MESSAGE = v;
      return;
    case '__REALTIME_TIMESTAMP':
      p.__REALTIME_TIMESTAMP = v;
      return;
    case 'PRIORITY':
      p.PRIORITY = v;
      return;
    case '_SYSTEMD_UNIT':
      p._SYSTEMD_UNIT = v;
      return;
    case 'UNIT':
      p.UNIT = v;
      return;
    case 'USER_UNIT':
      p.USER_UNIT = v;
      return;
    case 'SYSLOG_IDENTIFIER':
      p.SYSLOG_IDENTIFIER = v;
      return;
    case '_PID':
      p._PID = v;
      return;
    case 'SYSLOG_PID':
      p.SYSLOG_PID = v;
      return;
    case '_TRANSPORT':
      p._TRANSPORT = v;
      return;
    case '_BOOT_ID':
      p._BOOT_ID = v;
      return;
    case '_HOSTNAME':
      p._HOSTNAME = v;
      return;
  }
}

// One JSON string value: any character but the quote, the backslash and controls, or an escape (RFC 8259 7).
const JSON_STRING_BODY = String.raw`(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*`;
/**
 * A line as journalctl writes nearly every entry: one object, no whitespace, field names as journald allows
 * them, every value a string. Such a line is valid JSON, and its picked fields are read without building the
 * object: JSON.parse of a boot's entries costs three times more on a cold start, because each entry lists its
 * fields in another order and V8 makes a hidden class for every order. Any other line is parsed in full.
 */
const FLAT_JSON_LINE = new RegExp(
  `^\\{"[A-Za-z0-9_]+":"${JSON_STRING_BODY}"(?:,"[A-Za-z0-9_]+":"${JSON_STRING_BODY}")*\\}$`,
);

/** The end quote of the string value that starts at `from` (FLAT_JSON_LINE holds: the value is well formed). */
function stringEnd(line: string, from: number): number {
  let end = line.indexOf('"', from);
  for (;;) {
    let backslashes = 0;
    while (line.charCodeAt(end - 1 - backslashes) === 92) {
      backslashes += 1;
    }
    if (backslashes % 2 === 0) {
      return end;
    }
    end = line.indexOf('"', end + 1);
  }
}

/** The picked fields of a FLAT_JSON_LINE: as JSON.parse would give them (a repeated name: the last one wins). */
function pickFlat(line: string): Picked {
  const picked = emptyPicked();
  let keyQuote = 1;
  for (;;) {
    const keyEnd = line.indexOf('"', keyQuote + 1);
    const valueStart = keyEnd + 3;
    const valueEnd = stringEnd(line, valueStart);
    // A name of no picked length is not sliced out at all (most of a line's ~30 names).
    if (PICKED_LENGTHS.has(keyEnd - keyQuote - 1)) {
      const key = line.slice(keyQuote + 1, keyEnd);
      if (isPicked(key)) {
        const raw = line.slice(valueStart, valueEnd);
        pick(picked, key, raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw);
      }
    }
    if (line.charCodeAt(valueEnd + 1) === 125) {
      return picked;
    }
    keyQuote = valueEnd + 2;
  }
}

function emptyPicked(): Picked {
  return {
    MESSAGE: undefined,
    __REALTIME_TIMESTAMP: undefined,
    PRIORITY: undefined,
    _SYSTEMD_UNIT: undefined,
    UNIT: undefined,
    USER_UNIT: undefined,
    SYSLOG_IDENTIFIER: undefined,
    _PID: undefined,
    SYSLOG_PID: undefined,
    _TRANSPORT: undefined,
    _BOOT_ID: undefined,
    _HOSTNAME: undefined,
  };
}

/** `journalctl -o json`: one object per line (the text, or its lines as splitLines gives them); never throws. */
export function parseJournalJson(text: string | readonly string[], file: string): Parsed<JournalEntry[]> {
  const out: JournalEntry[] = [];
  const sink = new DiagSink(file);
  const lines = typeof text === 'string' ? splitLines(text) : text;
  const nullSeen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const line = i + 1;
    if (raw.charCodeAt(0) !== 123 && raw.trim() === '') {
      continue;
    }
    if (FLAT_JSON_LINE.test(raw)) {
      out.push(entryFromFields(new JsonFields(raw, undefined), line, undefined, pickFlat(raw)));
      continue;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch {
      sink.add(line, 'warning', 'journal-json-invalid', `not a JSON object: ${raw.slice(0, 80)}`);
      continue;
    }
    if (obj == null || typeof obj !== 'object' || Array.isArray(obj)) {
      sink.add(line, 'warning', 'journal-json-invalid', `not a JSON object: ${raw.slice(0, 80)}`);
      continue;
    }
    const rec = obj as Record<string, unknown>;
    // String values (nearly all of them) are read straight from the parsed object; only the rare byte arrays,
    // nulls and repeated fields are decoded up front. This keeps -o json of a whole boot fast.
    // One pass over the keys: the entry's own properties are picked here, so no field is looked up by name.
    let decoded: Map<string, string[]> | undefined;
    const picked = emptyPicked();
    let pickedNonString = false;
    for (const name in rec) {
      const v = rec[name];
      if (typeof v === 'string') {
        pick(picked, name, v);
        continue;
      }
      pickedNonString ||= isPicked(name);
      // An array whose elements are not all numbers is a repeated field; an array of numbers is one blob.
      const values = Array.isArray(v) && !v.every((b) => typeof b === 'number') ? (v as unknown[]) : [v];
      const list: string[] = [];
      for (const one of values) {
        const d = decodeJsonValue(one);
        if (d === undefined) {
          sink.add(line, 'warning', 'journal-json-bad-value', `field ${name} has an unexpected JSON type`);
        } else if (d == null) {
          if (!nullSeen.has(name)) {
            nullSeen.add(name);
            sink.add(
              line,
              'info',
              'journal-field-null',
              `field ${name} is null: larger than journalctl's field size limit (rerun with --all)`,
            );
          }
          list.push('');
        } else {
          list.push(d);
        }
      }
      decoded ??= new Map();
      decoded.set(name, list);
    }
    const fields = new JsonFields(rec, decoded);
    out.push(entryFromFields(fields, line, undefined, pickedNonString ? pickFirst(fields) : picked));
  }
  return { value: out, diagnostics: sink.finish() };
}

const MONTHS = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
// short / short-precise: "Nov 23 10:57:55[.587027] host rest"
const SHORT_RE = new RegExp(`^((?:${MONTHS}) [ \\d]\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?) (\\S+) (.*)$`);
// short-iso / short-iso-precise: "2026-11-23T10:57:55[.587027]+0000 host rest" (offset +HHMM or +HH:MM)
const ISO_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)) (\S+) (.*)$/;
// short-unix / short-monotonic: "1732359475.587027 host rest", "[    1.234567] host rest"
const UNIX_RE = /^(\d{9,}\.\d{1,9}) (\S+) (.*)$/;
const MONO_RE = /^(\[\s*\d+\.\d+\]) (\S+) (.*)$/;
const IDENT_RE = /^([^\s[\]:]+(?:[^[\]:]*?[^\s[\]:])?)(?:\[(\d+)\])?: ?(.*)$/s;

function isoToMicros(iso: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/.exec(iso);
  if (m == null) {
    return undefined;
  }
  const tz = m[3] === 'Z' || m[3] === undefined ? 'Z' : m[3].replace(/^([+-]\d\d)(\d\d)$/, '$1:$2');
  const ms = Date.parse(`${m[1] ?? ''}${tz}`);
  if (Number.isNaN(ms)) {
    return undefined;
  }
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return BigInt(ms) * 1000n + BigInt(frac === '' ? 0 : Number(frac));
}

/**
 * `journalctl -o short|short-precise|short-iso|short-iso-precise|short-unix|short-monotonic`. Multi-line
 * messages: journalctl prints continuation lines indented to the message column; they are appended to the
 * previous entry's message. `-- ... --` lines become markers. Takes the text or its lines as splitLines gives
 * them. Never throws.
 */
export function parseJournalShort(
  text: string | readonly string[],
  file: string,
): Parsed<JournalEntry[]> & { readonly markers: JournalMarker[] } {
  const out: JournalEntry[] = [];
  const markers: JournalMarker[] = [];
  const sink = new DiagSink(file);
  const lines = typeof text === 'string' ? splitLines(text) : text;
  let last:
    { fields: Map<string, string[]>; line: number; timeText: string; realtimeUs?: bigint } | undefined;
  const flush = (): void => {
    if (last !== undefined) {
      const e = entryFromFields(last.fields, last.line, { timeText: last.timeText });
      out.push(last.realtimeUs !== undefined ? { ...e, realtimeUs: last.realtimeUs } : e);
      last = undefined;
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const line = i + 1;
    if (raw.startsWith('-- ') && raw.endsWith(' --')) {
      flush();
      const body = raw.slice(3, -3);
      const kind: JournalMarker['kind'] =
        body === 'No entries'
          ? 'no-entries'
          : body.startsWith('Boot ') || body === 'Reboot'
            ? 'boot'
            : /^(Logs begin|Journal begins|Journal started)/.test(body)
              ? 'range'
              : 'other';
      markers.push({ text: body, line, kind });
      continue;
    }
    const m = SHORT_RE.exec(raw) ?? ISO_RE.exec(raw) ?? UNIX_RE.exec(raw) ?? MONO_RE.exec(raw);
    if (m == null) {
      if (last !== undefined && /^\s/.test(raw)) {
        const msg = last.fields.get('MESSAGE');
        if (msg !== undefined) {
          msg[0] = `${msg[0] ?? ''}\n${raw.trim()}`;
        }
        continue;
      }
      if (raw.trim() !== '') {
        sink.add(line, 'warning', 'journal-short-unparsed', `not a journal line: ${raw.slice(0, 80)}`);
      }
      continue;
    }
    flush();
    const timeText = m[1] ?? '';
    const host = m[2] ?? '';
    const rest = m[3] ?? '';
    const fields = new Map<string, string[]>([['_HOSTNAME', [host]]]);
    const id = IDENT_RE.exec(rest);
    if (id != null) {
      const ident = id[1] ?? '';
      fields.set('SYSLOG_IDENTIFIER', [ident]);
      if (id[2] !== undefined) {
        fields.set('_PID', [id[2]]);
      }
      fields.set('MESSAGE', [id[3] ?? '']);
      if (ident === 'kernel' && id[2] === undefined) {
        fields.set('_TRANSPORT', ['kernel']);
      }
    } else {
      fields.set('MESSAGE', [rest]);
      sink.add(line, 'info', 'journal-short-no-identifier', `no "ident[pid]:" prefix: ${rest.slice(0, 80)}`);
    }
    let realtimeUs: bigint | undefined;
    if (/^\d{4}-/.test(timeText)) {
      realtimeUs = isoToMicros(timeText);
    } else if (/^\d{9,}\./.test(timeText)) {
      const [s = '0', f = ''] = timeText.split('.');
      realtimeUs = BigInt(s) * 1_000_000n + BigInt(Number(f.padEnd(6, '0').slice(0, 6)));
    }
    last = realtimeUs !== undefined ? { fields, line, timeText, realtimeUs } : { fields, line, timeText };
  }
  flush();
  return { value: out, diagnostics: sink.finish(), markers };
}

/** `journalctl -o export` (text or binary-safe fields); accepts bytes or a string. Never throws. */
export function parseJournalExport(data: Uint8Array | string, file: string): Parsed<JournalEntry[]> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const out: JournalEntry[] = [];
  const sink = new DiagSink(file);
  let pos = 0;
  let line = 1;
  let fields = new Map<string, string[]>();
  let entryLine = 1;
  const push = (): void => {
    if (fields.size > 0) {
      out.push(entryFromFields(fields, entryLine));
    }
    fields = new Map();
  };
  const add = (name: string, value: string): void => {
    const cur = fields.get(name);
    if (cur === undefined) {
      fields.set(name, [value]);
    } else {
      cur.push(value);
    }
  };
  while (pos < bytes.length) {
    const nl = bytes.indexOf(0x0a, pos);
    const end = nl === -1 ? bytes.length : nl;
    if (end === pos) {
      // empty line: end of entry
      push();
      pos = end + 1;
      line++;
      continue;
    }
    if (fields.size === 0) {
      entryLine = line;
    }
    const eq = bytes.subarray(pos, end).indexOf(0x3d); // '='
    if (eq !== -1) {
      const name = utf8.decode(bytes.subarray(pos, pos + eq));
      add(name, utf8.decode(bytes.subarray(pos + eq + 1, end)));
      pos = end + 1;
      line++;
      continue;
    }
    // Binary field: NAME\n, then uint64 LE size, data, \n.
    const name = utf8.decode(bytes.subarray(pos, end));
    const sizeAt = end + 1;
    if (nl === -1 || sizeAt + 8 > bytes.length) {
      sink.add(line, 'error', 'journal-export-truncated', `field ${name}: data size missing at end of input`);
      break;
    }
    let size = 0n;
    for (let k = 7; k >= 0; k--) {
      size = (size << 8n) | BigInt(bytes[sizeAt + k] ?? 0);
    }
    const dataAt = sizeAt + 8;
    if (size > BigInt(bytes.length - dataAt)) {
      sink.add(
        line,
        'error',
        'journal-export-truncated',
        `field ${name}: ${size} bytes announced, fewer present`,
      );
      break;
    }
    const n = Number(size);
    const value = bytes.subarray(dataAt, dataAt + n);
    add(name, utf8.decode(value));
    let lfs = 1;
    for (const b of value) {
      if (b === 0x0a) {
        lfs++;
      }
    }
    pos = dataAt + n;
    if (bytes[pos] === 0x0a) {
      pos++;
      lfs++;
    } else {
      sink.add(
        line,
        'warning',
        'journal-export-no-newline',
        `field ${name}: binary data not followed by newline`,
      );
    }
    line += lfs;
  }
  push();
  return { value: out, diagnostics: sink.finish() };
}

/** Entries whose MESSAGE, unit or identifier matches; a helper for checks scanning `journalctl -b`. */
export function journalFind(
  entries: readonly JournalEntry[],
  pred: { message?: RegExp; unit?: string; identifier?: string },
): JournalEntry[] {
  return entries.filter(
    (e) =>
      (pred.message === undefined || pred.message.test(e.message)) &&
      (pred.unit === undefined || e.unit === pred.unit || e.sourceUnit === pred.unit) &&
      (pred.identifier === undefined || e.syslogIdentifier === pred.identifier),
  );
}
