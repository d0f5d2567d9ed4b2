// nfdoctor check RULES... [--kernel DIR | --root DIR [--kernel-release R]] [--backend nft|legacy] [--ipsets FILE] [--format text|json|sarif]
import { parseArgs } from 'node:util';
import { basename, dirname, join, resolve } from 'node:path';
import { release as osRelease } from 'node:os';
import { promises as fsp } from 'node:fs';
import {
  checkRules,
  firstPiece,
  type BackendChoice,
  type IpsetInput,
  type RulesInput,
} from '../../resolve/check-rules.ts';
import { hostKernelLayout, kernelDirLayout, type KernelLayout } from '../../resolve/kernel-view.ts';
import { renderCheckText } from '../../report/check-text.ts';
import { checkResultToJson } from '../../report/check-json.ts';
import { checkResultToSarif } from '../../report/check-sarif.ts';
import type { HostReader } from '../../sources/host-reader.ts';
import { LiveReader, RootReader } from '../../sources/fs-readers.ts';
import { InputError, UsageError, EXIT } from '../errors.ts';
import { parseFailOn, terminalStyle } from '../options.ts';
import { SEVERITY_RANK } from '../../fleet/summary.ts';
import type { Severity } from '../../checks/types.ts';
import {
  readPiecewiseInput,
  readTextInput,
  requireDirectory,
  requireSystemRoot,
  type PiecewiseText,
} from '../read-input.ts';
import { detectHostBackend } from '../../resolve/host-backend.ts';
import type { Family } from '../../knowledge/extensions.ts';
import { reportJson } from '../../report/json-text.ts';

export const CHECK_HELP = `Usage: nfdoctor check RULES... [options]

Checks that the kernel can provide every module the saved rules need, and that the
userspace extension libraries exist. RULES are iptables-save / ip6tables-save files.

Target kernel (default: the running kernel of this host):
  --kernel DIR          a modules directory shaped like /lib/modules/RELEASE (modules.dep,
                        modules.alias, ...; the kernel config beside or inside it)
  --root DIR            a whole filesystem root, e.g. a mounted disk
  --kernel-release R    which kernel under DIR/lib/modules (with --root) or the release of --kernel DIR

Options:
  --backend nft|legacy  the iptables backend that will load the rules (default: the host's
                        iptables alternative, else the rules file header, else nft)
  --family ipv4|ipv6    family of every RULES file (default: from the file name and header)
  --ipsets FILE         an ipset save file defining the sets the rules use (repeatable;
                        default: the ipsets file beside the rules, /etc/iptables/ipsets)
  --format text|json|sarif
                        output format (default text); sarif is SARIF 2.1.0 for code scanning in CI
  --output FILE         write the report to FILE instead of standard output
  --verbose             also report quirks of the kernel's own metadata that do not affect the
                        rules (e.g. modules.softdep lines kmod ignores), as info diagnostics
  --fail-on LEVEL       exit 1 at or above LEVEL: error (default: a rule or requirement that
                        fails), warning (also a rule that loads only on some hosts or matches
                        nothing), info, none

Exit status: 0 everything can be provided (and nothing at or above --fail-on), 1 something cannot,
2 unusable input.
`;

export interface CommandOutput {
  readonly text: string;
  readonly exitCode: number;
}

function parseBackend(value: string | undefined): BackendChoice | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (value !== 'nft' && value !== 'legacy') {
    throw new UsageError(`--backend must be nft or legacy, not "${value}"`);
  }
  return { value, why: `--backend ${value}` };
}

function parseFamily(value: string | undefined): Family | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (value !== 'ipv4' && value !== 'ipv6') {
    throw new UsageError(`--family must be ipv4 or ipv6, not "${value}"`);
  }
  return value;
}

