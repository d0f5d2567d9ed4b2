// diagnose --root of a stopped host's disk: the persistent journal it kept (real files from a lab disk,
// fixtures/journals) is read with this machine's journalctl --directory, so the loader's failure at the last
// boot is diagnosed as from a snapshot of that boot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RootReader, rootJournalArgv } from './fs-readers.ts';
import { buildHostModel, type HostModel } from '../model/host-model.ts';
import { openSnapshot } from './snapshot-reader.ts';
import { runChecks } from '../checks/engine.ts';
import { CHECKS } from '../checks/index.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const MACHINE_ID = '4e54bc715d1540d8ac7f546e4cebfad2';
const COLLECTOR = join(import.meta.dirname, '../../collector/nfdoctor-collect.sh');

function haveJournalctl(): boolean {
  try {
    execFileSync('journalctl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('rootJournalArgv', () => {
  it('reads the directory, and names the last boot -0 (a bare -b means the running boot of this machine)', () => {
    expect(rootJournalArgv(['journalctl', '-b', '-o', 'json'], '/mnt/x/var/log/journal')).toEqual([
      'journalctl',
      '--directory=/mnt/x/var/log/journal',
      '-b',
      '-0',
      '-o',
      'json',
    ]);
    expect(rootJournalArgv(['journalctl', '-b', '-1', '-o', 'json'], '/d')).toEqual([
      'journalctl',
      '--directory=/d',
      '-b',
      '-1',
      '-o',
      'json',
    ]);
    expect(rootJournalArgv(['journalctl', '--list-boots'], '/d')).toEqual([
      'journalctl',
      '--directory=/d',
      '--list-boots',
    ]);
  });
});

/** The disk as the collector saw it on that boot (the snapshot's root/), with the disk's own journal. */
function stoppedDisk(dir: string): string {
  execFileSync('tar', ['-xzf', join(FIXTURES, 'hosts/queue-verdict.tar.gz'), '-C', dir, 'root']);
  const tree = join(dir, 'root');
  // Debian 12 merges /usr: the disk's /lib is a link to usr/lib (the snapshot lists links, it does not copy
  // them). /etc/alternatives is left out: the backend then comes from the journal's own lines.
  symlinkSync('usr/lib', join(tree, 'lib'));
  mkdirSync(join(tree, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(
    join(tree, 'var/lib/dpkg/status'),
    gunzipSync(readFileSync(join(FIXTURES, 'dpkg/lab-image.status.gz'))),
  );
  const journalDir = join(tree, 'var/log/journal', MACHINE_ID);
  mkdirSync(journalDir, { recursive: true });
  writeFileSync(
    join(journalDir, 'system.journal'),
    gunzipSync(readFileSync(join(FIXTURES, 'journals/queue-verdict.system.journal.gz'))),
  );
  return tree;
}

function assertLoaderFailureExplained(model: HostModel, journalSource: string): void {
  expect(model.journal.available).toBe(true);
  expect(model.journal.source).toBe(journalSource);
  const result = runChecks(CHECKS, model);
  const line6 = result.findings.find((f) => f.id === 'loader/restore-failed#/etc/iptables/rules.v4:6');
  expect(line6?.message).toContain(
    '"line 6: RULE_APPEND failed (No such file or directory): rule in chain INPUT"',
  );
  expect(line6?.message).toContain('iptables-nft sends QUEUE');
  expect(line6?.evidence[1]?.source).toBe(journalSource);
  const unit = result.findings.find(
    (f) => f.id === 'loader/restore-failed#unit:netfilter-persistent.service',
  );
  expect(unit?.causedBy).toContain(line6?.id);
}

describe.skipIf(!haveJournalctl())(
  'diagnose --root of a lab disk whose loader failed (queue-verdict)',
  () => {
    let dir = '';
    let tree = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'nfd-root-journal-'));
      tree = stoppedDisk(dir);
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('reads the last boot from the disk and explains line 6 as the snapshot of that boot does', async () => {
      const reader = new RootReader(tree);
      const boots = await reader.runCommand('journal.list-boots');
      expect(boots.status).toBe('ok');
      expect(boots.stdout.trim().split('\n')).toHaveLength(3);
      const model = await buildHostModel(reader);
      assertLoaderFailureExplained(model, `journalctl -D ${join(tree, 'var/log/journal')} -b -0`);
      // The previous boot on the disk is the setup boot.
      expect(model.previousJournal.available).toBe(true);
      expect(model.previousJournal.source).toContain(' -b -1');
    });

    it("reads the disk's package database as the live dpkg-query did on that system", async () => {
      const fact = await new RootReader(tree).runCommand('dpkg-query');
      // As live: dpkg-query exits 1 when some package of the list (ufw, firewalld ...) was never installed.
      expect([fact.status, fact.exitCode]).toEqual(['exit-nonzero', 1]);
      expect(fact.argv[1]).toBe(`--admindir=${join(tree, 'var/lib/dpkg')}`);
      const live = execFileSync(
        'tar',
        ['-xzOf', join(FIXTURES, 'hosts/queue-verdict.tar.gz'), 'commands/dpkg-query.stdout'],
        {
          encoding: 'utf8',
        },
      );
      expect(fact.stdout).toBe(live);
      const model = await buildHostModel(new RootReader(tree));
      expect(model.packages.get('iptables')).toBe('1.8.9-2');
    });

    it('the shell collector in --root mode takes the same journal into its snapshot', async () => {
      const out = join(dir, 'disk.tar.gz');
      const r = spawnSync('sh', [COLLECTOR, '--root', tree, '-o', out], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const model = await buildHostModel(await openSnapshot(out));
      assertLoaderFailureExplained(model, `journalctl -D ${join(tree, 'var/log/journal')} -b -0`);
      expect(model.packages.get('iptables')).toBe('1.8.9-2');
    });

    /** journal.boot as the reader and as the shell collector's snapshot give it, for a root `plant` makes. */
    async function journalOfHostileRoot(plant: (root: string) => void) {
      const hostile = mkdtempSync(join(tmpdir(), 'nfd-root-journal-hostile-'));
      try {
        mkdirSync(join(hostile, 'etc'));
        plant(hostile);
        const direct = await new RootReader(hostile).runCommand('journal.boot');
        const out = join(hostile, 'snap.tar.gz');
        const r = spawnSync('sh', [COLLECTOR, '--root', hostile, '-o', out], {
          encoding: 'utf8',
          timeout: 120_000,
        });
        expect(r.status, r.stderr).toBe(0);
        return { direct, collected: await (await openSnapshot(out)).runCommand('journal.boot') };
      } finally {
        rmSync(hostile, { recursive: true, force: true });
      }
    }

    it("never follows a journal link out of the root to this machine's own journal", async () => {
      const { direct, collected } = await journalOfHostileRoot((root) => {
        mkdirSync(join(root, 'var/log'), { recursive: true });
        symlinkSync('/var/log/journal', join(root, 'var/log/journal'));
      });
      expect(direct.status).toBe('not-available');
      expect(collected.status).toBe('not-available');
      expect(collected.reason).toContain('no persistent journal');
    });

    it("reads no journal file that is a link (an absolute one would be this machine's journal)", async () => {
      const { direct, collected } = await journalOfHostileRoot((root) => {
        mkdirSync(join(root, 'var/log/journal/0123'), { recursive: true });
        symlinkSync('/var/log/journal', join(root, 'var/log/journal/0123/system.journal'));
      });
      expect(direct.status).toBe('not-available');
      expect(direct.reason).toContain('/var/log/journal holds a symbolic link');
      expect(collected.status).toBe('not-available');
    });

    it('leaves the journal out when asked (the after-diagnosis of fix --apply --root: nothing booted since)', async () => {
      const reader = new RootReader(join(FIXTURES, 'roots/debian-masked'), { journal: false });
      const fact = await reader.runCommand('journal.boot');
      expect(fact.status).toBe('not-available');
      expect(fact.reason).toContain('the journal tells the boot before the fix');
    });

    it('says there is no persistent journal when the disk has none', async () => {
      const reader = new RootReader(join(FIXTURES, 'roots/debian-masked'));
      const fact = await reader.runCommand('journal.boot');
      expect(fact.status).toBe('not-available');
      expect(fact.reason).toContain('no persistent journal (/var/log/journal is not a directory)');
    });
  },
);
