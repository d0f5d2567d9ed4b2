import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openSnapshot } from '../../../sources/snapshot-reader.ts';
import { runCheckOn } from '../../testing.ts';
import { labHost, labAvailable, STOCK_NETFILTER_PERSISTENT_UNIT } from '../../../testing/lab-host.ts';
import { memoryReader } from '../../../testing/memory-reader.ts';
import { kernelFiles } from '../../../testing/kernel-fixture.ts';

const ID = 'boot/modules-load-config';
const RELEASE = '6.1.0-56-cloud-amd64';
const STOCK_NFP = STOCK_NETFILTER_PERSISTENT_UNIT;
const REQUIRES = {
  '/etc/systemd/system/netfilter-persistent.service.d/old.conf':
    '[Unit]\nRequires=systemd-modules-load.service\n',
};

function host(
  files: Record<string, string | Buffer>,
  commands: Record<string, string> = {},
): ReturnType<typeof memoryReader> {
  return memoryReader({
    links: { '/etc/modules-load.d/modules.conf': '../modules' },
    files: {
      '/etc/os-release': 'ID=debian\n',
      '/proc/modules': '',
      '/lib/systemd/system/netfilter-persistent.service': STOCK_NFP,
      ...files,
    },
    commands: Object.fromEntries(
      Object.entries({
        'uname-r': `${RELEASE}\n`,
        'systemctl.is-enabled.netfilter-persistent': 'enabled\n',
        ...commands,
      }).map(([id, stdout]) => [id, { stdout }]),
    ),
  });
}

const journalLine = (ident: string, pid: number, msg: string): string =>
  JSON.stringify({
    MESSAGE: msg,
    SYSLOG_IDENTIFIER: ident,
    _PID: String(pid),
    PRIORITY: '3',
    _TRANSPORT: 'kernel',
  });

describe.skipIf(!labAvailable)('boot/modules-load-config on real lab captures', () => {
  it('fails on modules-load-fails: xt_recent rejects its modprobe.d options; netfilter-persistent only Wants= it', async () => {
    const { run } = await runCheckOn(ID, labHost('modules-load-fails'));
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => `${f.key} ${f.messageId}`)).toEqual(['xt_recent:insert insertFailed']);
    const f = run.findings[0]!;
    expect(f.severity).toBe('error');
    expect(f.evidence[0]?.text).toBe(
      "systemd-modules-load[185]: Failed to insert module 'xt_recent': Invalid argument",
    );
    expect(f.evidence).toContainEqual(
      expect.objectContaining({ source: '/etc/modprobe.d/nflab-xt-recent-bad-option.conf', line: 1 }),
    );
    expect(f.fix?.actions).toEqual([
      expect.objectContaining({
        kind: 'comment-line',
        file: '/etc/modprobe.d/nflab-xt-recent-bad-option.conf',
        line: 1,
        expect: 'options xt_recent ip_list_tot=0',
        risk: 'safe',
      }),
      expect.objectContaining({ kind: 'systemctl', verb: 'restart', unit: 'systemd-modules-load.service' }),
    ]);
  });

  it('fails on modules-load-fails-requires with the chain: the Requires= drop-in makes netfilter-persistent not start', async () => {
    const { run } = await runCheckOn(ID, labHost('modules-load-fails-requires'));
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => f.messageId)).toEqual(['insertFailed', 'dependencyFailed']);
    const dep = run.findings[1]!;
    expect(dep.causedBy).toEqual([`${ID}#xt_recent:insert`]);
    expect(dep.subjects).toContain('unit:netfilter-persistent.service');
    expect(dep.evidence.map((e) => e.text)).toContain(
      'systemd[1]: Dependency failed for netfilter-persistent.service - netfilter persistent configuration.',
    );
    expect(dep.evidence).toContainEqual(
      expect.objectContaining({
        source: '/etc/systemd/system/netfilter-persistent.service.d/nflab-old-debian-requires.conf',
        line: 2,
      }),
    );
    expect(dep.fix?.actions).toEqual([
      expect.objectContaining({
        kind: 'replace-line',
        file: '/etc/systemd/system/netfilter-persistent.service.d/nflab-old-debian-requires.conf',
        line: 2,
        expect: 'Requires=systemd-modules-load.service',
        text: 'Wants=systemd-modules-load.service',
        risk: 'safe',
      }),
      expect.objectContaining({ kind: 'systemctl', verb: 'daemon-reload' }),
      expect.objectContaining({ kind: 'systemctl', verb: 'start', unit: 'netfilter-persistent.service' }),
    ]);
  });

  it('warns on linode-modules-load(-requires): loop cannot be found, but systemd 252 only logs it', async () => {
    for (const scenario of ['linode-modules-load', 'linode-modules-load-requires']) {
      const { run } = await runCheckOn(ID, labHost(scenario));
      expect(run.status).toBe('fail');
      expect(run.findings.map((f) => `${f.messageId} ${f.severity}`)).toEqual(['notFound warning']);
      const f = run.findings[0]!;
      expect(f.data.module).toBe('loop');
      const logged = f.evidence.map((e) => e.text ?? '');
      expect(logged.some((t) => /^systemd-modules-load\[\d+\]: Failed to find module 'loop'$/.test(t))).toBe(
        true,
      );
      expect(f.causedBy).toEqual(['kmod/no-modules-dir#6.1.0-56-cloud-amd64:packageFilesMissing']);
      if (scenario.endsWith('-requires')) {
        expect(f.next).toMatch(/netfilter-persistent\.service has Requires=systemd-modules-load\.service/);
      }
    }
  });

  it('passes on the healthy host', async () => {
    const { run } = await runCheckOn(ID, labHost('healthy'));
    expect(run.status).toBe('pass');
  });
});

