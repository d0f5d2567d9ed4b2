// nfdoctor collect [--output FILE] [--root DIR]: runs the one shell collector (collector/nfdoctor-collect.sh).
import { parseArgs } from 'node:util';
import { collectSnapshot } from '../../sources/collect.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { CommandOutput } from './check.ts';

export const COLLECT_HELP = `Usage: nfdoctor collect [--output FILE] [--root DIR]

Writes a snapshot (.tar.gz) of everything nfdoctor reads, read-only, using the same POSIX sh
collector as collector/nfdoctor-collect.sh. Analyse it anywhere with: nfdoctor diagnose --snapshot FILE
`;

export async function runCollect(argv: readonly string[]): Promise<CommandOutput> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      output: { type: 'string', short: 'o' },
      root: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    return { text: COLLECT_HELP, exitCode: EXIT.ok };
  }
  const result = await collectSnapshot({
    ...(values.output === undefined ? {} : { output: values.output }),
    ...(values.root === undefined ? {} : { root: values.root }),
  });
  if (!result.ok || result.output === undefined) {
    throw new UsageError(`collect failed: ${result.error ?? `collector exited ${String(result.exitCode)}`}`);
  }
  return { text: `${result.output}\n`, exitCode: EXIT.ok };
}
