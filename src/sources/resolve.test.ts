import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  normalizeComponents,
  normalizePath,
  resolveInTree,
  type NodeKind,
  type TreeLookup,
} from './resolve.ts';

const component = fc.constantFrom('', '.', '..', 'a', 'b.c', '.d', '..e', 'f..', 'proc', 'self', '...');
const absolutePath = fc
  .array(component, { maxLength: 7 })
  .chain((cs) => fc.boolean().map((slash) => `/${cs.join('/')}${slash ? '/' : ''}`));

describe('normalizePath', () => {
  it('equals the component algorithm on every absolute path, normal or not', () => {
    fc.assert(
      fc.property(absolutePath, (p) => {
        expect(normalizePath(p)).toBe(normalizeComponents(p));
      }),
      { numRuns: 3000 },
    );
  });

  it('returns a normal path itself and rewrites the rest', () => {
    expect(normalizePath('/usr/lib/systemd/system/x.service')).toBe('/usr/lib/systemd/system/x.service');
    expect(normalizePath('/')).toBe('/');
    expect(normalizePath('/a/')).toBe('/a');
    expect(normalizePath('/a//b/./c/..')).toBe('/a/b');
    expect(normalizePath('/../x')).toBe('/x');
    expect(normalizePath('/a/.b/..c')).toBe('/a/.b/..c');
  });
});

/** A small tree: dirs, files, and symlinks (absolute, relative, looping, dangling). */
const KINDS = new Map<string, NodeKind>([
  ['/etc', 'dir'],
  ['/etc/a', 'file'],
  ['/etc/up', 'symlink'],
  ['/etc/abs', 'symlink'],
  ['/etc/loop', 'symlink'],
  ['/etc/gone', 'symlink'],
  ['/usr', 'dir'],
  ['/usr/lib', 'dir'],
  ['/lib', 'symlink'],
  ['/secret', 'permission-denied'],
]);
const LINKS = new Map([
  ['/etc/up', '../usr/lib'],
  ['/etc/abs', '/etc/a'],
  ['/etc/loop', '/etc/loop'],
  ['/etc/gone', 'nowhere/x'],
  ['/lib', 'usr/lib'],
]);
const asyncTree: TreeLookup = {
  nodeKind: (p) => Promise.resolve(KINDS.get(p) ?? 'absent'),
  readlink: (p) => Promise.resolve(LINKS.get(p) ?? ''),
};
const syncTree: TreeLookup = {
  ...asyncTree,
  sync: { nodeKind: (p) => KINDS.get(p) ?? 'absent', readlink: (p) => LINKS.get(p) ?? '' },
};

describe('resolveInTree', () => {
  it('gives the same resolution from a tree answered synchronously or by promises', async () => {
    const names = fc.constantFrom('etc', 'a', 'up', 'abs', 'loop', 'gone', 'usr', 'lib', 'secret', '..', 'x');
    await fc.assert(
      fc.asyncProperty(fc.array(names, { maxLength: 6 }), async (cs) => {
        const p = `/${cs.join('/')}`;
        expect(await resolveInTree(syncTree, p)).toEqual(await resolveInTree(asyncTree, p));
      }),
      { numRuns: 1500 },
    );
  });

  it('follows relative and absolute links, keeps the rest below a missing entry, stops loops', async () => {
    expect(await resolveInTree(syncTree, '/etc/up/x')).toMatchObject({ ok: true, path: '/usr/lib/x' });
    expect(await resolveInTree(syncTree, '/etc/abs')).toMatchObject({ ok: true, path: '/etc/a' });
    expect(await resolveInTree(syncTree, '/lib/modules/6.1')).toMatchObject({
      ok: true,
      path: '/usr/lib/modules/6.1',
    });
    expect(await resolveInTree(syncTree, '/etc/gone/y')).toMatchObject({
      ok: true,
      path: '/etc/nowhere/x/y',
    });
    expect(await resolveInTree(syncTree, '/etc/loop')).toEqual({
      ok: false,
      path: '/etc/loop',
      reason: 'loop',
    });
    expect(await resolveInTree(syncTree, '/secret/x')).toEqual({
      ok: false,
      path: '/secret',
      reason: 'permission-denied',
    });
    expect(await resolveInTree(syncTree, '/')).toEqual({ ok: true, path: '/', links: [] });
  });
});
