// The JSON reports are a contract: validate real outputs against the published schemas.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { checkRules } from '../resolve/check-rules.ts';
import { hostKernelLayout } from '../resolve/kernel-view.ts';
import { checkResultToJson } from './check-json.ts';
import { diagnosisToJson } from './diagnose-json.ts';
import { memoryReader } from '../testing/memory-reader.ts';
import { kernelFiles } from '../testing/kernel-fixture.ts';
import { labHost, labAvailable } from '../testing/lab-host.ts';
import { buildHostModel } from '../model/host-model.ts';
import { runChecks } from '../checks/engine.ts';
import { CHECKS } from '../checks/index.ts';

const SCHEMA_DIR = join(import.meta.dirname, '../../schema');
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validateCheck = ajv.compile(
  JSON.parse(readFileSync(join(SCHEMA_DIR, 'check.schema.json'), 'utf8')) as object,
);
const validateDiagnose = ajv.compile(
  JSON.parse(readFileSync(join(SCHEMA_DIR, 'diagnose.schema.json'), 'utf8')) as object,
);
const RELEASE = '6.1.0-56-cloud-amd64';

describe('published JSON schemas', () => {
  it('describe a check report with blocked, missing and loadable modules and sets', async () => {
    const reader = memoryReader({
      files: { ...kernelFiles(RELEASE), '/etc/modprobe.d/x.conf': 'install xt_recent /bin/false\n' },
    });
    const result = await checkRules({
      rules: [
        {
          path: 'rules.v4',
          text: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m recent --set -m set --match-set s src -j LOG\nCOMMIT\n',
        },
      ],
      ipsets: [{ path: 'ipsets', text: 'create other hash:ip\n' }],
      kernelReader: reader,
      layout: hostKernelLayout(RELEASE, 'snapshot', 'test'),
      backend: { value: 'nft', why: 'test' },
    });
    const json = checkResultToJson(result, '0.0.0');
    expect(validateCheck(json), JSON.stringify(validateCheck.errors)).toBe(true);
  });

  it.skipIf(!labAvailable)('describe diagnose reports of every lab scenario', async () => {
    for (const scenario of [
      'healthy',
      'missing-xt-recent',
      'modules-load-fails-requires',
      'ipset-missing-set',
      'linode-modules-load',
    ]) {
      const model = await buildHostModel(labHost(scenario));
      const json = diagnosisToJson(model, runChecks(CHECKS, model), '0.0.0');
      expect(validateDiagnose(json), `${scenario}: ${JSON.stringify(validateDiagnose.errors)}`).toBe(true);
    }
  });
});
