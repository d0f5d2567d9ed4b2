// The first part of the bundle (scripts/build.mjs writes it): answers --help and --version at once and
// otherwise runs the program proper, which the bundle carries deflated in a comment after this code. Node
// reads and scans every byte of a script before it runs it (about 20 ms for the ~800 KB program), so a
// `--version` that does not need the program must not have to read it as JavaScript.
import { readFileSync } from 'node:fs';
import { answerQuickly } from './quick.ts';

/** Opens the comment that holds the program (base64 of raw deflate: no "*\/" can occur inside). */
const MARK = '/*NFDOCTOR-MAIN:';

/** node:zlib and node:vm are loaded here, not at the top: --version needs neither. */
async function runProgram(): Promise<void> {
  const [{ inflateRawSync }, { compileFunction }] = await Promise.all([
    import('node:zlib'),
    import('node:vm'),
  ]);
  const self = readFileSync(__filename, 'latin1');
  const start = self.lastIndexOf(MARK) + MARK.length;
  const end = self.indexOf('*/', start);
  const code = inflateRawSync(Buffer.from(self.slice(start, end), 'base64')).toString('utf8');
  // The program is the CommonJS bundle of src/cli/main.ts, run as this very module (its fleet workers start
  // this same file again: __filename stays the bundle's own path).
  const run = compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], {
    filename: __filename,
  });
  run.call(module.exports, module.exports, require, module, __filename, __dirname);
}

const status = answerQuickly(process.argv.slice(2));
if (status === undefined) {
  void runProgram();
} else {
  process.exitCode = status;
}
