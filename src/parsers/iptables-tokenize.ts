// Word splitting of one iptables-restore(8) input line, as iptables 1.8.9 add_param_to_argv() (iptables/xshared.c) does it.

/** Longest word iptables-restore accepts: its buffer is 1024 bytes and add_param() fails when it fills up. */
export const MAX_WORD_BYTES = 1023;

/**
 * The words of a line. `quoted[i]` says word i ended with a closing double quote (iptables' argvattr),
 * which iptables-restore itself only uses for bookkeeping; we use it to tell `"-x"` values from options.
 */
export interface LineWords {
  readonly words: string[];
  readonly quoted: boolean[];
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
  const out: LineWords = { words: [], quoted: [], unterminatedQuote: false, firstTooLongWord: -1 };
  splitRestoreWordsInto(line, start, out);
  return out;
}

/**
 * Splits `line` (without its newline) from `start` into `out`, which is cleared first (so one buffer can
 * serve every line of a big file). Only space, tab and newline separate words (a CR is an ordinary
 * character to iptables). A double quote opens a span in which a backslash escapes the next character;
 * the closing quote always ends the word, even an empty one (`""` is an empty word, `"a"b` is two
 * words). Single quotes and backslashes outside a span are literal.
 */
export function splitRestoreWordsInto(line: string, start: number, out: LineWords): void {
  const words = out.words;
  const quoted = out.quoted;
  words.length = 0;
  quoted.length = 0;
  out.firstTooLongWord = -1;
  let pending = ''; // text of the current word before `segmentStart` (only non-empty after quotes/escapes)
  let segmentStart = -1; // start of the current literal run, -1 when none
  let hasWord = false;
  let inQuote = false;
  let wordQuoted = false;
  let wordEnd = -1; // set when a word is complete; the word is emitted below
  let endQuoted = false;

  const length = line.length;
  for (let i = start; i <= length; i++) {
    if (i === length) {
      // iptables only stores a trailing word if it has characters, and then never marks it quoted.
      if (!hasWord || (segmentStart < 0 && pending === '')) {
        break;
      }
      wordEnd = length;
      endQuoted = false;
    } else {
      const code = line.charCodeAt(i);
      if (inQuote) {
        if (code === BACKSLASH) {
          if (segmentStart >= 0) {
            pending += line.slice(segmentStart, i);
          }
          segmentStart = i + 1 < length ? i + 1 : -1;
          i++; // the escaped character starts the next literal run
          continue;
        }
        if (code !== DOUBLE_QUOTE) {
          if (segmentStart < 0) {
            segmentStart = i;
          }
          continue;
        }
        inQuote = false;
        wordEnd = i;
        endQuoted = true;
      } else if (code === DOUBLE_QUOTE) {
        inQuote = true;
        wordQuoted = true;
        hasWord = true;
        if (segmentStart >= 0) {
          pending += line.slice(segmentStart, i);
          segmentStart = -1;
        }
        continue;
      } else if (code === SPACE || code === TAB || code === NEWLINE) {
        if (!hasWord) {
          continue;
        }
        wordEnd = i;
        endQuoted = wordQuoted;
      } else {
        if (segmentStart < 0) {
          segmentStart = i;
        }
        hasWord = true;
        continue;
      }
    }
    const text = segmentStart >= 0 ? pending + line.slice(segmentStart, wordEnd) : pending;
    if (out.firstTooLongWord < 0 && exceedsWordLimit(text)) {
      out.firstTooLongWord = words.length;
    }
    words.push(text);
    quoted.push(endQuoted);
    pending = '';
    segmentStart = -1;
    hasWord = false;
    wordQuoted = false;
  }
  out.unterminatedQuote = inQuote;
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
