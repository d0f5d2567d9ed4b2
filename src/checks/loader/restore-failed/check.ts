// The loader unit ran iptables-restore at boot and it failed: map each journal error back to the rule, table
// and extension in the rules file, link the root causes, and say what the failure left behind.
import { defineCheck, notApplicable, unknown, type Finding, type FindingInput } from '../../types.ts';
import type { HostModel, SavedRules } from '../../../model/host-model.ts';
import type { Evidence } from '../../../findings/evidence.ts';
import { countRules } from '../../../model/ruleset-compare.ts';
import {
  locateIssue,
  restoreIssues,
  scanLoaderJournal,
  unitOutcome,
  type Location,
  type LoaderMessage,
  type RestoreIssue,
} from '../journal-errors.ts';
import { loaderUnitFor } from '../../host-commands.ts';
import {
  causeActions,
  checkReadingAt,
  failedListEvidence,
  issueEvidence,
  journalLine,
  locationEvidence,
  testCommand,
  uniqueIds,
  unitStateEvidence,
} from '../evidence.ts';
import { liveEvidence, liveView } from '../live-rules.ts';
import { manual, restartLoaderLater, thenRestart } from '../../fix-actions.ts';
import { geoipDatabaseSteps } from '../../userspace/geoip-database/check.ts';
import { shQuote, type Action } from '../../../fixes/actions.ts';

const ID = 'loader/restore-failed';

/** Neither the journal nor the requirements name the extension the kernel lacks. */
const UNNAMED_EXTENSION = 'the extension the rule uses';

function extensionsOf(issue: RestoreIssue, loc: Location): string {
  const fromReqs = loc.requirements.map((r) => {
    const mod = r.modules[0]?.name;
    return `${r.requirement.kind} ${r.requirement.extension}${mod === undefined ? '' : ` (${mod})`}`;
  });
  if (fromReqs.length > 0) {
    return [...new Set(fromReqs)].join(', ');
  }
  const named = issue.extensions.map((e) => `${e.kind ?? 'extension'} ${e.name}`);
  return named.length > 0 ? named.join(', ') : UNNAMED_EXTENSION;
}

function causesOf(
  ctx: { findingsAbout(s: string): readonly Finding[] },
  saved: SavedRules,
  issue: RestoreIssue,
  loc: Location,
): Finding[] {
  const subjects = [
    ...loc.rules.map((r) => `rules:${saved.path}:${String(r.line)}`),
    ...(issue.fileLine === undefined ? [] : [`rules:${saved.path}:${String(issue.fileLine)}`]),
    ...loc.requirements.map(
      (r) => `extension:${r.requirement.family}/${r.requirement.kind}/${r.requirement.extension}`,
    ),
    ...issue.extensions.flatMap((e) =>
      e.kind === undefined
        ? [`extension:${saved.family}/match/${e.name}`, `extension:${saved.family}/target/${e.name}`]
        : [`extension:${saved.family}/${e.kind}/${e.name}`],
    ),
    ...loc.sets.map((s) => `set:${s}`),
    ...(issue.set === undefined ? [] : [`set:${issue.set}`]),
    ...(issue.database === undefined ? [] : [`geoip:${issue.database}`]),
    ...(issue.kind === 'nft-unavailable'
      ? ['module:nf_tables', `extension:${saved.family}/backend/nf_tables`]
      : []),
    ...(issue.kind === 'table-unavailable' && issue.table !== undefined
      ? [`extension:${saved.family}/table/${issue.table}`]
      : []),
  ];
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const s of subjects) {
    for (const f of ctx.findingsAbout(s)) {
      if (!seen.has(f.id)) {
        seen.add(f.id);
        out.push(f);
      }
    }
  }
  return out;
}

// Rewriting a saved rule is a judgement about what traffic to allow: every own fix here is manual.
/**
 * What `check` found wrong with the refused line, when it found something (a loop of jumps, a hook a user
 * chain inherits, a restore command past a chain's end: chain-flow.ts): the kernel's errno alone does not say.
 */
