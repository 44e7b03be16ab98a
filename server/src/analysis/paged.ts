/** Which functions of a file are pageable, and why: rules that must not let pageable code run at DISPATCH_LEVEL ask it. */
import { calleeName } from './query';
import type { SourceFile } from './source-file';

const cache = new WeakMap<SourceFile, Map<string, string>>();

/** Functions of this file that are pageable — they call PAGED_CODE() or are placed in a PAGE section — with the reason. */
export function pagedFunctions(file: SourceFile): Map<string, string> {
  let paged = cache.get(file);
  if (paged) return paged;
  paged = new Map<string, string>();
  for (const match of file.text.matchAll(/alloc_text\s*\(\s*PAGE\w*\s*,([^)]*)\)/g)) {
    for (const name of match[1].split(',')) if (name.trim()) paged.set(name.trim(), 'is placed in the PAGE section (alloc_text)');
  }
  for (const call of file.nodes('call_expression')) {
    const name = calleeName(call);
    if (name !== 'PAGED_CODE' && name !== 'PAGED_CODE_LOCKED') continue;
    const fn = file.enclosingFunction(call);
    if (fn && !paged.has(fn.name)) paged.set(fn.name, 'starts with PAGED_CODE()');
  }
  cache.set(file, paged);
  return paged;
}
