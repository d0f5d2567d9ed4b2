// nfdoctor fleet SNAPSHOT_OR_DIR... [--jobs N] [--format text|json|html] [--output FILE] [--fail-on LEVEL] [--fix-playbook FILE]
import { parseArgs } from 'node:util';
import { promises as fsp } from 'node:fs';
import { renderFleetFixPlaybook } from '../../fleet/fix-playbook.ts';
import { FleetAggregator, fleetExitCode } from '../../fleet/aggregate.ts';
import { diagnoseFiles, defaultJobs } from '../../fleet/pool.ts';
import { snapshotFiles } from '../../fleet/inputs.ts';
import { renderFleetText } from '../../report/fleet-text.ts';
import { fleetToJson } from '../../report/fleet-json.ts';
import { renderFleetHtml } from '../../report/fleet-html.ts';
import { parseFailOn, parseFormat, terminalStyle } from '../options.ts';
import { UsageError, EXIT } from '../errors.ts';
import type { CommandOutput } from './check.ts';
import { runFleetCollect } from './fleet-collect.ts';
import { reportJson } from '../../report/json-text.ts';

export const FLEET_HELP = `Usage: nfdoctor fleet SNAPSHOT_OR_DIR... [options]
       nfdoctor fleet collect -i INVENTORY [--snapshots DIR]   (runs the Ansible collect playbook)

Diagnoses many snapshots at once (a directory stands for the *.tar.gz files in it, e.g. the
snapshots/ that ansible/playbooks/collect.yml fetched) and groups the hosts by root cause:
worst first, the hosts of each group, one fix per group, then healthy and unreadable hosts.
A snapshot that cannot be read is one unreadable host with its reason, never the end of the run.

Options:
  --jobs N             worker threads (default: the number of CPUs)
  --format text|json|html  output format (default text); html is one self-contained page
  --fail-on LEVEL      exit 1 when a host has a finding at or above LEVEL: error (default), warning, info, none
  --output FILE        write the report to FILE
  --fix-playbook FILE  also write the fix of every group as an Ansible playbook: one play per root
                       cause for the hosts that have it (inventory names = snapshot names), each line
                       edit behind a check of the exact line, manual steps as debug tasks

Exit status: 0 nothing at or above --fail-on on any host, 1 findings, 2 usage or a snapshot that
could not be used (the report is still written).
`;

export async function runFleet(
  argv: readonly string[],
  version: string,
  color: boolean,
): Promise<CommandOutput> {
  if (argv[0] === 'collect') {
    return runFleetCollect(argv.slice(1));
  }
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      jobs: { type: 'string' },
      format: { type: 'string', default: 'text' },
      'fail-on': { type: 'string', default: 'error' },
      output: { type: 'string' },
      'fix-playbook': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    return { text: FLEET_HELP, exitCode: EXIT.ok };
  }
  if (positionals.length === 0) {
    throw new UsageError('fleet needs at least one snapshot file or directory (see nfdoctor fleet --help)');
  }
  const format = parseFormat(values.format, ['text', 'json', 'html'] as const, 'fleet');
  const threshold = parseFailOn(values['fail-on']);
  let jobs = defaultJobs();
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!/^\d+$/.test(values.jobs) || jobs < 1 || jobs > 256) {
      throw new UsageError(`--jobs must be a whole number from 1 to 256, not "${values.jobs}"`);
    }
  }
  const aggregator = new FleetAggregator();
  await diagnoseFiles(snapshotFiles(positionals), {
    jobs,
    onOutcome: (o) => {
      aggregator.add(o);
    },
  });
  const report = aggregator.finish();
  if (report.total === 0) {
    throw new UsageError(`no snapshot (*.tar.gz) found in ${positionals.join(', ')}`);
  }
  const playbookFile = values['fix-playbook'];
  if (playbookFile !== undefined) {
    await fsp.writeFile(playbookFile, renderFleetFixPlaybook(report).text, { mode: 0o644 });
  }
  const style = terminalStyle(color);
  const text =
    format === 'json'
      ? `${reportJson(fleetToJson(report, version))}\n`
      : format === 'html'
        ? renderFleetHtml(report, version)
        : renderFleetText(report, style);
  return { text, exitCode: fleetExitCode(report, threshold) };
}