function knownRejection(model: HostModel, saved: SavedRules, issue: RestoreIssue): string | undefined {
  // ENOENT ('missing-extension') too: iptables-nft's -j QUEUE asks the kernel for a target no kernel has.
  if (
    issue.fileLine === undefined ||
    (issue.kind !== 'kernel-rejected' && issue.kind !== 'missing-extension')
  ) {
    return undefined;
  }
  return checkReadingAt(model, saved.path, issue.fileLine, {
    refusedOnly: true,
    ...(issue.backend === undefined ? {} : { backend: issue.backend }),
  })?.message;
}

function rewriteRefusedRule(where: string, why: string, edit: string): Action {
  return manual(
    `Rewrite the rule the kernel refused (${where}): ${why}.`,
    'The rest of the table loads once nothing in it is refused; check the file with `nfdoctor check` before restoring it.',
    edit,
  );
}

function ownFix(
  model: HostModel,
  saved: SavedRules,
  issue: RestoreIssue,
  loc: Location,
  why: string | undefined,
): Action[] {
  const line = issue.fileLine ?? loc.rules[0]?.line;
  const where = line === undefined ? saved.path : `${saved.path} line ${String(line)}`;
  const edit = `sudoedit ${shQuote(saved.path)}`;
  if (issue.kind === 'missing-extension' && why !== undefined) {
    return [rewriteRefusedRule(where, why, edit)];
  }
  switch (issue.kind) {
    case 'missing-extension':
    case 'table-rejected':
    case 'unknown-extension': {
      const mods = [
        ...new Set(loc.requirements.flatMap((r) => (r.modules[0] === undefined ? [] : [r.modules[0].name]))),
      ];
      return [
        manual(
          `If the kernel cannot provide ${extensionsOf(issue, loc)} (a dry run of modprobe says why), remove or replace the rule that uses it in ${where}.`,
          'The rest of the table then loads.',
          mods.length > 0 ? `modprobe -n -v ${mods.map(shQuote).join(' ')}; ${edit}` : edit,
        ),
      ];
    }
    case 'kernel-rejected':
      return [
        why === undefined
          ? manual(
              `Move or rewrite the rule the kernel refused (${where}).`,
              'The kernel logs why it rejected the rule (wrong table, hook or protocol for the match or target).',
              `sudo dmesg | grep x_tables; ${edit}`,
            )
          : rewriteRefusedRule(where, why, edit),
      ];
    case 'set-missing':
      return [
        manual(
          `Make ipset ${issue.set ?? 'the set'} exist before the rules are restored.`,
          'iptables-restore looks the set up while it parses the rule and refuses the whole file when it is missing.',
          'sudo ipset list -n',
        ),
      ];
    case 'chain-missing':
      return [
        manual(
          `Declare ":${issue.chain ?? 'CHAIN'} - [0:0]" in the table, or correct the -j target (${where}).`,
          'iptables-nft treats an unknown target (also one whose userspace library is missing) as a jump to a chain of that name.',
          edit,
        ),
      ];
    case 'parse-error':
      return [
        manual(
          `Correct ${where}: iptables-restore cannot parse it (the journal line quotes its complaint).`,
          'iptables-restore loads nothing from a file it cannot parse.',
          edit,
        ),
      ];
    case 'geoip-database':
      return geoipDatabaseSteps(model);
    case 'commit-missing':
      return [
        manual(
          `Add COMMIT at the end of the table in ${saved.path}.`,
          'Every table in a restore file ends with COMMIT; without it iptables-restore loads nothing.',
          `echo COMMIT | sudo tee -a ${shQuote(saved.path)}`,
        ),
      ];
    case 'nft-unavailable':
      return [
        manual(
          'Find out why the nf_tables kernel module is not there or cannot load.',
          'iptables-nft needs the nf_tables kernel module.',
          'lsmod | grep nf_tables; modprobe -n -v nf_tables',
        ),
      ];
    case 'table-unavailable':
      return [
        manual(
          `Find out why the module of table ${issue.table ?? 'filter'} cannot be loaded.`,
          `The ${issue.table ?? ''} table is provided by a kernel module that cannot be loaded.`,
          `modprobe -n -v ${saved.family === 'ipv6' ? 'ip6table' : 'iptable'}_${shQuote(issue.table ?? 'filter')}`,
        ),
      ];
  }
}

