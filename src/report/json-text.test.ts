import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { reportJson } from './json-text.ts';

/** Whether JSON.stringify would write an array of primitives anywhere in the value (reportJson inlines those). */
function hasPrimitiveArray(value: unknown): boolean {
  if (Array.isArray(value)) {
    return (
      (value.length > 0 &&
        value.every(
          (v) => (typeof v === 'object' && v == null) || ['string', 'number', 'boolean'].includes(typeof v),
        )) ||
      value.some(hasPrimitiveArray)
    );
  }
  return value != null && typeof value === 'object' && Object.values(value).some(hasPrimitiveArray);
}

describe('reportJson', () => {
  it('keeps a list of rule lines on one line and indents the rest as JSON.stringify does', () => {
    const value = {
      requirements: [{ extension: 'tcp', lines: [35013, 35014], tables: ['nat', 'a, "b"'], modules: [] }],
      ok: true,
      none: null,
      empty: {},
    };
    expect(reportJson(value)).toBe(
      [
        '{',
        '  "requirements": [',
        '    {',
        '      "extension": "tcp",',
        '      "lines": [35013,35014],',
        '      "tables": ["nat","a, \\"b\\""],',
        '      "modules": []',
        '    }',
        '  ],',
        '  "ok": true,',
        '  "none": null,',
        '  "empty": {}',
        '}',
      ].join('\n'),
    );
  });

  it('leaves out and replaces what JSON.stringify leaves out and replaces, and calls toJSON', () => {
    const value = {
      gone: undefined,
      fn: () => 1,
      when: new Date(0),
      holes: [undefined, () => 1, Number.NaN, { nested: [Infinity, -0] }],
    };
    expect(JSON.parse(reportJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
    expect(reportJson(value)).toContain('"when": "1970-01-01T00:00:00.000Z"');
    expect(reportJson(value)).toContain('"nested": [null,0]');
  });

  it('throws where JSON.stringify throws', () => {
    expect(() => reportJson({ n: 1n })).toThrow(TypeError);
  });

  it('reads back as the same value as JSON.stringify, and is its text where no list is inlined', () => {
    fc.assert(
      fc.property(fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue())), (value) => {
        const text = reportJson(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        if (!hasPrimitiveArray(value)) {
          expect(text).toBe(JSON.stringify(value, null, 2));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('writes a 100k-line list as one line, quickly', () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => 35_006 + i);
    const text = reportJson({ lines });
    expect(text.split('\n')).toHaveLength(3);
    expect(JSON.parse(text)).toEqual({ lines });
  });
});
