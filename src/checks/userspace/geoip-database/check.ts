// -m geoip reads one database file per country while iptables parses the rule (libxt_geoip.c
// geoip_get_subnets(): /usr/share/xt_geoip/CC.iv4, CC.iv6 for ip6tables). xtables-addons ships no database, so
// a host that has the library and the module still refuses the whole table until someone builds one:
// "Could not open /usr/share/xt_geoip/CN.iv4: No such file or directory", "Could not read geoip database".
import { defineCheck, notApplicable, savedRulesCheck, unknown, type FindingInput } from '../../types.ts';
import type { HostModel } from '../../../model/host-model.ts';
import type { GeoipDatabaseProblem } from '../../../resolve/geoip-database.ts';
import { GEOIP_DB_DIR } from '../../../validate/geoip.ts';
import type { JournalEntry } from '../../../parsers/journal.ts';
import { evidenceAt } from '../../../findings/evidence.ts';
import { distroFamily, journalEvidence } from '../../host-commands.ts';
import { manual, rawLine, restartLoaderLater } from '../../fix-actions.ts';
import { shQuote, type Action } from '../../../fixes/actions.ts';

const ID = 'userspace/geoip-database';

/**
 * Where xt_geoip_dl and xt_geoip_build are: upstream installs them in $(libexecdir)/xtables-addons, and Debian's
 * and Ubuntu's xtables-addons-common put them there since 3.11 (NEWS.Debian).
 */
const SCRIPTS = '/usr/libexec/xtables-addons';

/**
 * xt_geoip_dl downloads db-ip's Country Lite CSV into the current directory; xt_geoip_build -s converts it into
 * GEOIP_DB_DIR, which must exist ("Target directory ... does not exist"), with the Perl modules it uses
 * (Text::CSV_XS, Net::CIDR::Lite: Debian's xtables-addons-common only recommends or suggests them).
 */
export function geoipDatabaseSteps(model: HostModel): Action[] {
  const debian = ['debian', 'ubuntu'].includes(distroFamily(model));
  const build = `mkdir -p ${GEOIP_DB_DIR} && cd "$(mktemp -d)" && ${SCRIPTS}/xt_geoip_dl && ${SCRIPTS}/xt_geoip_build -s`;
  return [
    ...(debian
      ? [
          manual(
            'Install what xt_geoip_dl and xt_geoip_build need.',
            'xt_geoip_build is a Perl script that reads the CSV with Text::CSV_XS and merges ranges with Net::CIDR::Lite; xt_geoip_dl downloads with wget.',
            'sudo apt-get install libtext-csv-xs-perl libnet-cidr-lite-perl wget',
          ),
        ]
      : []),
    // Downloading from the internet and writing a system directory is a person's decision: manual.
    manual(
      `Download the country database and build ${GEOIP_DB_DIR} from it (${SCRIPTS}/xt_geoip_dl, then xt_geoip_build -s).`,
      `libxt_geoip reads ${GEOIP_DB_DIR}/CC.iv4 and CC.iv6 for every country a rule names; xt_geoip_build -s writes one pair per country of db-ip's Country Lite list.`,
      `sudo sh -c ${shQuote(build)}`,
    ),
  ];
}

/**
 * The journal lines of the restores that could not use `path`: "Could not open PATH: ..." and the error it then
 * exits with, or "Database file PATH seems to be corrupted".
 */
function openFailureOf(model: HostModel, path: string): (e: JournalEntry) => boolean {
  const names = (e: JournalEntry): boolean =>
    e.message.startsWith(`Could not open ${path}: `) ||
    e.message.endsWith(`Database file ${path} seems to be corrupted`);
  const pids = new Set(model.journal.entries.filter(names).map((e) => e.pid));
  return (e) => pids.has(e.pid) && (names(e) || e.message.endsWith('Could not read geoip database'));
}

