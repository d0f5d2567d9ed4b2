// RHEL-family and Arch hosts made of the packages' real files, diagnosed end to end: every check, root causes
// first (src/checks/distro-scenarios.ts), and the mounted-disk ones through the real command line (--root).
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHostModel } from '../model/host-model.ts';
import { runChecks, type DiagnosisResult } from './engine.ts';
import { CHECKS } from './index.ts';
import { DISTRO_SCENARIOS } from './distro-scenarios.ts';
import { archTree, rhelConfig, rhelTree, writeTree } from '../testing/distro-hosts.ts';
import type { Finding } from './types.ts';

async function diagnose(name: string): Promise<DiagnosisResult> {
  const open = DISTRO_SCENARIOS[name];
  if (open === undefined) {
    throw new Error(`no scenario ${name}`);
  }
  return runChecks(CHECKS, await buildHostModel(open()));
}

/** The root findings (explained by nothing else) and, per root, the ids hanging under it. */
function roots(r: DiagnosisResult): Finding[] {
  const ids = new Set(r.findings.map((f) => f.id));
  return r.findings.filter((f) => !f.causedBy.some((c) => ids.has(c)));
}

function commands(f: Finding | undefined): string[] {
  return (f?.fix?.actions ?? []).map((a) => (a.kind === 'manual' ? (a.command ?? a.instruction) : a.kind));
}

describe('RHEL-family hosts', () => {
  it('blocked module listed in IPTABLES_MODULES: the module is the root, the failed iptables.service hangs under it', async () => {
    const r = await diagnose('rhel8-blocked-module');
    expect(roots(r).map((f) => f.id)).toEqual(['kmod/module-unavailable#xt_recent:blocked']);
    const root = roots(r)[0];
    expect(root?.evidence).toContainEqual(
      expect.objectContaining({
        source: '/etc/sysconfig/iptables-config',
        line: 6,
        text: 'IPTABLES_MODULES="xt_recent"',
      }),
    );
    const unit = r.findings.find((f) => f.id === 'loader/restore-failed#unit:iptables.service');
    expect(unit?.causedBy).toEqual([
      'loader/restore-failed#/etc/sysconfig/iptables:7',
      'loader/restore-failed#/etc/sysconfig/iptables:8',
    ]);
    expect(
      r.findings.find((f) => f.id === 'loader/restore-failed#/etc/sysconfig/iptables:7')?.causedBy,
    ).toEqual(['kmod/module-unavailable#xt_recent:blocked']);
  });

  it('the restore failed and iptables.init loaded the .fallback: the unit is green, the fallback hangs under the module', async () => {
    const r = await diagnose('rhel8-fallback-loaded');
    expect(roots(r).map((f) => f.id)).toEqual(['kmod/module-unavailable#xt_recent:blocked']);
    const f = r.findings.find((x) => x.id === 'loader/silent-failure#/etc/sysconfig/iptables:fallback');
    expect(f?.causedBy).toEqual(['kmod/module-unavailable#xt_recent:blocked']);
    expect(f?.data).toEqual(expect.objectContaining({ fallback: '/etc/sysconfig/iptables.fallback' }));
    expect(f?.evidence).toContainEqual(
      expect.objectContaining({
        text: expect.stringContaining('iptables: Applying firewall fallback rules: [  OK  ]'),
      }),
    );
  });

  it('IPTABLES_SAVE_ON_STOP emptied the saved file: that setting is the one root, with the .save copy to restore', async () => {
    const r = await diagnose('rhel8-save-on-stop-emptied');
    expect(roots(r).map((f) => [f.id, f.severity])).toEqual([
      ['loader/unit-config#iptables.service:IPTABLES_SAVE_ON_STOP', 'error'],
    ]);
    expect(roots(r)[0]?.evidence).toContainEqual(
      expect.objectContaining({ source: '/etc/sysconfig/iptables.save', text: '6 rules' }),
    );
    expect(commands(roots(r)[0])).toEqual([
      'replace-line',
      'sudo diff /etc/sysconfig/iptables.save /etc/sysconfig/iptables; sudo cp /etc/sysconfig/iptables.save /etc/sysconfig/iptables && sudo systemctl restart iptables',
    ]);
  });

  it('ip6tables.service enabled without /etc/sysconfig/ip6tables: its AssertPathExists= is the root', async () => {
    const r = await diagnose('rhel8-ip6tables-without-file');
    expect(roots(r).map((f) => f.id)).toEqual([
      'loader/unit-config#ip6tables.service:missing:/etc/sysconfig/ip6tables',
    ]);
  });

  it('iptables.service never enabled (systemctl is-enabled: disabled): enable it', async () => {
    const r = await diagnose('rhel8-not-enabled');
    expect(roots(r).map((f) => f.id)).toEqual(['loader/not-enabled#iptables.service:disabled']);
    expect(roots(r)[0]?.evidence[0]?.source).toBe('command: systemctl is-enabled iptables.service');
  });

  it('CentOS 7 without iptables-services: the install step uses yum', async () => {
    const r = await diagnose('centos7-not-installed');
    expect(roots(r).map((f) => f.id)).toEqual(['loader/not-enabled#iptables.service:not-installed']);
    expect(commands(roots(r)[0])).toEqual([
      'sudo yum install iptables-services && sudo systemctl enable --now iptables.service',
    ]);
  });

  it("CentOS 7's iptables.init unloads a helper that only modules-load.d loads: a warning with the IPTABLES_MODULES edit", async () => {
    const r = await diagnose('centos7-restart-unloads-helper');
    expect(roots(r).map((f) => [f.id, f.severity])).toEqual([
      ['loader/unit-config#iptables.service:modules-unload', 'warning'],
    ]);
  });
});

