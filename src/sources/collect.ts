// `nfdoctor collect`: runs the one shell collector (embedded, so the single-file bundle needs no other
// file) and returns where the snapshot went. There is no second, TypeScript collector to drift from it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { COLLECTOR_SCRIPT } from './collector-script.generated.ts';
import { childProcess } from '../lazy-builtins.ts';
import { commandEnv } from './exec.ts';

export interface CollectOptions {
  /** Snapshot file to write; default: nfdoctor-<hostname>-<UTC time>.tar.gz in the current directory. */
  readonly output?: string;
  /** Read the files of a root filesystem mounted at this directory instead of the live host. */
  readonly root?: string;
  /** Whole-run limit (default 10 minutes: every command has its own, shorter timeout). */
  readonly timeoutMs?: number;
  /** Shell to run the script with (default "sh"). */
  readonly shell?: string;
}

export interface CollectResult {
  readonly ok: boolean;
  /** Absolute path of the snapshot written (when ok). */
  readonly output?: string;
  readonly exitCode: number | null;
  /** The collector's own messages (what it could not read, the summary line). */
  readonly log: string;
  /** One line saying what went wrong, when not ok. */
  readonly error?: string;
}

/** The version the embedded script declares (COLLECTOR_VERSION=...). */
export function collectorVersion(): string {
  return /^COLLECTOR_VERSION=(\S+)$/m.exec(COLLECTOR_SCRIPT)?.[1] ?? 'unknown';
}

export async function collectSnapshot(options: CollectOptions = {}): Promise<CollectResult> {
  const dir = await mkdtemp(join(tmpdir(), 'nfdoctor-collector-'));
  try {
    const script = join(dir, 'nfdoctor-collect.sh');
    await writeFile(script, COLLECTOR_SCRIPT, { mode: 0o700 });
    const args = [script];
    if (options.output !== undefined) {
      args.push('-o', resolve(options.output));
    }
    if (options.root !== undefined) {
      args.push('--root', resolve(options.root));
    }
    return await new Promise<CollectResult>((done) => {
      const child = childProcess().execFile(
        options.shell ?? 'sh',
        args,
        {
          env: commandEnv(),
          timeout: options.timeoutMs ?? 600_000,
          killSignal: 'SIGKILL',
          maxBuffer: 4 * 1024 * 1024,
          encoding: 'utf8',
        },
        (error, _stdout, stderr) => {
          const log = stderr;
          const wrote = /^nfdoctor-collect: wrote (.+) \(\d+ files copied/m.exec(log)?.[1];
          if (error == null && wrote !== undefined) {
            done({ ok: true, output: wrote, exitCode: 0, log });
            return;
          }
          const code = typeof error?.code === 'number' ? error.code : null;
          const last = log.trim().split('\n').pop() ?? '';
          const why =
            error?.killed === true
              ? 'the collector did not finish in time'
              : last !== ''
                ? last.replace(/^nfdoctor-collect: /, '')
                : (error?.message.split('\n')[0] ?? 'the collector failed');
          done({ ok: false, exitCode: code, log, error: why });
        },
      );
      child.stdin?.end();
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
