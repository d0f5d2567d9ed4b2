// guard install / uninstall against a throwaway root: the tree after uninstall is the tree before, byte for
// byte (contents, modes, symlink targets), including files that were there before and the boot run's outputs.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import {
  mkdtemp,
  mkdir,
  writeFile,
  readFile,
  readdir,
  lstat,
  readlink,
  rm,
  symlink,
  chmod,
} from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  install,
  uninstall,
  readConfig,
  PACKAGED,
  CONFIG_FILE,
  MANIFEST_FILE,
  InstallError,
} from './install.ts';
import { launcherScript, guardUnit, reportUnit, REPORT_UNIT_NAME, UNIT_NAME } from './unit.ts';
import { FAST_SCRIPT, FAST_STATE, fastScript } from './fast.ts';
import { parseAllow, type Allow } from './emergency.ts';
import { systemEffects } from './system.ts';
import { BOOT_JSON, MOTD_FILE } from './messages.ts';

async function tree(root: string, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(root, dir))).sort()) {
    const rel = `${dir}/${name}`;
    const st = await lstat(join(root, rel));
    if (st.isSymbolicLink()) {
      out.push(`${rel} -> ${await readlink(join(root, rel))}`);
    } else if (st.isDirectory()) {
      out.push(`${rel}/ ${(st.mode & 0o7777).toString(8)}`, ...(await tree(root, rel)));
    } else {
      out.push(
        `${rel} ${(st.mode & 0o7777).toString(8)} ${(await readFile(join(root, rel))).toString('base64')}`,
      );
    }
  }
  return out;
}

