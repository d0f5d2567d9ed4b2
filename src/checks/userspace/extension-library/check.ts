// The userspace half of an extension: iptables(-restore) parses `-m NAME` / `-j NAME` with the library
// libxtables loads from XTABLES_LIBDIR (libipt_NAME.so, then libxt_NAME.so: libxtables/xtables.c
// load_extension). Without it, or when it registers nothing, the restore stops with "Couldn't load match
// `NAME'" before the kernel is asked (research/real-error-messages.md, both backends, exit 2).
import { defineCheck, savedRulesCheck, unknown, type FindingInput, type Fix } from '../../types.ts';
import type { HostModel } from '../../../model/host-model.ts';
import type { RequirementResult } from '../../../resolve/evaluate.ts';
import { KNOWN_REGISTRATIONS } from '../../../knowledge/extensions.generated.ts';
import { evidenceAt, type Evidence } from '../../../findings/evidence.ts';
import { distroFamily, journalEvidence } from '../../host-commands.ts';
import { commentLine, manual, restartLoader, restartLoaderLater, shLines } from '../../fix-actions.ts';
import { XTABLES_ADDONS_NOT_BUILT } from '../../kmod/module-unavailable/check.ts';

const ID = 'userspace/extension-library';

/**
 * Libraries of Debian's xtables-addons-common 3.23-1 that call no xtables_register_* function (13,968-byte
 * stubs; research/kernel-data.md), for when the library file itself could not be read (a snapshot).
 */
function knownEmptyLibrary(model: HostModel, lib: string): string | undefined {
  const version = model.packages.get('xtables-addons-common');
  if (version === undefined || !version.startsWith('3.23-')) {
    return undefined;
  }
  return KNOWN_REGISTRATIONS.some(
    (r) => r.lib === lib && r.kind === 'none' && r.package === 'xtables-addons-common',
  )
    ? version
    : undefined;
}

function reinstallCommand(model: HostModel, pkg: string | undefined, lib: string): string {
  const family = distroFamily(model);
  if (pkg === 'xtables-addons-common') {
    return family === 'debian' || family === 'ubuntu'
      ? 'sudo apt-get install --reinstall xtables-addons-common'
      : `install xtables-addons (it ships ${lib}) from your distribution's extra repository or from source`;
  }
  if (pkg === 'iptables') {
    switch (family) {
      case 'debian':
      case 'ubuntu':
        return 'sudo apt-get install --reinstall iptables';
      case 'rhel':
        // Fedora/RHEL put /usr/lib64/xtables/*.so in the iptables-libs subpackage.
        return 'sudo dnf reinstall iptables-libs';
      case 'arch':
        return 'sudo pacman -S iptables';
      case 'suse':
        return 'sudo zypper install -f iptables';
      case 'alpine':
        return 'sudo apk fix iptables';
      case 'unknown':
        return `reinstall the iptables package (it ships ${lib})`;
    }
  }
  return `find the software that provides ${lib} (no iptables or xtables-addons package ships it), or remove the rules that use it`;
}

function ruleEvidence(model: HostModel, r: RequirementResult): Evidence[] {
  const text = model.savedRules.find((s) => s.path === r.requirement.file)?.text.split('\n');
  return r.requirement.lines
    .slice(0, 3)
    .map((l) =>
      evidenceAt(
        r.requirement.file,
        l,
        text?.[l - 1],
        `uses ${r.requirement.kind} ${r.requirement.extension}`,
      ),
    );
}