async function releaseUnderRoot(root: string, given: string | undefined): Promise<string> {
  if (given !== undefined) {
    return given;
  }
  const dir = join(root, 'lib/modules');
  let names: string[];
  try {
    names = (await fsp.readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    throw new InputError(
      dir,
      'no kernel modules directory under this root; name the kernel with --kernel-release',
    );
  }
  const [only, ...others] = names.sort();
  if (only === undefined) {
    throw new InputError(dir, 'is empty; name the kernel with --kernel-release');
  }
  if (others.length > 0) {
    throw new UsageError(
      `several kernels under ${dir} (${names.join(', ')}): choose one with --kernel-release`,
    );
  }
  return only;
}

interface Target {
  readonly kernelReader: HostReader;
  readonly layout: KernelLayout;
  readonly userspaceReader: HostReader;
  /** The host that loads the rules, whose users and groups decide owner names; none for --kernel. */
  readonly accountsReader?: HostReader;
  readonly ipsetCandidates: readonly string[];
}

async function chooseTarget(values: {
  kernel?: string;
  root?: string;
  'kernel-release'?: string;
}): Promise<Target> {
  if (values.kernel !== undefined && values.root !== undefined) {
    throw new UsageError('--kernel and --root cannot be used together');
  }
  if (values.kernel !== undefined) {
    const dir = resolve(values.kernel);
    requireDirectory(dir, 'a kernel modules directory (/lib/modules/RELEASE)');
    const release = values['kernel-release'] ?? basename(dir);
    const local = new RootReader('/');
    return {
      kernelReader: local,
      layout: kernelDirLayout(dir, release),
      userspaceReader: local,
      ipsetCandidates: [],
    };
  }
  if (values.root !== undefined) {
    const root = resolve(values.root);
    requireSystemRoot(root);
    const release = await releaseUnderRoot(root, values['kernel-release']);
    const reader = new RootReader(root);
    return {
      kernelReader: reader,
      layout: hostKernelLayout(release, 'root', root),
      userspaceReader: reader,
      accountsReader: reader,
      ipsetCandidates: [join(root, 'etc/iptables/ipsets')],
    };
  }
  const live = new LiveReader();
  const release = values['kernel-release'] ?? osRelease();
  return {
    kernelReader: live,
    layout: hostKernelLayout(release, 'live', 'this host'),
    userspaceReader: live,
    accountsReader: live,
    ipsetCandidates: ['/etc/iptables/ipsets'],
  };
}

function defaultIpsets(rules: readonly string[], candidates: readonly string[]): IpsetInput[] {
  const paths = [...new Set([...rules.map((r) => join(dirname(r), 'ipsets')), ...candidates])];
  const found: IpsetInput[] = [];
  for (const path of paths) {
    try {
      found.push({ path, text: readTextInput(path, 'an ipset save file') });
      break;
    } catch {
      // Only an explicit --ipsets must exist; a default location simply may not.
    }
  }
  return found;
}

export async function runCheck(
  argv: readonly string[],
  version: string,
  color: boolean,
): Promise<CommandOutput> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      kernel: { type: 'string' },
      root: { type: 'string' },
      'kernel-release': { type: 'string' },
      backend: { type: 'string' },
      family: { type: 'string' },
      ipsets: { type: 'string', multiple: true },
      format: { type: 'string', default: 'text' },
      output: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      'fail-on': { type: 'string', default: 'error' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    return { text: CHECK_HELP, exitCode: EXIT.ok };
  }
  if (positionals.length === 0) {
    throw new UsageError('check needs at least one rules file (try: nfdoctor check /etc/iptables/rules.v4)');
  }
  const threshold = parseFailOn(values['fail-on']);
  const format = values.format;
  if (format !== 'text' && format !== 'json' && format !== 'sarif') {
    throw new UsageError(`--format must be text, json or sarif for check, not "${format}"`);
  }
  const backend = parseBackend(values.backend);
  const family = parseFamily(values.family);
  const target = await chooseTarget(values);

  const rules: (RulesInput & { readonly text: PiecewiseText })[] = [];
  for (const path of positionals) {
    const text = readPiecewiseInput(path, 'an iptables-save rules file');
    rules.push({ path, text, ...(family === undefined ? {} : { family }) });
  }
  const ipsets: IpsetInput[] = [];
  for (const path of values.ipsets ?? []) {
    ipsets.push({ path, text: readTextInput(path, 'an ipset save file') });
  }
  if (ipsets.length === 0) {
    ipsets.push(...defaultIpsets(positionals, target.ipsetCandidates));
  }
  const hostBackend =
    backend === undefined && target.layout.sourceKind !== 'kernel-dir'
      ? await detectHostBackend(target.userspaceReader)
      : undefined;

  const checked = await checkRules({
    rules,
    ipsets,
    kernelReader: target.kernelReader,
    layout: target.layout,
    userspaceReader: target.userspaceReader,
    ...(target.accountsReader === undefined ? {} : { accountsReader: target.accountsReader }),
    ...(backend === undefined ? {} : { backend }),
    ...(hostBackend === undefined ? {} : { hostBackend }),
  });
  const result =
    values.verbose === true
      ? { ...checked, diagnostics: [...checked.diagnostics, ...checked.kernelNotes] }
      : checked;
  assertLooksLikeRuleset(result.files, rules);
  const style = terminalStyle(color);
  const text =
    format === 'json'
      ? `${reportJson(checkResultToJson(result, version))}\n`
      : format === 'sarif'
        ? `${reportJson(checkResultToSarif(result, version))}\n`
        : renderCheckText(result, style);
  return { text, exitCode: checkExitCode(result, threshold) };
}

