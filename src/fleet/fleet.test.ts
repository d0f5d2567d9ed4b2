// The fleet on the real lab snapshots: worker threads (from the TypeScript sources here), grouping by root
// cause, hostile and corrupt archives as unreadable hosts, and the exit rule.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diagnoseFiles } from './pool.ts';
import { snapshotFiles } from './inputs.ts';
import { FleetAggregator, fleetExitCode, type FleetReport } from './aggregate.ts';
import { SEVERITY_RANK } from './summary.ts';
import { buildTarGz, minimalSnapshotEntries } from '../sources/test-tar.ts';
import { fleetToJson } from '../report/fleet-json.ts';
import { renderFleetFixPlaybook } from './fix-playbook.ts';
import { spawnSync } from 'node:child_process';
import { renderFleetText } from '../report/fleet-text.ts';

const SCHEMA_DIR = join(import.meta.dirname, '../../schema');
const ajv = new Ajv2020({ allErrors: true, strict: true });
for (const name of ['diagnose', 'fleet']) {
  ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, `${name}.schema.json`), 'utf8')) as object);
}
const validateFleet = ajv.getSchema('https://nfdoctor.invalid/schema/fleet.schema.json');

const HOSTS = join(import.meta.dirname, '../../fixtures/hosts');
// The broken boots; the snapshots taken after `fix --apply` and a reboot are the repaired hosts, checked apart.
const LAB = readdirSync(HOSTS).filter((f) => f.endsWith('.tar.gz') && !f.includes('.after-fix.'));
const AFTER_FIX = readdirSync(HOSTS).filter((f) => f.endsWith('.after-fix.tar.gz'));

let dir: string;

