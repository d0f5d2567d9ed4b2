// Proof that the fleet works end to end with the tools users run: the real ansible-playbook runs the collect
// playbook against an inventory of several hosts (local connection, each host's collector pointed at a
// different real root tree from the lab snapshots, and no Python for the hosts), then the fleet groups what
// came back. Skipped where ansible-playbook is not installed (.ci/run installs ansible-core).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hasCommand, unpackLabRoot } from '../testing/lab-roots.ts';
import { diagnoseFiles } from './pool.ts';
import { snapshotFiles } from './inputs.ts';
import { FleetAggregator } from './aggregate.ts';
import { openSnapshot } from '../sources/snapshot-reader.ts';
import { buildHostModel } from '../model/host-model.ts';

const run = promisify(execFile);
const PLAYBOOK = join(import.meta.dirname, '../../ansible/playbooks/collect.yml');
const COLLECTOR = join(import.meta.dirname, '../../collector/nfdoctor-collect.sh');
const HOSTS = ['missing-xt-recent', 'missing-xt-recent-notest', 'ipset-missing-set', 'healthy'];
const ansible = hasCommand('ansible-playbook');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nfdoctor-collect-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('collecting from a mounted root', () => {
  it('gives a snapshot whose kernel is the one installed in the root', async () => {
    const root = unpackLabRoot('missing-xt-recent', join(dir, 'direct'));
    const out = join(dir, 'direct.tar.gz');
    await run('sh', [COLLECTOR, '--root', root, '-o', out]);
    const model = await buildHostModel(await openSnapshot(out));
    expect(model.release).toEqual({ value: '6.1.0-56-cloud-amd64', source: '/lib/modules' });
  });
});

describe.skipIf(!ansible)('ansible/playbooks/collect.yml with the real ansible-playbook', () => {
  it('collects every host, runs nothing in --check, leaves no temporary file, and the fleet groups them', async () => {
    const lines = HOSTS.map((h) => `${h} nfdoctor_collect_root=${unpackLabRoot(h, join(dir, 'hosts', h))}`);
    const remoteTmp = join(dir, 'remote-tmp');
    const snapshots = join(dir, 'snapshots');
    const inventory = join(dir, 'inventory.ini');
    writeFileSync(
      inventory,
      [
        '[lab]',
        ...lines,
        '[lab:vars]',
        'ansible_connection=local',
        // The hosts have no Python: any task that needed it on them would fail.
        'ansible_python_interpreter=/nonexistent/python3',
        'nfdoctor_collect_become=false',
        `nfdoctor_remote_tmp=${remoteTmp}`,
        '',
      ].join('\n'),
    );
    mkdirSync(remoteTmp);
    const playbook = (...extra: string[]): Promise<{ stdout: string }> =>
      run(
        'ansible-playbook',
        ['-i', inventory, PLAYBOOK, '-e', `nfdoctor_snapshot_dir=${snapshots}`, ...extra],
        {
          env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'False' },
          maxBuffer: 64 * 1024 * 1024,
        },
      );

    const check = await playbook('--check');
    expect(check.stdout).toMatch(/would run the nfdoctor collector on /);
    expect(existsSync(snapshots)).toBe(false);

    const real = await playbook();
    expect(real.stdout).toMatch(/missing-xt-recent\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0/);
    expect(readdirSync(snapshots).sort()).toEqual(HOSTS.map((h) => `${h}.tar.gz`).sort());
    expect(readdirSync(remoteTmp)).toEqual([]);

    const agg = new FleetAggregator();
    await diagnoseFiles(snapshotFiles([snapshots]), {
      jobs: 2,
      onOutcome: (o) => {
        agg.add(o);
      },
    });
    const report = agg.finish();
    expect(report.groups.map((g) => [g.cause.checkId, g.cause.messageId, g.hosts])).toEqual([
      ['kmod/module-unavailable', 'blocked', ['missing-xt-recent', 'missing-xt-recent-notest']],
      ['ipset/set-unavailable', expect.any(String), ['ipset-missing-set']],
    ]);
    expect(report.groups[0]?.cause.cause).toBe(
      '/etc/modprobe.d/nflab-no-xt-recent.conf: install xt_recent /bin/false',
    );
    expect(report.hosts.find((h) => h.host === 'healthy')?.groups).toEqual([]);
    expect(report.unreadable).toEqual([]);
  }, 600_000);
});
