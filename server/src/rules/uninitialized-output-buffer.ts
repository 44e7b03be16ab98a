/**
 * Flags copying a local buffer or a non-zeroed pool allocation to the request's output without initializing all
 * of it: the untouched bytes (and struct padding) are kernel memory disclosed to user mode.
 */
import { findDeclaration } from '../analysis/declarations';
import { accessPath, callArguments, calleeName, CAST_OR_PARENTHESES, climbWrappers, declaratorName, enclosingStatement, unwrap, type Node } from '../analysis/query';
import { anyCheckReaches, inOneBuild } from '../analysis/conditional';
import { fixer, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

const COPIES = new Set(['RtlCopyMemory', 'memcpy', 'RtlMoveMemory', 'memmove', 'RtlCopyBytes']);
const ZEROING = new Set(['RtlZeroMemory', 'memset', 'RtlFillMemory', 'RtlSecureZeroMemory', 'RtlZeroBytes', 'RtlCopyMemory', 'memcpy', 'RtlMoveMemory', 'KeQuerySystemTime']);
const NON_ZEROING_ALLOCATORS = new Set(['ExAllocatePoolWithTag', 'ExAllocatePool', 'ExAllocatePoolUninitialized', 'ExAllocatePoolWithQuotaTag', 'ExAllocatePoolWithTagPriority', 'ExAllocatePoolWithQuota']);
const OUTPUT_RETRIEVERS = new Set(['WdfRequestRetrieveOutputBuffer', 'WdfRequestRetrieveUnsafeUserOutputBuffer']);

function addressTarget(node: Node | undefined): string | undefined {
  let target = unwrap(node);
  if (target?.type === 'pointer_expression' && target.child(0)?.text === '&') target = unwrap(target.childForFieldName('argument'));
  return target ? accessPath(target) : undefined;
}

/** Whether an expression is the request's output buffer (SystemBuffer, UserBuffer, a WDF output buffer). */
function isOutput(file: SourceFile, fn: FunctionInfo, expression: Node, at: number): boolean {
  const target = unwrap(expression);
  if (!target) return false;
  if (/\b(SystemBuffer|UserBuffer)\b/.test(target.text)) return true;
  if (target.type !== 'identifier' || !fn.body) return false;
  for (const call of file.within(fn.body, 'call_expression')) {
    if (call.startIndex > at) break;
    if (OUTPUT_RETRIEVERS.has(calleeName(call) ?? '') && addressTarget(callArguments(call)[2]) === target.text) return true;
  }
  const declaration = findDeclaration(file, fn, target.text);
  return Boolean(declaration?.initializer && /\b(SystemBuffer|UserBuffer)\b/.test(declaration.initializer.text));
}

/** A call before `at` that fills or zeroes `name`. */
function isFilledBefore(file: SourceFile, fn: FunctionInfo, name: string, at: number): boolean {
  if (!fn.body) return false;
  const fills = file.within(fn.body, 'call_expression').filter((call) => call.startIndex < at && ZEROING.has(calleeName(call) ?? '') && addressTarget(callArguments(call)[0]) === name);
  return anyCheckReaches(file, fills, at);
}

/** `p = Alloc(...)` with a non-zeroing allocator, the last one before `at`. */
function nonZeroingAllocation(file: SourceFile, fn: FunctionInfo, name: string, at: number): Node | undefined {
  let found: Node | undefined;
  for (const call of fn.body ? file.within(fn.body, 'call_expression') : []) {
    if (call.startIndex > at) break;
    if (!inOneBuild(file, call.startIndex, at)) continue; // an allocation in another `#if` arm is not this build's
    const allocator = calleeName(call) ?? '';
    const zeroes = allocator === 'ExAllocatePool2' ? /POOL_FLAG_UNINITIALIZED/.test(callArguments(call)[0]?.text ?? '') : false;
    if (!NON_ZEROING_ALLOCATORS.has(allocator) && !zeroes) {
      if (/^ExAllocatePool/.test(allocator)) {
        const holder = assignedName(call);
        if (holder === name) found = undefined;
      }
      continue;
    }
    if (assignedName(call) === name) found = call;
  }
  return found;
}

function assignedName(call: Node): string | undefined {
  const { parent } = climbWrappers(call, CAST_OR_PARENTHESES);
  if (parent?.type === 'assignment_expression') return unwrap(parent.childForFieldName('left'))?.text;
  if (parent?.type === 'init_declarator') return declaratorName(parent.childForFieldName('declarator'));
  return undefined;
}

export const rule: Rule = {
  meta: {
    id: 'uninitialized-output-buffer',
    title: 'Uninitialized memory returned to user mode',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    description: 'A stack buffer or structure, or a pool allocation that is not zeroed, is copied to the request\'s output buffer without being fully initialized.',
    rationale: 'Stack and pool memory hold whatever was there before: kernel pointers (defeating KASLR), tokens, other processes\' data. Copying an uninitialized buffer or a struct with padding to user mode discloses it. Initialize locals with `= { 0 }`, allocate with ExAllocatePool2 (which zeroes), or RtlZeroMemory the buffer before filling it.',
    cwe: ['CWE-908', 'CWE-200'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-dev-best-practices', 'https://learn.microsoft.com/windows-hardware/drivers/kernel/updating-deprecated-exallocatepool-calls'],
    confidence: 'medium',
    messages: {
      local: '`{{name}}` is copied to the output buffer but was never initialized as a whole: uninitialized stack bytes reach user mode. Initialize it with `= { 0 }`.',
      pool: '`{{name}}` comes from {{allocator}}, which does not zero memory, and is copied to the output buffer without RtlZeroMemory.',
    },
    fixable: true,
    hasSuggestions: true,
    examples: {
      bad: 'REPLY reply;\nreply.Version = 1;\nRtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, &reply, sizeof(reply));',
      good: 'REPLY reply = { 0 };\nreply.Version = 1;\nRtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, &reply, sizeof(reply));',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        if (!COPIES.has(calleeName(call) ?? '')) return;
        const [destination, source] = callArguments(call);
        const fn = file.enclosingFunction(call);
        if (!destination || !source || !fn || !isOutput(file, fn, destination, call.startIndex)) return;
        const name = addressTarget(source);
        if (!name || /[.>[]/.test(name)) return;
        if (isFilledBefore(file, fn, name, call.startIndex)) return;
        const declaration = findDeclaration(file, fn, name);
        if (!declaration || !declaration.isLocal || declaration.isParameter) return;
        if (!declaration.isPointer && !declaration.initializer) {
          const declarator = declaration.declarator;
          context.report({
            node: call,
            messageId: 'local',
            data: { name },
            related: [{ node: declaration.declaration, message: 'declared without an initializer' }],
            fix: { title: `Initialize ${name} with { 0 }`, edits: [fixer.insertAfter(declarator, ' = { 0 }')] },
          });
          return;
        }
        const allocation = nonZeroingAllocation(file, fn, name, call.startIndex);
        if (!allocation) return;
        const statement = enclosingStatement(allocation);
        const size = callArguments(allocation)[1]?.text ?? 'size';
        context.report({
          node: call,
          messageId: 'pool',
          data: { name, allocator: calleeName(allocation) ?? '' },
          related: [{ node: allocation, message: 'allocated without zeroing here' }],
          suggestions: [{
            title: `Zero ${name} after allocating it`,
            edits: [{ start: statement.endIndex, end: statement.endIndex, text: `${file.eol}${file.indentationOf(statement)}if (${name} != NULL) {${file.eol}${file.indentationOf(statement)}    RtlZeroMemory(${name}, ${size});${file.eol}${file.indentationOf(statement)}}` }],
          }],
        });
      },
    };
  },
};