function findingFor(
  model: HostModel,
  r: RequirementResult,
  emptyVersion: string | undefined,
  causedBy: readonly string[],
): FindingInput {
  const req = r.requirement;
  const us = r.userspace;
  const lib = us?.library ?? `libxt_${req.extension}.so`;
  const kind = req.userspace?.kind ?? 'match';
  const empty = us?.registersNothing === true || emptyVersion !== undefined;
  const dir = model.needs?.xtablesDir;
  const evidence: Evidence[] = [
    ...ruleEvidence(model, r),
    empty
      ? evidenceAt(
          us?.path ?? `${dir ?? 'xtables dir'}/${lib}`,
          undefined,
          undefined,
          us?.registersNothing === true
            ? 'the library calls no xtables_register_match/target'
            : `xtables-addons-common ${emptyVersion ?? ''} ships this library as an empty stub`,
        )
      : evidenceAt(dir ?? 'xtables dir', undefined, undefined, us?.reason ?? `${lib} is not there`),
    ...journalEvidence(
      model,
      new RegExp(`Couldn't load (?:match|target) \`${req.extension.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`),
      'this boot',
    ),
  ];

  // `iptables -m NAME -h` / `-j NAME -h` loads the library and prints its help, or "Couldn't load ...".
  const verify = `iptables ${kind === 'match' ? '-m' : '-j'} ${req.extension} -h | tail -n 3`;
  const reinstall = reinstallCommand(model, us?.package, lib);
  const fix: Fix = empty
    ? {
        actions: [
          // review: removes rules from the saved file, which changes what traffic the boot allows.
          ...req.lines.map((line) =>
            commentLine(
              model,
              req.file,
              line,
              'review',
              `${lib} from this xtables-addons build cannot parse -${kind === 'match' ? 'm' : 'j'} ${req.extension} at all; no package of this release fixes it, so the rules using it must go (or build xtables-addons from upstream source).`,
            ),
          ),
          restartLoader(model, 'Restores the saved rules.'),
        ],
        persistence:
          'The saved file no longer uses the extension; re-check after upgrading xtables-addons before adding it back.',
        verify: `sudo iptables-restore --test < ${req.file} && echo parses`,
      }
    : {
        actions: [
          // Installing a package from the network is a person's decision.
          manual(
            `Reinstall the package that ships ${lib}.`,
            `Puts ${lib} back into ${dir ?? 'the xtables directory'}, where iptables looks for -${kind === 'match' ? 'm' : 'j'} ${req.extension}.`,
            shLines(reinstall),
          ),
          restartLoaderLater(model, 'Restores the saved rules.'),
        ],
        persistence: 'The package owns the library; it stays installed until the package is removed.',
        verify,
      };
  return {
    messageId: empty ? 'registersNothing' : 'missing',
    key: `${req.family}/${kind}/${req.extension}`,
    data: {
      extension: req.extension,
      kind,
      flag: kind === 'match' ? '-m' : '-j',
      library: lib,
      file: req.file,
      lines: req.lines.join(', '),
      package: us?.package ?? 'no known package',
      dir: dir ?? 'the xtables directory',
    },
    evidence,
    subjects: [
      `extension:${req.family}/${kind}/${req.extension}`,
      `userspace:${lib}`,
      ...req.lines.map((l) => `rules:${req.file}:${l}`),
    ],
    ...(causedBy.length > 0 ? { causedBy } : { fix }),
    next: 'iptables-restore stops at the first extension it cannot parse: after the fix, the next missing library (or kernel module) shows up; re-run nfdoctor.',
  };
}

/** Debian's package of the xtables-addons userspace extensions (xtables-addons-dkms depends on it). */
const XTABLES_ADDONS_LIBRARIES = 'xtables-addons-common';

export default defineCheck({
  meta: {
    id: ID,
    title: 'Every match and target the saved rules use has a working userspace library',
    severity: 'error',
    messages: {
      missing:
        '{{flag}} {{extension}} ({{file}} line {{lines}}) needs {{library}}, which is not in {{dir}} ({{package}}); iptables-restore fails with "Couldn\'t load {{kind}} `{{extension}}\'"',
      registersNothing:
        '{{flag}} {{extension}} ({{file}} line {{lines}}): {{library}} exists but registers no extension, so iptables-restore fails with "Couldn\'t load {{kind}} `{{extension}}\'"',
    },
  },
  run(ctx) {
    const { model } = ctx;
    const needs = savedRulesCheck(model);
    if ('status' in needs) {
      return needs;
    }
    const unknowns: string[] = [];
    for (const r of needs.results) {
      const us = r.userspace;
      if (us === undefined) {
        continue;
      }
      const empty = us.present === true ? knownEmptyLibrary(model, us.library) : undefined;
      if (us.present === false || us.registersNothing === true || empty !== undefined) {
        // An extension newer than the installed iptables is explained (and fixed) by userspace/iptables-too-old.
        // An xtables-addons library missing beside a module that was never built is one cause, xtables-addons
        // not installed (see XTABLES_ADDONS_NOT_BUILT).
        const req = r.requirement;
        const addonsNotInstalled = us.present === false && us.package === XTABLES_ADDONS_LIBRARIES;
        const causes = [
          ...ctx
            .findingsAbout(`extension:${req.family}/${req.userspace?.kind ?? req.kind}/${req.extension}`)
            .filter((f) => f.checkId === 'userspace/iptables-too-old'),
          ...(addonsNotInstalled ? ctx.findingsAbout(XTABLES_ADDONS_NOT_BUILT) : []),
        ].map((f) => f.id);
        ctx.report(findingFor(model, r, empty, causes));
      } else if (us.present === 'unknown') {
        unknowns.push(`${r.requirement.extension}: ${us.reason ?? 'unknown'}`);
      }
    }
    if (unknowns.length > 0 && needs.xtablesDir === undefined && model.source.kind === 'snapshot') {
      // Collectors before the xtables-dirs fact did not list the directory: not collected, not "no iptables".
      return unknown(
        `the snapshot has no listing of the xtables directory (${unknowns.length} extension libraries unchecked); collect it again with the current collector`,
      );
    }
    if (unknowns.length > 0) {
      return unknown(
        `${unknowns.length} extension librar(y/ies) could not be checked (${unknowns[0] ?? ''})`,
      );
    }
    return undefined;
  },
});
