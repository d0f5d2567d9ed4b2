// Shared shapes for every parser: (text, origin) -> { value, diagnostics }. Parsers are pure and total.

/** Where a value came from: a file path (as seen on the target host) or a command label, and a 1-based line. */
export interface Origin {
  readonly file: string;
  readonly line?: number;
}

export type DiagnosticSeverity = 'error' | 'warning' | 'info';

/** A problem found in the input; never an exception. `code` is a stable kebab-case id for tests and tools. */
export interface Diagnostic {
  readonly at: Origin;
  readonly severity: DiagnosticSeverity;
  readonly code: string;
  readonly message: string;
}

export interface Parsed<T> {
  readonly value: T;
  readonly diagnostics: readonly Diagnostic[];
}

/** "file:line" or "file" for messages and evidence. */
export function formatOrigin(at: Origin): string {
  return at.line === undefined ? at.file : `${at.file}:${at.line}`;
}

/**
 * Splits text into lines the way line-oriented config readers do: LF or CRLF, a UTF-8 BOM dropped,
 * no phantom empty line after a final newline. Line numbers are the 1-based index + 1.
 */
export function splitLines(text: string): string[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body === '') {
    return [];
  }
  // Splitting on a one-character string is V8's fast path; the regular expression is needed only for CR LF.
  const lines = body.includes('\r') ? body.split(/\r?\n/) : body.split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

/**
 * splitLines(bytes.toString('utf8')), decoding line by line: no string the size of the whole input (a
 * journal is hundreds of KB; one string that large is allocated outside V8's young generation, in fresh
 * memory, at every snapshot). The same lines: LF never occurs inside a UTF-8 sequence.
 */
export function splitBufferLines(bytes: Buffer): string[] {
  const lines: string[] = [];
  let start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl === -1 ? bytes.length : nl;
    lines.push(bytes.toString('utf8', start, nl > start && bytes[nl - 1] === 0x0d ? nl - 1 : end));
    if (nl === -1) {
      break;
    }
    start = nl + 1;
  }
  return lines;
}

/** Line breaks other than LF, where splitLines and a multiline regular expression would not agree. */
const OTHER_LINE_BREAK = /[\r\u2028\u2029]/;

/**
 * Whether every line of `text` is in the form a tool writes, given a multiline regular expression that finds
 * the first line in another form. The lazy readers of kernel metadata take a text only then (their eager
 * parsers have nothing to report on it); texts with CR, U+2028 or U+2029 are always left to the parsers.
 */
export function inOwnForm(text: string, firstOtherLine: RegExp): boolean {
  return !OTHER_LINE_BREAK.test(text) && !firstOtherLine.test(text);
}

/**
 * Where the first line that begins at or after `from` and starts with `head` begins, or -1. Found by string
 * search for "\n" + head, not line by line.
 */
export function nextLineStartingWith(text: string, head: string, from: number): number {
  if (from === 0 && text.startsWith(head)) {
    return 0;
  }
  const at = text.indexOf(`\n${head}`, Math.max(0, from - 1));
  return at === -1 ? -1 : at + 1;
}

/** Where each line of `text` begins, in order (for lineNumberAt). */
export function lineStarts(text: string): number[] {
  const starts: number[] = [];
  for (let start = 0; start < text.length;) {
    starts.push(start);
    const newline = text.indexOf('\n', start);
    start = newline === -1 ? text.length : newline + 1;
  }
  return starts;
}

/** The 1-based number of the line that starts at `start` (one of `lineStarts`). */
export function lineNumberAt(lineStarts: readonly number[], start: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] as number) <= start) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo + 1;
}

/**
 * A ReadonlyMap whose values are made when they are first read (an index over a text that parses a line only
 * when its key is asked for). Subclasses give the keys and get(); the rest follows from them.
 */
export abstract class LazyReadonlyMap<V> implements ReadonlyMap<string, V> {
  abstract readonly size: number;
  abstract keys(): MapIterator<string>;
  abstract get(key: string): V | undefined;

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  *entries(): MapIterator<[string, V]> {
    for (const key of this.keys()) {
      yield [key, this.get(key) as V];
    }
  }

  *values(): MapIterator<V> {
    for (const key of this.keys()) {
      yield this.get(key) as V;
    }
  }

  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void, self?: unknown): void {
    for (const [key, value] of this.entries()) {
      fn.call(self, value, key, this);
    }
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
}
