// Rules that use an ipset (-m set --match-set NAME, -j SET --add-set NAME) load only if the set exists when
// iptables-restore runs: libxt_set looks the set up by name in userspace before anything reaches the kernel
// ("Set blocklist doesn't exist.", lab capture ipset-missing-set). So the set must be saved to the file the
// boot restores, that restore must be installed and enabled, and it must run before the rules are restored.
import { defineCheck, notApplicable, unknown, type FindingInput } from '../../types.ts';
import type { HostModel } from '../../../model/host-model.ts';
import type { Family } from '../../../knowledge/extensions.ts';
import type { IpsetSet } from '../../../parsers/ipset-save.ts';
import { parseIpsetSave } from '../../../parsers/ipset-save.ts';
import { deriveRequirements } from '../../../resolve/requirements.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { commandOutput, escapeRe, journalEvidence, loaderUnit, primaryLoader } from '../../host-commands.ts';
import {
  commentLine,
  daemonReload,
  manual,
  restartLoader,
  restartLoaderLater,
  systemctl,
  writeFile,
} from '../../fix-actions.ts';
import { ownRestoreActions, ownRestoreOf, unreadableOwnRestores, type OwnRestore } from './own-units.ts';
import { orderedBefore, startsAtBoot } from '../../../model/units.ts';
import { shQuote, type Action } from '../../../fixes/actions.ts';

const ID = 'ipset/set-unavailable';

interface SetUse {
  readonly set: string;
  readonly family: Family;
  readonly file: string;
  readonly lines: readonly number[];
}

/** How this host's loader restores sets at boot. */
interface Restorer {
  readonly kind: 'netfilter-persistent' | 'ipset-service';
  /** The file the boot restores sets from. */
  readonly file: string;
}

type RestoreProblem = 'not-installed' | 'not-enabled' | 'ordered-after';

interface RestoreState {
  readonly state: 'ok' | 'unknown' | RestoreProblem;
  readonly evidence: readonly Evidence[];
  readonly detail: string;
}

/**
 * Sets other software creates at run time, after boot, together with the rules that use them; rules saved
 * while that software ran reference sets no boot-time file defines. fail2ban: action.d/iptables-ipset*.conf
 * `ipmset = f2b-<name>` (older releases: `fail2ban-<name>`); kube-proxy IPVS mode: KUBE-CLUSTER-IP,
 * KUBE-LOOP-BACK ... (pkg/proxy/ipvs); Calico felix: cali40* / cali60*; CrowdSec firewall bouncer:
 * crowdsec-blacklists / crowdsec6-blacklists.
 */
const RUNTIME_SET_OWNERS: readonly { pattern: RegExp; tool: string }[] = [
  { pattern: /^f2b-/, tool: 'fail2ban' },
  { pattern: /^fail2ban-/, tool: 'fail2ban' },
  { pattern: /^KUBE-/, tool: 'kube-proxy (IPVS mode)' },
  { pattern: /^cali[46]0/, tool: 'Calico' },
  { pattern: /^crowdsec6?-/, tool: 'the CrowdSec firewall bouncer' },
];

function runtimeOwner(set: string): string | undefined {
  return RUNTIME_SET_OWNERS.find((o) => o.pattern.test(set))?.tool;
}

function collectSetUses(model: HostModel): SetUse[] {
  // Set names do not depend on the backend; any backend gives the same set uses.
  return model.savedRules.flatMap(
    (r) => deriveRequirements(r.ruleset, { family: r.family, backend: 'nft', file: r.path }).setUses,
  );
}

function restorerFor(model: HostModel): Restorer | undefined {
  switch (primaryLoader(model)) {
    case 'netfilter-persistent':
      // ipset-persistent's plugin 10-ipset restores /etc/iptables/ipsets (the lab's healthy capture).
      return { kind: 'netfilter-persistent', file: '/etc/iptables/ipsets' };
    case 'iptables-services':
      // ipset-service: ipset.service runs /usr/libexec/ipset/ipset.start-stop, which loads /etc/sysconfig/ipset.
      return { kind: 'ipset-service', file: '/etc/sysconfig/ipset' };
    default:
      return undefined;
  }
}

