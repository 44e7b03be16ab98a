/**
 * Pool allocations that do not zero their memory, and the request's output buffer: shared by
 * uninitialized-output-buffer (a non-zeroed allocation copied out as a whole) and uninitialized-pool-use (fields
 * of one read, called through or copied out before they are written on every path). Pure.
 */
import { anyCheckReaches, inOneBuild } from './conditional';
import { findDeclaration } from './declarations';
import { accessPath, callArguments, calleeName, CAST_OR_PARENTHESES, climbWrappers, declaratorName, unwrap, type Node } from './query';
import type { FunctionInfo, SourceFile } from './source-file';

/** Allocators that never zero what they return (their size is argument 1). */
export const NON_ZEROING_ALLOCATORS: ReadonlySet<string> = new Set([
  'ExAllocatePoolWithTag', 'ExAllocatePool', 'ExAllocatePoolUninitialized', 'ExAllocatePoolWithQuotaTag', 'ExAllocatePoolWithTagPriority', 'ExAllocatePoolWithQuota',
]);

/** Lookaside lists hand out entries as the last owner left them (no size argument). */
export const LOOKASIDE_ALLOCATORS: ReadonlySet<string> = new Set(['ExAllocateFromNPagedLookasideList', 'ExAllocateFromPagedLookasideList', 'ExAllocateFromLookasideListEx']);

/** ExAllocatePool2/3 zero unless the flags ask for POOL_FLAG_UNINITIALIZED. */
const FLAGGED_ALLOCATORS: ReadonlySet<string> = new Set(['ExAllocatePool2', 'ExAllocatePool3']);

export const COPIES: ReadonlySet<string> = new Set(['RtlCopyMemory', 'memcpy', 'RtlMoveMemory', 'memmove', 'RtlCopyBytes']);
export const ZEROING: ReadonlySet<string> = new Set(['RtlZeroMemory', 'memset', 'RtlFillMemory', 'RtlSecureZeroMemory', 'RtlZeroBytes', 'RtlCopyMemory', 'memcpy', 'RtlMoveMemory', 'KeQuerySystemTime']);
export const OUTPUT_RETRIEVERS: ReadonlySet<string> = new Set(['WdfRequestRetrieveOutputBuffer', 'WdfRequestRetrieveUnsafeUserOutputBuffer']);

/** Whether `call` allocates pool that is not zeroed (ExAllocatePoolWithTag, ExAllocatePool2 with POOL_FLAG_UNINITIALIZED, …). */
export function isNonZeroingAllocation(call: Node): boolean {
  const name = calleeName(call) ?? '';
  if (NON_ZEROING_ALLOCATORS.has(name)) return true;
  return FLAGGED_ALLOCATORS.has(name) && /\bPOOL_FLAG_UNINITIALIZED\b/.test(callArguments(call)[0]?.text ?? '');
}

/** The path an allocation is stored in: `p = Alloc(…)`, `T p = Alloc(…)`, `ctx->Buffer = (T)Alloc(…)`. */
export function allocationTarget(call: Node): string | undefined {
  const { holder, parent } = climbWrappers(call, CAST_OR_PARENTHESES);
  if (parent?.type === 'assignment_expression' && parent.childForFieldName('right')?.id === holder.id && (parent.childForFieldName('operator')?.text ?? '=') === '=') return accessPath(parent.childForFieldName('left'));
  if (parent?.type === 'init_declarator' && parent.childForFieldName('value')?.id === holder.id) return declaratorName(parent.childForFieldName('declarator'));
  return undefined;
}

/** The object an argument names (`&x` → x, `(PVOID)p` → p). */
export function addressTarget(node: Node | undefined): string | undefined {
  let target = unwrap(node);
  if (target?.type === 'pointer_expression' && target.child(0)?.text === '&') target = unwrap(target.childForFieldName('argument'));
  return target ? accessPath(target) : undefined;
}

const OUTPUT_TEXT = /\b(SystemBuffer|UserBuffer)\b/;

/** Whether an expression is the request's output buffer (SystemBuffer, UserBuffer, a WDF output buffer). */
export function isOutput(file: SourceFile, fn: FunctionInfo, expression: Node, at: number): boolean {
  const target = unwrap(expression);
  if (!target) return false;
  if (OUTPUT_TEXT.test(target.text)) return true;
  if (target.type !== 'identifier' || !fn.body) return false;
  for (const call of file.within(fn.body, 'call_expression')) {
    if (call.startIndex > at) break;
    if (OUTPUT_RETRIEVERS.has(calleeName(call) ?? '') && addressTarget(callArguments(call)[2]) === target.text) return true;
  }
  const declaration = findDeclaration(file, fn, target.text);
  if (declaration?.initializer && OUTPUT_TEXT.test(declaration.initializer.text)) return true;
  // `out = (PREPLY)Irp->AssociatedIrp.SystemBuffer;` before the use.
  for (const assignment of file.within(fn.body, 'assignment_expression')) {
    if (assignment.startIndex > at) break;
    if (unwrap(assignment.childForFieldName('left'))?.text === target.text && OUTPUT_TEXT.test(assignment.childForFieldName('right')?.text ?? '')) return true;
  }
  return false;
}

/** A call before `at` that fills or zeroes `name`. */
export function isFilledBefore(file: SourceFile, fn: FunctionInfo, name: string, at: number): boolean {
  if (!fn.body) return false;
  const fills = file.within(fn.body, 'call_expression').filter((call) => call.startIndex < at && ZEROING.has(calleeName(call) ?? '') && addressTarget(callArguments(call)[0]) === name);
  return anyCheckReaches(file, fills, at);
}

/** `p = Alloc(...)` with a non-zeroing allocator, the last one before `at` (a zeroing allocation of `p` after it clears it). */
export function nonZeroingAllocation(file: SourceFile, fn: FunctionInfo, name: string, at: number): Node | undefined {
  let found: Node | undefined;
  for (const call of fn.body ? file.within(fn.body, 'call_expression') : []) {
    if (call.startIndex > at) break;
    if (!inOneBuild(file, call.startIndex, at)) continue; // an allocation in another `#if` arm is not this build's
    if (!isNonZeroingAllocation(call)) {
      if (/^ExAllocatePool/.test(calleeName(call) ?? '') && allocationTarget(call) === name) found = undefined;
      continue;
    }
    if (allocationTarget(call) === name) found = call;
  }
  return found;
}

/**
 * Whether uninitialized-output-buffer reports this copy as a non-zeroed pool allocation copied out: the source is a
 * local pointer last allocated without zeroing and never filled before the copy.
 */
export function isWholePoolCopyOut(file: SourceFile, fn: FunctionInfo, call: Node): Node | undefined {
  if (!COPIES.has(calleeName(call) ?? '')) return undefined;
  const [destination, source] = callArguments(call);
  if (!destination || !source || !isOutput(file, fn, destination, call.startIndex)) return undefined;
  const name = addressTarget(source);
  if (!name || /[.>[]/.test(name)) return undefined;
  if (isFilledBefore(file, fn, name, call.startIndex)) return undefined;
  const declaration = findDeclaration(file, fn, name);
  if (!declaration || !declaration.isLocal || declaration.isParameter || !declaration.isPointer && !declaration.initializer) return undefined;
  return nonZeroingAllocation(file, fn, name, call.startIndex);
}
