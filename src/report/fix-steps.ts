// A fix as the lines a person reads: one command and why, per step. Every renderer (text, HTML, fleet) uses this.
import type { Fix } from '../checks/types.ts';

export interface FixLine {
  readonly command: string;
  readonly why: string;
}

export function fixLines(fix: Fix): readonly FixLine[] {
  return fix.steps;
}
