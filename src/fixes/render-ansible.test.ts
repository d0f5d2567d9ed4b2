// The fix playbook run by the real ansible-playbook against a copy of a broken lab root (local connection,
// paths under nfdoctor_root): check mode changes nothing, the first run repairs, the second reports changed=0,
// a line that no longer reads as diagnosed stops the play, and "{{ }}" from a host is never templated.
// Skipped where ansible-playbook is not installed (.ci/run installs ansible-core).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { renderAnsiblePlaybook } from './render-ansible.ts';
import { COMMENT_PREFIX, WRITTEN_BY_MARKER, type Action } from './actions.ts';
import { hasCommand, unpackLabRoot } from '../testing/lab-roots.ts';

const run = promisify(execFile);
const BLOCK = '/etc/modprobe.d/nflab-no-xt-recent.conf';
const LOAD = '/etc/modules-load.d/nfdoctor-xt_recent.conf';
const TEMPLATED = '/etc/modprobe.d/nfdoctor-templated.conf';
const ACTIONS: readonly Action[] = [
  {
    kind: 'comment-line',
    file: BLOCK,
    line: 1,
    expect: 'install xt_recent /bin/false',
    risk: 'safe',
    why: 'unblock xt_recent',
  },
  {
    kind: 'write-file',
    path: LOAD,
    content: `${WRITTEN_BY_MARKER}\nxt_recent\n`,
    mode: 0o644,
    risk: 'safe',
    why: 'load it at boot',
  },
  {
    kind: 'write-file',
    path: TEMPLATED,
    content: `${WRITTEN_BY_MARKER}\n# {{ lookup('env', 'HOME') }}\n`,
    mode: 0o600,
    risk: 'safe',
    why: 'a file whose text looks like Jinja',
  },
  {
    kind: 'remove-file',
    path: '/etc/modprobe.d/not-ours.conf',
    risk: 'safe',
    why: 'only files nfdoctor wrote are removed',
  },
  { kind: 'modprobe', module: 'xt_recent', risk: 'safe', why: 'load it now' },
  {
    kind: 'systemctl',
    verb: 'restart',
    unit: 'netfilter-persistent.service',
    risk: 'safe',
    why: 'restore the rules',
  },
  { kind: 'manual', instruction: 'check the hardening role that wrote the block', why: 'it may put it back' },
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nfdoctor-ansible-fix-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function play(
  playbook: string,
  root: string,
  ...extra: string[]
): Promise<{ code: number; out: string }> {
  try {
    const r = await run(
      'ansible-playbook',
      [
        '-i',
        'localhost,',
        '-c',
        'local',
        playbook,
        '-e',
        JSON.stringify({ nfdoctor_root: root, nfdoctor_runtime: false }),
        ...extra,
      ],
      { env: { ...process.env, ANSIBLE_NOCOLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: 0, out: r.stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? -1, out: e.stdout ?? '' };
  }
}

describe('renderAnsiblePlaybook', () => {
  it('emits host strings as !unsafe YAML scalars and refuses invalid actions', () => {
    const yml = renderAnsiblePlaybook(ACTIONS);
    expect(yml).toContain(`content: "{{ nfdoctor_content }}"`);
    expect(yml).toContain(
      `nfdoctor_content: !unsafe ${JSON.stringify(`${WRITTEN_BY_MARKER}\n# {{ lookup('env', 'HOME') }}\n`)}`,
    );
    expect(yml).toContain('ansible.builtin.systemd_service:');
    expect(() =>
      renderAnsiblePlaybook([{ kind: 'modprobe', module: 'x; rm -rf /', risk: 'safe', why: '' }]),
    ).toThrow(/not a module name/);
  });
});

describe.skipIf(!hasCommand('ansible-playbook'))('the fix playbook with the real ansible-playbook', () => {
  it('repairs a copy of the missing-xt-recent root once, then reports changed=0', async () => {
    const root = unpackLabRoot('missing-xt-recent', join(dir, 'host'));
    writeFileSync(join(root, 'etc/modprobe.d/not-ours.conf'), 'blacklist something\n');
    const playbook = join(dir, 'fix.yml');
    writeFileSync(playbook, renderAnsiblePlaybook(ACTIONS, { hosts: 'localhost' }));

    const check = await play(playbook, root, '--check');
    expect(check.code, check.out).toBe(0);
    expect(readFileSync(join(root, BLOCK), 'utf8')).toBe('install xt_recent /bin/false\n');
    expect(existsSync(join(root, LOAD))).toBe(false);

    const first = await play(playbook, root);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/localhost\s+: ok=\d+\s+changed=3\s+unreachable=0\s+failed=0/);
    expect(readFileSync(join(root, BLOCK), 'utf8')).toBe(`${COMMENT_PREFIX}install xt_recent /bin/false\n`);
    expect(
      readdirSync(join(root, 'etc/modprobe.d')).some(
        (f) => f.startsWith('nflab-no-xt-recent.conf.') && f.endsWith('~'),
      ),
    ).toBe(true);
    expect(readFileSync(join(root, LOAD), 'utf8')).toBe(`${WRITTEN_BY_MARKER}\nxt_recent\n`);
    expect(readFileSync(join(root, TEMPLATED), 'utf8')).toBe(
      `${WRITTEN_BY_MARKER}\n# {{ lookup('env', 'HOME') }}\n`,
    );
    expect(readFileSync(join(root, 'etc/modprobe.d/not-ours.conf'), 'utf8')).toBe('blacklist something\n');
    expect(first.out).toContain('check the hardening role that wrote the block');

    const second = await play(playbook, root);
    expect(second.code, second.out).toBe(0);
    expect(second.out).toMatch(/localhost\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=0/);
  }, 300_000);

  it('stops before editing when the line no longer reads as diagnosed', async () => {
    const root = unpackLabRoot('missing-xt-recent', join(dir, 'changed'));
    writeFileSync(join(root, BLOCK), 'install xt_recent /bin/true\n');
    const playbook = join(dir, 'fix-changed.yml');
    writeFileSync(playbook, renderAnsiblePlaybook(ACTIONS.slice(0, 2), { hosts: 'localhost' }));
    const r = await play(playbook, root);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`${BLOCK} line 1 changed since the diagnosis; nothing was edited`);
    expect(readFileSync(join(root, BLOCK), 'utf8')).toBe('install xt_recent /bin/true\n');
    expect(existsSync(join(root, LOAD))).toBe(false);
  }, 300_000);
});
