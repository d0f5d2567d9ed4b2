// Script of a fleet worker when nfdoctor runs from its TypeScript sources (tsx, vitest): loader hooks that the
// parent got with --import do not reach worker threads on Node 20, so the worker loads its entry through tsx.
import { tsImport } from 'tsx/esm/api';

await tsImport('./worker-entry.ts', import.meta.url);
