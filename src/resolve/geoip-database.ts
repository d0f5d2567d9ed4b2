// The database files -m geoip reads on the host that loads the rules. libxt_geoip.c geoip_get_subnets() opens
// GEOIP_DB_DIR/CC.iv4 (CC.iv6 for ip6tables) for each country while it parses the rule; when one is missing it
// prints "Could not open PATH: No such file or directory" and fails with "Could not read geoip database", so
// the whole table stays unloaded, `--test` included. xtables-addons ships no database: xt_geoip_dl and
// xt_geoip_build -s make one.
import type { HostReader } from '../sources/host-reader.ts';
import type { Diagnostic } from '../parsers/types.ts';
import type { RequirementResult } from './evaluate.ts';
import type { GeoipUse } from './requirements.ts';
import { GEOIP_DB_DIR, geoipDatabaseFile } from '../validate/geoip.ts';
import type { Family } from '../knowledge/extensions.ts';

export const GEOIP_DATABASE_MISSING = 'geoip-database-missing';

/** A country database that rules of one file need and the host does not have. */
export interface MissingGeoipDatabase {
  /** The file's name in GEOIP_DB_DIR (CN.iv4). */
  readonly name: string;
  readonly path: string;
  readonly country: string;
  readonly family: Family;
  readonly file: string;
  /** The lines that stop at this file: it is the first missing one of their country list. */
  readonly lines: readonly number[];
  /** GEOIP_DB_DIR itself is absent (no database was ever built), not just this country's file. */
  readonly noDirectory: boolean;
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
  readonly missing: readonly MissingGeoipDatabase[];
  /** Why the directory could not be read (a snapshot without its listing): the database is not known. */
  readonly undecided?: string;
}

const NOT_REACHED: GeoipDatabases = { reached: false, missing: [] };

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

/** Each database file a line stops at (the first of its countries with no file), grouped per file and path. */
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
    return { reached: true, missing: [], undecided: files.undecided };
  }
  const missing = new Map<string, { db: Omit<MissingGeoipDatabase, 'lines'>; lines: number[] }>();
  for (const use of loading) {
    const country = use.countries.find(
      (c) => files === 'absent' || !files.has(geoipDatabaseFile(c, use.family)),
    );
    if (country === undefined) {
      continue;
    }
    const name = geoipDatabaseFile(country, use.family);
    const path = `${GEOIP_DB_DIR}/${name}`;
    const key = `${use.file}\n${name}`;
    const known = missing.get(key);
    if (known === undefined) {
      missing.set(key, {
        db: { name, path, country, family: use.family, file: use.file, noDirectory: files === 'absent' },
        lines: [use.line],
      });
    } else if (known.lines.at(-1) !== use.line) {
      known.lines.push(use.line);
    }
  }
  return { reached: true, missing: [...missing.values()].map(({ db, lines }) => ({ ...db, lines })) };
}

/** One error per refused line, in iptables' words. */
export function geoipDatabaseDiagnostics(missing: readonly MissingGeoipDatabase[]): Diagnostic[] {
  return missing.flatMap((db) =>
    db.lines.map((line): Diagnostic => ({
      at: { file: db.file, line },
      severity: 'error',
      code: GEOIP_DATABASE_MISSING,
      message:
        `xt_geoip has no database for ${db.country} on this host: iptables-restore fails with ` +
        `"Could not open ${db.path}: No such file or directory" / "Could not read geoip database" ` +
        `(${db.noDirectory ? `${GEOIP_DB_DIR} does not exist: no database was ever built` : `${GEOIP_DB_DIR} has no ${db.path.slice(GEOIP_DB_DIR.length + 1)}`}; ` +
        'build it with xt_geoip_dl and xt_geoip_build -s)',
    })),
  );
}
