// The guard's effects on a real host: files written atomically, journal entries through util-linux
// `logger --journald` (it hands KEY=value fields to sd_journal_sendv(3), so MESSAGE_ID and PRIORITY reach the
// journal as fields; systemd-cat cannot set MESSAGE_ID), rules through iptables-restore --noflush.
import { mkdir, rename, rm, writeFile, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execArgv } from '../sources/exec.ts';
import type { Family } from '../knowledge/extensions.ts';
import { parseIptablesSaveFamily } from '../parsers/iptables-save.ts';
import type { BootEffects, RestoreResult } from './boot.ts';
import { guardActive, releaseRuleset } from './emergency.ts';
import { journalRecord } from './messages.ts';
import { FAST_STATE, parseFastState, type FastState } from './fast.ts';

export interface SystemOptions {
  /** Prefix for every path written (tests: a temp dir). */
  readonly root?: string;
  /** Run iptables tools under this argv prefix (tests: ["ip", "netns", "exec", NAME]). */
  readonly commandPrefix?: readonly string[];
  /** iptables tool flavour: "" (the host's default alternative), "-nft" or "-legacy". */
  readonly flavour?: '' | '-nft' | '-legacy';
  /** Where a journal entry goes when logger cannot deliver it. */
  readonly fallback?: (line: string) => void;
}

function tool(family: Family, verb: 'save' | 'restore', flavour: string): string {
  return `${family === 'ipv4' ? 'iptables' : 'ip6tables'}${flavour}-${verb}`;
}

export async function atomicWriteFile(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.nfdoctor-tmp`;
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, path);
}

export async function restoreRules(family: Family, text: string, o: SystemOptions): Promise<RestoreResult> {
  const argv = [...(o.commandPrefix ?? []), tool(family, 'restore', o.flavour ?? ''), '--noflush'];
  const r = await execArgv(argv, { input: text, timeoutMs: 30_000 });
  return {
    ok: r.status === 'ok',
    command: argv.join(' '),
    detail: (r.stderr.trim().split('\n')[0] ?? '') || (r.reason ?? r.status),
  };
}

/** Whether the guard's emergency chains are in the live filter table of `family`. */
export async function emergencyLive(family: Family, o: SystemOptions): Promise<boolean | 'unknown'> {
  const r = await execArgv([
    ...(o.commandPrefix ?? []),
    tool(family, 'save', o.flavour ?? ''),
    '-t',
    'filter',
  ]);
  if (r.status !== 'ok') {
    return 'unknown';
  }
  return guardActive(parseIptablesSaveFamily(r.stdout, tool(family, 'save', ''), family).value);
}

export async function releaseEmergency(family: Family, o: SystemOptions): Promise<RestoreResult | undefined> {
  if ((await emergencyLive(family, o)) !== true) {
    return undefined;
  }
  return restoreRules(family, releaseRuleset(), o);
}

export async function sendJournal(fields: Readonly<Record<string, string>>, o: SystemOptions): Promise<void> {
  const r = await execArgv(['logger', '--journald'], { input: journalRecord(fields) });
  if (r.status !== 'ok') {
    // Under systemd, stderr is the journal too: "<3>" sets priority err (SyslogLevelPrefix=, systemd.exec(5)).
    o.fallback?.(`<${fields.PRIORITY ?? '3'}>${fields.MESSAGE ?? ''}`);
  }
}

export function systemEffects(o: SystemOptions = {}): BootEffects {
  const root = o.root ?? '/';
  return {
    writeFile: (path, text) => atomicWriteFile(join(root, path), text),
    removeFile: (path) => rm(join(root, path), { force: true }),
    journal: (fields) => sendJournal(fields, o),
  };
}

/** What the pre-network check wrote this boot (undefined: it did not run, or the file is from another boot). */
export async function readFastState(bootId: string | undefined, root = '/'): Promise<FastState | undefined> {
  let text: string;
  try {
    text = await readFile(join(root, FAST_STATE), 'utf8');
  } catch {
    return undefined;
  }
  const state = parseFastState(text);
  return bootId !== undefined && state.bootId.replace(/-/g, '') !== bootId ? undefined : state;
}

export async function readBootId(): Promise<string | undefined> {
  try {
    return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim().replace(/-/g, '');
  } catch {
    return undefined;
  }
}
