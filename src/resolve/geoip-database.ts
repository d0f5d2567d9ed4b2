// The database files -m geoip reads on the host that loads the rules. libxt_geoip.c geoip_get_subnets() opens
// GEOIP_DB_DIR/CC.iv4 (CC.iv6 for ip6tables) for each country while it parses the rule; when one is missing it
// prints "Could not open PATH: No such file or directory" and fails with "Could not read geoip database", and
// a file that does not hold whole records (8 bytes for IPv4, begin and end; 32 for IPv6) fails with "Database
// file PATH seems to be corrupted". Either way the whole table stays unloaded, `--test` included.
// xtables-addons ships no database: xt_geoip_dl and xt_geoip_build -s make one.
import type { HostReader } from '../sources/host-reader.ts';
import type { Diagnostic } from '../parsers/types.ts';
import type { RequirementResult } from './evaluate.ts';
import type { GeoipUse } from './requirements.ts';
import { GEOIP_DB_DIR, geoipDatabaseFile } from '../validate/geoip.ts';
import type { Family } from '../knowledge/extensions.ts';

export const GEOIP_DATABASE_MISSING = 'geoip-database-missing';
export const GEOIP_DATABASE_CORRUPT = 'geoip-database-corrupt';

/**
 * no-directory: GEOIP_DB_DIR itself is absent (no database was ever built); missing: this country's file is
 * not there; corrupt: it is, but not a whole number of records.
 */
export type GeoipFileProblem = 'no-directory' | 'missing' | 'corrupt';

/** A country database file that rules of one file need and the host does not have in a usable state. */
export interface GeoipDatabaseProblem {
  /** The file's name in GEOIP_DB_DIR (CN.iv4). */
  readonly name: string;
  readonly path: string;
  readonly country: string;
  readonly family: Family;
  readonly file: string;
  /** The lines that stop at this file: the first of their country list that iptables cannot use. */
  readonly lines: readonly number[];
  readonly problem: GeoipFileProblem;
  /** The file's size in bytes (corrupt). */
  readonly size?: number;
}

/**
 * The geoip match loads on this host for `family` (library and module): only then does iptables reach the
 * database; without them it stops earlier at "Couldn't load match `geoip'", which the requirement reports.
 */
function geoipLoads(results: readonly RequirementResult[], family: Family): boolean {
  return results.some(
    (r) =>
      r.requirement.kind === 'match' &&
      r.requirement.extension === 'geoip' &&
      r.requirement.family === family &&
      r.ok &&
      r.userspace?.present === true,
  );
}

/** What the host's GEOIP_DB_DIR says about the countries of the -m geoip rules that load there. */
export interface GeoipDatabases {
  /** Rules whose -m geoip loads on this host (library and module), so that it reads the database. */
  readonly reached: boolean;
  readonly problems: readonly GeoipDatabaseProblem[];
  /** Why the directory could not be read (a snapshot without its listing): the database is not known. */
  readonly undecided?: string;
}

const NOT_REACHED: GeoipDatabases = { reached: false, problems: [] };

/** GEOIP_DB_DIR's file names; 'absent' when there is no such directory; else why it cannot be told. */
async function databaseFiles(
  reader: HostReader,
): Promise<ReadonlySet<string> | 'absent' | { readonly undecided: string }> {
  const listing = await reader.listDir(GEOIP_DB_DIR);
  if (listing.status === 'absent') {
    return 'absent';
  }
  return listing.status === 'ok'
    ? new Set(listing.entries.filter((e) => e.type !== 'dir').map((e) => e.name))
    : { undecided: `${GEOIP_DB_DIR}: ${listing.reason}` };
}

/** geoip_get_subnets(): the size of a whole record, begin and end (struct geoip_subnet4 / geoip_subnet6). */
function recordBytes(family: Family): number {
  return family === 'ipv6' ? 32 : 8;
}

