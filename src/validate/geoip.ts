// -m geoip (xtables-addons 3.x, extensions/libxt_geoip.c; Debian's xtables-addons-common 3.23-1): the library
// parses the country list itself and, for each country, reads its database file while it parses the rule,
// before the kernel sees anything. So a list it refuses, or a country whose file is missing, fails the
// line under `iptables-restore --test` too, once the match loads at all (library and module present).
import type { OptionUse } from '../parsers/iptables-save.ts';
import type { Family } from '../knowledge/extensions.ts';

/** libxt_geoip.c GEOIP_DB_DIR: where xt_geoip_build -s writes CC.iv4 / CC.iv6. */
export const GEOIP_DB_DIR = '/usr/share/xt_geoip';

/** xt_geoip.h XT_GEOIP_MAX: countries one option may name. */
const GEOIP_MAX = 15;

const COUNTRY_OPTIONS: ReadonlySet<string> = new Set([
  '--src-cc',
  '--source-country',
  '--dst-cc',
  '--destination-country',
]);

export type GeoipReading =
  | { readonly ok: true; readonly countries: readonly string[] }
  | { readonly ok: false; readonly error: string };

/**
 * check_geoip_cc(): two characters, each isalnum() in the C locale, upper-cased in place as it goes (so the
 * message shows a first character already upper-cased when the second one fails).
 */
function countryCodeError(code: string): string | undefined {
  const alnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c);
  const first = code[0] ?? '';
  const second = code[1] ?? '';
  if (code.length !== 2 || !alnum(first)) {
    return `geoip: invalid country code '${code}'`;
  }
  return alnum(second) ? undefined : `geoip: invalid country code '${first.toUpperCase()}${second}'`;
}

/**
 * The countries of one -m geoip, in the order libxt_geoip.c loads their files (each once), or the first
 * error it would stop at: parse_geoip_cc() splits at every comma (an empty item is an invalid code), takes
 * at most XT_GEOIP_MAX items, skips a country named twice; geoip_parse() takes one --src-cc or --dst-cc,
 * never a second; geoip_final_check() wants one.
 */
export function readGeoip(options: readonly OptionUse[]): GeoipReading {
  const countries: string[] = [];
  let given = false;
  for (const option of options) {
    if (!COUNTRY_OPTIONS.has(option.name)) {
      continue;
    }
    if (given) {
      return {
        ok: false,
        error: 'geoip: Only exactly one of --source-country or --destination-country must be specified!',
      };
    }
    given = true;
    const items = (option.values[0] ?? '').split(',');
    for (const item of items.slice(0, GEOIP_MAX)) {
      const error = countryCodeError(item);
      if (error !== undefined) {
        return { ok: false, error };
      }
      const code = item.toUpperCase();
      if (!countries.includes(code)) {
        countries.push(code);
      }
    }
    if (items.length > GEOIP_MAX) {
      return { ok: false, error: 'geoip: too many countries specified' };
    }
  }
  return given ? { ok: true, countries } : { ok: false, error: 'geoip: missing arguments' };
}

/** The file in GEOIP_DB_DIR that libxt_geoip.c geoip_get_subnets() opens for `country` (upper case) in `family`. */
export function geoipDatabaseFile(country: string, family: Family): string {
  return `${country}.${family === 'ipv6' ? 'iv6' : 'iv4'}`;
}

/** The country of a database file's path (/usr/share/xt_geoip/CN.iv4 -> CN): geoipDatabaseFile read back. */
export function geoipDatabaseCountry(path: string): string {
  return path.replace(/^.*\//, '').replace(/\.iv[46]$/, '');
}
