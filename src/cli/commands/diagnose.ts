// nfdoctor diagnose [--root DIR | --snapshot FILE] [--format text|json|html|prometheus] [--fail-on SEVERITY] [--output FILE]
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { HostReader } from '../../sources/host-reader.ts';
import { LiveReader, RootReader } from '../../sources/fs-readers.ts';
import { openSnapshot, SnapshotError } from '../../sources/snapshot-reader.ts';
import { buildHostModel } from '../../model/host-model.ts';
import { runChecks } from '../../checks/engine.ts';
import { CHECKS } from '../../checks/index.ts';
import { renderDiagnosisText } from '../../report/diagnose-text.ts';
import { diagnosisToJson } from '../../report/diagnose-json.ts';
import { renderDiagnosisHtml } from '../../report/diagnose-html.ts';
import { parseFailOn, parseFormat, terminalStyle } from '../options.ts';
import { SEVERITY_RANK } from '../../fleet/summary.ts';
import { renderPrometheus } from '../../report/prometheus.ts';
import { familyStates } from '../../guard/decision.ts';
import { EXIT, UsageError } from '../errors.ts';
import { requireSystemRoot } from '../read-input.ts';
import type { CommandOutput } from './check.ts';
import { reportJson } from '../../report/json-text.ts';

export const DIAGNOSE_HELP = `Usage: nfdoctor diagnose [--root DIR | --snapshot FILE] [options]

Finds why the firewall is not (or will not be) up after boot: follows the saved rules to the
modules they need, the running kernel, the boot units and the journal. Root cause first, with
evidence, the fix, why it works, how it persists, and what comes next.

Source (default: this host, read-only):
  --root DIR           a filesystem mounted from another host (files only)
  --snapshot FILE      a snapshot made by "nfdoctor collect" or collector/nfdoctor-collect.sh

Options:
  --format text|json|html|prometheus  output format (default text); html: one self-contained page;
                       prometheus: node_exporter textfile
  --fail-on LEVEL      exit 1 when a finding is at or above LEVEL: error (default), warning, info, none
  --output FILE        write the report to FILE

Exit status: 0 nothing at or above --fail-on, 1 findings, 2 unusable input.
`;

export async function chooseReader(values: { root?: string; snapshot?: string }): Promise<HostReader> {
  if (values.root !== undefined && values.snapshot !== undefined) {
    throw new UsageError('--root and --snapshot cannot be used together');
  }
  if (values.snapshot !== undefined) {
    try {
      return await openSnapshot(values.snapshot);
    } catch (err) {
      if (err instanceof SnapshotError) {
        throw new UsageError(err.message);
      }
      throw err;
    }
  }
  if (values.root !== undefined) {
    const root = resolve(values.root);
    requireSystemRoot(root);
    return new RootReader(root);
  }
  return new LiveReader();
}

export async function runDiagnose(
  argv: readonly string[],
  version: string,
  color: boolean,
): Promise<CommandOutput> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      root: { type: 'string' },
      snapshot: { type: 'string' },
      format: { type: 'string', default: 'text' },
      'fail-on': { type: 'string', default: 'error' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    return { text: DIAGNOSE_HELP, exitCode: EXIT.ok };
  }
  const format = parseFormat(values.format, ['text', 'json', 'html', 'prometheus'] as const, 'diagnose');
  const threshold = parseFailOn(values['fail-on']);
  const reader = await chooseReader(values);
  const model = await buildHostModel(reader);
  const result = runChecks(CHECKS, model);
  const style = terminalStyle(color);
  const text =
    format === 'json'
      ? `${reportJson(diagnosisToJson(model, result, version))}\n`
      : format === 'html'
        ? renderDiagnosisHtml(model, result, version)
        : format === 'prometheus'
          ? renderPrometheus({
              states: familyStates(model, result),
              result,
              checks: CHECKS,
              time: new Date(),
            })
          : renderDiagnosisText(model, result, style);
  const failing = result.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold);
  return { text, exitCode: failing ? EXIT.findings : EXIT.ok };
}
