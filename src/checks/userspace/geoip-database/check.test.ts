import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { runCheckOn } from '../../testing.ts';
import { openSnapshot } from '../../../sources/snapshot-reader.ts';
import type { DirFact, HostReader } from '../../../sources/host-reader.ts';

const ID = 'userspace/geoip-database';
const HOSTS = join(import.meta.dirname, '../../../../fixtures/hosts');
const DB = '/usr/share/xt_geoip';

/** Lab scenario geoip-no-database: xt_geoip and libxt_geoip.so installed, only RU.iv4 built. */
const broken = (): Promise<HostReader> => openSnapshot(join(HOSTS, 'geoip-no-database.tar.gz'));

/** The same host with its database listing replaced (what xt_geoip_build -s would have left, or nothing). */
async function withDatabase(listing: (path: string) => DirFact): Promise<HostReader> {
  const reader = await broken();
  // The snapshot reader keeps its methods on its prototype: inherit them, replace one.
  return Object.assign(Object.create(reader) as HostReader, {
    listDir: (path: string) => (path === DB ? Promise.resolve(listing(path)) : reader.listDir(path)),
  });
}

describe(ID, () => {
  it('fails on the real boot: CN.iv4 for rules.v4 (RU.iv4 exists), RU.iv6 for rules.v6', async () => {
    const { run } = await runCheckOn(ID, await broken());
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => [f.id, f.messageId, f.subjects.slice(0, 2)])).toEqual([
      [
        `${ID}#/etc/iptables/rules.v4:CN.iv4`,
        'missing',
        [`geoip:${DB}/CN.iv4`, 'rules:/etc/iptables/rules.v4:6'],
      ],
      [
        `${ID}#/etc/iptables/rules.v6:RU.iv6`,
        'missing',
        [`geoip:${DB}/RU.iv6`, 'rules:/etc/iptables/rules.v6:6'],
      ],
    ]);
    expect(run.findings[0]?.evidence[0]).toMatchObject({
      source: '/etc/iptables/rules.v4',
      line: 6,
      text: '-A INPUT -m geoip --src-cc RU,CN -j DROP',
    });
  });

  it('passes once every country the rules name has its file', async () => {
    const names = ['RU.iv4', 'RU.iv6', 'CN.iv4', 'CN.iv6'];
    const { run } = await runCheckOn(
      ID,
      await withDatabase((path) => ({
        path,
        status: 'ok',
        entries: names.map((name) => ({ name, type: 'file' })),
      })),
    );
    expect(run.status).toBe('pass');
  });

  it('says that no database was ever built when the directory is absent', async () => {
    const { run } = await runCheckOn(
      ID,
      await withDatabase((path) => ({ path, status: 'absent', reason: 'no such directory' })),
    );
    expect(run.findings.map((f) => [f.id, f.messageId])).toEqual([
      [`${ID}#/etc/iptables/rules.v4:RU.iv4`, 'noDatabase'],
      [`${ID}#/etc/iptables/rules.v6:RU.iv6`, 'noDatabase'],
    ]);
  });

  it('names a file that is not whole records where sizes can be read (the host itself, --root)', async () => {
    const reader = await broken();
    const names = ['RU.iv4', 'RU.iv6', 'CN.iv4', 'CN.iv6'];
    // As on the lab's geoip-corrupt boot: CN.iv4 cut to 7 bytes; the rest whole (8 and 32 bytes per range).
    const sizes: Record<string, number> = { 'RU.iv4': 8, 'RU.iv6': 32, 'CN.iv4': 7, 'CN.iv6': 0 };
    const host = Object.assign(Object.create(reader) as HostReader, {
      kind: 'root',
      listDir: (path: string) =>
        path === DB
          ? Promise.resolve({ path, status: 'ok', entries: names.map((name) => ({ name, type: 'file' })) })
          : reader.listDir(path),
      readFile: (path: string) => {
        const size = path.startsWith(`${DB}/`) ? sizes[path.slice(DB.length + 1)] : undefined;
        return size === undefined
          ? reader.readFile(path)
          : Promise.resolve({ path, status: 'ok', content: Buffer.alloc(size) });
      },
    });
    const { run } = await runCheckOn(ID, host);
    expect(run.findings.map((f) => [f.id, f.messageId])).toEqual([
      [`${ID}#/etc/iptables/rules.v4:CN.iv4`, 'corrupt'],
    ]);
    expect(run.findings[0]?.message).toContain('which is 7 bytes, not whole records');
  });

  it('is unknown, never pass, on a snapshot without the listing', async () => {
    const { run } = await runCheckOn(
      ID,
      await withDatabase((path) => ({ path, status: 'not-collected', reason: 'not in the snapshot' })),
    );
    expect(run.status).toBe('unknown');
  });

  it('does not apply where the match cannot load (geoip-not-installed: no module, no library)', async () => {
    const { run } = await runCheckOn(ID, await openSnapshot(join(HOSTS, 'geoip-not-installed.tar.gz')));
    expect(run.status).toBe('not-applicable');
  });
});
