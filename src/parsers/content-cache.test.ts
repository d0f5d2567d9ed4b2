import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ContentCache } from './content-cache.ts';

const DEP = readFileSync('fixtures/kernels/6.1.0-56-cloud-amd64/modules.dep');

describe('ContentCache', () => {
  it('parses a file once per distinct path and content', () => {
    const cache = new ContentCache(8);
    let calls = 0;
    const parse = (b: Buffer): number => {
      calls += 1;
      return b.length;
    };
    const path = '/lib/modules/6.1.0-56-cloud-amd64/modules.dep';
    expect(cache.get('dep', path, DEP, parse)).toBe(DEP.length);
    expect(cache.get('dep', path, Buffer.from(DEP), parse)).toBe(DEP.length);
    expect(calls).toBe(1);
    // Same name, one byte different: never the other file's result.
    const changed = Buffer.concat([DEP.subarray(0, -1), Buffer.from('#')]);
    cache.get('dep', path, changed, parse);
    expect(calls).toBe(2);
    // Same bytes under another path or kind: parsed again (results carry their path).
    cache.get('dep', '/lib/modules/other/modules.dep', DEP, parse);
    cache.get('alias', path, DEP, parse);
    expect(calls).toBe(4);
  });

  it('after keepCopies (the fleet) keeps its own copy: changing the caller buffer later does not change what matches', () => {
    const cache = new ContentCache(8);
    cache.keepCopies();
    const buf = Buffer.from('alias a b\n');
    cache.get('alias', '/x', buf, () => 'first');
    buf.write('alias c d\n');
    expect(cache.get('alias', '/x', buf, () => 'second')).toBe('second');
    expect(cache.get('alias', '/x', Buffer.from('alias a b\n'), () => 'third')).toBe('first');
  });

  it('holds at most its capacity, dropping the oldest', () => {
    const cache = new ContentCache(2);
    let calls = 0;
    const parse = (b: Buffer): string => {
      calls += 1;
      return b.toString();
    };
    for (const s of ['a', 'b', 'c']) {
      cache.get('k', `/${s}`, Buffer.from(s), parse);
    }
    expect(calls).toBe(3);
    cache.get('k', '/c', Buffer.from('c'), parse);
    cache.get('k', '/b', Buffer.from('b'), parse);
    expect(calls).toBe(3);
    cache.get('k', '/a', Buffer.from('a'), parse);
    expect(calls).toBe(4);
  });
});
