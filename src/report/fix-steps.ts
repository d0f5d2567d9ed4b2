// A fix as the lines a person reads: one command and why, per step. Every renderer (text, HTML, fleet) uses this.
import type { Fix } from '../checks/types.ts';
import { renderSteps } from '../fixes/render-command.ts';

export interface FixLine {
  readonly command: string;
  readonly why: string;
}

export function fixLines(fix: Fix): readonly FixLine[] {
  return renderSteps(fix.actions);
}
