import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  MAX_WORD_BYTES,
  splitRestoreWords,
  splitRestoreWordsInto,
  splitStrtokWords,
  type LineWords,
} from './iptables-tokenize.ts';

/**
 * add_param_to_argv() (iptables 1.8.9 xshared.c) transcribed character by character: the model the
 * indexOf-based splitter must agree with.
 */
function modelSplit(line: string): { words: string[]; quoted: boolean[]; unterminatedQuote: boolean } {
  const words: string[] = [];
  const quoted: boolean[] = [];
  let param = '';
  let hasParam = false;
  let inQuote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (inQuote) {
      if (c === '\\') {
        i++;
        param += line[i] ?? '';
      } else if (c === '"') {
        inQuote = false;
        words.push(param);
        quoted.push(true);
        param = '';
        hasParam = false;
      } else {
        param += c;
      }
    } else if (c === '"') {
      inQuote = true;
      hasParam = true;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (hasParam) {
        words.push(param);
        quoted.push(false);
        param = '';
        hasParam = false;
      }
    } else {
      param += c;
      hasParam = true;
    }
  }
  if (param !== '') {
    words.push(param);
    quoted.push(false);
  }
  return { words, quoted, unterminatedQuote: inQuote };
}

describe('splitRestoreWordsInto', () => {
  const chars = fc.constantFrom(
    ' ',
    ' ',
    '\t',
    '\n',
    '"',
    '"',
    '\\',
    "'",
    '\r',
    'a',
    'b',
    '-',
    '!',
    'é',
    'x',
  );
  const lines = fc.array(chars, { maxLength: 60 }).map((c) => c.join(''));
  const emptyLineWords = (): LineWords => ({
    words: [],
    quoted: [],
    count: 0,
    unterminatedQuote: false,
    firstTooLongWord: -1,
  });

  it('agrees with a character-by-character model of add_param_to_argv on arbitrary lines', () => {
    const buffer = emptyLineWords();
    fc.assert(
      fc.property(lines, fc.nat(3), (line, start) => {
        const from = Math.min(start, line.length);
        splitRestoreWordsInto(line, from, buffer);
        const model = modelSplit(line.slice(from));
        expect({
          words: buffer.words.slice(0, buffer.count),
          quoted: buffer.quoted.slice(0, buffer.count),
          unterminatedQuote: buffer.unterminatedQuote,
        }).toEqual(model);
        expect(buffer.firstTooLongWord).toBe(-1);
      }),
      { numRuns: 5000 },
    );
  });

  it('reuses the buffer: a shorter line counts only its own words and keeps the room of a longer one', () => {
    const buffer = emptyLineWords();
    splitRestoreWordsInto(
      `-A INPUT -m comment --comment "x y" -j ACCEPT ${'z'.repeat(1024)} "open`,
      0,
      buffer,
    );
    expect(buffer.unterminatedQuote).toBe(true);
    expect(buffer.firstTooLongWord).toBe(8);
    splitRestoreWordsInto('COMMIT', 0, buffer);
    expect(buffer.count).toBe(1);
    expect(buffer.words.slice(0, buffer.count)).toEqual(['COMMIT']);
    expect(buffer.quoted.slice(0, buffer.count)).toEqual([false]);
    expect(buffer.unterminatedQuote).toBe(false);
    expect(buffer.firstTooLongWord).toBe(-1);
    expect(buffer.words.length).toBe(10);
  });

  it('finds the first word over the byte limit in quoted, escaped and unterminated words', () => {
    const long = 'x'.repeat(MAX_WORD_BYTES + 1);
    expect(splitRestoreWords(`a "${long}"`).firstTooLongWord).toBe(1);
    expect(splitRestoreWords(`a b "\\${long}`).firstTooLongWord).toBe(2);
    expect(splitRestoreWords(`a"${long}" ${long}`).firstTooLongWord).toBe(0);
  });
});

describe('splitStrtokWords', () => {
  // strtok(3) with the delimiters " \t\n": maximal runs of other characters, empty tokens never returned.
  const model = (line: string, start: number) =>
    line
      .slice(start)
      .split(/[ \t\n]+/)
      .filter((w) => w !== '');
  const text = fc.stringMatching(/^[ \t\nab:\-[\]0é]{0,40}$/);

  it('agrees with strtok on lines with and without tabs and newlines, from any start', () => {
    fc.assert(
      fc.property(text, fc.nat(41), (line, start) => {
        expect(splitStrtokWords(line, Math.min(start, line.length))).toEqual(
          model(line, Math.min(start, line.length)),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('splits chain lines', () => {
    expect(splitStrtokWords(':KUBE-SVC-X  -  [0:0]', 1)).toEqual(['KUBE-SVC-X', '-', '[0:0]']);
    expect(splitStrtokWords(':INPUT\tACCEPT [1:2]', 1)).toEqual(['INPUT', 'ACCEPT', '[1:2]']);
    expect(splitStrtokWords('*', 1)).toEqual([]);
    expect(splitStrtokWords('*   ', 1)).toEqual([]);
  });
});
