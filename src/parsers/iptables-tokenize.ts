// Word splitting of one iptables-restore(8) input line, as iptables 1.8.9 add_param_to_argv() (iptables/xshared.c) does it.

/** Longest word iptables-restore accepts: its buffer is 1024 bytes and add_param() fails when it fills up. */
export const MAX_WORD_BYTES = 1023;

/**
 * The words of a line. `quoted[i]` says word i ended with a closing double quote (iptables' argvattr),
 * which iptables-restore itself only uses for bookkeeping; we use it to tell `"-x"` values from options.
 */
export interface LineWords {
  /** The first `count` entries are this line's; the arrays keep their room for the next line. */
  readonly words: string[];
  readonly quoted: boolean[];
  count: number;
  /** A double quote was opened and never closed: iptables keeps the rest of the line as one word. */
  unterminatedQuote: boolean;
  /** Index of the first word longer than MAX_WORD_BYTES ("Parameter too long!"), or -1. */
  firstTooLongWord: number;
}

const SPACE = 0x20;
const TAB = 0x09;
const NEWLINE = 0x0a;
const DOUBLE_QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Splits `line` into a new LineWords; see splitRestoreWordsInto. */
export function splitRestoreWords(line: string, start = 0): LineWords {
  const out: LineWords = { words: [], quoted: [], count: 0, unterminatedQuote: false, firstTooLongWord: -1 };
  splitRestoreWordsInto(line, start, out);
  return out;
}

/**
 * Splits `line` (without its newline) from `start` into `out`, whose count is reset first: one buffer
 * serves every line of a big file (emptying an array with `length = 0` would free its backing store, and
 * the next line's first push allocate another). Only space, tab and newline separate words (a CR is an ordinary
 * character to iptables). A double quote opens a span in which a backslash escapes the next character;
 * the closing quote always ends the word, even an empty one (`""` is an empty word, `"a"b` is two
 * words). Single quotes and backslashes outside a span are literal.
 *
 * Hot path of a 100k-rule file: words are found with indexOf (spaces, and the next tab, newline and
 * quote, looked up again only once passed) rather than character by character.
 */
export function splitRestoreWordsInto(line: string, start: number, out: LineWords): void {
  out.count = 0;
  out.firstTooLongWord = -1;
  out.unterminatedQuote = false;
  const length = line.length;
  let nextTab = indexOrEnd(line, '\t', start);
  let nextNewline = indexOrEnd(line, '\n', start);
  let nextQuote = indexOrEnd(line, '"', start);
  let pending = ''; // text of the current word before a quoted span that continues it (`ab"c d"`)
  let i = start;
  while (i < length) {
    if (pending === '') {
      let code = line.charCodeAt(i);
      while (code === SPACE || code === TAB || code === NEWLINE) {
        i++;
        if (i === length) {
          return;
        }
        code = line.charCodeAt(i);
      }
    }
    if (i === nextQuote) {
      const close = line.indexOf('"', i + 1);
      const escape = line.indexOf('\\', i + 1);
      let text: string;
      let end: number;
      if (escape !== -1 && (close === -1 || escape < close)) {
        const span = escapedSpan(line, i + 1);
        text = pending + span.text;
        end = span.end;
      } else {
        end = close === -1 ? length : close;
        text = pending + line.slice(i + 1, end);
      }
      pending = '';
      if (end === length) {
        // Unterminated: iptables keeps the rest of the line as one word, unquoted, and only if non-empty.
        out.unterminatedQuote = true;
        if (text !== '') {
          pushWord(out, text, false);
        }
        return;
      }
      pushWord(out, text, true);
      i = end + 1;
      nextQuote = indexOrEnd(line, '"', i);
      continue;
    }
    if (nextTab < i) {
      nextTab = indexOrEnd(line, '\t', i);
    }
    if (nextNewline < i) {
      nextNewline = indexOrEnd(line, '\n', i);
    }
    let end = line.indexOf(' ', i);
    if (end === -1) {
      end = length;
    }
    if (nextTab < end) {
      end = nextTab;
    }
    if (nextNewline < end) {
      end = nextNewline;
    }
    if (nextQuote < end) {
      pending += line.slice(i, nextQuote); // a quoted span continues this word
      i = nextQuote;
      continue;
    }
    pushWord(out, pending + line.slice(i, end), false);
    pending = '';
    i = end;
  }
  if (pending !== '') {
    pushWord(out, pending, false);
  }
}