function messageIdFor(issue: RestoreIssue, why: string | undefined, named: boolean): string {
  switch (issue.kind) {
    case 'missing-extension':
      return why !== undefined ? 'ruleMissingExplained' : named ? 'ruleRejected' : 'ruleRejectedUnnamed';
    case 'kernel-rejected':
      return why === undefined ? 'ruleInvalid' : 'ruleInvalidExplained';
    case 'table-rejected':
      return 'tableRejected';
    case 'unknown-extension':
      return 'unknownExtension';
    case 'set-missing':
      return 'setMissing';
    case 'chain-missing':
      return 'chainMissing';
    case 'table-unavailable':
      return 'tableUnavailable';
    case 'nft-unavailable':
      return 'nftUnavailable';
    case 'commit-missing':
      return 'commitMissing';
    case 'geoip-database':
      return 'geoipDatabase';
    case 'parse-error':
      return 'parseError';
  }
}

function issueFinding(
  ctx: { findingsAbout(s: string): readonly Finding[] },
  model: HostModel,
  unit: string,
  saved: SavedRules,
  issue: RestoreIssue,
): FindingInput {
  const loc = locateIssue(issue, saved, model.needs);
  const causes = causesOf(ctx, saved, issue, loc);
  const reason = issue.messages.filter((m) => m.pid !== 1).at(-1)?.text ?? '';
  const fromCauses = causes.length > 0 ? causeActions(causes) : [];
  const why = knownRejection(model, saved, issue);
  const extensions = extensionsOf(issue, loc);
  const own = fromCauses.length > 0 ? fromCauses : ownFix(model, saved, issue, loc, why);
  const table = loc.table?.name ?? loc.rules[0]?.table ?? issue.table ?? 'filter';
  return {
    messageId: messageIdFor(issue, why, extensions !== UNNAMED_EXTENSION),
    key: `${saved.path}:${issue.fileLine === undefined ? issue.kind : String(issue.fileLine)}`,
    data: {
      file: saved.path,
      line: issue.fileLine ?? loc.table?.line ?? 0,
      rule: loc.rules[0]?.raw ?? '',
      lines: loc.rules.map((r) => r.line).join(', ') || 'none identified',
      table,
      extensions,
      set: issue.set ?? '',
      database: issue.database ?? '',
      chain: issue.chain ?? '',
      errno: issue.errno ?? '',
      unit,
      backend: issue.backend === 'legacy' ? 'legacy' : issue.backend === 'nft' ? 'nf_tables' : 'unknown',
      reason,
      why: why ?? '',
    },
    evidence: [
      ...issueEvidence(model, issue, unit === 'netfilter-persistent.service'),
      ...locationEvidence(saved, loc),
    ],
    subjects: [
      ...loc.rules.map((r) => `rules:${saved.path}:${String(r.line)}`),
      `loader:restore-failed:${saved.path}`,
    ],
    causedBy: uniqueIds(causes),
    fix: {
      actions: [
        ...own,
        thenRestart(
          model,
          own,
          `Runs the restore now; ${unit} loads ${saved.path} again at every boot.`,
          unit,
        ),
      ],
      persistence: `${unit} restores ${saved.path} at every boot; once the file loads, it loads at boot too.`,
      verify: `${testCommand(saved)} && sudo ${saved.family === 'ipv6' ? 'ip6tables' : 'iptables'}-save | grep -c -- '^-A'`,
    },
    next: 'iptables-restore stops at the first thing it cannot load: after this fix the restore may fail on the next rule or extension. Re-run nfdoctor after restarting the loader.',
  };
}