describe('Arch hosts', () => {
  it('iptables.service never enabled: enable it', async () => {
    const r = await diagnose('arch-not-enabled');
    expect(roots(r).map((f) => f.id)).toEqual(['loader/not-enabled#iptables.service:disabled']);
    expect(
      r.findings[0]?.fix?.actions.map((a) => (a.kind === 'systemctl' ? `${a.verb} ${a.unit ?? ''}` : a.kind)),
    ).toEqual(['enable iptables.service', 'start iptables.service']);
  });

  it('enabled: only the missing network ordering of the stock unit', async () => {
    const r = await diagnose('arch-enabled');
    expect(roots(r).map((f) => [f.id, f.severity])).toEqual([
      ['loader/unit-config#iptables.service:after-network', 'warning'],
    ]);
  });

  it('blocked module: iptables-restore, the unit itself, fails; the module is the root', async () => {
    const r = await diagnose('arch-blocked-module');
    expect(roots(r).map((f) => f.id)).toEqual([
      'kmod/module-unavailable#xt_recent:blocked',
      'loader/unit-config#iptables.service:after-network',
    ]);
    expect(
      r.findings.find((f) => f.id === 'loader/restore-failed#unit:iptables.service')?.causedBy,
    ).toHaveLength(2);
  });
});

describe('nfdoctor diagnose --root on the trees', () => {
  const ROOT = join(import.meta.dirname, '../..');
  const scratch = mkdtempSync(join(tmpdir(), 'nfdoctor-distro-'));
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });
  const cli = (
    dir: string,
  ): { status: number | null; json: { findings: { id: string; severity: string }[] } } => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'diagnose', '--root', dir, '--format', 'json'],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    return {
      status: r.status,
      json: JSON.parse(r.stdout) as { findings: { id: string; severity: string }[] },
    };
  };

  it('a RHEL tree whose IPTABLES_SAVE_ON_STOP emptied the file: exit 1, the setting is the error', () => {
    const config = rhelConfig({ IPTABLES_SAVE_ON_STOP: 'yes' });
    const dir = writeTree(
      rhelTree({
        enabled: ['iptables.service'],
        files: {
          '/etc/sysconfig/iptables-config': config,
          '/etc/sysconfig/iptables':
            '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n',
        },
      }),
      join(scratch, 'rhel'),
    );
    const r = cli(dir);
    expect(r.status).toBe(1);
    expect(r.json.findings.map((f) => [f.id, f.severity])).toEqual([
      ['loader/unit-config#iptables.service:IPTABLES_SAVE_ON_STOP', 'error'],
    ]);
  });

  it('a RHEL tree with ip6tables.service enabled and no /etc/sysconfig/ip6tables: exit 1, restoresMissing', () => {
    const r = cli(
      writeTree(rhelTree({ enabled: ['iptables.service', 'ip6tables.service'] }), join(scratch, 'rhel6')),
    );
    expect(r.status).toBe(1);
    expect(r.json.findings.map((f) => f.id)).toEqual([
      'loader/unit-config#ip6tables.service:missing:/etc/sysconfig/ip6tables',
    ]);
  });

  it('an enabled Arch tree: exit 0, only the network-ordering warning', () => {
    const r = cli(writeTree(archTree({ enabled: ['iptables.service'] }), join(scratch, 'arch')));
    expect(r.status).toBe(0);
    expect(r.json.findings.map((f) => [f.id, f.severity])).toEqual([
      ['loader/unit-config#iptables.service:after-network', 'warning'],
    ]);
  });
});
