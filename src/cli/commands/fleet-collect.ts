// nfdoctor fleet collect -i INVENTORY [--snapshots DIR] [--check] [--limit PATTERN]: runs the collect playbook
// (ansible/playbooks/collect.yml, usable on its own) with the user's inventory and Ansible settings.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { childProcess } from '../../lazy-builtins.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { CommandOutput } from './check.ts';

declare const NFDOCTOR_BUNDLE: boolean | undefined;

export const FLEET_COLLECT_HELP = `Usage: nfdoctor fleet collect -i INVENTORY [--snapshots DIR] [--check] [--limit PATTERN]

Runs ansible-playbook ansible/playbooks/collect.yml with your inventory: on every host the POSIX
collector runs as root (become, forks, users are your Ansible settings; hosts need no Python), and
each snapshot comes back as DIR/<inventory_hostname>.tar.gz. Then: nfdoctor fleet DIR

Options:
  -i, --inventory INV  an Ansible inventory (file, directory or "host1,host2,")
  --snapshots DIR      where the snapshots go (default ./snapshots)
  --check              Ansible check mode: shows what would run, runs nothing on the hosts
  --limit PATTERN      only these hosts (ansible-playbook --limit)
`;

/** The playbook ships beside the bundle (dist/../ansible) and in the source tree. */
export function collectPlaybookPath(): string {
  const base =
    typeof NFDOCTOR_BUNDLE === 'boolean'
      ? join(__dirname, '..')
      : join(dirname(fileURLToPath(import.meta.url)), '../../..');
  return join(base, 'ansible/playbooks/collect.yml');
}

export async function runFleetCollect(argv: readonly string[]): Promise<CommandOutput> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      inventory: { type: 'string', short: 'i' },
      snapshots: { type: 'string', default: 'snapshots' },
      check: { type: 'boolean' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    return { text: FLEET_COLLECT_HELP, exitCode: EXIT.ok };
  }
  if (values.inventory === undefined) {
    throw new UsageError('fleet collect needs an inventory: -i INVENTORY');
  }
  const playbook = collectPlaybookPath();
  if (!existsSync(playbook)) {
    throw new UsageError(`${playbook}: the collect playbook is missing from this installation`);
  }
  const args = [
    '-i',
    values.inventory,
    playbook,
    '-e',
    JSON.stringify({ nfdoctor_snapshot_dir: resolve(values.snapshots) }),
    ...(values.check === true ? ['--check'] : []),
    ...(values.limit === undefined ? [] : ['--limit', values.limit]),
  ];
  const code = await new Promise<number>((done, fail) => {
    const child = childProcess().spawn('ansible-playbook', args, { stdio: 'inherit' });
    child.on('error', (err: NodeJS.ErrnoException) => {
      fail(err.code === 'ENOENT' ? new UsageError('ansible-playbook not found: install ansible-core') : err);
    });
    child.on('exit', (c) => {
      done(c ?? 2);
    });
  });
  if (code !== 0) {
    return { text: `ansible-playbook exited ${code}: see its output above\n`, exitCode: EXIT.usage };
  }
  return {
    text: `snapshots in ${resolve(values.snapshots)}; next: nfdoctor fleet ${values.snapshots}\n`,
    exitCode: EXIT.ok,
  };
}
