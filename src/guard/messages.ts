// What the guard tells people: one journal entry per family (journalctl MESSAGE_ID=...), the login banner.
// Journal fields follow systemd.journal-fields(7): MESSAGE_ID is a 128-bit ID as 32 lower-case hex digits
// (made once with `systemd-id128 new`, never changed: log shippers and alerts match on it), PRIORITY is the
// syslog level as a decimal (3 = err, 4 = warning), values are one line each (logger --journald reads
// KEY=value lines).
import type { FamilyState } from './decision.ts';
import type { Allow, Variant } from './emergency.ts';

export const MESSAGE_IDS = {
  /** A family's saved firewall rules are not live after boot. */
  notLoaded: '514ef9111b1448fe9a8393636f81c30c',
  /** The guard could not tell whether a family's firewall loaded. */
  undecided: 'b08aec9bff1b49beaf7bad38a912a4f2',
  /** `nfdoctor guard release` removed the emergency ruleset. */
  released: '9c27f46154464118b2c7c83bd54512df',
} as const;

export const PRIORITY = { err: 3, warning: 4, notice: 5, info: 6 } as const;

export type FailClosedOutcome =
  | { readonly status: 'off' }
  | { readonly status: 'not-needed' }
  | { readonly status: 'applied'; readonly variant: Variant; readonly command: string }
  | { readonly status: 'refused'; readonly reason: string };

export interface FamilyReport {
  readonly state: FamilyState;
  readonly failClosed: FailClosedOutcome;
}

export const BOOT_JSON = '/var/lib/nfdoctor/boot.json';
/**
 * pam_motd(8) shows /run/motd.d/* by default (Linux-PAM >= 1.4; Debian 12's sshd and login stacks have a
 * plain `pam_motd.so noupdate` line, which keeps the defaults). /run is a tmpfs: the line is gone after a
 * reboot and the next bad boot writes it again.
 */
export const MOTD_FILE = '/run/motd.d/50-nfdoctor-guard';

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

function allowText(allows: readonly Allow[], family: FamilyState['family']): string {
  const mine = allows.filter((a) => a.family === family).map((a) => a.spec);
  return mine.length === 0 ? 'no other source' : mine.join(', ');
}

export function failClosedText(r: FamilyReport, allows: readonly Allow[]): string {
  switch (r.failClosed.status) {
    case 'applied':
      return `Fail-closed: emergency ${r.failClosed.variant} ruleset loaded (loopback, ${r.failClosed.variant === 'stateful' ? 'established/related replies' : 'TCP replies without SYN'}, ${allowText(allows, r.state.family)}; all other input and forwarding dropped); undo: nfdoctor guard release.`;
    case 'refused':
      return `Fail-closed NOT applied: ${r.failClosed.reason}.`;
    case 'off':
    case 'not-needed':
      return '';
  }
}

/** The MESSAGE of a family whose rules did not load: what, why (root cause), what the guard did, where the rest is. */
export function notLoadedMessage(r: FamilyReport, allows: readonly Allow[]): string {
  const { state } = r;
  const what =
    state.evidence[0]?.message ?? `the live ${state.family} ruleset is not ${state.files.join(', ')}`;
  const roots = state.rootCauses.filter((c) => !state.evidence.includes(c));
  const cause = roots.length === 0 ? '' : ` Root cause: ${roots.map((c) => c.message).join('; ')}.`;
  const fc = failClosedText(r, allows);
  return oneLine(
    `nfdoctor guard: the ${state.family} firewall did not load at boot (${state.files.join(', ')}): ${what}.${cause}${fc === '' ? '' : ` ${fc}`} Full diagnosis: ${BOOT_JSON}`,
  );
}

/** Journal fields for each family that did not load or could not be decided; none for a good boot. */
export function journalEntries(
  reports: readonly FamilyReport[],
  allows: readonly Allow[],
): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const r of reports) {
    const base = {
      SYSLOG_IDENTIFIER: 'nfdoctor-guard',
      NFDOCTOR_FAMILY: r.state.family,
      NFDOCTOR_RULES_FILE: r.state.files.join(' '),
    };
    if (r.state.verdict === 'not-loaded') {
      out.push({
        MESSAGE_ID: MESSAGE_IDS.notLoaded,
        PRIORITY: String(PRIORITY.err),
        ...base,
        NFDOCTOR_ROOT_CAUSE: r.state.rootCauses.map((c) => c.id).join(' '),
        NFDOCTOR_FAIL_CLOSED: r.failClosed.status,
        MESSAGE: notLoadedMessage(r, allows),
      });
    } else if (r.state.verdict === 'unknown') {
      out.push({
        MESSAGE_ID: MESSAGE_IDS.undecided,
        PRIORITY: String(PRIORITY.warning),
        ...base,
        MESSAGE: oneLine(
          `nfdoctor guard: could not tell whether the ${r.state.family} firewall loaded: ${r.state.reason ?? 'unknown'}`,
        ),
      });
    }
  }
  return out;
}

/** logger --journald input: KEY=value lines. */
export function journalRecord(fields: Readonly<Record<string, string>>): string {
  return `${Object.entries(fields)
    .map(([k, v]) => `${k}=${oneLine(v)}`)
    .join('\n')}\n`;
}

/** The login banner line(s); undefined on a good boot (the file is then removed). */
export function motdText(
  families: readonly { readonly family: string; readonly verdict: string }[],
  emergencyLive: ReadonlySet<string>,
): string | undefined {
  const bad = families.filter((f) => f.verdict === 'not-loaded').map((f) => f.family);
  if (bad.length === 0) {
    return undefined;
  }
  const names = bad.join(' and ');
  const emergency = bad.filter((f) => emergencyLive.has(f));
  const fc =
    emergency.length > 0
      ? ` An emergency fail-closed ruleset is live for ${emergency.join(' and ')} (undo: nfdoctor guard release).`
      : '';
  return `*** nfdoctor guard: the ${names} firewall did NOT load at this boot.${fc} Details: nfdoctor guard status; journalctl MESSAGE_ID=${MESSAGE_IDS.notLoaded} ***\n`;
}