async function fleet(args: readonly string[], jobs = 2): Promise<FleetReport> {
  const agg = new FleetAggregator();
  await diagnoseFiles(snapshotFiles(args), {
    jobs,
    onOutcome: (o) => {
      agg.add(o);
    },
  });
  return agg.finish();
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nfdoctor-fleet-'));
  for (const f of LAB) {
    copyFileSync(join(HOSTS, f), join(dir, f));
  }
  writeFileSync(join(dir, 'garbage.tar.gz'), 'not a tarball at all\n');
  writeFileSync(
    join(dir, 'hostile.tar.gz'),
    buildTarGz([...minimalSnapshotEntries(), { name: 'root/../../etc/passwd', data: 'x' }]),
  );
  writeFileSync(join(dir, 'ignored.txt'), 'not a snapshot name');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('nfdoctor fleet on the lab snapshots', () => {
  it('writes one play per root-cause group for its hosts (--fix-playbook), each line edit behind its check', async () => {
    const report = await fleet([dir]);
    const playbook = renderFleetFixPlaybook(report);
    expect(playbook.plays).toBe(report.groups.filter((g) => (g.cause.fix?.actions.length ?? 0) > 0).length);
    const blocked = report.groups.find((g) => g.hosts.includes('missing-xt-recent'));
    expect(blocked).toBeDefined();
    const play = playbook.text.slice(playbook.text.indexOf(`- name: "nfdoctor ${blocked?.id ?? ''}:`));
    expect(play).toMatch(/^- name: .*\n {2}hosts: "missing-xt-recent,missing-xt-recent-notest"\n/);
    const nextPlay = play.indexOf('\n- name: "nfdoctor g');
    expect(nextPlay === -1 ? play : play.slice(0, nextPlay)).toContain(
      'nfdoctor_expect: !unsafe "install xt_recent /bin/false"',
    );
    if (spawnSync('ansible-playbook', ['--version']).status === 0) {
      const file = join(dir, 'fix.yml');
      writeFileSync(file, playbook.text);
      const hosts = `${report.groups.flatMap((g) => g.hosts).join(',')},`;
      const check = spawnSync('ansible-playbook', ['--syntax-check', '-i', hosts, file], {
        encoding: 'utf8',
      });
      expect(check.status, check.stderr).toBe(0);
    }
  }, 120_000);

  it.skipIf(AFTER_FIX.length === 0)(
    'counts no host repaired by fix --apply as a problem; the set nobody saved stays a problem (a manual step)',
    async () => {
      const report = await fleet(AFTER_FIX.map((f) => join(HOSTS, f)));
      const unfixable = AFTER_FIX.filter((f) => f.startsWith('ipset-missing-set.')).map((f) =>
        f.replace(/\.tar\.gz$/, ''),
      );
      expect(report.counts.unreadable).toBe(0);
      expect(report.counts.problem).toBe(unfixable.length);
      expect(report.groups.filter((g) => g.severity === 'error').flatMap((g) => g.hosts)).toEqual(unfixable);
    },
  );

  it('groups hosts by root cause, worst first, with healthy and unreadable hosts', async () => {
    const report = await fleet([dir]);
    expect(report.total).toBe(LAB.length + 2);
    const groups = report.groups.map((g) => [g.id, g.cause.checkId, g.cause.messageId, g.hosts]);
    expect(groups).toEqual([
      [
        'g1',
        'boot/modules-load-config',
        expect.any(String),
        ['modules-load-fails', 'modules-load-fails-requires'],
      ],
      // One cause on two boots of one host: the rules lost the race (error) and won it (warning).
      [
        'g2',
        'ipset/set-unavailable',
        'ownUnitLate',
        ['ipset-own-unit-unordered', 'ipset-own-unit-unordered.won'],
      ],
      ['g3', 'kmod/module-unavailable', 'blacklisted', ['blacklisted-module', 'legacy-blacklisted-module']],
      ['g4', 'kmod/module-unavailable', 'blocked', ['missing-xt-recent', 'missing-xt-recent-notest']],
      // Two files, two missing country files: two causes (CN.iv4, RU.iv6), whether the test load ran or not.
      ['g5', 'userspace/geoip-database', 'missing', ['geoip-no-database', 'geoip-no-database-notest']],
      ['g6', 'userspace/geoip-database', 'missing', ['geoip-no-database', 'geoip-no-database-notest']],
      ['g7', 'ipset/set-unavailable', expect.any(String), ['ipset-missing-set']],
      ['g8', 'kernel/next-boot', 'outOfTreeMissing', ['next-kernel-no-dkms']],
      ['g9', 'kernel/next-boot', 'fileMissing', ['next-kernel-missing-module']],
      ['g10', 'kmod/module-unavailable', 'loadingDisabledBy', ['modules-disabled']],
      ['g11', 'kmod/module-unavailable', 'blacklisted', ['blacklist-name-vs-alias']],
      ['g12', 'kmod/module-unavailable', 'fileMissing', ['geoip-not-installed']],
      ['g13', 'kmod/module-unavailable', 'blocked', ['hardening-install-true']],
      ['g14', 'loader/restore-failed', 'ruleInvalidExplained', ['chain-loop']],
      ['g15', 'loader/restore-failed', 'ruleMissingExplained', ['queue-verdict']],
      // recent --hitcount 300: --test passes, Debian 12's 6.1 kernel refuses the rule.
      ['g16', 'loader/restore-failed', 'ruleInvalidExplained', ['recent-hitcount']],
      ['g17', 'loader/rules-file-family', 'otherFamilyContent', ['v4-rules-copied-to-v6']],
      ['g18', 'loader/rules-file-family', 'otherFamily', ['v4-rules-in-v6']],
      // `-h` in rules.v4: iptables-restore printed its usage and exited 0; the line is the cause.
      ['g19', 'loader/silent-failure', 'restoreExits', ['help-in-rules']],
      // Two test loads refused at rules.v4 line 6 for different reasons: told apart by the rule itself.
      ['g20', 'loader/silent-failure', 'testLoadRejected', ['geoip-corrupt']],
      ['g21', 'loader/silent-failure', 'testLoadRejected', ['hostname-in-rules']],
      ['g22', 'loader/silent-failure', 'testLoadRejected', ['ipset-family']],
      ['g23', 'userspace/backend-mismatch', 'blocksSaved', ['other-backend-lockdown']],
      [
        'g24',
        'kmod/no-modules-dir',
        expect.any(String),
        ['linode-modules-load', 'linode-modules-load-requires'],
      ],
      ['g25', 'kmod/module-unavailable', 'loadedButBlocked', ['blacklisted-module.by-hand']],
      ['g26', 'rules/icmpv6-dropped', 'icmpOnly', ['icmpv6-dropped']],
      // A docker container with nothing loaded: an info note, and the host counts as healthy.
      ['g27', 'loader/no-rules-configured', 'containerNothing', ['dev-vm-no-modules']],
    ]);
    // The same blacklist line on an nft host and on a legacy host: one cause, one group.
    expect(report.groups[2]?.cause.cause).toBe('/etc/modprobe.d/hardening.conf: blacklist xt_recent');
    const blocked = report.groups[3];
    expect(blocked?.cause.cause).toBe(
      '/etc/modprobe.d/nflab-no-xt-recent.conf: install xt_recent /bin/false',
    );
    expect(blocked?.cause.chain.map((c) => c.checkId)).toContain('loader/restore-failed');
    expect(blocked?.cause.fix?.actions).toContainEqual(
      expect.objectContaining({ kind: 'comment-line', file: '/etc/modprobe.d/nflab-no-xt-recent.conf' }),
    );
    expect(report.hosts.find((h) => h.host === 'missing-xt-recent')?.groups).toEqual(['g4']);
    expect(report.hosts.filter((h) => h.verdict === 'incomplete').map((h) => h.host)).toEqual(['healthy']);
    expect(report.unreadable.map((u) => [u.host, u.reason])).toEqual([
      ['garbage', expect.stringMatching(/not a gzip file/)],
      ['hostile', expect.stringMatching(/contains "\.\."/)],
    ]);
    expect(report.counts).toEqual({ problem: 26, warnings: 5, incomplete: 1, ok: 3, unreadable: 2 });
    expect(fleetExitCode(report, SEVERITY_RANK.error)).toBe(2);

    const json = fleetToJson(report, '0.0.0');
    expect(validateFleet?.(json), JSON.stringify(validateFleet?.errors)).toBe(true);
    const text = renderFleetText(report);
    expect(text.split('\n')[0]).toBe(
      'FLEET PROBLEM: 37 hosts: 26 with problems, 5 with warnings only, 3 healthy, 1 with no finding but checks that could not decide, 2 unreadable; 27 distinct root causes. Worst first.',
    );
    expect(text).toContain('[g3] 2 hosts: xt_recent');
    expect(text).toContain('unreadable: hostile: ');
  });

  it('gives the same report with one worker as with several', async () => {
    const files = ['missing-xt-recent', 'healthy', 'modules-load-fails'].map((f) =>
      join(HOSTS, `${f}.tar.gz`),
    );
    const one = await fleet(files, 1);
    const three = await fleet(files, 3);
    expect(three).toEqual(one);
    expect(one.groups).toHaveLength(2);
    expect(fleetExitCode(one, SEVERITY_RANK.error)).toBe(1);
  });

  it('reports a missing file as one unreadable host and goes on', async () => {
    const report = await fleet([join(dir, 'nope.tar.gz'), join(HOSTS, 'healthy.tar.gz')]);
    expect(report.unreadable).toEqual([
      {
        host: 'nope',
        file: join(dir, 'nope.tar.gz'),
        reason: expect.stringMatching(/nope\.tar\.gz: cannot read/),
      },
    ]);
    expect(report.hosts.map((h) => h.host)).toEqual(['healthy']);
  });

  it('reports a snapshot that exhausts its worker heap as unreadable and replaces the worker', async () => {
    const agg = new FleetAggregator();
    await diagnoseFiles(
      snapshotFiles([join(HOSTS, 'healthy.tar.gz'), join(HOSTS, 'missing-xt-recent.tar.gz')]),
      {
        jobs: 1,
        maxOldGenerationSizeMb: 4,
        onOutcome: (o) => {
          agg.add(o);
        },
      },
    );
    const report = agg.finish();
    expect(report.unreadable.map((u) => u.reason)).toEqual([
      expect.stringMatching(/ran out of memory/),
      expect.stringMatching(/ran out of memory/),
    ]);
  });
});
