import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openSnapshot } from '../sources/snapshot-reader.ts';
import { buildHostModel } from '../model/host-model.ts';
import { iptablesVersionText } from './host-facts.ts';

const HOSTS = join(import.meta.dirname, '../../fixtures/hosts');

describe('iptablesVersionText', () => {
  it('quotes iptables --version where it ran', async () => {
    const model = await buildHostModel(await openSnapshot(join(HOSTS, 'healthy.after-fix.tar.gz')));
    expect(iptablesVersionText(model)).toBe('iptables v1.8.9 (nf_tables)');
  });

  it('falls back to the package database where it could not run (nf_tables refused on a modules_disabled host)', async () => {
    const model = await buildHostModel(await openSnapshot(join(HOSTS, 'modules-disabled.tar.gz')));
    expect(model.iptablesVersion).toBeUndefined();
    expect(iptablesVersionText(model)).toBe('package iptables 1.8.9-2');
  });
});
