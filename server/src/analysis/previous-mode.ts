/**
 * Questions about the requestor mode (PreviousMode) of the request a function serves: where the function reads it
 * (`Irp->RequestorMode`, `ExGetPreviousMode()`, `WdfRequestGetRequestorMode(Request)`), whether a check of it
 * dominates a statement, and which expression a fix should use to pass it on.
 */
import { isDeadAt, sameConfiguration } from './conditional';
import { irpParam } from './dispatch';
import { calleeName, contains, declaratorName, type Node } from './query';
import type { FunctionInfo, SourceFile } from './source-file';

/** Calls that return the mode of the request or of the current thread's caller. */
export const MODE_QUERIES = new Set(['ExGetPreviousMode', 'KeGetPreviousMode', 'WdfRequestGetRequestorMode']);

/** Calls that check the caller's rights (an access check counts as consulting the caller). */
export const ACCESS_CHECKS = new Set([
  'SeAccessCheck', 'SeSinglePrivilegeCheck', 'SePrivilegeCheck', 'SeAccessCheckWithHint', 'SeAccessCheckFromState',
  'SeAccessCheckFromStateEx', 'SeTokenIsAdmin', 'IoCheckFunctionAccess',
]);

/** True when an expression reads the requestor mode: `Irp->RequestorMode`, `ExGetPreviousMode()`, `WdfRequestGetRequestorMode(r)`. */
export function readsRequestorMode(expression: Node | null | undefined): boolean {
  if (!expression) return false;
  return /\bRequestorMode\b|\b(ExGetPreviousMode|KeGetPreviousMode|WdfRequestGetRequestorMode)\s*\(/.test(expression.text);
}

/** Locals of `fn` that hold the requestor mode (`KPROCESSOR_MODE mode = Irp->RequestorMode;`). */
export function modeVariables(file: SourceFile, fn: FunctionInfo): Set<string> {
  const names = new Set<string>();
  if (!fn.body) return names;
  for (const node of file.withinAll(fn.body, ['init_declarator', 'assignment_expression'])) {
    const target = node.type === 'init_declarator' ? declaratorName(node.childForFieldName('declarator')) : node.childForFieldName('left')?.text;
    const value = node.type === 'init_declarator' ? node.childForFieldName('value') : node.childForFieldName('right');
    if (target && /^[A-Za-z_]\w*$/.test(target) && readsRequestorMode(value)) names.add(target);
  }
  return names;
}

function conditionReadsMode(condition: Node, variables: ReadonlySet<string>): boolean {
  if (readsRequestorMode(condition)) return true;
  if (variables.size === 0) return false;
  const words = condition.text.match(/[A-Za-z_]\w*/g) ?? [];
  return words.some((word) => variables.has(word));
}

/**
 * A condition that reads the requestor mode (directly or through a local) dominates `use`: an enclosing
 * `if`/loop, or an `if` earlier in a block that holds the use (typically `if (mode != KernelMode) return …;`).
 */
export function isModeChecked(file: SourceFile, fn: FunctionInfo, use: Node): boolean {
  if (!fn.body) return false;
  const variables = modeVariables(file, fn);
  for (const owner of file.withinAll(fn.body, ['if_statement', 'while_statement', 'for_statement', 'do_statement', 'conditional_expression', 'switch_statement'])) {
    if (owner.startIndex >= use.startIndex) break;
    const condition = owner.childForFieldName('condition');
    if (!condition || contains(condition, use)) continue;
    const dominates = contains(owner, use) || (owner.parent !== null && owner.endIndex <= use.startIndex && contains(owner.parent, use));
    // `#if A  check  #else  use  #endif`: a check in one preprocessor arm says nothing about the other; `#if 0` checks nothing.
    if (dominates && sameConfiguration(file, owner.startIndex, use.startIndex) && !isDeadAt(file, owner.startIndex) && conditionReadsMode(condition, variables)) return true;
  }
  return false;
}

/** Whether the function consults the caller anywhere: reads the requestor mode or calls an access check. */
export function consultsCaller(file: SourceFile, fn: FunctionInfo): boolean {
  if (!fn.body) return false;
  if (/\bRequestorMode\b/.test(fn.body.text)) return true;
  return file.within(fn.body, 'call_expression').some((call) => {
    const name = calleeName(call) ?? '';
    return MODE_QUERIES.has(name) || ACCESS_CHECKS.has(name);
  });
}

/**
 * The expression that gives the mode of the request `fn` serves: `Irp->RequestorMode` for a PIRP parameter,
 * `WdfRequestGetRequestorMode(Request)` for a WDFREQUEST parameter; undefined when neither is in scope.
 */
export function requestorModeExpression(fn: FunctionInfo): string | undefined {
  const irp = irpParam(fn);
  if (irp) return `${irp.name}->RequestorMode`;
  const request = fn.params.find((param) => param.type.trim() === 'WDFREQUEST');
  if (request) return `WdfRequestGetRequestorMode(${request.name})`;
  return undefined;
}

/** `consultsCaller` here or in a function of this file that calls this one (a check in the caller covers the callee). */
export function consultsCallerHereOrInCallers(file: SourceFile, fn: FunctionInfo): boolean {
  if (consultsCaller(file, fn)) return true;
  return file.functions().some((other) => other.body !== null && other.name !== fn.name
    && file.within(other.body, 'call_expression').some((call) => calleeName(call) === fn.name)
    && consultsCaller(file, other));
}

/**
 * A handler only kernel components call: the IRP_MJ_INTERNAL_DEVICE_CONTROL dispatch routine or a KMDF
 * EvtIoInternalDeviceControl callback (its requests always come from kernel mode, with kernel handles and buffers).
 */
export function isKernelOnlyEntry(file: SourceFile, fn: FunctionInfo): boolean {
  const roles = file.driver.rolesOf(fn.name).filter((role) => role.role === 'wdm-dispatch' || role.role === 'kmdf-io' || role.role === 'kmdf-in-caller-context');
  return roles.length > 0 && roles.every((role) => role.detail === 'IRP_MJ_INTERNAL_DEVICE_CONTROL' || role.detail === 'EvtIoInternalDeviceControl');
}
