/** Function-level SAL annotations read from the original text (the parse sees them blanked by the neutralizer). */
import type { SourceFile } from './source-file';

/**
 * The functions this file declares or defines with an annotation matching `annotation` (a regex source such as
 * `_Kernel_float_used_`) in front of the name, each with the declaration head between the annotation and the name
 * (its return type and the other annotations blanked), e.g. ` NTSTATUS ` for `_Must_inspect_result_ NTSTATUS Foo(`.
 */
export function annotatedFunctions(file: SourceFile, annotation: string): ReadonlyMap<string, string> {
  let byAnnotation = annotatedCache.get(file);
  if (!byAnnotation) annotatedCache.set(file, (byAnnotation = new Map()));
  let found = byAnnotation.get(annotation);
  if (!found) {
    found = findAnnotated(file, annotation);
    byAnnotation.set(annotation, found);
  }
  return found;
}

/** Rules ask for the same annotations for every function they look at: one scan of the text per file and annotation. */
const annotatedCache = new WeakMap<SourceFile, Map<string, ReadonlyMap<string, string>>>();

function findAnnotated(file: SourceFile, annotation: string): Map<string, string> {
  const found = new Map<string, string>();
  const pattern = new RegExp(`\\b(?:${annotation})(?![A-Za-z0-9])`, 'g');
  for (const match of file.text.matchAll(pattern)) {
    // The head up to the parameter list, without the other SAL annotations (`_IRQL_requires_(…)`).
    const start = match.index! + match[0].length;
    const head = file.text.slice(start, start + 400).replace(/\b_[A-Za-z]\w*_(\s*\([^()]*\))?/g, ' ');
    const declaration = /^([^;{}()]*?)\b([A-Za-z_]\w*)\s*\(/.exec(head);
    if (declaration && !found.has(declaration[2])) found.set(declaration[2], declaration[1]);
  }
  return found;
}