function ruleText(model: HostModel, file: string, line: number): string | undefined {
  const saved = model.savedRules.find((r) => r.path === file);
  return saved?.text.split('\n')[line - 1];
}

function ruleEvidence(model: HostModel, uses: readonly SetUse[], set: string): Evidence[] {
  return uses.flatMap((u) =>
    u.lines.slice(0, 3).map((l) => evidenceAt(u.file, l, ruleText(model, u.file, l), `uses set ${set}`)),
  );
}

function nfpRestoreState(model: HostModel): RestoreState {
  const pluginsDir = '/usr/share/netfilter-persistent/plugins.d';
  if (model.netfilterPersistentPluginsStatus === 'ok') {
    const plugins = model.netfilterPersistentPlugins;
    const listing = evidenceAt(
      pluginsDir,
      undefined,
      plugins.join(' ') || '(empty)',
      'plugins run-parts runs',
    );
    const ipsetPlugin = plugins.find((p) => p.includes('ipset'));
    if (ipsetPlugin === undefined) {
      return {
        state: 'not-installed',
        evidence: [listing],
        detail: `no ipset plugin in ${pluginsDir} (ipset-persistent is not installed)`,
      };
    }
    const rulesPlugin = plugins.find((p) => /ip[46]tables/.test(p));
    // run-parts(8) runs the plugins in lexical order of their names: the sets must come first.
    if (rulesPlugin !== undefined && ipsetPlugin > rulesPlugin) {
      return {
        state: 'ordered-after',
        evidence: [listing],
        detail: `${pluginsDir}/${ipsetPlugin} runs after ${rulesPlugin}`,
      };
    }
    return { state: 'ok', evidence: [listing], detail: `${pluginsDir}/${ipsetPlugin} restores the sets` };
  }
  if (commandOutput(model, 'dpkg-query') !== undefined) {
    const version = model.packages.get('ipset-persistent');
    return version === undefined
      ? {
          state: 'not-installed',
          evidence: [evidenceAt('command: dpkg-query -W', undefined, 'ipset-persistent: not installed')],
          detail: 'ipset-persistent is not installed',
        }
      : {
          state: 'ok',
          evidence: [evidenceAt('command: dpkg-query -W', undefined, `ipset-persistent ${version}`)],
          detail: `ipset-persistent ${version} is installed`,
        };
  }
  return {
    state: 'unknown',
    evidence: [],
    detail: `neither ${pluginsDir} (${model.netfilterPersistentPluginsStatus}) nor dpkg-query could be read`,
  };
}

function ipsetServiceRestoreState(model: HostModel): RestoreState {
  const unit = model.units.get('ipset.service');
  const loadState = unit?.show?.get('LoadState');
  if (unit?.effective === undefined && (loadState === 'not-found' || model.source.kind === 'root')) {
    return {
      state: 'not-installed',
      evidence: [
        evidenceAt(
          loadState === undefined ? 'systemd unit search path' : 'command: systemctl show ipset.service',
          undefined,
          loadState === undefined ? 'no ipset.service unit file' : `LoadState=${loadState}`,
        ),
      ],
      detail: 'ipset.service (package ipset-service) is not installed',
    };
  }
  if (unit?.effective === undefined && loadState === undefined) {
    return { state: 'unknown', evidence: [], detail: 'ipset.service could not be inspected' };
  }
  const enabled = unit?.enabled;
  if (enabled !== undefined && !startsAtBoot(enabled.state)) {
    return {
      state: 'not-enabled',
      evidence: [evidenceAt(enabled.source, undefined, enabled.state)],
      detail: `ipset.service is ${enabled.state}`,
    };
  }
  const order = orderedBefore(unit, model.units.get('iptables.service'));
  if (unit?.effective !== undefined && order === undefined) {
    return {
      state: 'ordered-after',
      evidence: [
        evidenceAt(unit.effective.fragmentPath ?? 'ipset.service', undefined, 'no Before=iptables.service'),
      ],
      detail: 'nothing orders ipset.service before iptables.service, so both start in parallel',
    };
  }
  const ev = order === undefined ? [] : [evidenceAt(order.at.file, order.at.line, order.unit)];
  return enabled === undefined
    ? { state: 'unknown', evidence: ev, detail: 'whether ipset.service is enabled is unknown' }
    : { state: 'ok', evidence: ev, detail: 'ipset.service is enabled and ordered before iptables.service' };
}