/**
 * What stops iptables at country file `name`, if anything. Sizes are read where the files are (the host
 * itself, --root); a snapshot lists their names only, so there a listed file counts as usable.
 */
async function fileProblem(
  reader: HostReader,
  files: ReadonlySet<string> | 'absent',
  name: string,
  family: Family,
  sizes: Map<string, number | undefined>,
): Promise<{ problem: GeoipFileProblem; size?: number } | undefined> {
  if (files === 'absent') {
    return { problem: 'no-directory' };
  }
  if (!files.has(name)) {
    return { problem: 'missing' };
  }
  if (reader.kind === 'snapshot') {
    return undefined;
  }
  if (!sizes.has(name)) {
    const fact = await reader.readFile(`${GEOIP_DB_DIR}/${name}`);
    sizes.set(name, fact.status === 'ok' ? fact.content.length : undefined);
  }
  const size = sizes.get(name);
  return size !== undefined && size % recordBytes(family) !== 0 ? { problem: 'corrupt', size } : undefined;
}

/** Each database file a line stops at (the first of its countries iptables cannot use), per file and path. */
export async function readGeoipDatabases(
  uses: readonly GeoipUse[],
  results: readonly RequirementResult[],
  reader: HostReader | undefined,
): Promise<GeoipDatabases> {
  const loading = uses.filter((u) => geoipLoads(results, u.family));
  if (reader === undefined || loading.length === 0) {
    return NOT_REACHED;
  }
  const files = await databaseFiles(reader);
  if (typeof files === 'object' && 'undecided' in files) {
    return { reached: true, problems: [], undecided: files.undecided };
  }
  const sizes = new Map<string, number | undefined>();
  const found = new Map<string, { db: Omit<GeoipDatabaseProblem, 'lines'>; lines: number[] }>();
  for (const use of loading) {
    for (const country of use.countries) {
      const name = geoipDatabaseFile(country, use.family);
      const problem = await fileProblem(reader, files, name, use.family, sizes);
      if (problem === undefined) {
        continue;
      }
      const key = `${use.file}\n${name}`;
      const known = found.get(key);
      if (known === undefined) {
        const path = `${GEOIP_DB_DIR}/${name}`;
        found.set(key, {
          db: { name, path, country, family: use.family, file: use.file, ...problem },
          lines: [use.line],
        });
      } else if (known.lines.at(-1) !== use.line) {
        known.lines.push(use.line);
      }
      break;
    }
  }
  return { reached: true, problems: [...found.values()].map(({ db, lines }) => ({ ...db, lines })) };
}

function diagnosticMessage(db: GeoipDatabaseProblem): string {
  if (db.problem === 'corrupt') {
    return (
      `xt_geoip's database file for ${db.country} on this host is ${String(db.size)} bytes, not whole ` +
      `${String(recordBytes(db.family))}-byte records: iptables-restore fails with "Database file ${db.path} ` +
      'seems to be corrupted" (rebuild it with xt_geoip_dl and xt_geoip_build -s)'
    );
  }
  return (
    `xt_geoip has no database for ${db.country} on this host: iptables-restore fails with ` +
    `"Could not open ${db.path}: No such file or directory" / "Could not read geoip database" ` +
    `(${db.problem === 'no-directory' ? `${GEOIP_DB_DIR} does not exist: no database was ever built` : `${GEOIP_DB_DIR} has no ${db.name}`}; ` +
    'build it with xt_geoip_dl and xt_geoip_build -s)'
  );
}

/** One error per refused line, in iptables' words. */
export function geoipDatabaseDiagnostics(problems: readonly GeoipDatabaseProblem[]): Diagnostic[] {
  return problems.flatMap((db) =>
    db.lines.map((line): Diagnostic => ({
      at: { file: db.file, line },
      severity: 'error',
      code: db.problem === 'corrupt' ? GEOIP_DATABASE_CORRUPT : GEOIP_DATABASE_MISSING,
      message: diagnosticMessage(db),
    })),
  );
}
