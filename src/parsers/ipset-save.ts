// `ipset save` output / `ipset restore` input, as defined in ipset(8) (ipset 7.x "restore" command syntax).

import type { Diagnostic, DiagnosticSeverity, Parsed } from './types.ts';
import type { OptionUse } from './iptables-save.ts';
import { splitRestoreWords } from './iptables-tokenize.ts';

export interface IpsetSet {
  readonly name: string;
  /** As written, e.g. "hash:ip", "bitmap:port", "list:set". */
  readonly type: string;
  readonly options: readonly OptionUse[];
  readonly line: number;
  readonly family?: 'inet' | 'inet6';
}

export type IpsetCommandName = 'flush' | 'destroy' | 'swap' | 'rename' | 'del' | 'test' | 'commit';

/** A restore line other than create/add, recorded as written. */
export interface IpsetCommand {
  readonly line: number;
  readonly command: IpsetCommandName;
  readonly args: readonly string[];
}

export interface IpsetSave {
  readonly sets: readonly IpsetSet[];
  /** Set name -> count of add lines. */
  readonly members: ReadonlyMap<string, number>;
  readonly commands: readonly IpsetCommand[];
  readonly lineCount: number;
}

/** Command words ipset(8) accepts, with their short aliases (ipset.c cmds[]). */
const COMMAND_ALIASES: ReadonlyMap<string, string> = new Map([
  ['create', 'create'],
  ['n', 'create'],
  ['-N', 'create'],
  ['add', 'add'],
  ['-A', 'add'],
  ['del', 'del'],
  ['-D', 'del'],
  ['test', 'test'],
  ['-T', 'test'],
  ['destroy', 'destroy'],
  ['x', 'destroy'],
  ['-X', 'destroy'],
  ['flush', 'flush'],
  ['-F', 'flush'],
  ['rename', 'rename'],
  ['e', 'rename'],
  ['-E', 'rename'],
  ['swap', 'swap'],
  ['w', 'swap'],
  ['-W', 'swap'],
  ['COMMIT', 'commit'],
]);

/** The set methods the kernel has (net/netfilter/ipset/ip_set_{hash,bitmap,list}_*.c). */
const SET_METHODS: ReadonlySet<string> = new Set(['hash', 'bitmap', 'list']);

/** Set types ipset 7.17 knows; other combinations are "typename ... is unknown". */
const KNOWN_SET_TYPES: ReadonlySet<string> = new Set([
  'bitmap:ip',
  'bitmap:ip,mac',
  'bitmap:port',
  'hash:ip',
  'hash:mac',
  'hash:ip,mac',
  'hash:net',
  'hash:net,net',
  'hash:ip,port',
  'hash:net,port',
  'hash:ip,port,ip',
  'hash:ip,port,net',
  'hash:ip,mark',
  'hash:net,port,net',
  'hash:net,iface',
  'list:set',
]);

/** create options that are flags (no value), per ipset(8) CREATE OPTIONS. */
const FLAG_OPTIONS: ReadonlySet<string> = new Set([
  'counters',
  'comment',
  'skbinfo',
  'forceadd',
  '-exist',
  '-!',
  'nomatch',
]);

const GLOBAL_FLAGS: ReadonlySet<string> = new Set(['-exist', '-!', '-quiet', '-q']);

const SET_TYPE_SHAPE = /^[a-z]+:[a-z]+(?:,[a-z]+)*$/;

