import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTar, buildTarGz, minimalSnapshotEntries, type RawEntry } from './test-tar.ts';
import {
  DEFAULT_LIMITS,
  openSnapshot,
  readSnapshot,
  SnapshotError,
  type SnapshotLimits,
} from './snapshot-reader.ts';

const hostsDir = new URL('../../fixtures/hosts/', import.meta.url);

async function rejection(p: Promise<unknown>): Promise<SnapshotError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SnapshotError);
    const err = e as SnapshotError;
    expect(err.message).not.toContain('\n');
    return err;
  }
  throw new Error('expected a SnapshotError, got a reader');
}

/** Reading must either succeed or fail with a one-line SnapshotError; nothing else may escape. */
async function readsCleanly(gz: Buffer, limits?: SnapshotLimits): Promise<'ok' | 'rejected'> {
  try {
    await readSnapshot(gz, 'fuzz.tar.gz', limits);
    return 'ok';
  } catch (e) {
    if (!(e instanceof SnapshotError) || e.message.includes('\n') || e.message.length === 0) {
      throw e;
    }
    return 'rejected';
  }
}

const snapshot = (extra: RawEntry[] = [], manifest: Record<string, unknown> = {}): Buffer =>
  buildTarGz([...minimalSnapshotEntries(manifest), ...extra]);

describe('snapshot reader: valid snapshots', () => {
  it('reads a minimal snapshot with files, links, listings and commands', async () => {
    const gz = snapshot(
      [
        { name: 'root/', type: '5' },
        { name: 'root/usr/lib/os-release', data: 'ID=debian\n' },
        { name: 'root/usr/lib/systemd/system/netfilter-persistent.service', data: '[Unit]\n' },
        { name: 'links.tsv', data: '/etc/os-release\t../usr/lib/os-release\n/lib\tusr/lib\n' },
        {
          name: 'files.tsv',
          data: '/usr/lib/os-release\tok\t\n/etc/iptables/rules.v4\tabsent\tno such file: /etc/iptables/rules.v4\n/dev/null\tnot-a-file\tmasked\n',
        },
        { name: 'dirs.tsv', data: '/etc/systemd/system\tok\t\n/etc/iptables\tabsent\tno such directory\n' },
        {
          name: 'listings.tsv',
          data: '/etc/systemd/system\tnetfilter-persistent.service\tsymlink\t/dev/null\n',
        },
        { name: 'commands/', type: '5' },
        { name: 'commands/uname-r.stdout', data: '6.1.0\n' },
        { name: 'commands/uname-r.stderr', data: '' },
      ].map((e) => e as RawEntry),
      {
        commands: [
          { id: 'uname-r', argv: ['uname', '-r'], status: 'ok', exitCode: 0 },
          { id: 'ipset-save', argv: ['ipset', 'save'], status: 'skipped', reason: 'ip_set not loaded' },
        ],
      },
    );
    // the first five entries are replaced by later duplicates only in this helper; build it by hand
    const r = await readSnapshot(dedupe(gz), 'ok.tar.gz');
    expect(r.kind).toBe('snapshot');
    expect(r.manifest.hostname).toBe('test');
    const osr = await r.readFile('/etc/os-release');
    expect(osr.status === 'ok' && osr.content.toString()).toBe('ID=debian\n');
    const unit = await r.readFile('/lib/systemd/system/netfilter-persistent.service');
    expect(unit.status).toBe('ok');
    expect((await r.readFile('/etc/iptables/rules.v4')).status).toBe('absent');
    expect((await r.readFile('/etc/iptables/rules.v6')).status).toBe('absent');
    expect((await r.readFile('/etc/shadow')).status).toBe('not-collected');
    expect((await r.readFile('/etc/systemd/system/netfilter-persistent.service')).status).toBe('not-a-file');
    expect((await r.readFile('relative')).status).toBe('error');
    const l = await r.listDir('/etc/systemd/system');
    expect(l).toEqual({
      path: '/etc/systemd/system',
      status: 'ok',
      entries: [{ name: 'netfilter-persistent.service', type: 'symlink', target: '/dev/null' }],
    });
    expect((await r.listDir('/etc/iptables')).status).toBe('absent');
    expect((await r.listDir('/srv')).status).toBe('not-collected');
    const c = await r.runCommand('uname-r');
    expect(c).toMatchObject({ status: 'ok', exitCode: 0, stdout: '6.1.0\n' });
    expect(await r.runCommand('ipset-save')).toMatchObject({
      status: 'skipped',
      reason: 'ip_set not loaded',
    });
    expect((await r.runCommand('journal.boot')).status).toBe('not-available');
  });

  it('reads every fixture snapshot in fixtures/hosts', async () => {
    const names = readdirSync(hostsDir).filter((n) => n.endsWith('.tar.gz'));
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) {
      const r = await openSnapshot(new URL(n, hostsDir).pathname);
      expect(r.manifest.schemaVersion, n).toBe(1);
      expect(r.manifest.commands.length, n).toBeGreaterThan(10);
      const osr = await r.readFile('/etc/os-release');
      expect(osr.status, n).toBe('ok');
      expect((await r.runCommand('uname-r')).status, n).toBe('ok');
    }
  });
});

