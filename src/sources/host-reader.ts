// The one interface every fact source implements: the live host, a root directory (--root) and a snapshot.
// Checks cannot tell which one they run on. A missing or unreadable fact is a value, never an exception.

export type FileStatus =
  'ok' | 'absent' | 'permission-denied' | 'not-a-file' | 'too-large' | 'not-collected' | 'error';

export type FileFact =
  | { readonly path: string; readonly status: 'ok'; readonly content: Buffer }
  | { readonly path: string; readonly status: Exclude<FileStatus, 'ok'>; readonly reason: string };

export type DirFact =
  | { readonly path: string; readonly status: 'ok'; readonly entries: readonly DirEntry[] }
  | { readonly path: string; readonly status: Exclude<FileStatus, 'ok'>; readonly reason: string };

export interface DirEntry {
  readonly name: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  /** For symlinks: the link target as stored (e.g. /dev/null for a masked unit). */
  readonly target?: string;
}

export type CommandStatus =
  'ok' | 'exit-nonzero' | 'missing' | 'timeout' | 'permission-denied' | 'not-available' | 'skipped' | 'error';

export interface CommandFact {
  /** Registry id of the command, e.g. "iptables-save.nft". */
  readonly id: string;
  readonly argv: readonly string[];
  readonly status: CommandStatus;
  readonly exitCode?: number;
  readonly stdout: string;
  /** stdout as stored, where the source keeps bytes (a snapshot): large outputs can be read without one big string. */
  readonly stdoutBytes?: Buffer;
  readonly stderr: string;
  /** Why the command was not run, or what went wrong. */
  readonly reason?: string;
}

export interface HostReader {
  readonly kind: 'live' | 'root' | 'snapshot';
  /** Human label for messages: "this host", "/mnt/rescue", "snapshot web01.tar.gz". */
  readonly label: string;
  readFile(path: string): Promise<FileFact>;
  listDir(path: string): Promise<DirFact>;
  runCommand(id: string): Promise<CommandFact>;
}

/** The text of `path` (UTF-8), or undefined when it could not be read for any reason. */
export async function readTextFile(reader: HostReader, path: string): Promise<string | undefined> {
  const f = await reader.readFile(path);
  return f.status === 'ok' ? f.content.toString('utf8') : undefined;
}
