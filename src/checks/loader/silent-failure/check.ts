// The loader looks fine (active, or inactive without a failure), yet the live ruleset is not the saved one:
// empty, or missing tables, chains, rules or policies. Compared by meaning (src/model/ruleset-compare.ts).
import { defineCheck, notApplicable, unknown, type Finding, type FindingInput } from '../../types.ts';
import type { HostModel, SavedRules } from '../../../model/host-model.ts';
import type { Evidence } from '../../../findings/evidence.ts';
import { bootRunlevel } from '../../../model/openrc.ts';
import {
  compareRulesets,
  countRules,
  isOpenRuleset,
  type RulesetComparison,
} from '../../../model/ruleset-compare.ts';
import {
  locateIssue,
  restoreIssues,
  scanLoaderJournal,
  testLoadRejections,
  unitOutcome,
  type LoaderMessage,
  type RestoreIssue,
} from '../journal-errors.ts';
import { loaderUnitFor } from '../../host-commands.ts';
import {
  causeActions,
  issueEvidence,
  journalLine,
  locationEvidence,
  saveTool,
  testCommand,
  checkReadingAt,
  uniqueIds,
  unitStateEvidence,
} from '../evidence.ts';
import { liveEvidence, liveLabel, liveView, otherBackendRules, type LiveView } from '../live-rules.ts';
import { RESTORE_EXITS } from '../../../parsers/iptables-save.ts';
import { evidenceAt } from '../../../findings/evidence.ts';
import { rawLine } from '../../fix-actions.ts';
import { geoipDatabaseSteps } from '../../userspace/geoip-database/check.ts';
import { manual, restartLoaderLater, systemctl, thenRestart } from '../../fix-actions.ts';
import { shQuote, type Action } from '../../../fixes/actions.ts';

const ID = 'loader/silent-failure';

type Ctx = { findingsAbout(s: string): readonly Finding[] };

function findingsFor(ctx: Ctx, subjects: readonly string[]): Finding[] {
  const out = new Map<string, Finding>();
  for (const s of subjects) {
    for (const f of ctx.findingsAbout(s)) {
      out.set(f.id, f);
    }
  }
  return [...out.values()];
}

function savedEvidence(saved: SavedRules): Evidence {
  return {
    source: saved.path,
    note: `${String(countRules(saved.ruleset))} rule(s) in ${saved.ruleset.tables.map((t) => t.name).join(', ') || 'no table'}`,
  };
}

function summary(c: RulesetComparison): string {
  const parts: string[] = [];
  if (c.missingTables.length > 0) {
    parts.push(`table(s) ${c.missingTables.map((t) => t.name).join(', ')} missing`);
  }
  if (c.missingChains.length > 0) {
    parts.push(`chain(s) ${c.missingChains.map((x) => `${x.table}/${x.chain}`).join(', ')} missing`);
  }
  if (c.policyDifferences.length > 0) {
    parts.push(
      c.policyDifferences
        .map((p) => `${p.table}/${p.chain} policy ${p.live} instead of ${p.saved}`)
        .join(', '),
    );
  }
  if (c.missingRules.length > 0) {
    parts.push(
      `${String(c.missingRules.length)} of ${String(c.savedRuleCount)} rule(s) missing (line ${c.missingRules
        .slice(0, 8)
        .map((r) => r.line)
        .join(', ')}${c.missingRules.length > 8 ? ' ...' : ''})`,
    );
  }
  if (c.changedRules.length > 0) {
    parts.push(
      `${String(c.changedRules.length)} rule(s) differ (line ${c.changedRules
        .slice(0, 8)
        .map((r) => r.line)
        .join(', ')})`,
    );
  }
  return parts.join('; ');
}

