import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitBufferLines, splitLines } from './types.ts';

describe('splitBufferLines', () => {
  it('gives the lines splitLines gives for the decoded bytes, on any bytes', () => {
    const pieces = fc.oneof(
      fc.constantFrom('\n', '\r\n', '\r', '\uFEFF', '\xEF\xBB\xBF', '{"MESSAGE":"x"}', 'ü', '\u2028', ' '),
      fc.string({ unit: 'binary', maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), fc.uint8Array({ maxLength: 40 }), (parts, raw) => {
        const text = Buffer.from(parts.join(''), 'utf8');
        for (const bytes of [
          text,
          Buffer.from(raw),
          Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]),
        ]) {
          expect(splitBufferLines(bytes)).toEqual(splitLines(bytes.toString('utf8')));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('drops the BOM and the phantom line after a final newline, keeps empty lines between', () => {
    expect(splitBufferLines(Buffer.from('\uFEFFa\r\n\nb\n'))).toEqual(['a', '', 'b']);
    expect(splitBufferLines(Buffer.alloc(0))).toEqual([]);
    expect(splitBufferLines(Buffer.from('\uFEFF'))).toEqual([]);
    expect(splitBufferLines(Buffer.from([0x61, 0xe2, 0x0d, 0x0a, 0x62]))).toEqual(['a\uFFFD', 'b']);
  });
});

describe('splitLines', () => {
  it('splits at LF and CR LF only, with or without a CR anywhere in the text', () => {
    const model = (text: string): string[] => {
      const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
      const lines = body === '' ? [] : body.split(/\r?\n/);
      return lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
    };
    const pieces = fc.constantFrom('\n', '\r\n', '\r', '\n\r', '\uFEFF', 'a', 'CONFIG_X=y', ' ', '');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 20 }), (parts) => {
        const text = parts.join('');
        expect(splitLines(text)).toEqual(model(text));
      }),
      { numRuns: 3000 },
    );
  });
});
