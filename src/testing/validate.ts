// Runs the validation stage over a whole rules text, as check does, with Debian bookworm's /etc/services.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIptablesSaveFamily, type IpFamily } from '../parsers/iptables-save.ts';
import { parseServices } from '../parsers/services.ts';
import { RuleValidator } from '../validate/rule-validator.ts';

const SAMPLES = join(import.meta.dirname, '../parsers/__samples__');
const SERVICES = parseServices(
  readFileSync(join(SAMPLES, 'services/debian-bookworm-netbase-6.4'), 'utf8'),
).value;

export function validate(text: string, family: IpFamily, file = 'rules') {
  const parsed = parseIptablesSaveFamily(text, file, family);
  const validator = new RuleValidator({ family, file, services: SERVICES });
  for (const table of parsed.value.tables) {
    for (const rule of table.rules) {
      validator.rule(rule);
    }
    validator.closeTable(table);
  }
  return { parser: parsed.diagnostics, rejected: validator.finish() };
}