describe('boot/modules-load-config on generated hosts', () => {
  // After `fix --apply` the boot's journal still holds the insert failure of the boot's start; the restart of
  // systemd-modules-load that followed the repair is what counts (the lab's modules-load-fails-requires fix run).
  const insertJournal = [
    journalLine('systemd-modules-load', 185, "Failed to insert module 'xt_recent': Invalid argument"),
    journalLine('systemd', 1, 'Failed to start systemd-modules-load.service - Load Kernel Modules.'),
  ].join('\n');
  const xtRecentLoaded = 'xt_recent 24576 0 - Live 0x0000000000000000\n';
  for (const [state, loaded, expected] of [
    ['failed', '', ['insertFailed']],
    ['active', '', ['insertFailed']],
    ['failed', xtRecentLoaded, ['insertFailed']],
    ['active', xtRecentLoaded, []],
  ] as const) {
    it(`insert failure in the journal, unit ${state}, xt_recent ${loaded === '' ? 'not ' : ''}loaded now: ${expected.join() || 'nothing'}`, async () => {
      const { run } = await runCheckOn(
        ID,
        host(
          { '/etc/modules': 'xt_recent\n', '/proc/modules': loaded, ...kernelFiles(RELEASE) },
          {
            'journal.boot': insertJournal,
            'systemctl.show.systemd-modules-load': `ActiveState=${state}\nResult=${state === 'failed' ? 'exit-code' : 'success'}\n`,
          },
        ),
      );
      expect(run.findings.map((f) => f.messageId)).toEqual(expected);
    });
  }

  it('on systemd < 244 a missing module fails the unit and drags netfilter-persistent down (the seed case)', async () => {
    const journal = [
      journalLine('systemd-modules-load', 112, "Failed to find module 'loop'"),
      journalLine('systemd', 1, 'Failed to start Load Kernel Modules.'),
      journalLine('systemd', 1, 'Dependency failed for netfilter persistent configuration.'),
    ].join('\n');
    const { run } = await runCheckOn(
      ID,
      host(
        { ...REQUIRES, '/etc/modules': 'loop\n', '/lib/modules/4.9.0-8-amd64/modules.dep': '' },
        { 'dpkg-query': 'systemd\t232-25+deb9u4\tii \n', 'journal.boot': journal },
      ),
    );
    expect(run.status).toBe('fail');
    expect(run.findings.map((f) => `${f.messageId} ${f.severity}`)).toEqual([
      'notFound error',
      'dependencyFailed error',
    ]);
    expect(run.findings[0]?.data.versions).toMatch(/systemd 232 \(< 244\) fails/);
    expect(run.findings[1]?.causedBy).toEqual([`${ID}#/etc/modules-load.d/modules.conf:1:not-found`]);
  });

  it('predicts the chain without a journal on old systemd', async () => {
    const { run } = await runCheckOn(
      ID,
      host(
        { ...REQUIRES, '/etc/modules-load.d/cups-filters.conf': 'lp\nppdev\n', ...kernelFiles(RELEASE) },
        { 'dpkg-query': 'systemd\t241-7\tii \n' },
      ),
    );
    expect(run.findings.map((f) => f.messageId)).toEqual(['notFound', 'notFound', 'dependencyWillFail']);
    expect(run.findings[2]?.causedBy).toHaveLength(2);
  });

  it('says parametersIgnored for "xt_recent ip_list_tot=0" and moves the options to modprobe.d', async () => {
    const { run } = await runCheckOn(
      ID,
      host(
        { '/etc/modules-load.d/fw.conf': '# fw\nxt_recent ip_list_tot=0\n', ...kernelFiles(RELEASE) },
        { 'dpkg-query': 'systemd\t252.39-1\tii \n' },
      ),
    );
    expect(run.status).toBe('fail');
    const f = run.findings[0]!;
    expect(f.messageId).toBe('parametersIgnored');
    expect(f.severity).toBe('warning');
    expect(f.evidence[0]).toMatchObject({ source: '/etc/modules-load.d/fw.conf', line: 2 });
    expect(f.fix?.actions.slice(0, 2)).toEqual([
      expect.objectContaining({
        kind: 'replace-line',
        file: '/etc/modules-load.d/fw.conf',
        line: 2,
        text: 'xt_recent',
      }),
      expect.objectContaining({
        kind: 'write-file',
        path: '/etc/modprobe.d/nfdoctor-xt_recent.conf',
        content: '# written by nfdoctor\noptions xt_recent ip_list_tot=0\n',
        mode: 0o644,
        risk: 'safe',
      }),
    ]);
  });

  it('says denyListed for a blacklisted module, and passes for modules the kernel has', async () => {
    const kernel = kernelFiles(RELEASE);
    const denied = await runCheckOn(
      ID,
      host({
        '/etc/modules-load.d/fw.conf': 'xt_recent\n',
        '/etc/modprobe.d/cis.conf': 'blacklist xt_recent\n',
        ...kernel,
      }),
    );
    expect(denied.run.findings.map((f) => `${f.messageId} ${f.severity}`)).toEqual(['denyListed warning']);
    const ok = await runCheckOn(
      ID,
      host({ '/etc/modules-load.d/fw.conf': 'xt_recent\nnf_conntrack\n', ...kernel }),
    );
    expect(ok.run.status).toBe('pass');
  });

  it('is unknown when neither the kernel release nor the journal can tell', async () => {
    const { run } = await runCheckOn(
      ID,
      memoryReader({
        files: { '/etc/modules': 'loop\n' },
        links: { '/etc/modules-load.d/modules.conf': '../modules' },
      }),
    );
    expect(run.status).toBe('unknown');
    expect(run.reason).toMatch(/modules\.dep/);
  });
});

const SNAPSHOT = join(import.meta.dirname, '../../../../fixtures/hosts/linode-modules-load.tar.gz');

describe.skipIf(!existsSync(SNAPSHOT))(
  'boot/modules-load-config on the real linode-modules-load snapshot',
  () => {
    it('warns about loop from the full -o json journal, caused by the missing module tree', async () => {
      const { run } = await runCheckOn(ID, await openSnapshot(SNAPSHOT));
      expect(run.findings.map((f) => `${f.messageId} ${f.severity}`)).toEqual(['notFound warning']);
      expect(run.findings[0]?.causedBy).toEqual([
        'kmod/no-modules-dir#6.1.0-56-cloud-amd64:packageFilesMissing',
      ]);
    });
  },
);