/**
 * 1 when the rules cannot load (result.ok false; what --fail-on error means), or when a diagnostic is at or
 * above the --fail-on threshold; none never fails on findings.
 */
export function checkExitCode(
  result: { readonly ok: boolean; readonly diagnostics: readonly { readonly severity: Severity }[] },
  threshold: number,
): number {
  if (threshold === Infinity) {
    return EXIT.ok;
  }
  const failing = !result.ok || result.diagnostics.some((d) => SEVERITY_RANK[d.severity] >= threshold);
  return failing ? EXIT.findings : EXIT.ok;
}

/** A file with no table and no rule is not a ruleset at all (a wrong path, a config file): say so, exit 2. */
/** What a file without any "*table" line is instead, said in the one-line error (the file's first piece is enough). */
export function notARulesetProblem(head: string, path: string): string {
  if (
    /^\s*(?:#!\S*\bnft\b|flush ruleset\b|table\s+(?:ip|ip6|inet|arp|bridge|netdev)\s+\S+\s*\{)/m.test(head)
  ) {
    return `an nftables ruleset (nft syntax), not iptables-save: check it with nft -c -f ${path}`;
  }
  if (/^\s*(?:sudo\s+)?(?:\S*\/)?ip6?tables(?:-legacy|-nft)?\s+(?:-t\s+\S+\s+)?-[ADIRNPFXZ]\s/m.test(head)) {
    return 'a script of iptables commands, not an iptables-save ruleset: iptables-restore cannot read it; run it (in a network namespace) and check what iptables-save prints';
  }
  if (/^\s*<(?:\?xml|zone|service|direct)\b/m.test(head)) {
    return 'XML (a firewalld zone or service?), not an iptables-save ruleset';
  }
  return 'not an iptables-save ruleset (no "*table" line found)';
}

function assertLooksLikeRuleset(
  files: readonly { path: string; tables: readonly string[] }[],
  inputs: readonly { readonly path: string; readonly text: PiecewiseText }[],
): void {
  for (const f of files) {
    const input = inputs.find((i) => i.path === f.path);
    if (f.tables.length === 0 && input !== undefined && !input.text.blank) {
      throw new InputError(f.path, notARulesetProblem(firstPiece(input.text), f.path));
    }
    if (input !== undefined && input.text.blank) {
      throw new InputError(f.path, 'is empty: no rules to check');
    }
  }
}