function restoreState(model: HostModel, restorer: Restorer): RestoreState {
  return restorer.kind === 'netfilter-persistent' ? nfpRestoreState(model) : ipsetServiceRestoreState(model);
}

function installStep(restorer: Restorer): Action {
  return restorer.kind === 'netfilter-persistent'
    ? manual(
        'Install ipset-persistent.',
        'Adds the netfilter-persistent plugin 10-ipset, which restores /etc/iptables/ipsets before 15-ip4tables loads the rules.',
        'sudo apt-get install ipset-persistent',
      )
    : manual(
        'Install ipset-service.',
        'Provides ipset.service, which restores /etc/sysconfig/ipset and is ordered Before=iptables.service.',
        'sudo dnf install ipset-service',
      );
}

/**
 * Restore the sets and then the rules. `later`: a person has to act first (install a package, save a set), so
 * the restarts are manual too; run now they would only fail again.
 */
function restartSteps(model: HostModel, restorer: Restorer, later: boolean): Action[] {
  const rules = 'Restores the rules, now that their sets exist.';
  if (later) {
    return [
      ...(restorer.kind === 'ipset-service'
        ? [
            manual(
              'Then enable and start ipset.service.',
              'Restores the sets now and on every boot.',
              'sudo systemctl enable --now ipset.service',
            ),
          ]
        : []),
      restartLoaderLater(
        model,
        restorer.kind === 'ipset-service'
          ? rules
          : 'Runs the plugins in order: the sets first, then the rules.',
      ),
    ];
  }
  if (restorer.kind === 'ipset-service') {
    // safe: ipset.service restores exactly the sets saved in /etc/sysconfig/ipset.
    return [
      systemctl(model, 'enable', 'ipset.service', 'safe', 'Restores the sets on every boot.'),
      systemctl(model, 'start', 'ipset.service', 'safe', 'Restores the sets now.'),
      restartLoader(model, rules),
    ];
  }
  return [restartLoader(model, 'Runs the plugins in order: the sets first, then the rules that use them.')];
}

function verifyFor(uses: readonly SetUse[]): string {
  const set = uses[0]?.set ?? 'NAME';
  return `sudo ipset list -n | grep -x '${set}' && sudo iptables-save | grep -c -- '--match-set ${set} '`;
}

function persistenceFor(restorer: Restorer): string {
  return restorer.kind === 'netfilter-persistent'
    ? 'On every boot netfilter-persistent runs 10-ipset (ipset restore < /etc/iptables/ipsets) before 15-ip4tables; re-run the ipset save after you change a set, or its new members are lost at reboot.'
    : 'On every boot ipset.service restores /etc/sysconfig/ipset before iptables.service starts; re-run the ipset save after you change a set (or set IPSET_SAVE_ON_STOP=yes in /etc/sysconfig/ipset-config).';
}