/** Rebuilds a tar.gz keeping the last entry of each name (the helper appends overrides). */
function dedupe(gz: Buffer): Buffer {
  const tar = gunzipSync(gz);
  const entries: { name: string; block: Buffer }[] = [];
  let off = 0;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) {
      break;
    }
    const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
    const len = 512 + Math.ceil(size / 512) * 512;
    entries.push({ name, block: tar.subarray(off, off + len) });
    off += len;
  }
  const last = new Map<string, Buffer>();
  for (const e of entries) {
    last.delete(e.name);
    last.set(e.name, e.block);
  }
  return gzipSync(Buffer.concat([...last.values(), Buffer.alloc(1024)]));
}

describe('snapshot reader: hostile and broken archives', () => {
  const cases: [string, () => Buffer, RegExp][] = [
    ['absolute path', () => snapshot([{ name: '/etc/passwd', data: 'x' }]), /absolute entry name/],
    ['dot-dot', () => snapshot([{ name: 'root/../../etc/passwd', data: 'x' }]), /contains "\.\."/],
    [
      'dot-dot in a PAX name',
      () =>
        snapshot([
          { name: 'root/x', pax: true, data: 'x' },
          { name: 'root/a/../../../x', pax: true, data: 'x' },
        ]),
      /contains "\.\."/,
    ],
    [
      'escaping symlink',
      () => snapshot([{ name: 'root/etc/x', type: '2', linkname: '../../../etc/shadow' }]),
      /escapes the snapshot root/,
    ],
    [
      'symlink outside root/',
      () => snapshot([{ name: 'commands/x.stdout', type: '2', linkname: 'y' }]),
      /outside root/,
    ],
    [
      'hard link',
      () => snapshot([{ name: 'root/etc/x', type: '1', linkname: 'manifest.json' }]),
      /hard link/,
    ],
    ['character device', () => snapshot([{ name: 'root/dev/null', type: '3' }]), /device or fifo/],
    ['block device', () => snapshot([{ name: 'root/dev/sda', type: '4' }]), /device or fifo/],
    ['fifo', () => snapshot([{ name: 'root/run/fifo', type: '6' }]), /device or fifo/],
    ['unknown type', () => snapshot([{ name: 'root/x', type: 'Z', data: 'x' }]), /unsupported type/],
    [
      'duplicate',
      () =>
        snapshot([
          { name: 'root/etc/x', data: 'a' },
          { name: 'root/etc/x', data: 'b' },
        ]),
      /duplicate entry/,
    ],
    ['control character', () => snapshot([{ name: 'root/etc/a\nb', data: 'x' }]), /control character/],
    ['unexpected top-level entry', () => snapshot([{ name: 'evil.sh', data: 'x' }]), /unexpected entry/],
    ['missing manifest', () => buildTarGz(minimalSnapshotEntries().slice(1)), /manifest\.json is missing/],
    [
      'manifest not JSON',
      () => buildTarGz([{ name: 'manifest.json', data: '{nope' }, ...minimalSnapshotEntries().slice(1)]),
      /not valid JSON/,
    ],
    [
      'newer schema',
      () => snapshot([], { schemaVersion: 2 }),
      /schema version 2 is newer than this nfdoctor reads \(1\)/,
    ],
    ['bad schema version', () => snapshot([], { schemaVersion: '1' }), /schemaVersion/],
    ['manifest field missing', () => snapshot([], { hostname: 5 }), /"hostname"/],
    [
      'bad command status',
      () => snapshot([], { commands: [{ id: 'x', argv: [], status: 'great' }] }),
      /status/,
    ],
    [
      'missing files.tsv',
      () => buildTarGz(minimalSnapshotEntries().filter((e) => e.name !== 'files.tsv')),
      /files\.tsv is missing/,
    ],
    [
      'malformed files.tsv',
      () => dedupe(snapshot([{ name: 'files.tsv', data: 'relative\tok\t\n' }])),
      /files\.tsv line 1 is malformed/,
    ],
    ['not gzip', () => buildTar(minimalSnapshotEntries()), /not a gzip file/],
    [
      'corrupt gzip',
      () => {
        const g = snapshot();
        g[g.length - 5] = g[g.length - 5]! ^ 0xff;
        return g;
      },
      /corrupt gzip/,
    ],
    ['truncated gzip', () => snapshot().subarray(0, 60), /corrupt gzip|not a gzip/],
    ['nested gzip', () => gzipSync(snapshot()), /nested compression/],
    ['empty', () => Buffer.alloc(0), /not a gzip file/],
    ['tar too short', () => gzipSync(Buffer.from('hello')), /not a tar archive/],
    ['garbage tar', () => gzipSync(Buffer.alloc(4096, 0x41)), /corrupt|manifest/],
    [
      'truncated tar body',
      () =>
        buildTarGz([...minimalSnapshotEntries(), { name: 'root/x', data: 'abc', declaredSize: 100000 }], {
          eof: false,
        }),
      /corrupt|truncated/i,
    ],
  ];
  it.each(cases)('rejects %s with a one-line SnapshotError', async (_name, make, message) => {
    const err = await rejection(readSnapshot(make(), 'hostile.tar.gz'));
    expect(err.message).toMatch(message);
    expect(err.message.startsWith('hostile.tar.gz: ')).toBe(true);
  });

  it('accepts symlinks that stay inside root/ and records them without following', async () => {
    const r = await readSnapshot(
      snapshot([
        { name: 'root/usr/lib/os-release', data: 'ID=x\n' },
        { name: 'root/etc/os-release', type: '2', linkname: '../usr/lib/os-release' },
        { name: 'root/etc/masked.service', type: '2', linkname: '/dev/null' },
      ]),
      'links.tar.gz',
    );
    const f = await r.readFile('/etc/os-release');
    expect(f.status === 'ok' && f.content.toString()).toBe('ID=x\n');
    expect((await r.readFile('/etc/masked.service')).status).toBe('not-a-file');
  });

  const small: SnapshotLimits = {
    maxCompressedBytes: 100_000,
    maxInflatedBytes: 200_000,
    maxEntries: 10,
    maxEntryBytes: 50_000,
  };
  it('caps the inflated size (gzip bomb)', async () => {
    const bomb = gzipSync(Buffer.alloc(5 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    const err = await rejection(readSnapshot(bomb, 'bomb.tar.gz', small));
    expect(err.message).toMatch(/inflates to more than 200000 bytes/);
    // and with the default limits too
    // concatenated gzip members inflate as one stream: 1 MiB compressed once, repeated past the cap
    const member = gzipSync(Buffer.alloc(1024 * 1024));
    const big = Buffer.concat(
      Array.from({ length: DEFAULT_LIMITS.maxInflatedBytes / (1024 * 1024) + 1 }, () => member),
    );
    expect((await rejection(readSnapshot(big, 'bomb.tar.gz'))).message).toMatch(/gzip bomb/);
  });

  it('caps the compressed size, the entry count and each entry', async () => {
    expect((await rejection(readSnapshot(Buffer.alloc(100_001, 0x1f), 'x', small))).message).toMatch(
      /larger than 100000/,
    );
    const many = snapshot(Array.from({ length: 20 }, (_, i) => ({ name: `root/f${i}`, data: 'x' })));
    expect((await rejection(readSnapshot(many, 'x', small))).message).toMatch(/more than 10 entries/);
    const fat = snapshot([{ name: 'root/fat', data: Buffer.alloc(60_000) }]);
    expect((await rejection(readSnapshot(fat, 'x', small))).message).toMatch(/larger than 50000 bytes/);
  });

  it('names the file and says what is wrong when opening', async () => {
    expect((await rejection(openSnapshot('/nonexistent/x.tar.gz'))).message).toMatch(
      /^\/nonexistent\/x\.tar\.gz: cannot read/,
    );
    expect((await rejection(openSnapshot('/'))).message).toMatch(/not a regular file/);
  });
});

describe('snapshot reader: fuzz (never anything but a one-line SnapshotError, never a hang)', () => {
  it('random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        expect(await readsCleanly(Buffer.from(bytes))).toBe('rejected');
      }),
      { numRuns: 300 },
    );
  });

  it('gzip of random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        expect(await readsCleanly(gzipSync(Buffer.from(bytes)))).toBe('rejected');
      }),
      { numRuns: 300 },
    );
  });

  const nameArb = fc.oneof(
    fc.constantFrom(
      'manifest.json',
      'files.tsv',
      'root/etc/modules',
      'root/',
      'commands/uname-r.stdout',
      '/etc/passwd',
      '../x',
      'root/../x',
      './root/etc/x',
      'root//x',
      'root/./x',
      'commands/a/b',
      'root/a\u0000b',
    ),
    fc.string({ maxLength: 120 }),
    fc
      .array(fc.constantFrom('root', 'etc', '..', '.', '', 'x', 'commands'), { maxLength: 6 })
      .map((a) => a.join('/')),
  );
  const entryArb = fc.record({
    name: nameArb,
    type: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', 'x', 'g', 'L', 'K', 'S', 'Z', '\0'),
    data: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    linkname: fc.oneof(
      fc.constant(''),
      fc.constantFrom('/dev/null', '../../x', 'a', '../' + 'x/'.repeat(3)),
      fc.string({ maxLength: 40 }),
    ),
    pax: fc.boolean(),
    lie: fc.option(fc.nat({ max: 1_000_000 }), { nil: undefined }),
  });

  it('random tar entries (with and without a valid snapshot around them)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entryArb, { maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        async (entries, withBase, eof) => {
          const raw: RawEntry[] = entries.map((e) => ({
            name: e.name,
            type: e.type,
            data: e.data,
            linkname: e.linkname,
            pax: e.pax,
            ...(e.lie === undefined ? {} : { declaredSize: e.lie }),
          }));
          const all = withBase ? [...minimalSnapshotEntries(), ...raw] : raw;
          await readsCleanly(buildTarGz(all, { eof }));
        },
      ),
      { numRuns: 400 },
    );
  });

  const fixtureNames = readdirSync(hostsDir).filter((n) => n.endsWith('.tar.gz'));
  const base = fixtureNames.length > 0 ? readFileSync(new URL(fixtureNames[0]!, hostsDir)) : snapshot();

  it('mutated valid archives: compressed bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.option(fc.nat(), { nil: undefined }),
        async (flips, cut) => {
          const g = Buffer.from(base);
          for (const f of flips) {
            const i = f.at % g.length;
            g[i] = g[i]! ^ f.xor;
          }
          await readsCleanly(cut === undefined ? g : g.subarray(0, cut % g.length));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('mutated valid archives: tar bytes re-gzipped', async () => {
    const tar = gunzipSync(base);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.option(fc.nat(), { nil: undefined }),
        async (sets, cut) => {
          const t = Buffer.from(tar);
          for (const s of sets) {
            // bias towards headers, where the interesting fields are
            const i =
              s.at % 3 === 0 ? (s.at % Math.ceil(t.length / 512)) * 512 + (s.at % 512) : s.at % t.length;
            t[Math.min(i, t.length - 1)] = s.value;
          }
          await readsCleanly(gzipSync(cut === undefined ? t : t.subarray(0, cut % t.length)));
        },
      ),
      { numRuns: 200 },
    );
  });
});
