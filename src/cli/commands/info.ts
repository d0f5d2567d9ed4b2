// nfdoctor checks | nfdoctor explain CHECK_ID: the catalogue, from each check's meta and README.
import { CHECKS, findCheck } from '../../checks/index.ts';
import { CHECK_DOCS } from '../../checks/docs.generated.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { CommandOutput } from './check.ts';

export async function runChecksList(): Promise<CommandOutput> {
  const width = Math.max(...CHECKS.map((c) => c.meta.id.length));
  const lines = CHECKS.map(
    (c) => `${c.meta.id.padEnd(width)}  ${c.meta.severity.padEnd(7)}  ${c.meta.title}`,
  );
  return Promise.resolve({ text: `${lines.join('\n')}\n`, exitCode: EXIT.ok });
}

export async function runExplain(argv: readonly string[]): Promise<CommandOutput> {
  const id = argv[0];
  if (id === undefined) {
    throw new UsageError('explain needs a check id (see "nfdoctor checks")');
  }
  const check = findCheck(id);
  if (check === undefined) {
    throw new UsageError(`no check "${id}" (see "nfdoctor checks")`);
  }
  const doc = CHECK_DOCS[id] ?? `# ${check.meta.title}\n`;
  return Promise.resolve({ text: doc.endsWith('\n') ? doc : `${doc}\n`, exitCode: EXIT.ok });
}
