// Real file trees for the applier tests: the files a lab VM really had (fixtures/lab-captures/NAME/files), copied
// into a fresh temporary root, and a runner that records commands instead of running them.
import { cpSync, mkdtempSync, readdirSync, readFileSync, lstatSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { CommandResult, Runner } from './apply.ts';
import { LAB_CAPTURES } from '../testing/lab-host.ts';

/** A temporary root holding the files of lab scenario `scenario` at their absolute paths. */
export function labTree(scenario: string): string {
  const root = mkdtempSync(join(tmpdir(), `nfdoctor-fix-${scenario}-`));
  cpSync(join(LAB_CAPTURES, scenario, 'files'), root, { recursive: true, preserveTimestamps: true });
  return root;
}

export interface FileSnapshot {
  readonly kind: 'file' | 'link' | 'dir';
  readonly content?: string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly target?: string;
}

/** Every path under `root` (relative, with a leading '/') and what it holds: for byte-for-byte comparisons. */
export function treeState(
  root: string,
  skip: (path: string) => boolean = () => false,
): Map<string, FileSnapshot> {
  const out = new Map<string, FileSnapshot>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const real = join(dir, name);
      const rel = `/${relative(root, real)}`;
      if (skip(rel)) {
        continue;
      }
      const st = lstatSync(real);
      if (st.isSymbolicLink()) {
        out.set(rel, { kind: 'link', target: readlinkSync(real) });
      } else if (st.isDirectory()) {
        out.set(rel, { kind: 'dir' });
        walk(real);
      } else {
        out.set(rel, {
          kind: 'file',
          content: readFileSync(real).toString('base64'),
          mode: st.mode & 0o7777,
          uid: st.uid,
          gid: st.gid,
        });
      }
    }
  };
  walk(root);
  return out;
}

/** The run directories nfdoctor keeps under a root: left out when comparing a root with how it was. */
export const notRunDir = (p: string): boolean =>
  p === '/var' || p === '/var/lib' || p.startsWith('/var/lib/nfdoctor');

export interface RecordingRunner {
  readonly run: Runner;
  readonly calls: (readonly string[])[];
}

/** Records every command; answers from `answers` ("systemctl is-enabled x" -> stdout), else exit 0, no output. */
export function recordingRunner(
  answers: Readonly<Record<string, Partial<CommandResult>>> = {},
): RecordingRunner {
  const calls: (readonly string[])[] = [];
  return {
    calls,
    run: (file, args) => {
      const argv = [file, ...args];
      calls.push(argv);
      const a = answers[argv.join(' ')];
      return Promise.resolve({
        exitCode: a?.exitCode ?? 0,
        stdout: a?.stdout ?? '',
        stderr: a?.stderr ?? '',
      });
    },
  };
}
