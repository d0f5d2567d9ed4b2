// modules.order: one "kernel/...ko" path per line in link order, shipped by the kernel build (modules.order(5)).
// depmod uses it to rank modules: the earlier module wins alias ties (kmod tools/depmod.c depmod_modules_sort).

import type { Parsed } from './types.ts';
import type { BuiltinModule } from './modules-builtin.ts';
import { parsePathList } from './modules-builtin.ts';

export function parseModulesOrder(text: string, file: string): Parsed<BuiltinModule[]> {
  return parsePathList(text, file, 'order');
}
