// Evidence: what a statement rests on, pointing at a file line or a command's output.

export interface Evidence {
  /** A path as on the target host ("/etc/modprobe.d/x.conf") or a command label ("command: lsmod"). */
  readonly source: string;
  readonly line?: number;
  /** The exact text at that place, quoted. */
  readonly text?: string;
  /** What this evidence shows, when the text alone does not say it. */
  readonly note?: string;
}

export function evidenceAt(source: string, line: number | undefined, text?: string, note?: string): Evidence {
  return {
    source,
    ...(line === undefined ? {} : { line }),
    ...(text === undefined ? {} : { text }),
    ...(note === undefined ? {} : { note }),
  };
}

export function formatEvidence(e: Evidence): string {
  const where = e.line === undefined ? e.source : `${e.source}:${e.line}`;
  const quoted = e.text === undefined ? '' : `: ${e.text}`;
  const note = e.note === undefined ? '' : ` (${e.note})`;
  return `${where}${quoted}${note}`;
}