export function parseIpsetSave(text: string, file: string): Parsed<IpsetSave> {
  const diagnostics: Diagnostic[] = [];
  const report = (severity: DiagnosticSeverity, line: number, code: string, message: string): void => {
    diagnostics.push({ at: { file, line }, severity, code, message });
  };
  const sets: IpsetSet[] = [];
  const members = new Map<string, number>();
  const commands: IpsetCommand[] = [];
  const defined = new Set<string>();

  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 0;
  while (pos < text.length) {
    const newline = text.indexOf('\n', pos);
    const end = newline === -1 ? text.length : newline;
    line++;
    const words = splitRestoreWords(text.slice(pos, end).replace(/\r$/, '')).words;
    pos = end + 1;
    const first = words[0];
    if (first === undefined || first.startsWith('#')) {
      continue;
    }
    const exist = words.includes('-exist') || words.includes('-!');
    const args = words.slice(1).filter((word) => !GLOBAL_FLAGS.has(word));
    const command = COMMAND_ALIASES.get(first);
    if (command === undefined) {
      report(
        'error',
        line,
        'unknown-command',
        `"${first}" is not an ipset command: ipset restore fails with "Syntax error"`,
      );
      continue;
    }
    if (command === 'create') {
      const set = createdSet(args, line, report);
      if (set === undefined) {
        continue;
      }
      if (defined.has(set.name) && !exist) {
        report(
          'error',
          line,
          'duplicate-set',
          `set ${set.name} is created twice without -exist: ipset restore fails with "set with the same name already exists"`,
        );
      }
      defined.add(set.name);
      sets.push(set);
      continue;
    }
    if (command === 'add') {
      const name = args[0];
      if (name === undefined || args.length < 2) {
        report('error', line, 'missing-argument', 'add needs a set name and an entry: ipset restore fails');
        continue;
      }
      if (!defined.has(name)) {
        report(
          'error',
          line,
          'add-to-undefined-set',
          `add to set ${name}, which is not created earlier in this file: ipset restore fails with "The set with the given name does not exist" unless it already exists in the kernel`,
        );
      }
      members.set(name, (members.get(name) ?? 0) + 1);
      continue;
    }
    commands.push({ line, command: command as IpsetCommandName, args });
    followSetLifecycle(command, args, defined);
  }
  return { value: { sets, members, commands, lineCount: line }, diagnostics };
}

function createdSet(
  args: readonly string[],
  line: number,
  report: (severity: DiagnosticSeverity, line: number, code: string, message: string) => void,
): IpsetSet | undefined {
  const [name, type] = args;
  if (name === undefined || type === undefined) {
    report('error', line, 'missing-argument', 'create needs a set name and a type: ipset restore fails');
    return undefined;
  }
  checkSetType(type, line, report);
  const options = createOptions(args.slice(2));
  const set: { name: string; type: string; options: OptionUse[]; line: number; family?: 'inet' | 'inet6' } = {
    name,
    type,
    options,
    line,
  };
  const family = options.find((option) => option.name === 'family')?.values[0];
  if (family === 'inet' || family === 'inet6') {
    set.family = family;
  } else if (family !== undefined) {
    report('error', line, 'invalid-family', `family "${family}" of set ${name} is not inet or inet6`);
  }
  return set;
}

function checkSetType(
  type: string,
  line: number,
  report: (severity: DiagnosticSeverity, line: number, code: string, message: string) => void,
): void {
  if (!SET_TYPE_SHAPE.test(type)) {
    report(
      'error',
      line,
      'malformed-set-type',
      `set type "${type}" is not METHOD:DATATYPES like hash:ip or bitmap:port`,
    );
    return;
  }
  const method = type.slice(0, type.indexOf(':'));
  if (!SET_METHODS.has(method)) {
    report(
      'error',
      line,
      'unknown-set-method',
      `set type "${type}": method "${method}" is not hash, bitmap or list`,
    );
    return;
  }
  if (!KNOWN_SET_TYPES.has(type)) {
    report(
      'warning',
      line,
      'unknown-set-type',
      `set type "${type}" is not one ipset 7.17 knows: ipset restore fails with "typename '${type}' is unknown"`,
    );
  }
}

/** create options: flags stand alone, every other keyword takes the next word (ipset(8) CREATE OPTIONS). */
function createOptions(words: readonly string[]): OptionUse[] {
  const options: OptionUse[] = [];
  for (let i = 0; i < words.length; i++) {
    const name = words[i] ?? '';
    const value = words[i + 1];
    if (FLAG_OPTIONS.has(name) || value === undefined) {
      options.push({ name, values: [], negated: false });
    } else {
      options.push({ name, values: [value], negated: false });
      i++;
    }
  }
  return options;
}

/** destroy/rename change which names later add lines may use; a bare destroy removes every set. */
function followSetLifecycle(command: string, args: readonly string[], defined: Set<string>): void {
  const [first, second] = args;
  if (command === 'destroy') {
    if (first === undefined) {
      defined.clear();
    } else {
      defined.delete(first);
    }
  } else if (command === 'rename' && first !== undefined && second !== undefined && defined.delete(first)) {
    defined.add(second);
  }
}