function notSavedFinding(
  model: HostModel,
  set: string,
  uses: readonly SetUse[],
  restorer: Restorer,
  restore: RestoreState,
  live: IpsetSet | undefined,
  fileExists: boolean,
): FindingInput {
  // Nobody saved the set's definition and members: only a person knows them (the live set, if any, may be
  // partial), so writing them is manual.
  const actions: Action[] = [];
  if (restore.state === 'not-installed') {
    actions.push(installStep(restorer));
  }
  if (live === undefined) {
    actions.push(
      manual(
        `Create set ${set} with the type and options the rules expect, then add its members.`,
        'The set does not exist now either; it has to exist before it can be saved.',
        `sudo ipset create ${shQuote(set)} hash:ip`,
      ),
    );
  }
  actions.push(
    manual(
      `Save the sets to ${restorer.file}.`,
      'Writes the set definitions (and members) to the file the boot restores. Not `netfilter-persistent save`: that would also overwrite the rules file with the live rules, which are empty after this failure.',
      `sudo sh -c ${shQuote(`ipset save > ${restorer.file}`)}`,
    ),
  );
  actions.push(...restartSteps(model, restorer, true));
  const first = uses[0];
  return {
    messageId: fileExists ? 'notSaved' : 'noSetsFile',
    key: `${set}:not-saved`,
    data: {
      set,
      file: first?.file ?? '',
      lines: uses.flatMap((u) => u.lines).join(', '),
      setsFile: restorer.file,
      live:
        live === undefined
          ? 'it does not exist now either'
          : `it exists now (${live.type}) but only in memory`,
    },
    evidence: [
      ...ruleEvidence(model, uses, set),
      evidenceAt(
        restorer.file,
        undefined,
        undefined,
        fileExists ? `no "create ${set}" line` : 'file does not exist',
      ),
      ...(live === undefined
        ? []
        : [evidenceAt('command: ipset save', live.line, `create ${set} ${live.type}`)]),
      ...restore.evidence,
      ...journalEvidence(model, new RegExp(`Set ${escapeRe(set)} doesn't exist`), 'this boot'),
    ],
    subjects: subjectsFor(set, uses),
    fix: { actions, persistence: persistenceFor(restorer), verify: verifyFor(uses) },
    next: 'iptables-restore rejects the whole table when one set is missing, so after the restart check every other set the rules use; a set saved without its members loads but matches nothing.',
  };
}

function runtimeSetFinding(
  model: HostModel,
  set: string,
  uses: readonly SetUse[],
  tool: string,
): FindingInput {
  const byFile = new Map<string, number[]>();
  for (const u of uses) {
    byFile.set(u.file, [...(byFile.get(u.file) ?? []), ...u.lines]);
  }
  // review: removes rules from the saved file, which changes what the boot allows until the tool adds them.
  const deletes = [...byFile].flatMap(([file, lines]) =>
    lines.map((line) =>
      commentLine(
        model,
        file,
        line,
        'review',
        `Removes the saved copy of ${tool}'s rule (line ${line}); ${tool} adds it again itself, after it creates ${set}.`,
      ),
    ),
  );
  const first = uses[0];
  return {
    messageId: 'runtimeSet',
    key: `${set}:runtime`,
    data: { set, tool, file: first?.file ?? '', lines: uses.flatMap((u) => u.lines).join(', ') },
    evidence: [
      ...ruleEvidence(model, uses, set),
      ...journalEvidence(model, new RegExp(`Set ${escapeRe(set)} doesn't exist`), 'this boot'),
    ],
    subjects: subjectsFor(set, uses),
    fix: {
      actions: [...deletes, restartLoader(model, 'Restores the rules without them.')],
      persistence: `The saved file no longer references ${set}. Save rules later with ${tool} stopped (or remove its rules again before saving), or the next save brings them back.`,
      verify: `sudo iptables-save | grep -c -- '-A'   # the boot rules are loaded again`,
    },
    next: `After the loader works again, ${tool} inserts its own rules when it starts; check them with \`sudo iptables-save | grep ${set}\` once it runs.`,
  };
}

function subjectsFor(set: string, uses: readonly SetUse[]): string[] {
  return [`set:${set}`, ...uses.flatMap((u) => u.lines.map((l) => `rules:${u.file}:${l}`))];
}

/**
 * A set an admin unit restores: late or not at all (a finding), or in time. In time, a failure in this boot's
 * journal still counts while the set is missing now; once it exists, the journal tells of the boot before the
 * order was fixed (fix --apply diagnoses again in that same boot).
 */
