// Whether tests may run the real iptables-restore here: only as root (network namespaces), and only when
// both backends' tools for both families are installed. Tests that need it skip cleanly otherwise.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const TOOLS = [
  'ip',
  'iptables-restore',
  'iptables-legacy-restore',
  'ip6tables-restore',
  'ip6tables-legacy-restore',
];

function onPath(tool: string): boolean {
  return (process.env['PATH'] ?? '')
    .split(':')
    .concat(['/usr/sbin', '/sbin'])
    .some((dir) => spawnSync('test', ['-x', join(dir, tool)]).status === 0);
}

export function canRunRealIptables(): boolean {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return isRoot && TOOLS.every(onPath);
}