function indexOrEnd(line: string, search: string, from: number): number {
  const at = line.indexOf(search, from);
  return at === -1 ? line.length : at;
}

function pushWord(out: LineWords, text: string, quoted: boolean): void {
  const index = out.count;
  if (out.firstTooLongWord < 0 && text.length * 3 > MAX_WORD_BYTES && exceedsWordLimit(text)) {
    out.firstTooLongWord = index;
  }
  // Written at `count`, which is at most the arrays' length: they stay packed.
  out.words[index] = text;
  out.quoted[index] = quoted;
  out.count = index + 1;
}

/** A quoted span with backslash escapes, from just after the opening quote: its text and the closing quote's index (line.length if none). */
function escapedSpan(line: string, from: number): { text: string; end: number } {
  let text = '';
  let runStart = from;
  let i = from;
  while (i < line.length) {
    const code = line.charCodeAt(i);
    if (code === DOUBLE_QUOTE) {
      return { text: text + line.slice(runStart, i), end: i };
    }
    if (code === BACKSLASH) {
      text += line.slice(runStart, i);
      runStart = i + 1; // the escaped character starts the next literal run
      i += 2;
      continue;
    }
    i++;
  }
  return { text: text + line.slice(runStart), end: line.length };
}

/** iptables counts bytes; a UTF-16 unit is at most 3 UTF-8 bytes, so only long words need counting. */
export function exceedsWordLimit(word: string): boolean {
  if (word.length > MAX_WORD_BYTES) {
    return true;
  }
  if (word.length * 3 <= MAX_WORD_BYTES) {
    return false;
  }
  return utf8ByteLength(word) > MAX_WORD_BYTES;
}

export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      bytes += 1;
    } else if (code < 0x800) {
      bytes += 2;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

/** Words of a line split like strtok(3) with the delimiters " \t\n", as iptables-restore reads `*table` and `:chain` lines. */
export function splitStrtokWords(line: string, start: number): string[] {
  const words: string[] = [];
  if (line.indexOf('\t', start) === -1 && line.indexOf('\n', start) === -1) {
    // Only spaces delimit (every `:chain` line of a big table): found with indexOf, not character by character.
    const length = line.length;
    let i = start;
    while (i < length) {
      if (line.charCodeAt(i) === SPACE) {
        i++;
        continue;
      }
      let end = line.indexOf(' ', i);
      if (end === -1) {
        end = length;
      }
      words.push(line.slice(i, end));
      i = end;
    }
    return words;
  }
  let wordStart = -1;
  for (let i = start; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (code === SPACE || code === TAB || code === NEWLINE) {
      if (wordStart >= 0) {
        words.push(line.slice(wordStart, i));
        wordStart = -1;
      }
    } else if (wordStart < 0) {
      wordStart = i;
    }
  }
  if (wordStart >= 0) {
    words.push(line.slice(wordStart));
  }
  return words;
}

/**
 * Whether text[start, end) is a chain line's counters, "[packets:bytes]" in decimal digits (iptables-restore
 * reads them with sscanf "[%llu:%llu]" under --counters).
 */
export function isCounterPair(text: string, start: number, end: number): boolean {
  const last = end - 1;
  if (last <= start || text.charCodeAt(start) !== 0x5b || text.charCodeAt(last) !== 0x5d) {
    return false;
  }
  const colon = text.indexOf(':', start);
  return colon < last && areDigits(text, start + 1, colon) && areDigits(text, colon + 1, last);
}

/** Whether text[from, to) is one or more decimal digits. */
function areDigits(text: string, from: number, to: number): boolean {
  if (to <= from) {
    return false;
  }
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) {
      return false;
    }
  }
  return true;
}
