// The real snapshots in fixtures/hosts/ (see its README): each is read by the snapshot reader and holds
// the facts its scenario is about. Checks build on these; this test pins what the collector captured.
import { existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openSnapshot, type SnapshotReader } from './snapshot-reader.ts';

const hosts = new URL('../../fixtures/hosts/', import.meta.url);
const path = (name: string): string => new URL(`${name}.tar.gz`, hosts).pathname;

async function text(r: SnapshotReader, p: string): Promise<string | undefined> {
  const f = await r.readFile(p);
  return f.status === 'ok' ? f.content.toString('utf8') : undefined;
}

describe('fixtures/hosts/dev-vm-no-modules (this machine: no module support, no systemd)', () => {
  it('records a kernel without module support as such', async () => {
    const r = await openSnapshot(path('dev-vm-no-modules'));
    expect(await r.readFile('/proc/modules')).toMatchObject({ status: 'absent' });
    expect(await r.listDir('/lib/modules')).toMatchObject({ status: 'absent' });
    const config = await r.readFile('/proc/config.gz');
    expect(config.status).toBe('ok');
    const cfg = config.status === 'ok' ? gunzipSync(config.content).toString() : '';
    expect(cfg).toContain('# CONFIG_MODULES is not set');
    expect(cfg).toContain('CONFIG_NF_TABLES=y');
    // built-in netfilter is visible without loading anything
    expect(await r.readFile('/proc/net/ip_tables_names')).toMatchObject({ status: 'ok' });
    const sysModule = await r.listDir('/sys/module');
    expect(sysModule.status === 'ok' && sysModule.entries.map((e) => e.name)).toContain('ip_set');
  });

  it('records that systemd is not PID 1 and why systemctl was not run', async () => {
    const r = await openSnapshot(path('dev-vm-no-modules'));
    expect(await text(r, '/proc/1/comm')).not.toBe('systemd\n');
    expect(await r.listDir('/run/systemd/system')).toMatchObject({ status: 'absent' });
    expect(await r.runCommand('systemctl.show.netfilter-persistent')).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('systemd is not running as PID 1') as unknown,
    });
    // with no module support nothing can be autoloaded, so the nft-backed tools did run
    expect((await r.runCommand('iptables-save.nft')).status).toBe('ok');
    expect((await r.runCommand('iptables-version')).stdout).toMatch(/^iptables v1\.8\.\d+ \(nf_tables\)/);
    expect(r.manifest.root).toBeNull();
  });
});

interface LabCase {
  readonly name: string;
  readonly check: (r: SnapshotReader) => Promise<void>;
}

async function journal(r: SnapshotReader): Promise<string> {
  return (await r.runCommand('journal.boot')).stdout;
}

const lab: LabCase[] = [
  {
    name: 'healthy',
    check: async (r) => {
      expect(await text(r, '/etc/iptables/rules.v4')).toContain('--match-set blocklist src');
      expect(await text(r, '/etc/iptables/ipsets')).toContain('create blocklist');
      expect((await r.runCommand('iptables-save.default')).stdout).toContain('-m recent');
      expect((await r.runCommand('ipset-save')).stdout).toContain('create blocklist');
      expect((await r.runCommand('systemctl.show.netfilter-persistent')).stdout).toContain(
        'ActiveState=active',
      );
    },
  },
  {
    name: 'linode-modules-load',
    check: async (r) => {
      expect(await text(r, '/etc/modules')).toMatch(/^loop$/m);
      expect(await journal(r)).toContain("Failed to find module 'loop'");
    },
  },
  {
    name: 'linode-modules-load-requires',
    check: async (r) => {
      expect(
        await text(r, '/etc/systemd/system/netfilter-persistent.service.d/nflab-old-debian-requires.conf'),
      ).toContain('Requires=systemd-modules-load.service');
      expect((await r.runCommand('systemctl.show.netfilter-persistent')).stdout).toContain(
        'ActiveState=active',
      );
    },
  },
  {
    name: 'modules-load-fails',
    check: async (r) => {
      expect(await text(r, '/etc/modules')).toMatch(/^xt_recent$/m);
      expect(await text(r, '/etc/modprobe.d/nflab-xt-recent-bad-option.conf')).toMatch(
        /^options xt_recent /m,
      );
      expect((await r.runCommand('systemctl.failed')).stdout).toContain('systemd-modules-load.service');
    },
  },
  {
    name: 'modules-load-fails-requires',
    check: async (r) => {
      expect((await r.runCommand('systemctl.show.netfilter-persistent')).stdout).toContain(
        'ActiveState=inactive',
      );
      expect(await journal(r)).toMatch(/Dependency failed for netfilter-persistent\.service/);
    },
  },
  {
    name: 'missing-xt-recent',
    check: async (r) => {
      expect(await text(r, '/etc/modprobe.d/nflab-no-xt-recent.conf')).toContain(
        'install xt_recent /bin/false',
      );
      expect((await r.runCommand('systemctl.failed')).stdout).toContain('netfilter-persistent.service');
      expect(await journal(r)).toContain('RULE_APPEND failed');
    },
  },
  {
    name: 'missing-xt-recent-notest',
    check: async (r) => {
      expect(await text(r, '/etc/default/netfilter-persistent')).toMatch(/^#IPTABLES_TEST_RULESET=yes/m);
      expect(await journal(r)).toContain('RULE_APPEND failed');
    },
  },
  {
    name: 'ipset-missing-set',
    check: async (r) => {
      expect(await r.readFile('/etc/iptables/ipsets')).toMatchObject({ status: 'absent' });
      expect(await journal(r)).toContain("Set blocklist doesn't exist");
      expect((await r.runCommand('iptables-save.default')).stdout).not.toContain('-A INPUT');
    },
  },
];

describe.each(lab)('fixtures/hosts/$name (real Debian 12 VM, nflab)', ({ name, check }) => {
  it.skipIf(!existsSync(path(name)))('holds the facts of the scenario', async () => {
    const r = await openSnapshot(path(name));
    expect(r.manifest.kernelReleases).toEqual(['6.1.0-56-cloud-amd64']);
    expect(await text(r, '/etc/os-release')).toContain('bookworm');
    expect((await r.readFile('/lib/modules/6.1.0-56-cloud-amd64/modules.dep')).status).toMatch(/ok|absent/);
    const unit = await r.readFile('/lib/systemd/system/netfilter-persistent.service');
    expect(unit.status === 'ok' && unit.content.toString()).toContain('DefaultDependencies=no');
    await check(r);
  });
});