function comparisonEvidence(saved: SavedRules, c: RulesetComparison): Evidence[] {
  return [
    ...c.missingTables.map((t) => ({
      source: saved.path,
      line: t.line,
      text: `*${t.name}`,
      note: 'table not in the live ruleset',
    })),
    ...c.missingChains.map((x) => ({
      source: saved.path,
      line: x.line,
      note: `chain ${x.chain} not in the live ${x.table} table`,
    })),
    ...c.policyDifferences.map((p) => ({
      source: saved.path,
      line: p.line,
      note: `policy ${p.saved}; live: ${p.live}`,
    })),
    ...c.missingRules
      .slice(0, 5)
      .map((r) => ({ source: saved.path, line: r.line, text: r.raw, note: 'not in the live ruleset' })),
    ...c.changedRules
      .slice(0, 3)
      .map((r) => ({ source: saved.path, line: r.line, text: r.raw, note: `live has: ${r.live}` })),
  ];
}

function unitState(model: HostModel, unit: string): string {
  const service = model.openrc.loaders.find((l) => l.initScript === unit)?.service;
  if (service !== undefined) {
    const level = bootRunlevel(model.openrc, service);
    return level === 'unknown'
      ? 'in an OpenRC runlevel or not (unknown)'
      : level === 'none'
        ? 'in no OpenRC boot runlevel'
        : `in the OpenRC runlevel ${level}`;
  }
  const show = model.units.get(unit)?.show;
  const active = show?.get('ActiveState');
  const sub = show?.get('SubState');
  return active === undefined ? 'state unknown' : `${active}${sub === undefined ? '' : ` (${sub})`}`;
}

/** The first line of the saved file at which iptables-restore prints its help or version and exits 0. */
function restoreExitsAt(saved: SavedRules): { line: number; message: string } | undefined {
  const d = saved.diagnostics.find((x) => x.code === RESTORE_EXITS && x.at.line !== undefined);
  return d?.at.line === undefined ? undefined : { line: d.at.line, message: d.message };
}

/**
 * The saved file has -h/--help or -V/--version in a rule: iptables-restore (the test load too) printed and
 * exited 0 at that line, so the unit succeeded with nothing of that table loaded (lab capture help-in-rules).
 */
function restoreExitsFinding(
  model: HostModel,
  unit: string,
  saved: SavedRules,
  exits: { line: number; message: string },
  messages: readonly LoaderMessage[],
): FindingInput {
  const usage = messages.find(
    (m) => m.kind === 'usage-printed' && (m.family ?? saved.family) === saved.family,
  );
  return {
    messageId: 'restoreExits',
    key: `${saved.path}:${String(exits.line)}`,
    data: {
      file: saved.path,
      line: exits.line,
      unit,
      word: exits.message.slice(0, Math.max(0, exits.message.indexOf(':'))),
      what: /prints its version/.test(exits.message) ? 'version' : 'help',
    },
    evidence: [
      evidenceAt(saved.path, exits.line, rawLine(model, saved.path, exits.line), exits.message),
      ...(usage === undefined
        ? []
        : [journalLine(model, usage, 'iptables-restore printed its usage instead of loading the file')]),
      ...unitStateEvidence(model, unit),
    ],
    subjects: [`rules:${saved.path}:${String(exits.line)}`],
    fix: {
      actions: [
        manual(
          `Correct ${saved.path} line ${String(exits.line)}: ${exits.message}`,
          'iptables-restore stops at that word and exits 0: no restart loads the file until the line is corrected.',
          `sudoedit ${shQuote(saved.path)}`,
        ),
      ],
      persistence: `${unit} loads ${saved.path} at every boot; once the line is corrected, every boot loads the whole file.`,
      verify: `nfdoctor check ${saved.path} && ${testCommand(saved)}`,
    },
  };
}

function checkSays(model: HostModel, saved: SavedRules, line: number | undefined): string | undefined {
  const d = checkReadingAt(model, saved.path, line);
  return d === undefined ? undefined : `nfdoctor check says: ${d.message}`;
}

