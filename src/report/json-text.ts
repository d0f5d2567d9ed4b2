// The text of a JSON report: indented as JSON.stringify(value, null, 2) indents it, except that an array whose
// items are all numbers, strings, booleans or null is written on one line. `check` lists the rule lines of
// each requirement: for 100k rules JSON.stringify wrote 185,411 lines (2.8 MB), one number each; with one
// line per list the same data is 385 lines (1.2 MB). JSON.parse reads the same value back from either.

/** JSON.stringify(value, null, 2), with each array of primitives as JSON.stringify(array) writes it: one line. */
export function reportJson(value: object): string {
  const parts: string[] = [];
  return serializeInto(parts, value, '', '') ? parts.join('') : 'null';
}

/** A string, number, boolean or null (typeof null is 'object'). */
function isPrimitive(item: unknown): boolean {
  const type = typeof item;
  return type === 'string' || type === 'number' || type === 'boolean' || (type === 'object' && item == null);
}

/**
 * Appends to `parts` what JSON.stringify writes for one member; false when it writes nothing (the member is
 * left out, as for a function). Every piece goes into one list joined once: joining at each level copied a
 * 1.2 MB report once per level of nesting.
 */
function serializeInto(parts: string[], raw: unknown, key: string, indent: string): boolean {
  // ECMA-262 SerializeJSONProperty: toJSON first (a Date becomes its ISO string), then by type.
  const value =
    raw != null && typeof raw === 'object' && typeof (raw as { toJSON?: unknown }).toJSON === 'function'
      ? (raw as { toJSON: (key: string) => unknown }).toJSON(key)
      : raw;
  if (value == null || typeof value !== 'object') {
    // Primitives, and what JSON.stringify itself refuses (a BigInt throws) or leaves out.
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) {
      return false;
    }
    parts.push(text);
    return true;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      parts.push('[]');
      return true;
    }
    const inline = inlineArray(value);
    if (inline !== undefined) {
      parts.push(inline);
      return true;
    }
    parts.push(`[\n${inner}`);
    for (let i = 0; i < value.length; i++) {
      if (i > 0) {
        parts.push(`,\n${inner}`);
      }
      if (!serializeInto(parts, value[i] as unknown, String(i), inner)) {
        parts.push('null');
      }
    }
    parts.push(`\n${indent}]`);
    return true;
  }
  const opened = parts.length;
  for (const name of Object.keys(value)) {
    const at = parts.length;
    parts.push(
      at === opened ? `{\n${inner}${JSON.stringify(name)}: ` : `,\n${inner}${JSON.stringify(name)}: `,
    );
    if (!serializeInto(parts, (value as Record<string, unknown>)[name], name, inner)) {
      parts.length = at;
    }
  }
  parts.push(parts.length === opened ? '{}' : `\n${indent}}`);
  return true;
}

/**
 * `[1,2,3]` (JSON.stringify's own text) when every item is a primitive, else undefined. Decided from that text,
 * without a call per item: a list of 90k rule lines is written and read by the engine alone. Without "{" or
 * "[" past its first character the text holds no nested value; with one, the items are looked at (a string
 * may hold a bracket). No space after the commas: inserting them cost 65 ms on a 90k list.
 */
function inlineArray(items: readonly unknown[]): string | undefined {
  if (!isPrimitive(items[0])) {
    return undefined;
  }
  const compact = JSON.stringify(items);
  const nested = compact.indexOf('{') !== -1 || compact.indexOf('[', 1) !== -1;
  return nested && !items.every(isPrimitive) ? undefined : compact;
}