function ownUnitFinding(
  model: HostModel,
  set: string,
  uses: readonly SetUse[],
  own: OwnRestore,
  existsNow: boolean,
): FindingInput | undefined {
  const missing = own.missingThisBoot;
  const late = own.state === 'unordered' || own.state === 'not-oneshot';
  if (!late && own.state !== 'not-enabled' && (missing.length === 0 || existsNow)) {
    return undefined;
  }
  const file = own.restorer.file ?? '';
  const first = uses[0];
  const loader = loaderUnit(primaryLoader(model));
  return {
    messageId: own.state === 'not-enabled' ? 'ownUnitDisabled' : late ? 'ownUnitLate' : 'missingAtBoot',
    key: `${set}:${own.restorer.unit}`,
    // Unordered is a race: a warning while the journal shows the rules winning it, an error once they lost.
    severity: late && missing.length === 0 ? 'warning' : 'error',
    data: {
      set,
      file: first?.file ?? '',
      lines: first?.lines.join(', ') ?? '',
      unit: own.restorer.unit,
      setsFile: file,
      loader,
      detail: own.detail,
    },
    evidence: [
      ...own.evidence,
      evidenceAt(file, own.def.line, `create ${set} ${own.def.type}`),
      ...ruleEvidence(model, uses, set),
      ...missing,
    ],
    subjects: [...subjectsFor(set, uses), `unit:${own.restorer.unit}`],
    fix: {
      actions: ownRestoreActions(model, own),
      persistence: `${loader} waits for ${own.restorer.unit} at every boot; the drop-in in /etc/systemd/system survives package upgrades. Re-run \`ipset save > ${file}\` after you change a set.`,
      verify: `systemd-analyze critical-chain ${loader} | grep -F ${own.restorer.unit}; ${verifyFor(uses)}`,
    },
    next: 'Rules restored before their sets fail as a whole on every boot until then; after the reboot, journalctl -b should show the restore finishing before the rules load.',
  };
}

