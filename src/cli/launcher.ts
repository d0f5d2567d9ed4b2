// The first part of dist/nfdoctor.cjs (scripts/build.mjs puts the program after it, in a comment): answers
// --version and --help itself, and runs the program through the compile cache (compile-cache.ts).
import { answerQuickly } from './quick.ts';
import { cacheCommand, runEmbeddedProgram } from './compile-cache.ts';
import { FLEET_WORKER_ROLE } from '../fleet/role.ts';

declare const NFDOCTOR_PROGRAM_ID: string;
declare const NFDOCTOR_PROGRAM_BYTES: number;

const argv = process.argv.slice(2);
const quick = answerQuickly(argv);
if (quick !== undefined) {
  process.exitCode = quick;
} else {
  runEmbeddedProgram({
    bundle: __filename,
    programId: NFDOCTOR_PROGRAM_ID,
    programBytes: NFDOCTOR_PROGRAM_BYTES,
    command: cacheCommand(argv),
    mayWrite: argv[0] !== FLEET_WORKER_ROLE,
    module,
    require,
    debug: process.env.NFDOCTOR_DEBUG !== undefined,
  });
}
