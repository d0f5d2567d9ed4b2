// nfdoctor command line: the only place that prints or exits.
import { writeFile } from 'node:fs/promises';
import { runCheck, type CommandOutput } from './commands/check.ts';
import { runDiagnose } from './commands/diagnose.ts';
import { runCollect } from './commands/collect.ts';
import { runChecksList, runExplain } from './commands/info.ts';
import { runGuard } from './commands/guard.ts';
import { InputError, UsageError, EXIT } from './errors.ts';
import { VERSION } from '../version.ts';

const HELP = `nfdoctor ${VERSION}: why is my firewall not up, and what exactly do I do about it?

Usage:
  nfdoctor diagnose [--root DIR | --snapshot FILE] [--format text|json|prometheus] [--fail-on LEVEL] [--output FILE]
  nfdoctor check RULES... [--kernel DIR | --root DIR] [--backend nft|legacy] [--format text|json]
  nfdoctor collect [--output FILE] [--root DIR]
  nfdoctor guard install|status|release|uninstall [--fail-closed] [--allow CIDR[:PORT]...] [--textfile DIR]
  nfdoctor checks | nfdoctor explain CHECK_ID
  nfdoctor --version | --help

Run "nfdoctor COMMAND --help" for a command's options.
`;

type Command = (argv: readonly string[], version: string, color: boolean) => Promise<CommandOutput>;

/** `report`: the command's text is a report that --output redirects; collect uses --output itself. */
const COMMANDS: Readonly<Record<string, { run: Command; report: boolean }>> = {
  diagnose: { run: runDiagnose, report: true },
  check: { run: runCheck, report: true },
  collect: { run: runCollect, report: false },
  checks: { run: runChecksList, report: true },
  explain: { run: runExplain, report: true },
  guard: { run: runGuard, report: false },
};

function outputFileOf(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--output');
  if (i >= 0) {
    return argv[i + 1];
  }
  const eq = argv.find((a) => a.startsWith('--output='));
  return eq?.slice('--output='.length);
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
  }
  const output = command.report ? outputFileOf(rest) : undefined;
  const color = output === undefined && process.stdout.isTTY && process.env.NO_COLOR === undefined;
  const result = await command.run(rest, VERSION, color);
  if (output !== undefined && output !== '') {
    try {
      await writeFile(output, result.text);
    } catch (err) {
      throw new InputError(output, `cannot write the report (${(err as { code?: string }).code ?? 'error'})`);
    }
  } else {
    process.stdout.write(result.text);
  }
  return result.exitCode;
}

function oneLine(err: unknown): string {
  if (err instanceof UsageError || err instanceof InputError) {
    return err.message;
  }
  // parseArgs reports unknown options and missing values with a code; show its message without a stack.
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    return (err as Error).message;
  }
  return `internal error: ${err instanceof Error ? err.message : String(err)} (please report this)`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`nfdoctor: ${oneLine(err).split('\n')[0] ?? ''}\n`);
    if (process.env.NFDOCTOR_DEBUG !== undefined && err instanceof Error) {
      process.stderr.write(`${err.stack ?? ''}\n`);
    }
    process.exitCode = EXIT.usage;
  },
);
