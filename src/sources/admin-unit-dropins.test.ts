// The drop-ins of units an administrator wrote ({unit} in the registry): the shell collector takes them into
// a snapshot, so that an ipset restore unit ordered by a drop-in (what `fix --apply` writes) is seen there
// as the host itself and --root see it.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSnapshot } from './snapshot-reader.ts';
import { RootReader } from './fs-readers.ts';
import { buildHostModel } from '../model/host-model.ts';

const COLLECTOR = join(import.meta.dirname, '../../collector/nfdoctor-collect.sh');
const UNIT =
  '[Unit]\nDescription=Restore ipsets\n\n[Service]\nExecStart=/sbin/ipset restore -file /etc/ipset.conf\n\n[Install]\nWantedBy=multi-user.target\n';
const DROP_IN =
  '[Unit]\nBefore=netfilter-persistent.service\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\n';

describe('drop-ins of the administrator’s units', () => {
  it('are in the snapshot the shell collector takes of a root, and the model reads them as --root does', async () => {
    const work = mkdtempSync(join(tmpdir(), 'nfd-dropins-'));
    try {
      const root = join(work, 'root');
      const etc = join(root, 'etc/systemd/system');
      mkdirSync(join(etc, 'ipset-restore.service.d'), { recursive: true });
      mkdirSync(join(etc, 'multi-user.target.wants'), { recursive: true });
      writeFileSync(join(etc, 'ipset-restore.service'), UNIT);
      writeFileSync(join(etc, 'ipset-restore.service.d/nfdoctor-order.conf'), DROP_IN);
      writeFileSync(join(etc, 'ipset-restore.service.d/notes.txt'), 'not a drop-in\n');
      writeFileSync(join(root, 'etc/ipset.conf'), 'create blocklist hash:net family inet\n');
      const out = join(work, 'snap.tar.gz');
      const r = spawnSync('sh', [COLLECTOR, '--root', root, '-o', out], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const snap = await openSnapshot(out);
      const listing = await snap.listDir('/etc/systemd/system/ipset-restore.service.d');
      expect(listing.status).toBe('ok');
      expect(
        (await snap.readFile('/etc/systemd/system/ipset-restore.service.d/nfdoctor-order.conf')).status,
      ).toBe('ok');
      // Only *.conf is a drop-in (systemd.unit(5)); nothing else of the directory is copied.
      expect((await snap.readFile('/etc/systemd/system/ipset-restore.service.d/notes.txt')).status).not.toBe(
        'ok',
      );
      for (const reader of [snap, new RootReader(root)]) {
        const model = await buildHostModel(reader);
        const unit = model.units.get('ipset-restore.service');
        expect(unit?.dropInsUnread).toBeUndefined();
        expect(unit?.effective?.deps('Before').map((d) => d.unit)).toEqual(['netfilter-persistent.service']);
        expect(unit?.effective?.last('Service', 'Type')?.value).toBe('oneshot');
        expect(model.setRestoreUnits.map((u) => u.file)).toEqual(['/etc/ipset.conf']);
        expect(model.savedIpsets.map((s) => s.path)).toEqual(['/etc/ipset.conf']);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
