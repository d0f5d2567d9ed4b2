// A HostReader over the text extracts of a real lab run (../shared/lab/captures/<scenario>): the captured
// files, journal, systemctl output and iptables-save of a broken Debian 12 VM, with the metadata of the same
// kernel (6.1.0-56-cloud-amd64) from fixtures/kernels. Until snapshot fixtures exist for every scenario,
// this is how check tests run against what real hosts showed.
import { existsSync, readFileSync, readdirSync, lstatSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { memoryReader } from './memory-reader.ts';
import { kernelFiles } from './kernel-fixture.ts';
import type { CommandFact, HostReader } from '../sources/host-reader.ts';

export const LAB_CAPTURES = join(import.meta.dirname, '../../fixtures/lab-captures');
export const labAvailable = existsSync(LAB_CAPTURES);

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** `lsmod` output -> /proc/modules lines ("name size refcount deps state offset"). */
export function lsmodToProcModules(text: string): string {
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [name, size, count, deps] = l.trim().split(/\s+/);
      return `${name ?? ''} ${size ?? '0'} ${count ?? '0'} ${deps === undefined ? '-' : `${deps},`} Live 0x0000000000000000`;
    })
    .join('\n');
}

function ok(id: string, stdout: string): Partial<CommandFact> {
  return { id, status: 'ok', stdout, stderr: '', exitCode: 0 };
}

export interface LabHostOptions {
  /** Extra or replaced files, by absolute path. */
  readonly files?: Readonly<Record<string, string>>;
  /** Paths (and everything under them) removed from the capture, e.g. '/lib/modules' for a missing tree. */
  readonly drop?: readonly string[];
  /** Extra symlinks (path -> target). */
  readonly links?: Readonly<Record<string, string>>;
  /** Extra or replaced command facts, by registry id. */
  readonly commands?: Readonly<Record<string, Partial<CommandFact>>>;
}

export function labHost(scenario: string, options: LabHostOptions = {}): HostReader {
  const dir = join(LAB_CAPTURES, scenario);
  const read = (name: string): string | undefined => {
    const p = join(dir, name);
    return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  };
  const release = (read('uname-r.txt') ?? '').trim();
  const files: Record<string, string | Buffer> = {};
  const links: Record<string, string> = {};
  const filesDir = join(dir, 'files');
  if (existsSync(filesDir)) {
    for (const f of walk(filesDir)) {
      const path = `/${relative(filesDir, f)}`;
      if (lstatSync(f).isSymbolicLink()) {
        links[path] = readlinkSync(f);
      } else {
        files[path] = readFileSync(f);
      }
    }
  }
  // The lab image runs the Debian cloud kernel whose metadata fixtures/kernels holds; a scenario that hides
  // /lib/modules/<release> (the provider-kernel simulation) shows it in ls-lib-modules.txt.
  const libModules = read('ls-lib-modules.txt') ?? '';
  if (libModules.includes(` ${release}\n`) || libModules.endsWith(` ${release}`)) {
    Object.assign(files, kernelFiles(release));
  }
  const lsmod = read('lsmod.txt');
  if (lsmod !== undefined) {
    files['/proc/modules'] = lsmodToProcModules(lsmod);
  }
  const disabled = read('modules_disabled.txt');
  if (disabled !== undefined) {
    files['/proc/sys/kernel/modules_disabled'] = disabled;
  }
  // Debian's kmod package links /etc/modules-load.d/modules.conf to ../modules; the lab copied only the target.
  if (files['/etc/modules'] !== undefined) {
    links['/etc/modules-load.d/modules.conf'] = '../modules';
  }
  files['/proc/cmdline'] = 'BOOT_IMAGE=/vmlinuz root=/dev/vda console=ttyS0\n';
  files['/run/systemd/system/.keep'] = '';
  Object.assign(files, options.files ?? {});
  const dropped = (path: string): boolean =>
    (options.drop ?? []).some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  const kept = Object.fromEntries(Object.entries(files).filter(([path]) => !dropped(path)));

  const commands: Record<string, Partial<CommandFact>> = {
    'uname-r': ok('uname-r', `${release}\n`),
    'systemd-detect-virt': ok('systemd-detect-virt', 'kvm\n'),
  };
  const map: Record<string, string> = {
    'iptables-version': 'iptables-version.txt',
    'iptables-save.default': 'iptables-save.txt',
    'iptables-save.nft': 'iptables-save.txt',
    'journal.boot': 'journal.relevant.txt',
    'systemctl.failed': 'systemctl-failed.txt',
    'systemctl.show.netfilter-persistent': 'systemctl-show.netfilter-persistent.props.txt',
    'systemctl.show.systemd-modules-load': 'systemctl-show.systemd-modules-load.props.txt',
    'dpkg-query': 'dpkg-versions.txt',
  };
  for (const [id, name] of Object.entries(map)) {
    const text = read(name);
    if (text !== undefined) {
      commands[id] = ok(id, id === 'dpkg-query' ? text.replace(/$/gm, '\tii ').replace(/\tii $/, '') : text);
    }
  }
  const running = (read('is-system-running.txt') ?? '').split('\n')[0] ?? '';
  commands['systemctl.is-system-running'] = ok('systemctl.is-system-running', `${running}\n`);
  commands['systemctl.is-enabled.netfilter-persistent'] = ok(
    'systemctl.is-enabled.netfilter-persistent',
    'enabled\n',
  );
  Object.assign(commands, options.commands ?? {});
  Object.assign(links, options.links ?? {});
  return memoryReader({ files: kept, links, commands, kind: 'snapshot' });
}

/** The stock bookworm netfilter-persistent.service (1.0.20) as the lab captured it: Wants= + After= only. */
export const STOCK_NETFILTER_PERSISTENT_UNIT = readFileSync(
  join(LAB_CAPTURES, 'healthy/files/lib/systemd/system/netfilter-persistent.service'),
  'utf8',
);
