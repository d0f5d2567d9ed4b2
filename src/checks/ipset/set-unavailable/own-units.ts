// Sets restored at boot by a unit the administrator wrote (model/set-restore-units.ts) instead of
// ipset-persistent or ipset-service. Such a unit restores the sets in time only if it is enabled, ordered
// before the loader (Before= on it, or After= on the loader) and of Type=oneshot: for Type=simple (the default)
// systemd starts the units ordered after it as soon as the process is forked (systemd.service(5) "Type=").
import type { HostModel } from '../../../model/host-model.ts';
import { orderedBefore, startsAtBoot } from '../../../model/units.ts';
import type { SetRestoreUnit } from '../../../model/set-restore-units.ts';
import type { IpsetSet } from '../../../parsers/ipset-save.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { escapeRe, journalEvidence, loaderUnit, primaryLoader } from '../../host-commands.ts';
import { daemonReload, manual, restartLoader, systemctl, writeFile } from '../../fix-actions.ts';
import type { Action } from '../../../fixes/actions.ts';

export interface OwnRestore {
  readonly restorer: SetRestoreUnit;
  /** The set's create line in the file the unit restores. */
  readonly def: IpsetSet;
  readonly state: 'ok' | 'unknown' | 'not-enabled' | 'unordered' | 'not-oneshot';
  readonly evidence: readonly Evidence[];
  readonly detail: string;
  /** This boot's journal lines that say the loader did not find the set. */
  readonly missingThisBoot: readonly Evidence[];
}

/** The admin unit whose file defines `set`, with whether it restores it before the loader. */
export function ownRestoreOf(model: HostModel, set: string): OwnRestore | undefined {
  for (const restorer of model.setRestoreUnits) {
    const def = model.savedIpsets
      .find((s) => s.path === restorer.file)
      ?.parsed.sets.find((s) => s.name === set);
    if (def !== undefined) {
      const missingThisBoot = journalEvidence(
        model,
        new RegExp(`Set ${escapeRe(set)} doesn't exist`),
        'this boot',
      );
      return { restorer, def, missingThisBoot, ...restoreState(model, restorer, missingThisBoot.length > 0) };
    }
  }
  return undefined;
}

/** Admin units that restore sets from a file nfdoctor could not read (or from no named file). */
export function unreadableOwnRestores(model: HostModel): SetRestoreUnit[] {
  return model.setRestoreUnits.filter(
    (r) => r.file === undefined || !model.savedIpsets.some((s) => s.path === r.file),
  );
}

/** `lost`: this boot's journal shows the loader missing the set, which no working order allows. */
function restoreState(
  model: HostModel,
  restorer: SetRestoreUnit,
  lost: boolean,
): Omit<OwnRestore, 'restorer' | 'def' | 'missingThisBoot'> {
  const loader = loaderUnit(primaryLoader(model));
  const unit = model.units.get(restorer.unit);
  const exec = evidenceAt(restorer.path, restorer.line, `ExecStart=${restorer.command}`, 'restores the sets');
  const effective = unit?.effective;
  if (effective === undefined) {
    return { state: 'unknown', evidence: [exec], detail: `${restorer.unit} could not be read` };
  }
  const enabled = unit?.enabled;
  if (enabled !== undefined && !startsAtBoot(enabled.state)) {
    return {
      state: 'not-enabled',
      evidence: [exec, evidenceAt(enabled.source, undefined, enabled.state)],
      detail: `${restorer.unit} is ${enabled.state}: it does not run at boot`,
    };
  }
  const order = orderedBefore(unit, model.units.get(loader));
  // A snapshot from a collector before the local-unit-dropins fact lacks this unit's drop-ins: one might order
  // it. Unless the set went missing this boot.
  if (order === undefined && unit?.dropInsUnread === true && !lost) {
    return {
      state: 'unknown',
      evidence: [exec],
      detail: `${restorer.unit} has no Before=${loader}, but its drop-ins were not collected (a snapshot from an older collector): collect it again, or run nfdoctor on the host or with --root`,
    };
  }
  if (order === undefined) {
    return {
      state: 'unordered',
      evidence: [exec, evidenceAt(restorer.path, undefined, undefined, `no Before=${loader}`)],
      detail: `${restorer.unit} has no Before=${loader} (nor ${loader} an After= on it), and ${loader} starts early (DefaultDependencies=no on Debian)`,
    };
  }
  // oneshot: started once the command has exited; forking: once the process it started has exited. Both wait
  // for `ipset restore` to finish. simple (the default) and exec do not (systemd.service(5) "Type=").
  const type = effective.last('Service', 'Type');
  if (!['oneshot', 'forking'].includes(type?.value ?? 'simple')) {
    return {
      state: 'not-oneshot',
      evidence: [
        exec,
        type === undefined
          ? evidenceAt(restorer.path, undefined, undefined, 'no Type= (simple)')
          : evidenceAt(type.at.file, type.at.line, `Type=${type.value}`),
      ],
      detail: `${restorer.unit} is Type=${type?.value ?? 'simple'}: systemd starts ${loader} as soon as the restore is forked, not when it has finished`,
    };
  }
  const ordered = evidenceAt(order.at.file, order.at.line, order.setting);
  return enabled === undefined
    ? {
        state: 'unknown',
        evidence: [exec, ordered],
        detail: `whether ${restorer.unit} is enabled is unknown`,
      }
    : {
        state: 'ok',
        evidence: [exec, ordered],
        detail: `${restorer.unit} restores the sets before ${loader}`,
      };
}

/** What makes the unit restore the sets before the loader: a drop-in, or enabling it; then the rules now. */
export function ownRestoreActions(model: HostModel, own: OwnRestore): Action[] {
  const loader = loaderUnit(primaryLoader(model));
  const unit = own.restorer.unit;
  const rules = restartLoader(model, 'Loads the rules now that their sets exist.');
  switch (own.state) {
    case 'not-enabled':
      // safe: the unit restores the administrator's own saved sets, as it was written to.
      return [
        systemctl(model, 'enable', unit, 'safe', 'Runs the set restore at every boot.'),
        systemctl(model, 'start', unit, 'safe', 'Restores the sets now.'),
        rules,
      ];
    case 'unordered':
    case 'not-oneshot':
      // safe: only orders the restore of the saved sets before the saved rules.
      return [
        writeFile(
          `/etc/systemd/system/${unit}.d/nfdoctor-order.conf`,
          ['[Unit]', `Before=${loader}`, '', '[Service]', 'Type=oneshot', 'RemainAfterExit=yes'],
          'safe',
          `Makes ${loader} wait until ${unit} has restored the sets (Type=oneshot: finished, not just started).`,
        ),
        daemonReload('Makes systemd read the drop-in.'),
        rules,
      ];
    case 'ok':
    case 'unknown':
      return [
        manual(
          `Restore the sets by hand and read the error.`,
          'Shows what stopped the restore at boot.',
          `sudo ipset restore -exist -file ${own.restorer.file ?? '/etc/ipset.conf'}`,
        ),
        rules,
      ];
  }
}
