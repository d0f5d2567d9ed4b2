// An Alpine root made of the package's real OpenRC files (src/parsers/__samples__/openrc-iptables), read the
// three ways nfdoctor reads a host: --root, and a snapshot the shell collector takes of it under busybox sh
// (Alpine's /bin/sh) and dash. The runlevel listings and conf.d files must reach the snapshot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { alpineFiles } from '../testing/openrc-host.ts';
import { RootReader } from '../sources/fs-readers.ts';
import { openSnapshot } from '../sources/snapshot-reader.ts';
import { buildHostModel } from './host-model.ts';
import { runChecks } from '../checks/engine.ts';
import { CHECKS } from '../checks/index.ts';
import type { HostReader } from '../sources/host-reader.ts';

const COLLECTOR = new URL('../../collector/nfdoctor-collect.sh', import.meta.url).pathname;
const RULES =
  '*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n';
const shells = [['busybox', 'sh'], ['dash']].filter(
  ([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd ?? ''}`]).status === 0,
);

let work: string;
let root: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nfd-openrc-'));
  root = join(work, 'alpine');
  for (const [path, text] of Object.entries(alpineFiles({ '/etc/iptables/rules-save': RULES }))) {
    if (path.startsWith('/etc/runlevels/')) {
      continue;
    }
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  symlinkSync('iptables', join(root, 'etc/init.d/ip6tables'));
  for (const level of ['sysinit', 'boot', 'default']) {
    mkdirSync(join(root, 'etc/runlevels', level), { recursive: true });
  }
  symlinkSync('/etc/init.d/sshd', join(root, 'etc/runlevels/default/sshd'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function findings(reader: HostReader): Promise<string[]> {
  const result = runChecks(CHECKS, await buildHostModel(reader));
  return result.findings.map((f) => f.id);
}

function snapshot(shell: readonly string[], name: string): string {
  const out = join(work, `${name}.tar.gz`);
  const [cmd, ...rest] = shell;
  const r = spawnSync(cmd ?? 'sh', [...rest, COLLECTOR, '--root', root, '-o', out], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return out;
}

describe('an Alpine root with the iptables service in no runlevel, then in the default one', () => {
  it('says so with --root and from a snapshot of every shell, and passes once rc-update added it', async () => {
    const notEnabled = 'loader/not-enabled#/etc/init.d/iptables:not-in-runlevel';
    expect(await findings(new RootReader(root))).toContain(notEnabled);
    for (const shell of shells) {
      expect(await findings(await openSnapshot(snapshot(shell, `off-${shell[0] ?? ''}`)))).toContain(
        notEnabled,
      );
    }
    symlinkSync('/etc/init.d/iptables', join(root, 'etc/runlevels/default/iptables'));
    try {
      expect(await findings(new RootReader(root))).not.toContain(notEnabled);
      for (const shell of shells) {
        const ids = await findings(await openSnapshot(snapshot(shell, `on-${shell[0] ?? ''}`)));
        expect(ids.filter((id) => id.startsWith('loader/'))).toEqual([]);
      }
    } finally {
      unlinkSync(join(root, 'etc/runlevels/default/iptables'));
    }
  });
});