/** A test-load rejection: netfilter-persistent ran `iptables-restore --test`, it failed, nothing was loaded. */
function testLoadFinding(
  ctx: Ctx,
  model: HostModel,
  unit: string,
  saved: SavedRules,
  issue: RestoreIssue,
  rejection: LoaderMessage,
): FindingInput {
  const loc = locateIssue(issue, saved, model.needs);
  const causes = findingsFor(ctx, [
    ...loc.rules.map((r) => `rules:${saved.path}:${String(r.line)}`),
    ...loc.sets.map((s) => `set:${s}`),
    ...loc.requirements.map(
      (r) => `extension:${r.requirement.family}/${r.requirement.kind}/${r.requirement.extension}`,
    ),
    ...issue.extensions.map((e) => `extension:${saved.family}/${e.kind ?? 'match'}/${e.name}`),
    ...(issue.database === undefined ? [] : [`geoip:${issue.database}`]),
  ]);
  const reason =
    issue.messages.filter((m) => m.kind !== 'error-at-line').at(-1)?.text ??
    issue.messages.at(-1)?.text ??
    '';
  // A geoip database iptables could not use (a snapshot lists the files, not their sizes): the line is fine.
  const own: Action[] =
    causes.length > 0
      ? causeActions(causes)
      : issue.kind === 'geoip-database'
        ? geoipDatabaseSteps(model)
        : [
            manual(
              `Fix ${saved.path} line ${String(issue.fileLine ?? loc.rules[0]?.line ?? '?')}: the test load refuses it ("${reason}"); ${checkSays(model, saved, issue.fileLine ?? loc.rules[0]?.line) ?? 'fix what it refers to or the line itself.'}`,
              'netfilter-persistent loads nothing while the test load fails.',
              `sudoedit ${shQuote(saved.path)}`,
            ),
          ];
  const line = issue.fileLine ?? loc.rules[0]?.line;
  return {
    // No line: iptables-restore gave up before reading a rule ("Failed to initialize nft: Protocol not supported").
    messageId: line === undefined ? 'testLoadFailed' : 'testLoadRejected',
    key: `${saved.path}:${line === undefined ? issue.kind : String(line)}`,
    data: {
      unit,
      file: saved.path,
      line: line ?? 0,
      reason,
      rule: loc.rules[0]?.raw ?? '',
    },
    evidence: [
      ...issueEvidence(model, issue, false),
      journalLine(model, rejection),
      ...locationEvidence(saved, loc),
    ],
    subjects: [
      ...loc.rules.map((r) => `rules:${saved.path}:${String(r.line)}`),
      `loader:test-load:${saved.path}`,
    ],
    causedBy: uniqueIds(causes),
    fix: {
      actions: [...own, thenRestart(model, own, 'Loads the rules now.', unit)],
      persistence: `netfilter-persistent test-loads ${saved.path} at every boot (IPTABLES_TEST_RULESET=yes) and loads it once the test passes.`,
      verify: `${testCommand(saved)} && echo test passes`,
    },
    next: 'The test load stops at the first error; the next line that cannot load shows up after this one is fixed.',
  };
}

