import { describe, it, expect } from 'vitest';
import { geoipDatabaseCountry, geoipDatabaseFile, readGeoip } from './geoip.ts';
import type { OptionUse } from '../parsers/iptables-save.ts';

const opt = (name: string, value: string): OptionUse => ({ name, values: [value], negated: false });

// Each case as libxt_geoip.c (xtables-addons 3.23) parses it: parse_geoip_cc(), check_geoip_cc(),
// geoip_parse(), geoip_final_check().
describe('readGeoip', () => {
  it('upper-cases the countries, keeps their order and loads each once', () => {
    expect(readGeoip([opt('--src-cc', 'ru,CN,Ru,a1')])).toEqual({ ok: true, countries: ['RU', 'CN', 'A1'] });
    expect(readGeoip([opt('--destination-country', 'US')])).toEqual({ ok: true, countries: ['US'] });
  });

  it('refuses a code that is not two letters or digits, as check_geoip_cc() prints it', () => {
    expect(readGeoip([opt('--src-cc', 'CHN')])).toEqual({
      ok: false,
      error: "geoip: invalid country code 'CHN'",
    });
    // The first character is already upper-cased when the second one fails.
    expect(readGeoip([opt('--src-cc', 'c!')])).toEqual({
      ok: false,
      error: "geoip: invalid country code 'C!'",
    });
    expect(readGeoip([opt('--src-cc', 'CN,')])).toEqual({
      ok: false,
      error: "geoip: invalid country code ''",
    });
    expect(readGeoip([opt('--src-cc', 'CN,,RU')])).toEqual({
      ok: false,
      error: "geoip: invalid country code ''",
    });
  });

  it('takes at most 15 countries (XT_GEOIP_MAX), duplicates counted', () => {
    const fifteen = Array.from({ length: 15 }, () => 'CN').join(',');
    expect(readGeoip([opt('--src-cc', fifteen)])).toEqual({ ok: true, countries: ['CN'] });
    expect(readGeoip([opt('--src-cc', `${fifteen},RU`)])).toEqual({
      ok: false,
      error: 'geoip: too many countries specified',
    });
  });

  it('wants exactly one --src-cc or --dst-cc', () => {
    const once = 'geoip: Only exactly one of --source-country or --destination-country must be specified!';
    expect(readGeoip([opt('--src-cc', 'CN'), opt('--dst-cc', 'RU')])).toEqual({ ok: false, error: once });
    expect(readGeoip([opt('--src-cc', 'CN'), opt('--source-country', 'RU')])).toEqual({
      ok: false,
      error: once,
    });
    expect(readGeoip([])).toEqual({ ok: false, error: 'geoip: missing arguments' });
  });

  it('agrees with the real library: lab scenario geoip-no-database (iptables-restore 1.8.9 --test, libxt_geoip and xt_geoip 3.23)', () => {
    // What the VM printed for `-A INPUT -m geoip OPTIONS -j DROP`, each alone (RU.iv4 was the only database
    // file, so the accepted lists read only it).
    const real: [string, string | undefined][] = [
      ['--src-cc CHN', "geoip: invalid country code 'CHN'"],
      ['--src-cc c!', "geoip: invalid country code 'C!'"],
      ['--src-cc RU,', "geoip: invalid country code ''"],
      ['--src-cc RU,,RU', "geoip: invalid country code ''"],
      [
        '--src-cc RU --dst-cc RU',
        'geoip: Only exactly one of --source-country or --destination-country must be specified!',
      ],
      [
        '--src-cc RU --src-cc RU',
        'geoip: Only exactly one of --source-country or --destination-country must be specified!',
      ],
      ['', 'geoip: missing arguments'],
      [`--src-cc ${Array.from({ length: 16 }, () => 'RU').join(',')}`, 'geoip: too many countries specified'],
      [`--src-cc ${Array.from({ length: 15 }, () => 'RU').join(',')}`, undefined],
      ['--src-cc ru', undefined],
      ['--source-country RU', undefined],
      ['--destination-country ru', undefined],
    ];
    for (const [written, message] of real) {
      const words = written === '' ? [] : written.split(' ');
      const options = Array.from({ length: words.length / 2 }, (_, i) =>
        opt(words[2 * i]!, words[2 * i + 1]!),
      );
      const reading = readGeoip(options);
      expect(reading.ok ? undefined : reading.error, written).toBe(message);
    }
  });

  it('names the database file per family (geoip_get_subnets)', () => {
    expect(geoipDatabaseFile('CN', 'ipv4')).toBe('CN.iv4');
    expect(geoipDatabaseFile('CN', 'ipv6')).toBe('CN.iv6');
    expect(geoipDatabaseCountry('/usr/share/xt_geoip/CN.iv6')).toBe('CN');
  });
});
