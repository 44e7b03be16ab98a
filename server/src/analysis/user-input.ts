/** Shared questions rules ask about user input at a call site. */
import { callArguments, type Node } from './query';
import type { SourceFile } from './source-file';
import type { Taint } from './taint';

/**
 * The taint of a call argument when it is a user-controlled value that no dominating comparison bounds
 * (an allow-list `switch`/`if`, a range check); undefined otherwise.
 */
export function unguardedUserValue(file: SourceFile, call: Node, index: number): Taint | undefined {
  const fn = file.enclosingFunction(call);
  const argument = callArguments(call)[index];
  if (!fn || !argument) return undefined;
  const taint = file.taint(fn);
  const value = taint.taintOf(argument, call.startIndex);
  if (!value || value.kind !== 'value') return undefined;
  if (taint.isGuarded(call, value) || isInsideSwitchOn(call, value)) return undefined;
  return value;
}

/** `switch (request->Register) { case KNOWN: … }` is an allow-list for uses inside its cases. */
export function isInsideSwitchOn(node: Node, taint: Taint): boolean {
  for (let current = node.parent; current; current = current.parent) {
    if (current.type === 'switch_statement') {
      const condition = current.childForFieldName('condition')?.text ?? '';
      if (taint.keys.some((key) => condition.includes(key))) return true;
    }
    if (current.type === 'function_definition') return false;
  }
  return false;
}
