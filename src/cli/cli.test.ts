// The command-line contract: exit codes, one-line errors on bad input, never a stack trace.
import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

const ROOT = join(import.meta.dirname, '../..');
const KERNEL = join(ROOT, 'fixtures/kernels/6.1.0-56-cloud-amd64');

function nfdoctor(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const validateCheck = new Ajv2020({ allErrors: true, strict: true }).compile(
  JSON.parse(readFileSync(join(ROOT, 'schema/check.schema.json'), 'utf8')) as object,
);

const scratch = mkdtempSync(join(tmpdir(), 'nfdoctor-cli-'));
const emptyRoot = join(scratch, 'empty-root');
mkdirSync(emptyRoot);
// An OpenRC system (Alpine): etc/ but no systemd unit directory.
const openrcRoot = join(scratch, 'openrc-root');
mkdirSync(join(openrcRoot, 'etc/init.d'), { recursive: true });
const nftConf = join(scratch, 'nftables.conf');
writeFileSync(
  nftConf,
  '#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n  chain input {\n    type filter hook input priority 0; policy drop;\n  }\n}\n',
);
const script = join(scratch, 'firewall.sh');
writeFileSync(script, '#!/bin/sh\niptables -P INPUT DROP\niptables -A INPUT -p tcp --dport 22 -j ACCEPT\n');

describe('nfdoctor command line', () => {
  it('stops quietly when the reader of its output has gone (| head): the exit status of the diagnosis, no trace', async () => {
    const args = ['diagnose', '--snapshot', join(ROOT, 'fixtures/hosts/healthy.tar.gz'), '--format', 'json'];
    const whole = nfdoctor(...args);
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed long before the program writes (it takes a second to start): its write(2) gets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((done) => {
      child.on('close', (code) => {
        done(code);
      });
    });
    expect(stderr).toBe('');
    expect(status).toBe(whole.status);
  });

  it('exits 0 and prints JSON for rules the kernel can load', () => {
    const r = nfdoctor(
      'check',
      join(ROOT, 'examples/rules.v4'),
      '--ipsets',
      join(ROOT, 'examples/ipsets'),
      '--kernel',
      KERNEL,
      '--format',
      'json',
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ schemaVersion: 1, ok: true });
  });

  it('check --fail-on: a warning fails only at warning, a refusal not at none, a bad level is usage', () => {
    const rules = join(scratch, 'icmp.v6');
    writeFileSync(rules, '*filter\n:INPUT DROP [0:0]\n-A INPUT -p icmp -j ACCEPT\nCOMMIT\n');
    expect(nfdoctor('check', rules, '--kernel', KERNEL).status).toBe(0);
    const strict = nfdoctor('check', rules, '--kernel', KERNEL, '--fail-on', 'warning');
    expect(strict.status).toBe(1);
    expect(strict.stdout).toContain('-p icmp in an IPv6 rule is protocol 1');
    const refused = join(scratch, 'port.v4');
    writeFileSync(refused, '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n');
    expect(nfdoctor('check', refused, '--kernel', KERNEL).status).toBe(1);
    expect(nfdoctor('check', refused, '--kernel', KERNEL, '--fail-on', 'none').status).toBe(0);
    expect(nfdoctor('check', refused, '--kernel', KERNEL, '--fail-on', 'sometimes').status).toBe(2);
  });

  it('exits 1 when a module is missing from the target kernel', () => {
    const rules = join(scratch, 'clusterip.v4');
    writeFileSync(rules, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m geoip --src-cc XX -j DROP\nCOMMIT\n');
    const r = nfdoctor('check', rules, '--kernel', KERNEL);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^PROBLEM:/);
  });

  const bad: [string, string[], RegExp][] = [
    ['a missing file', ['check', join(scratch, 'nope')], /nope: no such file$/],
    ['a directory', ['check', scratch], /is a directory/],
    ['binary junk', ['check', process.execPath], /contains NUL bytes/],
    ['a file that is not a ruleset', ['check', join(ROOT, 'package.json')], /not an iptables-save ruleset/],
    [
      'guard install onto a root without systemd (OpenRC)',
      ['guard', 'install', '--root', openrcRoot],
      /guard install: .*openrc-root does not run systemd \(no \/usr\/lib\/systemd\/system or \/lib\/systemd\/system\); the boot guard is a systemd unit and would never run there$/,
    ],
    [
      'an nftables.conf',
      ['check', nftConf],
      /nftables\.conf: an nftables ruleset \(nft syntax\), not iptables-save: check it with nft -c -f .*nftables\.conf$/,
    ],
    [
      'a shell script of iptables commands',
      ['check', script],
      /firewall\.sh: a script of iptables commands, not an iptables-save ruleset: iptables-restore cannot read it/,
    ],
    ['an unknown option', ['check', '--frobnicate'], /Unknown option '--frobnicate'/],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    [
      'a bad --kernel',
      ['check', join(ROOT, 'examples/rules.v4'), '--kernel', join(scratch, 'nope')],
      /no such file/,
    ],
    [
      'a corrupt snapshot',
      ['diagnose', '--snapshot', join(ROOT, 'examples/rules.v4')],
      /examples\/rules\.v4|rules\.v4/,
    ],
    // An empty directory is a mount point before its disk is mounted: not a host with nothing configured.
    ...(
      [
        ['diagnose', '--root'],
        ['check', join(ROOT, 'examples/rules.v4'), '--root'],
        ['fix', '--root'],
        ['fix', '--apply', '--yes', '--root'],
        ['rollback', '--list', '--root'],
        ['guard', 'status', '--root'],
        ['guard', 'uninstall', '--root'],
      ] as const
    ).map((head): [string, string[], RegExp] => [
      `${head.join(' ')} on an empty directory`,
      [...head, emptyRoot],
      /empty-root: has no etc\/ directory: not a system's root filesystem \(is the disk mounted there\?\)$/,
    ]),
  ];
  for (const [what, args, message] of bad) {
    it(`exits 2 with one line for ${what}`, () => {
      const r = nfdoctor(...args);
      expect(r.status).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('npm warn'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^nfdoctor: /);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('exits 2 with a JSON document on stdout (and the one line on stderr) under --format json', () => {
    const missing = join(scratch, 'rules.v4');
    for (const format of [['--format', 'json'], ['--format=json']]) {
      const r = nfdoctor('check', missing, '--kernel', KERNEL, ...format);
      expect(r.status).toBe(2);
      expect(r.stderr.trim()).toBe(`nfdoctor: ${missing}: no such file`);
      const json = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(json).toEqual({
        schemaVersion: 1,
        tool: { name: 'nfdoctor', version: expect.any(String) },
        ok: false,
        error: { message: `${missing}: no such file`, file: missing },
      });
      expect(validateCheck(json), JSON.stringify(validateCheck.errors)).toBe(true);
    }
    const usage = nfdoctor('check', '--format', 'json', '--frobnicate');
    expect(usage.status).toBe(2);
    expect(JSON.parse(usage.stdout)).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/frobnicate/) },
    });
    expect(nfdoctor('check', missing).stdout).toBe('');
  });

  it('lists checks and explains one', () => {
    expect(nfdoctor('checks').stdout).toMatch(/kmod\/module-unavailable/);
    const explain = nfdoctor('explain', 'kmod/module-unavailable');
    expect(explain.status).toBe(0);
    expect(explain.stdout).toMatch(/^# kmod\/module-unavailable/);
  });

  it('fleet: exits 1 on lab snapshots with problems, 2 when one is unusable, and refuses an empty directory', () => {
    const hosts = join(ROOT, 'fixtures/hosts');
    const ok = nfdoctor(
      'fleet',
      join(hosts, 'missing-xt-recent.tar.gz'),
      join(hosts, 'healthy.tar.gz'),
      '--jobs',
      '1',
    );
    expect(ok.status).toBe(1);
    expect(ok.stdout).toMatch(/^FLEET PROBLEM: 2 hosts: 1 with problems/);
    const bad = join(scratch, 'broken.tar.gz');
    writeFileSync(bad, 'x');
    const two = nfdoctor('fleet', bad, join(hosts, 'healthy.tar.gz'), '--format', 'json', '--jobs', '2');
    expect(two.status).toBe(2);
    expect(JSON.parse(two.stdout)).toMatchObject({ counts: { unreadable: 1, incomplete: 1 } });
    const empty = mkdtempSync(join(tmpdir(), 'nfdoctor-empty-'));
    expect(nfdoctor('fleet', empty)).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/no snapshot/),
    });
    expect(nfdoctor('fleet', empty, '--jobs', '0').stderr).toMatch(/--jobs must be/);
  }, 180_000);
});
