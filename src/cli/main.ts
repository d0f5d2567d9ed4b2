// nfdoctor command line: the only place that prints or exits.
import type { CommandOutput } from './commands/check.ts';
import { answerQuickly, stdoutWasQueued, writeStdout } from './quick.ts';
import { FLEET_WORKER_ROLE } from '../fleet/role.ts';
import { InputError, UsageError, EXIT } from './errors.ts';
import { VERSION } from '../version.ts';
import { stdoutIsTerminal } from './terminal.ts';
import { reportJson } from '../report/json-text.ts';

type Command = (argv: readonly string[], version: string, color: boolean) => Promise<CommandOutput>;

/**
 * `report`: the command's text is a report that --output redirects; collect uses --output itself.
 * Each command is imported only when it runs: every call pays for what it evaluates, and most of the
 * bundle (checks, parsers, generated tables) is needed by one command only (`--version` needs none).
 */
const COMMANDS: Readonly<Record<string, { load: () => Promise<Command>; report: boolean }>> = {
  diagnose: { load: async () => (await import('./commands/diagnose.ts')).runDiagnose, report: true },
  check: { load: async () => (await import('./commands/check.ts')).runCheck, report: true },
  collect: { load: async () => (await import('./commands/collect.ts')).runCollect, report: false },
  fleet: { load: async () => (await import('./commands/fleet.ts')).runFleet, report: true },
  fix: { load: async () => (await import('./commands/fix.ts')).runFix, report: false },
  rollback: { load: async () => (await import('./commands/rollback.ts')).runRollback, report: false },
  guard: { load: async () => (await import('./commands/guard.ts')).runGuard, report: false },
  checks: { load: async () => (await import('./commands/info.ts')).runChecksList, report: true },
  explain: { load: async () => (await import('./commands/info.ts')).runExplain, report: true },
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
  const quick = answerQuickly(argv);
  if (quick !== undefined || name === undefined) {
    return quick ?? EXIT.usage;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
  }
  const output = command.report ? outputFileOf(rest) : undefined;
  const color = output === undefined && process.env.NO_COLOR === undefined && stdoutIsTerminal();
  const run = await command.load();
  const result = await run(rest, VERSION, color);
  if (output !== undefined && output !== '') {
    // Loaded here: node:fs/promises brings streams and readline, which --version and most reports never use.
    const { writeFile } = await import('node:fs/promises');
    try {
      await writeFile(output, result.text);
    } catch (err) {
      throw new InputError(output, `cannot write the report (${(err as { code?: string }).code ?? 'error'})`);
    }
  } else {
    writeStdout(result.text);
  }
  return result.exitCode;
}

/** `check ... --format json` (or --format=json): even a refusal is printed as JSON on stdout. */
function wantsCheckJson(argv: readonly string[]): boolean {
  if (argv[0] !== 'check') {
    return false;
  }
  const i = argv.lastIndexOf('--format');
  const last = argv.filter((a) => a.startsWith('--format=')).pop();
  return (i >= 0 && argv[i + 1] === 'json') || last === '--format=json';
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

function runCli(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      // Every command has finished when main() resolves, and its output went out with write(2): exiting now
      // skips the orderly teardown of Node's environment and heap (5-10 ms after a diagnosis). Output still
      // queued on process.stdout (a non-blocking pipe said EAGAIN) is left to drain before a natural exit.
      if (stdoutWasQueued()) {
        process.exitCode = code;
      } else {
        process.exit(code);
      }
    },
    (err: unknown) => {
      const line = oneLine(err).split('\n')[0] ?? '';
      process.stderr.write(`nfdoctor: ${line}\n`);
      const argv = process.argv.slice(2);
      if (wantsCheckJson(argv)) {
        const file = err instanceof InputError ? err.file : undefined;
        // Loaded here, not at start-up: check-json pulls in the rules resolver, which --version never needs.
        void import('../report/check-json.ts').then(({ checkErrorToJson }) => {
          writeStdout(`${reportJson(checkErrorToJson(line, file, VERSION))}\n`);
        });
      }
      if (process.env.NFDOCTOR_DEBUG !== undefined && err instanceof Error) {
        process.stderr.write(`${err.stack ?? ''}\n`);
      }
      process.exitCode = EXIT.usage;
    },
  );
}

/**
 * The bundle is also the script of its own fleet workers (src/fleet/pool.ts): there it serves, never parses
 * argv. The pool appends the role to the worker's argv, so that an ordinary start does not load
 * node:worker_threads (and the stream machinery it brings) only to learn that it is the main thread.
 */
if (process.argv[2] === FLEET_WORKER_ROLE) {
  void import('node:worker_threads').then(({ isMainThread, parentPort, workerData }) => {
    const role = (workerData as { role?: unknown } | null)?.role;
    if (!isMainThread && parentPort != null && role === FLEET_WORKER_ROLE) {
      const port = parentPort;
      void import('../fleet/worker.ts').then((m) => {
        m.serveFleetWorker(port);
      });
    } else {
      runCli();
    }
  });
} else {
  runCli();
}
