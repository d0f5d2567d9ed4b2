// Whether a command may run without side effects. Reading /proc/modules, /proc/net/* or /sys/module never
// loads anything; running a netfilter tool can: nfnetlink autoloads nf_tables (request_module
// "nfnetlink-subsys-10"), ip_set ("nfnetlink-subsys-6") and legacy iptables calls modprobe ip_tables.
// The shell collector implements the same decisions (mod_safe, precondition in nfdoctor-collect.sh).
import type { FsTree } from './fs-tree.ts';
import type { Precondition } from './registry.ts';
import { basename, resolveInTree } from './resolve.ts';
import { commandPath } from './exec.ts';
import { decodeMaybeGzip } from '../parsers/kernel-config.ts';

export interface Verdict {
  readonly ok: boolean;
  readonly reason: string;
}

const CONFIG_SYMBOL: Record<string, string> = { nf_tables: 'CONFIG_NF_TABLES', ip_set: 'CONFIG_IP_SET' };

async function text(tree: FsTree, path: string): Promise<string | undefined> {
  const f = await tree.readFile(path);
  return f.status === 'ok' ? f.content.toString('utf8') : undefined;
}

/** Whether running a tool that needs `mod` can load a module on this kernel. */
export async function moduleSafe(tree: FsTree, mod: string, release: string): Promise<Verdict> {
  if ((await tree.nodeKind('/proc/self')) === 'absent') {
    return { ok: false, reason: `/proc is not mounted: cannot tell whether ${mod} is loaded` };
  }
  const modules = await text(tree, '/proc/modules');
  if (modules === undefined) {
    return {
      ok: true,
      reason: 'the kernel has no loadable module support (/proc/modules absent): nothing can be autoloaded',
    };
  }
  if (modules.split('\n').some((l) => l.split(' ')[0] === mod)) {
    return { ok: true, reason: `${mod} is loaded` };
  }
  if ((await tree.nodeKind(`/sys/module/${mod}`)) === 'dir') {
    return { ok: true, reason: `${mod} is built in (/sys/module/${mod})` };
  }
  const builtin = await text(tree, `/lib/modules/${release}/modules.builtin`);
  if (builtin?.split('\n').some((l) => l.endsWith(`/${mod}.ko`)) === true) {
    return { ok: true, reason: `${mod} is built in (modules.builtin)` };
  }
  if ((await text(tree, '/proc/sys/kernel/modules_disabled'))?.trim() === '1') {
    return {
      ok: true,
      reason: 'module loading is disabled (kernel.modules_disabled=1): nothing can be loaded',
    };
  }
  const symbol = CONFIG_SYMBOL[mod];
  if (symbol !== undefined) {
    let config = await text(tree, `/boot/config-${release}`);
    if (config === undefined) {
      const gz = await tree.readFile('/proc/config.gz');
      if (gz.status === 'ok') {
        const decoded = decodeMaybeGzip(gz.content);
        config = 'text' in decoded ? decoded.text : undefined;
      }
    }
    if (config?.split('\n').includes(`${symbol}=y`) === true) {
      return { ok: true, reason: `${mod} is built in (${symbol}=y)` };
    }
  }
  return { ok: false, reason: `${mod} is neither loaded nor built in; the command could autoload it` };
}

async function fileExists(tree: FsTree, path: string, what: string): Promise<Verdict> {
  return (await tree.nodeKind(path)) === 'absent'
    ? { ok: false, reason: `${path} is absent (${what} not active); the command would load it` }
    : { ok: true, reason: `${path} exists` };
}

/** Which backend the `iptables`/`ip6tables` found in PATH uses, from the binary it resolves to. */
export async function xtablesVariant(tree: FsTree, tool: string): Promise<'nft' | 'legacy' | 'none'> {
  for (const dir of commandPath(process.env.PATH).split(':')) {
    if (!dir.startsWith('/')) {
      continue;
    }
    const r = await resolveInTree(tree, `${dir}/${tool}`);
    if (r.ok && (await tree.nodeKind(r.path)) === 'file') {
      const name = basename(r.path);
      return name.includes('nft') ? 'nft' : 'legacy';
    }
  }
  return 'none';
}

export async function checkPrecondition(
  tree: FsTree,
  pre: Precondition,
  release: string,
  command: string,
): Promise<Verdict> {
  switch (pre) {
    case 'systemd':
      return (await tree.nodeKind('/run/systemd/system')) === 'dir'
        ? { ok: true, reason: 'systemd is PID 1' }
        : withCommand(
            { ok: false, reason: 'systemd is not running as PID 1 (/run/systemd/system is absent)' },
            command,
          );
    case 'nf_tables':
    case 'ip_set':
      return withCommand(await moduleSafe(tree, pre, release), command);
    case 'ip_tables':
      return withCommand(await fileExists(tree, '/proc/net/ip_tables_names', 'ip_tables'), command);
    case 'ip6_tables':
      return withCommand(await fileExists(tree, '/proc/net/ip6_tables_names', 'ip6_tables'), command);
    case 'iptables-variant': {
      const v = await xtablesVariant(tree, 'iptables');
      return v === 'nft'
        ? withCommand(await moduleSafe(tree, 'nf_tables', release), command)
        : { ok: true, reason: `iptables variant: ${v}` };
    }
    case 'iptables-backend':
    case 'ip6tables-backend': {
      const six = pre === 'ip6tables-backend';
      const v = await xtablesVariant(tree, six ? 'ip6tables' : 'iptables');
      if (v === 'nft') {
        return withCommand(await moduleSafe(tree, 'nf_tables', release), command);
      }
      if (v === 'none') {
        return { ok: true, reason: 'not installed' };
      }
      return withCommand(
        six
          ? await fileExists(tree, '/proc/net/ip6_tables_names', 'ip6_tables')
          : await fileExists(tree, '/proc/net/ip_tables_names', 'ip_tables'),
        command,
      );
    }
  }
}

function withCommand(v: Verdict, command: string): Verdict {
  return v.ok ? v : { ok: false, reason: `not run: ${command}: ${v.reason}` };
}