function restoreFinding(
  model: HostModel,
  sets: readonly { set: string; uses: readonly SetUse[] }[],
  restorer: Restorer,
  restore: RestoreState,
): FindingInput | undefined {
  const names = sets.map((s) => s.set).join(', ');
  const base = {
    data: {
      sets: names,
      setsFile: restorer.file,
      detail: restore.detail,
      unit: loaderUnit(primaryLoader(model)),
    },
    evidence: [...restore.evidence, ...journalEvidence(model, /Set \S+ doesn't exist/, 'this boot')],
    subjects: sets.flatMap((s) => subjectsFor(s.set, s.uses)),
    next: 'With the sets restored first, check that each saved set still has the type the rules expect (ipset list -t).',
  };
  const verify = verifyFor(sets[0]?.uses ?? []);
  switch (restore.state) {
    case 'not-installed':
    case 'not-enabled':
      return {
        ...base,
        messageId: 'notRestored',
        key: `restore:${restore.state}`,
        fix: {
          actions: [
            ...(restore.state === 'not-installed' ? [installStep(restorer)] : []),
            ...restartSteps(model, restorer, restore.state === 'not-installed'),
          ],
          persistence: persistenceFor(restorer),
          verify,
        },
      };
    case 'ordered-after':
      return {
        ...base,
        messageId: 'orderedAfter',
        key: 'restore:ordered-after',
        fix: {
          actions:
            restorer.kind === 'netfilter-persistent'
              ? [
                  manual(
                    'Rename the ipset plugin in /usr/share/netfilter-persistent/plugins.d/ so it sorts before the ip4tables one, e.g. 10-ipset.',
                    'run-parts runs the plugins in the lexical order of their names.',
                    'ls /usr/share/netfilter-persistent/plugins.d/',
                  ),
                  ...restartSteps(model, restorer, true),
                ]
              : [
                  // safe: only orders the restore of the saved sets before the saved rules.
                  writeFile(
                    '/etc/systemd/system/ipset.service.d/nfdoctor-order.conf',
                    ['[Unit]', 'Before=iptables.service ip6tables.service'],
                    'safe',
                    'Orders the set restore before the rules restore.',
                  ),
                  daemonReload('Makes systemd read the drop-in.'),
                  ...restartSteps(model, restorer, false),
                ],
          persistence:
            restorer.kind === 'netfilter-persistent'
              ? 'Plugin names are read on every run; a package upgrade may restore the original name, so prefer fixing the package that installed it.'
              : 'The drop-in in /etc/systemd/system applies on every boot and survives package upgrades.',
          verify,
        },
      };
    case 'ok':
    case 'unknown':
      return undefined;
  }
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'Every ipset the saved rules use is saved and restored before the rules at boot',
    severity: 'error',
    messages: {
      noSetsFile:
        '{{file}} line {{lines}} uses set {{set}}, but {{setsFile}} does not exist, so nothing creates the set at boot ({{live}}); iptables-restore rejects the whole table',
      notSaved:
        '{{file}} line {{lines}} uses set {{set}}, which {{setsFile}} does not define ({{live}}); iptables-restore rejects the whole table at boot',
      runtimeSet:
        '{{file}} line {{lines}} uses set {{set}}, which {{tool}} creates after boot; at boot the set does not exist and iptables-restore rejects the whole table',
      notRestored: 'Sets {{sets}} are saved in {{setsFile}}, but nothing restores them at boot: {{detail}}',
      orderedAfter: 'Sets {{sets}} are restored from {{setsFile}} after the rules that use them: {{detail}}',
      typeUnavailable:
        'Set {{set}} ({{type}}, {{setsFile}} line {{line}}) cannot be created: the kernel cannot provide its type, so the rules using it fail too',
      missingAtBoot:
        'Set {{set}} is saved in {{setsFile}} and restored at boot, yet it was missing when the rules were restored this boot',
      ownUnitLate:
        '{{file}} line {{lines}} uses set {{set}}, which {{unit}} restores from {{setsFile}} at boot, but nothing makes {{loader}} wait for it: {{detail}}; whether the rules load is a race at every boot',
      ownUnitDisabled:
        '{{file}} line {{lines}} uses set {{set}}, which {{unit}} would restore from {{setsFile}}, but {{detail}}',
    },
  },
  run(ctx) {
    const { model } = ctx;
    if (model.savedRules.length === 0) {
      return notApplicable('no saved iptables rules on this host');
    }
    const uses = collectSetUses(model);
    if (uses.length === 0) {
      return notApplicable('the saved rules use no ipset');
    }
    const restorer = restorerFor(model);
    if (restorer === undefined) {
      return unknown(
        `the rules are restored by ${loaderUnit(primaryLoader(model))}, whose set file nfdoctor does not read yet (Arch: /etc/ipset.conf)`,
      );
    }
    const status = model.savedFileStatus.get(restorer.file);
    if (status === undefined || (status.status !== 'ok' && status.status !== 'absent')) {
      const root = status?.status === 'permission-denied' ? '; run nfdoctor as root' : '';
      return unknown(`${restorer.file} could not be read (${status?.status ?? 'not read'})${root}`);
    }
    const saved = model.savedIpsets.find((s) => s.path === restorer.file);
    const defined = new Map((saved?.parsed.sets ?? []).map((s) => [s.name, s]));
    const liveText = model.commands.get('ipset-save');
    const live = new Map(
      liveText?.status === 'ok'
        ? parseIpsetSave(liveText.stdout, 'command: ipset save').value.sets.map((s) => [s.name, s])
        : [],
    );
    const restore = restoreState(model, restorer);

    const undecided: string[] = [];
    const byName = new Map<string, SetUse[]>();
    for (const u of uses) {
      byName.set(u.set, [...(byName.get(u.set) ?? []), u]);
    }
    const savedSets: { set: string; uses: SetUse[]; def: IpsetSet }[] = [];
    const ownSets: { set: string; uses: SetUse[]; own: OwnRestore }[] = [];
    const unreadableOwn = unreadableOwnRestores(model).map((u) => `${u.unit} (${u.file ?? 'no file named'})`);
    for (const [set, setUses] of byName) {
      const def = defined.get(set);
      if (def !== undefined) {
        savedSets.push({ set, uses: setUses, def });
        continue;
      }
      const own = ownRestoreOf(model, set);
      if (own !== undefined) {
        ownSets.push({ set, uses: setUses, own });
        continue;
      }
      const tool = runtimeOwner(set);
      if (tool === undefined && unreadableOwn.length > 0) {
        undecided.push(
          `set ${set} may be restored by ${unreadableOwn.join(', ')}, whose sets file could not be read`,
        );
        continue;
      }
      ctx.report(
        tool === undefined
          ? notSavedFinding(model, set, setUses, restorer, restore, live.get(set), status.status === 'ok')
          : runtimeSetFinding(model, set, setUses, tool),
      );
    }
    for (const { set, uses: setUses, own } of ownSets) {
      const finding = ownUnitFinding(model, set, setUses, own, live.has(set));
      if (finding !== undefined) {
        ctx.report(finding);
      } else if (own.state === 'unknown') {
        undecided.push(`set ${set}: ${own.detail}`);
      }
    }
    if (savedSets.length === 0) {
      return undecided.length > 0 ? unknown(undecided.join('; ')) : undefined;
    }
    const problem = restoreFinding(model, savedSets, restorer, restore);
    if (problem !== undefined) {
      ctx.report(problem);
      return undefined;
    }
    for (const { set, uses: setUses, def } of savedSets) {
      const family = setUses[0]?.family ?? 'ipv4';
      const typeCauses = ctx.findingsAbout(`extension:${family}/set-type/${def.type}`);
      const defEvidence = evidenceAt(restorer.file, def.line, `create ${set} ${def.type}`);
      if (typeCauses.length > 0) {
        // kmod/module-unavailable carries the fix (the module); this finding is the link to the set and rules.
        ctx.report({
          messageId: 'typeUnavailable',
          key: `${set}:type`,
          data: { set, type: def.type, setsFile: restorer.file, line: def.line },
          evidence: [defEvidence, ...ruleEvidence(model, setUses, set)],
          subjects: subjectsFor(set, setUses),
          causedBy: typeCauses.map((f) => f.id),
        });
        continue;
      }
      const missing = journalEvidence(model, new RegExp(`Set ${escapeRe(set)} doesn't exist`), 'this boot');
      if (missing.length > 0) {
        ctx.report({
          messageId: 'missingAtBoot',
          key: `${set}:missing-at-boot`,
          data: { set, setsFile: restorer.file },
          evidence: [
            defEvidence,
            ...missing,
            ...journalEvidence(model, /^ipset v[\d.]+: /, 'ipset restore error this boot'),
          ],
          subjects: subjectsFor(set, setUses),
          fix: {
            actions: [
              manual(
                `Restore the saved sets by hand and read the error.`,
                'Shows the error that stopped the saved sets from loading (a syntax error or a set type the kernel lacks aborts the whole restore).',
                `sudo ipset restore -exist < ${shQuote(restorer.file)}`,
              ),
              ...restartSteps(model, restorer, true),
            ],
            persistence: persistenceFor(restorer),
            verify: verifyFor(setUses),
          },
          next: 'If the manual restore works, the boot order is the problem: compare the timestamps of the ipset and iptables lines in journalctl -b.',
        });
      }
    }
    if (restore.state === 'unknown') {
      // Reported findings win over this (engine.ts); alone, it keeps an unverifiable boot from passing.
      undecided.push(
        `the sets are saved in ${restorer.file}, but whether the boot restores them is unknown: ${restore.detail}`,
      );
    }
    return undecided.length > 0 ? unknown(undecided.join('; ')) : undefined;
  },
});
