// The paste-ready commands run for real: under sh, in a temporary tree, with `sudo` a pass-through.
import { describe, it, expect, beforeEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderCommand, renderSteps } from './render-command.ts';
import { COMMENT_PREFIX, WRITTEN_BY_MARKER, type Action } from './actions.ts';

let dir: string;
let bin: string;

function run(a: Action): { stderr: string } {
  const out = execFileSync(
    'sh',
    [
      '-c',
      `{ ${renderCommand(a)}
} 2>&1 1>/dev/null`,
    ],
    {
      env: { PATH: `${bin}:/usr/bin:/bin`, LC_ALL: 'C' },
      encoding: 'utf8',
    },
  );
  return { stderr: out };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nfdoctor-render-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'sudo'), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
});

describe('renderCommand', () => {
  it('comments out the line only while it still reads what was expected', () => {
    const file = join(dir, "it's a.conf");
    writeFileSync(file, "# keep\ninstall xt_recent /bin/false & 'x'\n");
    const a: Action = {
      kind: 'comment-line',
      file,
      line: 2,
      expect: "install xt_recent /bin/false & 'x'",
      risk: 'safe',
      why: 'w',
    };
    expect(run(a).stderr).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(`# keep\n${COMMENT_PREFIX}install xt_recent /bin/false & 'x'\n`);
    // Run again: the line no longer reads `expect`, so nothing changes and it says so.
    expect(run(a).stderr).toContain('is not what nfdoctor saw: not changed');
    expect(readFileSync(file, 'utf8')).toBe(`# keep\n${COMMENT_PREFIX}install xt_recent /bin/false & 'x'\n`);
  });

  it('replaces a line with text holding sed specials', () => {
    const file = join(dir, 'u.conf');
    writeFileSync(file, '[Unit]\nRequires=a.service\n');
    const a: Action = {
      kind: 'replace-line',
      file,
      line: 2,
      expect: 'Requires=a.service',
      text: 'Wants=a/b&c\\d.service',
      risk: 'safe',
      why: 'w',
    };
    run(a);
    expect(readFileSync(file, 'utf8')).toBe('[Unit]\nWants=a/b&c\\d.service\n');
  });

  it('writes a file nfdoctor owns with its mode, creating the directory', () => {
    const path = join(dir, 'x.service.d', 'nfdoctor.conf');
    const content = `${WRITTEN_BY_MARKER}\n[Unit]\nBefore=a.service 'q'\n`;
    run({ kind: 'write-file', path, content, mode: 0o644, risk: 'safe', why: 'w' });
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(statSync(path).mode & 0o777).toBe(0o644);
  });

  it('removes only a file that carries the marker', () => {
    const mine = join(dir, 'mine.conf');
    const theirs = join(dir, 'theirs.conf');
    writeFileSync(mine, `${WRITTEN_BY_MARKER}\nxt_recent\n`);
    writeFileSync(theirs, 'xt_recent\n');
    run({ kind: 'remove-file', path: mine, risk: 'safe', why: 'w' });
    execFileSync(
      'sh',
      ['-c', `${renderCommand({ kind: 'remove-file', path: theirs, risk: 'safe', why: 'w' })} || true`],
      {
        env: { PATH: `${bin}:/usr/bin:/bin` },
      },
    );
    expect(existsSync(mine)).toBe(false);
    expect(existsSync(theirs)).toBe(true);
  });

  it('renders systemctl, modprobe and manual steps; manual instructions are comments', () => {
    expect(renderCommand({ kind: 'systemctl', verb: 'daemon-reload', risk: 'safe', why: 'w' })).toBe(
      'sudo systemctl daemon-reload',
    );
    expect(
      renderCommand({
        kind: 'systemctl',
        verb: 'restart',
        unit: 'netfilter-persistent.service',
        risk: 'safe',
        why: 'w',
      }),
    ).toBe('sudo systemctl restart netfilter-persistent.service');
    expect(renderCommand({ kind: 'modprobe', module: 'xt_recent', risk: 'safe', why: 'w' })).toBe(
      'sudo modprobe xt_recent',
    );
    expect(
      renderCommand({ kind: 'manual', instruction: 'Reboot.\nThen look.', why: 'w', command: 'sudo reboot' }),
    ).toBe('# Reboot.\n# Then look.\nsudo reboot');
    expect(renderSteps([{ kind: 'manual', instruction: 'Boot another kernel.', why: 'because' }])).toEqual([
      { command: '# Boot another kernel.', why: 'because' },
    ]);
  });
});