function emptyData(
  saved: SavedRules,
  view: LiveView,
  unit: string,
  model: HostModel,
): Record<string, string | number> {
  return {
    file: saved.path,
    family: saved.family,
    rules: countRules(saved.ruleset),
    tables: saved.ruleset.tables.map((t) => t.name).join(', ') || 'none',
    live: view.status === 'known' ? view.source : view.status === 'inferred-empty' ? view.reason : '',
    unit,
    state: unitState(model, unit),
  };
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'The live ruleset is the saved one (the loader did not fail silently)',
    severity: 'error',
    messages: {
      testLoadRejected:
        '{{unit}} test-loaded {{file}}, the test failed at line {{line}} ("{{reason}}"), and it loaded nothing while reporting success',
      restoreExits:
        '{{file}} line {{line}} has {{word}}, at which iptables-restore prints its {{what}} and exits with status 0 before the table is committed: {{unit}} reports success, but that table and every line after it never loaded',
      testLoadFailed:
        '{{unit}} test-loaded {{file}}, the test failed before reading a rule ("{{reason}}"), and it loaded nothing while reporting success',
      noRules:
        'The host has no {{family}} firewall: the live ruleset is empty ({{live}}) although {{file}} has {{rules}} rule(s) in {{tables}}, and {{unit}} is {{state}}',
      neverLoaded:
        '{{unit}} did not run this boot ({{state}}{{dependency}}), so {{file}} ({{rules}} rule(s)) was never loaded: the host has no {{family}} firewall',
      otherBackend:
        '{{file}} is loaded in the {{other}} backend ({{otherRules}} rule(s), {{otherSource}}), but {{live}} shows the ruleset the host uses, and it lacks them',
      fallbackLoaded:
        '{{unit}} could not restore {{file}} ("{{reason}}") and loaded {{fallback}} instead: the live rules are the fallback, while the unit reports success',
      rulesMissing: 'The live {{family}} ruleset lacks part of {{file}}: {{summary}}',
      rulesDiffer: 'The live {{family}} ruleset differs from {{file}}: {{summary}}',
    },
  },
  run(ctx) {
    const { model } = ctx;
    if (model.savedRules.length === 0) {
      return notApplicable('no saved iptables rules on this host');
    }
    const undecided: string[] = [];
    for (const saved of model.savedRules) {
      const unit = loaderUnitFor(saved);
      if (countRules(saved.ruleset) === 0 && isOpenRuleset(saved.ruleset)) {
        continue;
      }
      // loader/restore-failed already proved this file was not loaded and said what that left: no double report.
      if (ctx.findingsAbout(`ruleset-not-loaded:${saved.path}`).length > 0) {
        continue;
      }
      const view = liveView(model, saved.family);
      if (view.status === 'unknown') {
        undecided.push(`${saved.path}: ${view.reason}`);
        continue;
      }
      const comparison = compareRulesets(saved.ruleset, view.status === 'known' ? view.ruleset : undefined);
      if (comparison.equivalent) {
        continue;
      }
      const empty = view.status === 'inferred-empty' || isOpenRuleset(view.ruleset);
      const messages = model.journal.available ? scanLoaderJournal(model.journal.entries, unit) : [];
      const outcome = unitOutcome(messages);
      const liveEv = liveEvidence(view, saved.family);

      const others = otherBackendRules(model, saved.family, view);
      const legacyWarning = view.status === 'known' ? view.ruleset.legacyTablesPresentWarning : undefined;
      if ((others.length > 0 || legacyWarning !== undefined) && comparison.missingRules.length > 0) {
        const other = others[0];
        const causes = findingsFor(ctx, ['backend:mismatch']);
        ctx.report({
          messageId: 'otherBackend',
          key: `${saved.path}:backend`,
          data: {
            file: saved.path,
            other: other?.live.backend ?? 'legacy',
            otherRules: other?.rules ?? 'some',
            otherSource:
              other === undefined
                ? 'iptables-nft-save warns that iptables-legacy tables are present'
                : liveLabel(other.live),
            live: view.status === 'known' ? view.source : 'the live ruleset',
          },
          evidence: [
            savedEvidence(saved),
            ...liveEv,
            ...(legacyWarning !== undefined && view.status === 'known'
              ? [
                  {
                    source: view.source,
                    line: legacyWarning,
                    text: '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them',
                  },
                ]
              : []),
            ...(other === undefined
              ? []
              : [{ source: liveLabel(other.live), note: `${String(other.rules)} rule(s)` }]),
          ],
          subjects: [`ruleset-not-loaded:${saved.path}`, 'backend:split'],
          causedBy: uniqueIds(causes),
          fix: {
            actions: [
              ...causeActions(causes),
              // Which backend to keep is a judgement; moving rules between them changes what filters.
              manual(
                'Check which backend the iptables commands (and so the loader and your tools) use, and move the rules into it; then flush the other one so only one set of rules filters.',
                'Rules in the backend the tools do not look at are loaded but invisible to them.',
                `update-alternatives --display iptables; ls -l /usr/sbin/iptables-restore; sudo ${saveTool(saved).replace('-save', '')}-legacy-save | sudo ${saveTool(saved).replace('-save', '')}-nft-restore`,
              ),
              restartLoaderLater(model, `${unit} then loads the file into the backend in use.`, unit),
            ],
            persistence:
              'The alternatives choice persists; once loader and tools use the same backend, every boot loads the rules where they are seen and enforced together.',
            verify: `sudo ${saveTool(saved)} | grep -c -- '^-A'`,
          },
          next: 'Rules in both backends both filter packets: a packet must pass both, which surprises anyone who only looks at one of them.',
        });
        continue;
      }

      // iptables.init start(): when the restore fails and ${IPTABLES_DATA}.fallback exists it restores that
      // instead ("Applying firewall fallback rules: "), and the unit succeeds if the fallback loads
      // (src/parsers/__samples__/iptables-services, RHEL 7 and 8).
      const fallback = messages.find((m) => m.kind === 'fallback-applied' && m.family === saved.family);
      if (fallback !== undefined) {
        const issues = restoreIssues(messages, saved.family).filter((i) => !i.testLoad);
        const causes = findingsFor(ctx, [
          ...issues.flatMap((i) =>
            i.fileLine === undefined ? [] : [`rules:${saved.path}:${String(i.fileLine)}`],
          ),
          ...issues.flatMap((i) =>
            i.extensions.flatMap((e) => [
              `extension:${saved.family}/match/${e.name}`,
              `extension:${saved.family}/target/${e.name}`,
            ]),
          ),
        ]);
        const reason = issues[0]?.messages.at(-1)?.text ?? 'see the journal';
        ctx.report({
          messageId: 'fallbackLoaded',
          key: `${saved.path}:fallback`,
          data: { unit, file: saved.path, fallback: fallback.name ?? `${saved.path}.fallback`, reason },
          evidence: [
            savedEvidence(saved),
            ...issues.flatMap((i) => i.messages.map((m) => journalLine(model, m))),
            journalLine(model, fallback, 'the unit goes on with the fallback file and can succeed'),
            ...liveEv,
            ...unitStateEvidence(model, unit),
          ],
          subjects: [`ruleset-not-loaded:${saved.path}`],
          causedBy: uniqueIds(causes),
          fix: {
            actions: [
              thenRestart(
                model,
                causeActions(causes),
                `Restores ${saved.path} itself once it loads (the fallback stays as the safety net).`,
                unit,
              ),
            ],
            persistence: `${unit} tries ${saved.path} first at every boot; once it loads, the fallback is not used.`,
            verify: `${testCommand(saved)} && sudo ${saveTool(saved)} | grep -c -- '^-A'   # expect ${String(countRules(saved.ruleset))}`,
          },
          next: 'The unit is green while the fallback rules run: nothing alerts on this, watch for "Applying firewall fallback rules" in the journal.',
        });
        continue;
      }

      const rejections = testLoadRejections(messages, saved.family).filter((r) => !r.benign);
      const causeIds: string[] = [];
      const testLoadFixes: FindingInput[] = [];
      const extraEvidence: Evidence[] = [];
      const rejection = rejections.at(-1)?.line;
      if (rejection !== undefined) {
        const issues = restoreIssues(messages, saved.family).filter((i) => i.testLoad);
        for (const issue of issues) {
          const f = testLoadFinding(ctx, model, unit, saved, issue, rejection);
          ctx.report(f);
          testLoadFixes.push(f);
          causeIds.push(`${ID}#${f.key}`);
        }
        extraEvidence.push(journalLine(model, rejection, 'nothing was loaded; the plugin still returned 0'));
      }
      // Only an empty ruleset is what that early exit leaves; rules that are there came from an older file.
      const exits = rejection === undefined && empty ? restoreExitsAt(saved) : undefined;
      if (exits !== undefined) {
        const f = restoreExitsFinding(model, unit, saved, exits, messages);
        ctx.report(f);
        testLoadFixes.push(f);
        causeIds.push(`${ID}#${f.key}`);
      }

      const show = model.units.get(unit)?.show;
      const active = show?.get('ActiveState');
      const neverRan =
        rejection === undefined &&
        (outcome.dependency.length > 0 || (active !== undefined && active !== 'active'));
      if (empty && neverRan) {
        const causes = findingsFor(ctx, [`unit:${unit}`]);
        const fromCauses = causeActions(causes);
        const dep = outcome.dependency[0];
        ctx.report({
          messageId: 'neverLoaded',
          key: `${saved.path}:never-loaded`,
          data: {
            ...emptyData(saved, view, unit, model),
            dependency: dep === undefined ? '' : ': a dependency failed',
          },
          evidence: [
            ...unitStateEvidence(model, unit),
            ...outcome.dependency.map((m) => journalLine(model, m)),
            savedEvidence(saved),
            ...liveEv,
          ],
          subjects: [`ruleset-not-loaded:${saved.path}`],
          causedBy: uniqueIds(causes),
          fix: {
            actions: [
              ...fromCauses,
              fromCauses.some((a) => a.kind === 'manual')
                ? restartLoaderLater(model, `Loads ${saved.path} now.`, unit)
                : systemctl(model, 'start', unit, 'safe', `Loads ${saved.path} now.`),
            ],
            persistence: `${unit} is started at every boot once its dependencies succeed (and it is enabled).`,
            // list-dependencies and the unit log show which dependency failed or why it was not started.
            verify: `systemctl is-active ${unit}; sudo ${saveTool(saved)} | grep -c -- '^-A'; systemctl list-dependencies ${unit}; journalctl -b -u ${unit} --no-pager`,
          },
          next: 'A unit that failed a dependency is inactive, not failed: `systemctl --failed` does not list it, so the next boot fails the same way silently until the dependency is fixed.',
        });
        continue;
      }

      const base = emptyData(saved, view, unit, model);
      const evidence = [savedEvidence(saved), ...liveEv, ...extraEvidence, ...unitStateEvidence(model, unit)];
      const actions: Action[] = [
        thenRestart(
          model,
          testLoadFixes.flatMap((f) => f.fix?.actions ?? []),
          `Restores ${saved.path}. Note: it replaces the tables the file names, including rules other tools (Docker, fail2ban) added to them.`,
          unit,
        ),
      ];
      // Without systemd's unit state (OpenRC, SysV), a finding about the loader itself (not in a runlevel)
      // is what left the ruleset empty.
      const loaderCauses =
        empty && model.units.get(unit)?.show === undefined
          ? findingsFor(ctx, [`unit:${unit}`]).map((f) => f.id)
          : [];
      const common = {
        subjects: [`ruleset-not-loaded:${saved.path}`],
        causedBy: [...causeIds, ...loaderCauses],
        fix: {
          actions,
          persistence: `${unit} loads ${saved.path} at every boot; if something flushes the rules after boot (another firewall manager, a script), disable it or the rules vanish again.`,
          verify: `${testCommand(saved)} && sudo ${saveTool(saved)} | grep -c -- '^-A'   # expect ${String(countRules(saved.ruleset))}`,
        },
      };
      if (empty) {
        ctx.report({
          ...common,
          messageId: 'noRules',
          key: `${saved.path}:no-rules`,
          data: base,
          evidence,
          next:
            exits !== undefined
              ? `The unit stays green whatever the file does after that line: run \`nfdoctor check ${saved.path}\` after every edit, since iptables-restore itself reports success.`
              : causeIds.length > 0
                ? 'The unit stays green while the test load fails: nothing alerts on this, so watch the journal for "New rules NOT loaded" after each change.'
                : loaderCauses.length > 0
                  ? `Nothing loaded ${saved.path} on this boot because ${unit} did not start: the fix above makes every boot load it.`
                  : 'If the rules were loaded and later flushed, look for what flushed them (firewalld, ufw, a cron job, `netfilter-persistent flush`).',
        });
      } else {
        const missing =
          comparison.missingRules.length +
          comparison.missingTables.length +
          comparison.missingChains.length +
          comparison.policyDifferences.length;
        ctx.report({
          ...common,
          messageId: missing > 0 ? 'rulesMissing' : 'rulesDiffer',
          key: `${saved.path}:differs`,
          data: { ...base, summary: summary(comparison) },
          evidence: [...evidence, ...comparisonEvidence(saved, comparison)],
          ...(missing > 0 ? {} : { severity: 'info' as const }),
          ...(missing > 0 ? {} : { subjects: [`ruleset-differs:${saved.path}`] }),
          next: 'A file edited after the last restore also differs from the live rules: then the next boot changes the firewall. Restore it now (after a test) so that what runs is what boots.',
        });
      }
    }
    if (undecided.length > 0) {
      return unknown(undecided.join('; '));
    }
    return undefined;
  },
});