let root: string;
let bundle: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'nfdoctor-guard-root-'));
  bundle = join(root, '..', `${root.split('/').pop() ?? 'x'}-bundle.cjs`);
  await writeFile(bundle, 'console.log("bundle", process.argv.slice(2).join(" "))\n');
  // A host that already has things where the guard writes.
  await mkdir(join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
  await mkdir(join(root, 'etc/nfdoctor'), { recursive: true });
  await writeFile(join(root, CONFIG_FILE), '{"failClosed": false, "allow": []}\n# hand-edited\n');
  await chmod(join(root, CONFIG_FILE), 0o600);
  await mkdir(join(root, 'run/motd.d'), { recursive: true });
  await writeFile(join(root, MOTD_FILE), 'an old banner line\n');
  await symlink(
    '/lib/systemd/system/ssh.service',
    join(root, 'etc/systemd/system/multi-user.target.wants/ssh.service'),
  );
  await mkdir(join(root, 'var/lib/prometheus/node-exporter'), { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(bundle, { force: true });
});

const CONFIG = {
  failClosed: true,
  allow: [parseAllow('10.0.2.0/24:22') as Allow],
  textfileDir: '/var/lib/prometheus/node-exporter',
};

describe('guard install / uninstall', () => {
  it('puts the tree back byte for byte, after a boot run wrote its outputs', async () => {
    const before = await tree(root);
    const r = await install({
      root,
      prefix: '/usr/local',
      config: CONFIG,
      bundle,
      version: '9.9.9',
      backend: 'nft',
    });
    expect(r.manifest.packaged).toBe(false);
    expect(await readFile(join(root, 'usr/local/lib/nfdoctor/nfdoctor.cjs'), 'utf8')).toContain('bundle');
    expect(await readFile(join(root, 'etc/systemd/system', UNIT_NAME), 'utf8')).toBe(guardUnit(FAST_SCRIPT));
    expect(await readFile(join(root, 'etc/systemd/system', REPORT_UNIT_NAME), 'utf8')).toBe(
      reportUnit('/usr/local/bin/nfdoctor'),
    );
    for (const u of [UNIT_NAME, REPORT_UNIT_NAME]) {
      expect(await readlink(join(root, 'etc/systemd/system/multi-user.target.wants', u))).toBe(
        `/etc/systemd/system/${u}`,
      );
    }
    const script = await readFile(join(root, FAST_SCRIPT), 'utf8');
    expect(script).toBe(fastScript({ ...CONFIG, backend: 'nft', version: '9.9.9' }));
    expect(script).toContain('-A NFDOCTOR-GUARD-IN -s 10.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT');
    expect((await readConfig(root)).allow.map((a) => a.spec)).toEqual(['10.0.2.0/24:22']);
    expect(((await lstat(join(root, 'usr/local/bin/nfdoctor'))).mode & 0o777).toString(8)).toBe('755');
    await expect(
      install({ root, prefix: '/usr/local', config: CONFIG, bundle, version: '9.9.9', backend: 'nft' }),
    ).rejects.toThrow(InstallError);

    // What the boot run writes (the same effects the unit uses, rooted in the temp dir).
    const fx = systemEffects({ root });
    await fx.writeFile(BOOT_JSON, '{}\n');
    await fx.writeFile(MOTD_FILE, 'firewall down\n');
    await fx.writeFile(FAST_STATE, 'ipv4.verdict=not-loaded\n');
    await fx.writeFile('/var/lib/prometheus/node-exporter/nfdoctor.prom', 'nfdoctor_firewall_loaded 0\n');

    await uninstall(root);
    expect(await tree(root)).toEqual(before);
  });

  it('uses the packaged files when the .deb is installed, and writes only the config and the enable link', async () => {
    for (const p of Object.values(PACKAGED)) {
      await mkdir(join(root, p, '..'), { recursive: true });
      await writeFile(join(root, p), `packaged ${p}\n`);
    }
    const before = await tree(root);
    const r = await install({ root, prefix: '/usr/local', config: CONFIG, version: '9.9.9', backend: 'nft' });
    expect(r.manifest.packaged).toBe(true);
    expect(r.written).toEqual([
      CONFIG_FILE,
      FAST_SCRIPT,
      `/etc/systemd/system/multi-user.target.wants/${UNIT_NAME}`,
      `/etc/systemd/system/multi-user.target.wants/${REPORT_UNIT_NAME}`,
    ]);
    expect(await readlink(join(root, 'etc/systemd/system/multi-user.target.wants', UNIT_NAME))).toBe(
      PACKAGED.unit,
    );
    expect(await readlink(join(root, 'etc/systemd/system/multi-user.target.wants', REPORT_UNIT_NAME))).toBe(
      PACKAGED.reportUnit,
    );
    await expect(lstat(join(root, 'usr/local'))).rejects.toThrow();
    await uninstall(root);
    expect(await tree(root)).toEqual(before);
  });

  it('refuses without a bundle or a package, and uninstall without an install', async () => {
    await expect(
      install({ root, prefix: '/usr/local', config: CONFIG, version: '1', backend: 'nft' }),
    ).rejects.toThrow(/no bundle/);
    await expect(lstat(join(root, MANIFEST_FILE))).rejects.toThrow();
    await expect(uninstall(root)).rejects.toThrow(/not installed/);
  });
});

describe('launcher', () => {
  const sh = (env: Record<string, string>, script: string) =>
    spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env } });

  /** PREFIX/bin/nfdoctor and PREFIX/lib/nfdoctor/nfdoctor.cjs, plus a symlink to the launcher elsewhere. */
  async function layout(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'nfdoctor-launcher-'));
    await mkdir(join(dir, 'bin'));
    await mkdir(join(dir, 'lib/nfdoctor'), { recursive: true });
    await writeFile(join(dir, 'bin/nfdoctor'), launcherScript(), { mode: 0o755 });
    await writeFile(join(dir, 'lib/nfdoctor/nfdoctor.cjs'), await readFile(bundle));
    await symlink(join(dir, 'bin/nfdoctor'), join(dir, 'linked'));
    return dir;
  }

  it('runs the bundle beside it with a node >= 18.18, also through a symlink', async () => {
    const dir = await layout();
    for (const cmd of [`${dir}/bin/nfdoctor guard status`, `${dir}/linked guard status`]) {
      const r = sh({ NFDOCTOR_NODE: process.execPath }, cmd);
      expect(r.stdout).toBe('bundle guard status\n');
      expect(r.status).toBe(0);
    }
    await rm(dir, { recursive: true });
  });

  it('says clearly that Node.js >= 18.18 is missing, and exits 2', async () => {
    const dir = await layout();
    await writeFile(join(dir, 'node'), '#!/bin/sh\necho v18.17.1\n', { mode: 0o755 });
    const old = sh({ NFDOCTOR_NODE: join(dir, 'node') }, `${dir}/bin/nfdoctor --version`);
    expect(old.status).toBe(2);
    expect(old.stderr).toBe(
      `nfdoctor: needs Node.js >= 18.18, found ${dir}/node (v18.17.1); install it (Debian 12: apt install nodejs)\n`,
    );
    const none = sh({ NFDOCTOR_NODE: join(dir, 'no-such-node'), INVOCATION_ID: 'x' }, `${dir}/bin/nfdoctor`);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^<3>nfdoctor: needs Node\.js >= 18\.18, found none/);
    await rm(dir, { recursive: true });
  });
});