const MESSAGE_IDS: Readonly<Record<GeoipDatabaseProblem['problem'], string>> = {
  'no-directory': 'noDatabase',
  missing: 'missing',
  corrupt: 'corrupt',
};

function findingFor(model: HostModel, db: GeoipDatabaseProblem): FindingInput {
  const others = (model.needs?.geoip.problems ?? []).filter((d) => d !== db && d.file === db.file).length;
  return {
    messageId: MESSAGE_IDS[db.problem],
    key: `${db.file}:${db.name}`,
    data: {
      file: db.file,
      lines: db.lines.join(', '),
      country: db.country,
      path: db.path,
      dir: GEOIP_DB_DIR,
      size: db.size ?? 0,
    },
    evidence: [
      ...db.lines
        .slice(0, 3)
        .map((l) => evidenceAt(db.file, l, rawLine(model, db.file, l), `-m geoip reads ${db.name}`)),
      evidenceAt(
        GEOIP_DB_DIR,
        undefined,
        undefined,
        db.problem === 'no-directory'
          ? 'no such directory'
          : db.problem === 'corrupt'
            ? `${db.name}: ${String(db.size)} bytes, not whole records`
            : `no ${db.name} in the directory`,
      ),
      ...journalEvidence(model, openFailureOf(model, db.path), 'this boot'),
    ],
    subjects: [`geoip:${db.path}`, ...db.lines.map((l) => `rules:${db.file}:${String(l)}`)],
    fix: {
      actions: [
        ...geoipDatabaseSteps(model),
        restartLoaderLater(model, 'Restores the saved rules, which now find their countries.'),
      ],
      persistence: `The files stay in ${GEOIP_DB_DIR} until removed; every load of the rules reads them again (the kernel keeps the ranges it was given at that load).`,
      verify: `ls -l ${db.path} && sudo ${db.family === 'ipv6' ? 'ip6tables' : 'iptables'}-restore --test < ${shQuote(db.file)}`,
    },
    next:
      `If ${db.path} is still missing after the build, db-ip's list has no country "${db.country}": country codes are ISO 3166-1 alpha-2 (GB, not UK). ` +
      `The database ages: rebuild it every month (db-ip publishes a new list monthly) and restore the rules, since loaded rules keep the ranges they were loaded with.` +
      (others > 0 ? ` ${db.file} needs ${others} more missing country file(s), listed beside this one.` : ''),
  };
}

export default defineCheck({
  meta: {
    id: ID,
    title: 'Every country the saved -m geoip rules name has its xt_geoip database file',
    severity: 'error',
    messages: {
      missing:
        '{{file}} line {{lines}}: -m geoip needs {{path}}, which does not exist: iptables-restore fails with "Could not open {{path}}: No such file or directory" / "Could not read geoip database" and loads none of the table',
      corrupt:
        '{{file}} line {{lines}}: -m geoip reads {{path}}, which is {{size}} bytes, not whole records: iptables-restore fails with "Database file {{path}} seems to be corrupted" and loads none of the table',
      noDatabase:
        '{{file}} line {{lines}}: -m geoip needs {{path}}, but {{dir}} does not exist (xtables-addons ships no database; none was built here): iptables-restore fails with "Could not read geoip database" and loads none of the table',
    },
  },
  run(ctx) {
    const { model } = ctx;
    const needs = savedRulesCheck(model);
    if ('status' in needs) {
      return needs;
    }
    const geoip = needs.geoip;
    if (!geoip.reached) {
      // Without the library or the module iptables stops at "Couldn't load match `geoip'" before any
      // database is read: module-unavailable and extension-library say so, and warn about the database next.
      return notApplicable('no saved rule uses -m geoip where the match loads on this host');
    }
    if (geoip.undecided !== undefined) {
      return unknown(`the country databases could not be listed (${geoip.undecided})`);
    }
    for (const db of geoip.problems) {
      ctx.report(findingFor(model, db));
    }
    return undefined;
  },
});
