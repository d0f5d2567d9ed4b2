// The one way nfdoctor runs a program: execFile (no shell), argv array, C locale, no colours or pager,
// a timeout, an output cap and stdin closed. Failures become statuses, never exceptions.
import { childProcess } from '../lazy-builtins.ts';
import type { CommandStatus } from './host-reader.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Largest stdout or stderr kept from one command (a whole boot's journal as JSON fits). */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/** sbin directories are appended so a non-root user still finds iptables-save and friends. */
export const EXTRA_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function commandPath(current: string | undefined): string {
  const parts = (current ?? '').split(':').filter((p) => p !== '');
  for (const p of EXTRA_PATH) {
    if (!parts.includes(p)) {
      parts.push(p);
    }
  }
  return parts.join(':');
}

export function commandEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: commandPath(process.env.PATH),
    LC_ALL: 'C',
    LANG: 'C',
    SYSTEMD_COLORS: '0',
    SYSTEMD_PAGER: '',
    SYSTEMD_LESS: '',
    PAGER: 'cat',
  };
}

export interface ExecResult {
  readonly status: Exclude<CommandStatus, 'not-available' | 'skipped'>;
  readonly exitCode?: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly reason?: string;
}

export interface ExecOptions {
  readonly timeoutMs?: number;
  readonly maxOutputBytes?: number;
  /** Written to the command's stdin (iptables-restore, logger --journald); default: stdin closed. */
  readonly input?: string;
}

interface ExecError extends Error {
  code?: unknown;
  killed?: boolean;
  signal?: NodeJS.Signals | null;
}

export function execArgv(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined) {
    return Promise.resolve({ status: 'error', stdout: '', stderr: '', reason: 'empty argv' });
  }
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBuffer = options.maxOutputBytes ?? MAX_OUTPUT_BYTES;
  return new Promise((resolvePromise) => {
    let child;
    try {
      child = childProcess().execFile(
        file,
        args,
        { env: commandEnv(), timeout, maxBuffer, killSignal: 'SIGKILL', encoding: 'utf8', windowsHide: true },
        (error: ExecError | null, stdout: string, stderr: string) => {
          resolvePromise(toResult(error, stdout, stderr, file, timeout, maxBuffer));
        },
      );
    } catch (e) {
      resolvePromise({
        status: 'error',
        stdout: '',
        stderr: '',
        reason: e instanceof Error ? e.message : String(e),
      });
      return;
    }
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

function toResult(
  error: ExecError | null,
  stdout: string,
  stderr: string,
  file: string,
  timeout: number,
  maxBuffer: number,
): ExecResult {
  if (error == null) {
    return { status: 'ok', exitCode: 0, stdout, stderr };
  }
  const code = error.code;
  if (code === 'ENOENT') {
    return { status: 'missing', stdout, stderr, reason: `${file}: command not found` };
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return { status: 'permission-denied', stdout, stderr, reason: `${file}: permission denied` };
  }
  if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return { status: 'error', stdout, stderr, reason: `output exceeded ${maxBuffer} bytes and was cut` };
  }
  if (error.killed === true && error.signal === 'SIGKILL') {
    return { status: 'timeout', stdout, stderr, reason: `no answer within ${timeout} ms; killed` };
  }
  if (typeof code === 'number') {
    return { status: 'exit-nonzero', exitCode: code, stdout, stderr, reason: `exit status ${code}` };
  }
  if (error.signal != null) {
    return { status: 'error', stdout, stderr, reason: `killed by signal ${error.signal}` };
  }
  return { status: 'error', stdout, stderr, reason: error.message.split('\n')[0] ?? 'error' };
}