function consequence(model: HostModel, files: readonly SavedRules[]): { text: string; evidence: Evidence[] } {
  const parts: string[] = [];
  const evidence: Evidence[] = [];
  for (const f of files) {
    const view = liveView(model, f.family);
    evidence.push({
      source: f.path,
      note: `${String(countRules(f.ruleset))} rule(s) in ${f.ruleset.tables.map((t) => t.name).join(', ') || 'no table'}`,
    });
    evidence.push(...liveEvidence(view, f.family));
    if ((view.status === 'known' && view.rules === 0) || view.status === 'inferred-empty') {
      parts.push(`the live ${f.family} ruleset is empty: the host runs with no ${f.family} firewall`);
    } else if (view.status === 'known') {
      parts.push(
        `the live ${f.family} ruleset has ${String(view.rules)} rule(s), put there by something else or a later manual restore`,
      );
    } else {
      parts.push(`the tables of ${f.path} were not loaded (live ruleset unknown: ${view.reason})`);
    }
  }
  return { text: parts.join('; '), evidence };
}

/** Files whose restore failed: those with issues, those whose netfilter-persistent plugin exited non-zero. */
function failedFiles(
  files: readonly SavedRules[],
  issues: ReadonlyMap<SavedRules, RestoreIssue[]>,
  exits: readonly LoaderMessage[],
): SavedRules[] {
  const byFamily = files.filter(
    (f) => (issues.get(f)?.length ?? 0) > 0 || exits.some((e) => e.family === f.family),
  );
  return byFamily.length > 0 ? byFamily : [...files];
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'The firewall loader restored the saved rules at boot without an iptables-restore error',
    severity: 'error',
    messages: {
      ruleRejected:
        '{{file}} line {{line}} could not be loaded by {{unit}}: the kernel has no {{extensions}} ({{backend}}: "{{reason}}"), so the whole {{table}} table was rejected',
      ruleRejectedUnnamed:
        '{{file}} line {{line}} could not be loaded by {{unit}}: the kernel lacks an extension the rule uses ({{backend}}: "{{reason}}"), so the whole {{table}} table was rejected',
      ruleMissingExplained:
        '{{file}} line {{line}} could not be loaded by {{unit}} ({{backend}}: "{{reason}}"), so the whole {{table}} table was rejected: {{rule}}; {{why}}',
      ruleInvalid:
        '{{file}} line {{line}} was rejected by the kernel ({{errno}}) when {{unit}} restored it, so the whole {{table}} table was rejected: {{rule}}',
      ruleInvalidExplained:
        '{{file}} line {{line}} was rejected by the kernel ({{errno}}) when {{unit}} restored it, so the whole {{table}} table was rejected: {{rule}}; {{why}}',
      tableRejected:
        '{{file}} line {{line}} is the COMMIT of table {{table}}, which the legacy kernel refused as a whole when {{unit}} restored it; rule(s) it cannot load: line {{lines}} ({{extensions}})',
      unknownExtension:
        '{{file}} line {{line}}: iptables-restore cannot load {{extensions}} ("{{reason}}"), so {{unit}} loaded nothing from the file',
      setMissing:
        '{{file}} line {{line}} uses ipset {{set}}, which did not exist when {{unit}} restored the rules, so nothing from the file was loaded',
      chainMissing:
        '{{file}} line {{line}}: the rules jump to {{chain}}, which is neither a chain declared in table {{table}} nor a target iptables could load, so {{unit}} loaded nothing from the file',
      tableUnavailable:
        '{{file}}: table {{table}} does not exist in the running kernel ("{{reason}}"), so {{unit}} loaded nothing from the file',
      nftUnavailable:
        '{{file}}: iptables-restore could not use nf_tables ("{{reason}}"), so {{unit}} loaded nothing',
      commitMissing:
        '{{file}} ends inside table {{table}} without COMMIT ("{{reason}}"), so {{unit}} loaded nothing from the file',
      geoipDatabase:
        '{{file}} line {{lines}}: -m geoip could not read {{database}} ("{{reason}}"), so {{unit}} loaded nothing from the file',
      parseError:
        '{{file}} line {{line}} cannot be parsed ("{{reason}}"), so {{unit}} loaded nothing from the file',
      unitFailed:
        '{{unit}} failed at boot ({{state}}) because iptables-restore refused {{files}}; iptables-restore is atomic, so those tables were not loaded at all: {{consequence}}',
      unitFailedUnexplained:
        '{{unit}} failed at boot ({{state}}) and the journal does not say which line iptables-restore refused; {{consequence}}',
    },
  },
  run(ctx) {
    const { model } = ctx;
    if (model.savedRules.length === 0) {
      return notApplicable('no saved iptables rules on this host');
    }
    const units = [...new Set(model.savedRules.map((s) => loaderUnitFor(s)))];
    const undecided: string[] = [];
    for (const unit of units) {
      const show = model.units.get(unit)?.show;
      if (show === undefined && !model.journal.available) {
        undecided.push(
          `${unit}: neither systemctl show nor the journal is available (${model.journal.reason ?? 'no journal'})`,
        );
        continue;
      }
      const messages = model.journal.available ? scanLoaderJournal(model.journal.entries, unit) : [];
      const outcome = unitOutcome(messages);
      const activeState = show?.get('ActiveState');
      const failedNow = activeState === 'failed';
      const failedInJournal = outcome.failed.length > 0 && outcome.recovered === undefined;
      if (!failedNow && !failedInJournal) {
        continue;
      }
      const files = model.savedRules.filter((s) => loaderUnitFor(s) === unit);
      const issuesByFile = new Map<SavedRules, RestoreIssue[]>();
      const issueIds: string[] = [];
      const issueFixes: FindingInput[] = [];
      for (const saved of files) {
        // A test-load rejection exits 0 (loader/silent-failure); only the real restore failed the unit.
        const issues = restoreIssues(messages, saved.family).filter((i) => !i.testLoad);
        issuesByFile.set(saved, issues);
        for (const issue of issues) {
          const f = issueFinding(ctx, model, unit, saved, issue);
          ctx.report(f);
          issueFixes.push(f);
          if (!issueIds.includes(`${ID}#${f.key}`)) {
            issueIds.push(`${ID}#${f.key}`);
          }
        }
      }
      const notLoaded = failedFiles(
        files,
        issuesByFile,
        outcome.pluginExits.filter((e) => e.code !== '0'),
      );
      const { text, evidence: liveEv } = consequence(model, notLoaded);
      const state = [
        activeState === undefined ? undefined : `ActiveState=${activeState}`,
        show?.get('Result') === undefined ? undefined : `Result=${show.get('Result') ?? ''}`,
      ]
        .filter((x) => x !== undefined)
        .join(' ');
      const first = notLoaded[0];
      const issueActions = issueFixes.flatMap((f) => f.fix?.actions ?? []);
      const explained = issueIds.length > 0;
      ctx.report({
        messageId: explained ? 'unitFailed' : 'unitFailedUnexplained',
        key: `unit:${unit}`,
        data: {
          unit,
          state: state || 'failed in the journal',
          files: notLoaded.map((f) => f.path).join(', '),
          consequence: text,
        },
        evidence: [
          ...unitStateEvidence(model, unit),
          ...failedListEvidence(model, unit),
          ...outcome.pluginExits.map((m) => journalLine(model, m)),
          ...outcome.failed.map((m) => journalLine(model, m)),
          ...liveEv,
        ],
        subjects: [`unit:${unit}`, ...notLoaded.map((f) => `ruleset-not-loaded:${f.path}`)],
        causedBy: issueIds,
        fix: {
          actions: explained
            ? [
                thenRestart(
                  model,
                  issueActions,
                  'Restores the saved rules now instead of at the next boot (once the lines above load).',
                  unit,
                ),
              ]
            : [
                manual(
                  'Run the same restore by hand, without changing the firewall: it prints the line and reason it refuses; the unit log shows everything else.',
                  'Once the file loads by hand, restarting the loader restores it for real.',
                  `${first === undefined ? 'sudo iptables-restore --test < /etc/iptables/rules.v4' : testCommand(first)}; journalctl -b -u ${shQuote(unit)} --no-pager`,
                ),
                restartLoaderLater(model, 'Once the file loads by hand, restores it for real.', unit),
              ],
          persistence: `${unit} runs at every boot; once the file loads without error it loads at boot too.`,
          verify: `systemctl is-failed ${unit}; sudo iptables-save | grep -c -- '^-A'`,
        },
        next: 'With the loader green, compare the live ruleset to the saved file (nfdoctor does: loader/silent-failure).',
      });
    }
    if (undecided.length > 0) {
      return unknown(undecided.join('; '));
    }
    return undefined;
  },
});
