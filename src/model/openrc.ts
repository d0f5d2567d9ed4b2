// OpenRC's iptables and ip6tables services (Alpine, Gentoo): one init script for both families
// (Alpine installs /etc/init.d/ip6tables as a link to iptables), which restores the file its conf.d names:
// `${iptables_bin}-restore ${SAVE_RESTORE_OPTIONS} < "${iptables_save}"` with iptables_save from
// IPTABLES_SAVE (/etc/conf.d/iptables) or IP6TABLES_SAVE (/etc/conf.d/ip6tables). It starts at boot when
// linked into a runlevel (`rc-update add iptables default`: /etc/runlevels/default/iptables). With
// SAVE_ON_STOP="yes" (the conf.d default of both distributions) stopping the service saves the live rules
// over that file. Real files: src/parsers/__samples__/openrc-iptables (SOURCES.md).
import { readTextFile, type HostReader } from '../sources/host-reader.ts';
import type { Family } from '../knowledge/extensions.ts';
import { effectiveShellVar, parseShellVars, type ShellAssignment } from '../parsers/shell-vars.ts';

/** Runlevels whose services OpenRC starts at boot (sysinit, then boot, then default). */
export const BOOT_RUNLEVELS = ['sysinit', 'boot', 'default'] as const;

/**
 * Where the packaged conf.d files point when the host's conf.d says nothing: Alpine's /etc/iptables/rules-save
 * (and rules6-save in current releases), Gentoo's (and older Alpine's) /var/lib/ip6?tables/rules-save.
 */
export const OPENRC_DEFAULT_SAVES: Readonly<Record<Family, readonly string[]>> = {
  ipv4: ['/etc/iptables/rules-save', '/var/lib/iptables/rules-save'],
  ipv6: ['/etc/iptables/rules6-save', '/var/lib/ip6tables/rules-save'],
};

export interface OpenRcLoader {
  /** The service name: iptables or ip6tables. */
  readonly service: 'iptables' | 'ip6tables';
  readonly family: Family;
  /** /etc/init.d/iptables or /etc/init.d/ip6tables. */
  readonly initScript: string;
  /** The file the service restores, and what says so (the conf.d line, or the packaged default). */
  readonly savePath: string;
  readonly saveSource: { readonly file: string; readonly line: number } | 'default';
  /** SAVE_ON_STOP="yes": stopping the service (every shutdown) saves the live rules over savePath. */
  readonly saveOnStop?: { readonly file: string; readonly line: number };
}

export interface OpenRc {
  readonly loaders: readonly OpenRcLoader[];
  /** The services linked in each boot runlevel, for the runlevels that could be listed. */
  readonly runlevels: ReadonlyMap<string, readonly string[]>;
}

const SERVICES = [
  { service: 'iptables', family: 'ipv4', variable: 'IPTABLES_SAVE' },
  { service: 'ip6tables', family: 'ipv6', variable: 'IP6TABLES_SAVE' },
] as const;

/** An OpenRC script starts with `#!/sbin/openrc-run` (older ones `#!/sbin/runscript`), not a SysV script. */
export function isOpenRcScript(text: string): boolean {
  return /^#!\s*\S*\/(?:openrc-run|runscript)\b/.test(text);
}

function yes(a: ShellAssignment | undefined): boolean {
  return a !== undefined && /^(?:yes|true|on|1)$/i.test(a.value);
}

/** The save file a conf.d names, or the packaged default that exists on the host (else the first one). */
async function savePathOf(
  reader: HostReader,
  family: Family,
  assignment: ShellAssignment | undefined,
  confd: string,
): Promise<Pick<OpenRcLoader, 'savePath' | 'saveSource'>> {
  if (assignment !== undefined && assignment.value.startsWith('/')) {
    return { savePath: assignment.value, saveSource: { file: confd, line: assignment.line } };
  }
  const defaults = OPENRC_DEFAULT_SAVES[family];
  for (const path of defaults) {
    if ((await reader.readFile(path)).status !== 'absent') {
      return { savePath: path, saveSource: 'default' };
    }
  }
  return { savePath: defaults[0] ?? '', saveSource: 'default' };
}

export async function loadOpenRc(reader: HostReader): Promise<OpenRc> {
  const loaders: OpenRcLoader[] = [];
  for (const s of SERVICES) {
    const initScript = `/etc/init.d/${s.service}`;
    const script = await readTextFile(reader, initScript);
    if (script === undefined || !isOpenRcScript(script)) {
      continue;
    }
    const confd = `/etc/conf.d/${s.service}`;
    const confText = await readTextFile(reader, confd);
    const vars = confText === undefined ? [] : parseShellVars(confText, confd).value;
    const saveOnStop = effectiveShellVar(vars, 'SAVE_ON_STOP');
    loaders.push({
      service: s.service,
      family: s.family,
      initScript,
      ...(await savePathOf(reader, s.family, effectiveShellVar(vars, s.variable), confd)),
      ...(yes(saveOnStop) && saveOnStop !== undefined
        ? { saveOnStop: { file: confd, line: saveOnStop.line } }
        : {}),
    });
  }
  const runlevels = new Map<string, readonly string[]>();
  if (loaders.length > 0) {
    for (const level of BOOT_RUNLEVELS) {
      const listing = await reader.listDir(`/etc/runlevels/${level}`);
      if (listing.status === 'ok') {
        runlevels.set(
          level,
          listing.entries.map((e) => e.name),
        );
      } else if (listing.status === 'absent') {
        runlevels.set(level, []);
      }
    }
  }
  return { loaders, runlevels };
}

/**
 * The boot runlevel that starts `service` ('sysinit', 'boot' or 'default'), 'none' when none does, 'unknown'
 * when no runlevel could be listed.
 */
export function bootRunlevel(
  openrc: OpenRc,
  service: string,
): (typeof BOOT_RUNLEVELS)[number] | 'none' | 'unknown' {
  for (const level of BOOT_RUNLEVELS) {
    if (openrc.runlevels.get(level)?.includes(service) === true) {
      return level;
    }
  }
  return openrc.runlevels.size === 0 ? 'unknown' : 'none';
}
