/**
 * Raw user-mode pointers (METHOD_NEITHER Type3InputBuffer, Irp->UserBuffer, WDF unsafe user buffers): where the
 * driver reads or writes through them, whether a probe of the pointer comes first, and whether an access sits
 * inside a `__try` that has an `__except`. Shared by user-pointer-unprobed, probe-outside-try and probe-length-mismatch.
 */
import { reachesUse } from './conditional';
import { accessPath, ancestorOfType, callArguments, calleeName, contains, declaratorName, nodeAtPlace, placeIn, unwrap, type Node, type NodePlace } from './query';
import type { FunctionInfo, SourceFile } from './source-file';
import { callsOf } from './callers';
import { functionGuards, mentions, type Taint } from './taint';
import { escapeRegExp, lookupTable } from './lookup';
import { skipToSehHandler } from './neutralize';

/** Calls that probe a user address (pointer argument first) and may raise an exception. */
export const PROBE_CALLS = new Set(['ProbeForRead', 'ProbeForWrite', 'ProbeForReadSmallStructure', 'ProbeAndReadUlong', 'ProbeForWriteUlong']);

/** Calls that validate a user address another way (probe and lock into an MDL or a WDF memory object). */
const PROBE_AND_LOCK: Record<string, number> = lookupTable({
  WdfRequestProbeAndLockUserBufferForRead: 1,
  WdfRequestProbeAndLockUserBufferForWrite: 1,
  IoAllocateMdl: 0,
});

/**
 * String routines that read or write through a pointer argument: [destination or -1, source or -1]. A pointer read
 * from user memory handed to one of them is dereferenced as surely as by memcpy (up to the terminator).
 */
export const STRING_CALLS: Record<string, [number, number]> = lookupTable({
  strcpy: [0, 1],
  wcscpy: [0, 1],
  strncpy: [0, 1],
  wcsncpy: [0, 1],
  strcat: [0, 1],
  wcscat: [0, 1],
  strlen: [-1, 0],
  wcslen: [-1, 0],
  RtlStringCbCopyA: [0, 2],
  RtlStringCbCopyW: [0, 2],
  RtlStringCchCopyA: [0, 2],
  RtlStringCchCopyW: [0, 2],
  RtlStringCbCopyNA: [0, 2],
  RtlStringCbCopyNW: [0, 2],
  RtlStringCchCopyNA: [0, 2],
  RtlStringCchCopyNW: [0, 2],
  RtlStringCbCatA: [0, 2],
  RtlStringCbCatW: [0, 2],
  RtlStringCchCatA: [0, 2],
  RtlStringCchCatW: [0, 2],
  RtlInitUnicodeString: [-1, 1],
  RtlInitAnsiString: [-1, 1],
  RtlInitString: [-1, 1],
  RtlCopyUnicodeString: [0, 1],
  RtlAppendUnicodeStringToString: [0, 1],
  RtlCompareUnicodeString: [-1, 0],
  RtlEqualUnicodeString: [-1, 0],
});

/**
 * Routines taking counted strings (PUNICODE_STRING, PSTRING) that read or write through their Buffer: argument
 * index → whether it is written. `RtlCopyUnicodeString(&k, &in->Name)` reads the characters at `in->Name.Buffer`
 * (and writes them into k's own buffer: k.Buffer stays the driver's).
 */
export const COUNTED_STRING_CALLS: Record<string, [number, boolean][]> = lookupTable({
  RtlCopyUnicodeString: [[0, true], [1, false]],
  RtlCopyString: [[0, true], [1, false]],
  RtlAppendUnicodeStringToString: [[0, true], [1, false]],
  RtlCompareUnicodeString: [[0, false], [1, false]],
  RtlEqualUnicodeString: [[0, false], [1, false]],
  RtlPrefixUnicodeString: [[0, false], [1, false]],
  RtlCompareString: [[0, false], [1, false]],
  RtlEqualString: [[0, false], [1, false]],
  RtlUpcaseUnicodeString: [[1, false]],
  RtlDowncaseUnicodeString: [[1, false]],
  RtlUnicodeStringToAnsiString: [[1, false]],
  RtlAnsiStringToUnicodeString: [[1, false]],
  RtlDuplicateUnicodeString: [[1, false]],
  RtlHashUnicodeString: [[0, false]],
});

/**
 * `&s` handed to a counted-string routine where `s` (`in->Name`, a local copied out of the request) is a string
 * structure read from user memory: its Buffer is a pointer the caller chose. Undefined when the driver set
 * `s.Buffer` itself before the call (textually, in the same function) or `s` is not user data.
 */
export function countedStringBuffer(file: SourceFile, fn: FunctionInfo, argument: Node | undefined, at: number): { string: Node; taint: Taint } | undefined {
  const target = unwrap(argument);
  if (target?.type !== 'pointer_expression' || (target.childForFieldName('operator')?.text ?? target.child(0)?.text) !== '&') return undefined;
  const string = unwrap(target.childForFieldName('argument'));
  if (!string || (string.type !== 'identifier' && string.type !== 'field_expression')) return undefined;
  const taint = file.taint(fn);
  if (string.type === 'identifier' && !taint.holdsUserMemoryValue()) return undefined;
  const value = taint.taintOf(string, at);
  if (value?.kind !== 'value' || !value.fromUserMemory || value.userPointer || value.embeddedArray) return undefined;
  const path = accessPath(string) ?? string.text;
  const escaped = escapeRegExp(path).replace(/\\\.|->/g, (op) => `\\s*${op}\\s*`);
  if (fn.body && new RegExp(`${escaped}\\s*\\.\\s*Buffer\\s*=[^=]`).test(file.text.slice(fn.body.startIndex, at))) return undefined;
  return { string, taint: { ...value, origin: `${path}.Buffer`, keys: [`${path}.Buffer`], userPointer: true } };
}

/** Copy routines as (destination, source, length) argument positions. */
export const COPY_CALLS: Record<string, [number, number, number]> = lookupTable({
  memcpy: [0, 1, 2],
  memmove: [0, 1, 2],
  RtlCopyMemory: [0, 1, 2],
  RtlMoveMemory: [0, 1, 2],
  RtlCopyBytes: [0, 1, 2],
  CopyMemory: [0, 1, 2],
});

export interface UserPointerAccess {
  /** The node that reads or writes user memory (`*p`, `p->x`, `p[i]`, the copy call). */
  use: Node;
  /** The pointer expression accessed (`p`, `Irp->UserBuffer`). */
  pointer: Node;
  taint: Taint;
  write: boolean;
  /** For copies: the length argument. */
  length?: Node;
}

/** True for the left side of an assignment (plain or compound) or the operand of ++/--. */
export function isWritten(node: Node): boolean {
  let current = node;
  while (current.parent?.type === 'parenthesized_expression') current = current.parent;
  const parent = current.parent;
  if (!parent) return false;
  if (parent.type === 'assignment_expression') return parent.childForFieldName('left')?.id === current.id;
  return parent.type === 'update_expression';
}

/** `sizeof(*p)`, `&p->x` and `__alignof` compute, they do not touch memory. */
function isNotEvaluated(node: Node): boolean {
  let current: Node | null = node.parent;
  let child = node;
  while (current && current.type !== 'expression_statement' && current.type !== 'compound_statement') {
    if (current.type === 'sizeof_expression' || current.type === 'alignof_expression') return true;
    if (current.type === 'pointer_expression' && current.child(0)?.text === '&' && unwrap(current.childForFieldName('argument'))?.id === child.id) return true;
    if (current.type === 'call_expression' && /^(sizeof|__alignof|_alignof|TYPE_ALIGNMENT|FIELD_OFFSET|RTL_FIELD_SIZE)$/.test(calleeName(current) ?? '')) return true;
    if (current.type !== 'parenthesized_expression' && current.type !== 'cast_expression') child = current;
    current = current.parent;
  }
  return false;
}

/**
 * When `node` reads or writes memory through a raw user pointer (taint kind `pointer`), the access; otherwise
 * undefined. Handles `*p`, `p->x`, `p[i]` and memcpy/RtlCopyMemory with p as source or destination.
 */
const pointerGate = new WeakMap<FunctionInfo, boolean>();

/** Cheap pre-check: the function names a raw user address source, or a caller passes one in. */
export function mayHaveUserPointers(file: SourceFile, fn: FunctionInfo): boolean {
  let result = pointerGate.get(fn);
  if (result === undefined) {
    result = fn.body !== null && (/Type3InputBuffer|UserBuffer|RetrieveUnsafeUser/.test(file.textOf(fn.body))
      || fn.params.some((param) => file.taint(fn).taintAt(param.name, fn.node.startIndex)?.kind === 'pointer'));
    pointerGate.set(fn, result);
  }
  return result;
}

/** A raw user address, or (with `embedded`) a pointer value read from user memory whose type says it is one. */
function isUserAddress(taint: Taint | undefined, embedded: boolean): taint is Taint {
  if (taint?.kind === 'pointer') return true;
  return embedded && taint?.kind === 'value' && taint.fromUserMemory === true && taint.userPointer === true && !taint.embeddedArray;
}

/**
 * With `embedded`, accesses through pointers read out of user memory count too (`*in->Target`, a local holding
 * one): for the rules that judge what happens after a probe (probe-outside-try); whether they are probed at all is
 * embedded-user-pointer's question.
 */
export function userPointerAccess(file: SourceFile, node: Node, options: { embedded?: boolean } = {}): UserPointerAccess | undefined {
  const owner = file.enclosingFunction(node);
  const embedded = options.embedded === true;
  // With `embedded`: a local holding a value read from user memory, or a buffer whose fields may be pointers (`*in->Target`).
  if (!owner || !(mayHaveUserPointers(file, owner) || (embedded && (file.taint(owner).holdsUserMemoryValue() || file.taint(owner).holdsKind('buffer'))))) return undefined;
  let pointer: Node | null = null;
  if (node.type === 'pointer_expression') {
    if ((node.childForFieldName('operator')?.text ?? node.child(0)?.text) !== '*') return undefined;
    pointer = node.childForFieldName('argument');
  } else if (node.type === 'field_expression') {
    if (node.childForFieldName('operator')?.text !== '->') return undefined;
    pointer = node.childForFieldName('argument');
  } else if (node.type === 'subscript_expression') {
    pointer = node.childForFieldName('argument');
  } else if (node.type === 'call_expression') {
    const positions = COPY_CALLS[calleeName(node) ?? ''];
    if (!positions) return undefined;
    const args = callArguments(node);
    const fn = file.enclosingFunction(node);
    if (!fn) return undefined;
    const taint = file.taint(fn);
    for (const [index, isDestination] of [[positions[0], true], [positions[1], false]] as const) {
      const arg = args[index];
      const value = arg ? taint.taintOf(arg, node.startIndex) : undefined;
      if (arg && isUserAddress(value, embedded)) return { use: node, pointer: unwrap(arg) ?? arg, taint: value, write: isDestination, length: args[positions[2]] };
    }
    return undefined;
  } else {
    return undefined;
  }
  const target = unwrap(pointer);
  // Pointer arithmetic (`p + 4`) is a different expression; the base must be a name or a field that holds the address.
  if (!target || (target.type !== 'identifier' && target.type !== 'field_expression')) return undefined;
  const fn = file.enclosingFunction(node);
  if (!fn) return undefined;
  // The taint lookup is cheap; walking up the tree is not, so it comes last.
  const taint = file.taint(fn).taintOf(target, node.startIndex);
  if (!isUserAddress(taint, embedded) || isNotEvaluated(node)) return undefined;
  return { use: node, pointer: target, taint, write: isWritten(node) };
}

/** Names a probe may use for the pointer: its taint keys and its own text. */
export function pointerNames(access: UserPointerAccess): string[] {
  return [...new Set([...access.taint.keys, access.pointer.text, accessPath(access.pointer) ?? access.pointer.text])];
}

/** Probe calls (ProbeForRead/Write, WdfRequestProbeAndLock…, IoAllocateMdl) in a function, in document order. */
const probeCache = new WeakMap<FunctionInfo, Node[]>();

export function probeCallsIn(file: SourceFile, fn: FunctionInfo): Node[] {
  let probes = probeCache.get(fn);
  if (!probes) {
    probes = fn.body ? file.within(fn.body, 'call_expression').filter((call) => {
      const name = calleeName(call) ?? '';
      return PROBE_CALLS.has(name) || PROBE_AND_LOCK[name] !== undefined;
    }) : [];
    probeCache.set(fn, probes);
  }
  return probes;
}

/** The probed pointer argument of a probe call. */
export function probedArgument(call: Node): Node | undefined {
  const name = calleeName(call) ?? '';
  const index = PROBE_CALLS.has(name) ? 0 : PROBE_AND_LOCK[name];
  return index === undefined ? undefined : callArguments(call)[index];
}

/**
 * The first probe of one of the names textually before `use` in the function (any block: a probe under
 * `if (Irp->RequestorMode != KernelMode)` counts), or in a caller before the call when the pointer came from it.
 */
export function earlierProbe(file: SourceFile, fn: FunctionInfo, use: Node, names: readonly string[]): Node | undefined {
  const wanted = new Set(names);
  const probes = probeCallsIn(file, fn).filter((probe) => {
    if (probe.startIndex >= use.startIndex) return false;
    const pointer = probedArgument(probe);
    return pointer !== undefined && mentions(pointer, wanted);
  });
  // A probe in one `#if` arm covers that arm only (after the `#endif`: when every arm probes).
  const local = probes.find((probe) => reachesUse(file, probe.startIndex, use.startIndex, (arm) => probes.some((other) => arm.start <= other.startIndex && other.startIndex < arm.end)));
  return local;
}

/** The pointer came into this function from a caller in the file that probes before calling. */
const probedByCallerCache = new WeakMap<FunctionInfo, boolean>();

export function probedByCaller(file: SourceFile, fn: FunctionInfo, taint: Taint): boolean {
  if (contains(fn.node, taint.source)) return false;
  let result = probedByCallerCache.get(fn);
  if (result === undefined) {
    result = callsOf(file, fn).some((call) => {
      const caller = file.enclosingFunction(call);
      if (!caller || caller.node.id === fn.node.id) return false;
      return probeCallsIn(file, caller).some((probe) => probe.startIndex < call.startIndex);
    });
    probedByCallerCache.set(fn, result);
  }
  return result;
}

/**
 * The `__try` statement with an `__except` handler whose body holds the node (nearest first), if any. With the
 * file's text, also the WDK macro spelling `try { … } except (…) { … }`, which tree-sitter cannot parse as SEH:
 * a block preceded by `try` and followed by `except`.
 */
export function enclosingTryExcept(node: Node, text?: string): Node | undefined {
  for (let current = node.parent, child: Node = node; current; child = current, current = current.parent) {
    if (current.type === 'function_definition' && current.parent?.type === 'translation_unit') return undefined;
    if (current.type === 'seh_try_statement' && current.childForFieldName('body')?.id === child.id
      && current.namedChildren.some((part) => part?.type === 'seh_except_clause')) {
      return current;
    }
    if (text !== undefined && current.type === 'compound_statement' && current.parent?.type !== 'function_definition'
      && /\b(__)?try\s*$/.test(text.slice(Math.max(0, current.startIndex - 120), current.startIndex))
      && handlerIsExcept(text, current.endIndex)) {
      return current;
    }
  }
  return undefined;
}

/** Whether the text after a block (past white space, comments and `#pragma` lines) is an `except (` handler. */
function handlerIsExcept(text: string, blockEnd: number): boolean {
  const at = skipToSehHandler(text, blockEnd);
  return /^(__)?except\s*\(/.test(text.slice(at, at + 24));
}

export function isInsideTryExcept(node: Node, text?: string): boolean {
  return enclosingTryExcept(node, text) !== undefined;
}

/** Every call of `fn` in the file sits inside a `__try`/`__except` of its caller (and there is at least one). */
export function allCallsGuardedByTry(file: SourceFile, fn: FunctionInfo): { calls: number; guarded: number } {
  let calls = 0;
  let guarded = 0;
  for (const call of callsOf(file, fn)) {
    calls++;
    if (isInsideTryExcept(call, file.text)) guarded++;
  }
  return { calls, guarded };
}

/** The expression statement holding a node, when the node sits directly in a block (not a declaration, not a condition). */
export function wrappableStatement(node: Node): Node | undefined {
  const statement = ancestorOfType(node, ['expression_statement', 'declaration', 'return_statement', 'if_statement', 'for_statement', 'while_statement', 'do_statement', 'switch_statement']);
  if (statement?.type !== 'expression_statement') return undefined;
  const parent = statement.parent;
  if (parent?.type !== 'compound_statement' && parent?.type !== 'case_statement') return undefined;
  return statement;
}

/**
 * Text that wraps the statements from `first` to `last` (siblings, same block) in `__try { … } __except (…) { handler }`,
 * re-indented one level. `indent` is the statements' indentation.
 */
export function wrapInTry(file: SourceFile, first: Node, last: Node, indent: string, handler: string, prefix = ''): { start: number; end: number; text: string } {
  const eol = file.eol;
  const body = file.text.slice(first.startIndex, last.endIndex).split(/\r?\n/).map((line, index) => (index === 0 ? line : line.length > 0 ? `    ${line}` : line)).join(eol);
  const inner = `${indent}    `;
  const text = `__try {${eol}${prefix ? `${inner}${prefix}${eol}` : ''}${inner}${body}${eol}${indent}} __except (EXCEPTION_EXECUTE_HANDLER) {${eol}${inner}${handler}${eol}${indent}}`;
  return { start: first.startIndex, end: last.endIndex, text };
}

const MODE = String.raw`(?:\w+\s*->\s*)?RequestorMode|ExGetPreviousMode\s*\(\s*\)`;
const KERNEL_ONLY_THEN = new RegExp(String.raw`(${MODE})\s*==\s*KernelMode|KernelMode\s*==\s*(${MODE})|(${MODE})\s*!=\s*UserMode|UserMode\s*!=\s*(${MODE})`);
const KERNEL_ONLY_ELSE = new RegExp(String.raw`(${MODE})\s*!=\s*KernelMode|KernelMode\s*!=\s*(${MODE})|(${MODE})\s*==\s*UserMode|UserMode\s*==\s*(${MODE})`);

/** The node runs only for kernel-mode callers: `if (Irp->RequestorMode == KernelMode) { … }` or the `else` of `!= KernelMode`. */
export function onlyForKernelCallers(node: Node): boolean {
  for (let current = node.parent, child: Node = node; current; child = current, current = current.parent) {
    if (current.type === 'function_definition') return false;
    if (current.type !== 'if_statement') continue;
    const condition = current.childForFieldName('condition')?.text ?? '';
    if (/&&|\|\|/.test(condition)) continue;
    const consequence = current.childForFieldName('consequence');
    const alternative = current.childForFieldName('alternative');
    if (KERNEL_ONLY_THEN.test(condition) && consequence && contains(consequence, child)) return true;
    if (KERNEL_ONLY_ELSE.test(condition) && alternative && contains(alternative, child)) return true;
  }
  return false;
}

/**
 * The code handles requests only kernel-mode components send: an IRP_MJ_INTERNAL_DEVICE_CONTROL dispatch routine or
 * EvtIoInternalDeviceControl callback, or a `case IOCTL_INTERNAL_…:`. There Type3InputBuffer is a kernel pointer
 * (the keyboard/mouse class connect data, for example), not a user address.
 */
const internalOnlyCache = new WeakMap<FunctionInfo, boolean>();

export function kernelCallersOnly(file: SourceFile, fn: FunctionInfo, node: Node): boolean {
  for (let current = node.parent; current && current.id !== fn.node.id; current = current.parent) {
    if (current.type === 'case_statement' && /^\s*case\s+IOCTL_INTERNAL_/.test(file.text.slice(current.startIndex, current.startIndex + 64))) return true;
  }
  let result = internalOnlyCache.get(fn);
  if (result === undefined) {
    const internal = (name: string) => file.driver.rolesOf(name).some((role) => /INTERNAL_DEVICE_CONTROL|InternalDeviceControl/.test(role.detail ?? ''));
    const calls = callsOf(file, fn);
    result = internal(fn.name) || (calls.length > 0 && calls.every((call) => {
      const caller = file.enclosingFunction(call);
      return caller !== undefined && internal(caller.name);
    }));
    internalOnlyCache.set(fn, result);
  }
  return result;
}

/** Where a function reads or writes through one of its parameters without probing it first. */
export interface ParameterAccess {
  index: number;
  name: string;
  /** The first such access (`*Slot = v`, `Slot->x`, `Slot[i]`, the copy call). */
  use: Node;
  write: boolean;
}

const parameterAccessCache = new WeakMap<FunctionInfo, ParameterAccess[]>();
/** Summaries being computed (a recursive call chain answers "no access" for the function it re-enters). */
const inProgress = new WeakSet<FunctionInfo>();

/**
 * A one-level summary of a function: the parameters it dereferences (or hands to a copy routine as source or
 * destination) before any ProbeForRead/ProbeForWrite or MmUserProbeAddress check of them. A caller passing a
 * pointer read from user memory to such a parameter gives the callee an unprobed user pointer.
 */
export function dereferencedParameters(file: SourceFile, fn: FunctionInfo): ParameterAccess[] {
  let result = parameterAccessCache.get(fn);
  if (result) return result;
  if (inProgress.has(fn)) return [];
  inProgress.add(fn);
  // The answers of the helpers this one hands parameters to, in the order first asked: with the function's own text,
  // all its answer depends on (a helper in a call cycle answers "no access" while the cycle is being computed).
  const asked = new Map<string, string>();
  const ask = (target: FunctionInfo): ParameterAccess[] => {
    const answer = dereferencedParameters(file, target);
    if (!asked.has(target.name)) asked.set(target.name, accessesKey(answer));
    return answer;
  };
  result = carriedAccesses(file, fn, ask) ?? computeDereferencedParameters(file, fn, ask);
  inProgress.delete(fn);
  parameterAccessCache.set(fn, result);
  const uses = result.map((access) => placeIn(fn.node, access.use));
  if (uses.every((use) => use !== undefined)) {
    file.keepSummary(PARAMETER_ACCESSES, fn, { asked: [...asked], accesses: result.map((access, index) => ({ ...access, use: uses[index]! })) } satisfies CarriedAccesses);
  }
  return result;
}

const PARAMETER_ACCESSES = 'parameter-accesses';

/** `dereferencedParameters` of a function, kept for the next version of its file. */
interface CarriedAccesses {
  /** The helpers asked and their answers (`accessesKey`), in order. */
  asked: [string, string][];
  accesses: (Omit<ParameterAccess, 'use'> & { use: NodePlace })[];
}

/** What a caller reads of a helper's answer: which parameters, read or written. */
function accessesKey(accesses: readonly ParameterAccess[]): string {
  return accesses.map((access) => `${access.index}${access.write ? 'w' : 'r'}`).join(',');
}

/**
 * The last version's answer for an unchanged function (`SourceFile.summaryBefore`), when every helper it asked
 * answers as it did then (asked again in the same order, so cycles are cut where a fresh computation cuts them).
 */
function carriedAccesses(file: SourceFile, fn: FunctionInfo, ask: (target: FunctionInfo) => ParameterAccess[]): ParameterAccess[] | undefined {
  const carried = file.summaryBefore<CarriedAccesses>(PARAMETER_ACCESSES, fn);
  if (!carried) return undefined;
  for (const [name, answer] of carried.asked) {
    const target = file.functionByName(name);
    if (!target || accessesKey(ask(target)) !== answer) return undefined;
  }
  const result: ParameterAccess[] = [];
  for (const access of carried.accesses) {
    const use = nodeAtPlace(fn.node, access.use);
    if (!use) return undefined;
    result.push({ ...access, use });
  }
  return result;
}

function computeDereferencedParameters(file: SourceFile, fn: FunctionInfo, ask: (target: FunctionInfo) => ParameterAccess[]): ParameterAccess[] {
  let result: ParameterAccess[] = [];
  const body = fn.body;
  const names = new Map(fn.params.map((param, index) => [param.name, index]));
  if (body && names.size > 0 && fn.params.some((param) => file.textOf(body).includes(param.name))) {
    // `PULONG slot = Slot;`: a local that only ever takes the parameter's value is the parameter.
    const aliases = new Map<string, number>();
    const assigned = new Map<string, number>();
    for (const declarator of file.within(body, 'init_declarator')) {
      const name = declaratorName(declarator.childForFieldName('declarator'));
      const value = unwrap(declarator.childForFieldName('value'));
      if (!name) continue;
      assigned.set(name, (assigned.get(name) ?? 0) + 1);
      if (value?.type === 'identifier' && names.has(value.text)) aliases.set(name, names.get(value.text)!);
    }
    for (const assignment of file.within(body, 'assignment_expression')) {
      const left = unwrap(assignment.childForFieldName('left'));
      if (left?.type !== 'identifier') continue;
      assigned.set(left.text, (assigned.get(left.text) ?? 0) + 1);
      const value = unwrap(assignment.childForFieldName('right'));
      if (value?.type === 'identifier' && names.has(value.text) && !aliases.has(left.text)) aliases.set(left.text, names.get(value.text)!);
    }
    for (const [alias, index] of aliases) if (!names.has(alias) && assigned.get(alias) === 1) names.set(alias, index);
  }
  if (body && names.size > 0) {
    const found = new Map<string, ParameterAccess>();
    const consider = (use: Node, pointer: Node | null | undefined, write: boolean) => {
      const target = unwrap(pointer);
      if (target?.type !== 'identifier') return;
      const index = names.get(target.text);
      if (index === undefined || isNotEvaluated(use)) return;
      const name = fn.params[index].name;
      if (found.has(name)) return;
      // Only a function that mentions a probe or the user range limit needs its taint (fileFacts asks after every edit).
      mayValidate ??= /Probe|MmUserProbeAddress|MM_USER_PROBE_ADDRESS|MmHighestUserAddress|MM_HIGHEST_USER_ADDRESS/.test(text);
      if (mayValidate) {
        const guards = functionGuards(file, fn);
        const keys = [...names].filter(([, other]) => other === index).map(([alias]) => alias);
        if (guards.isProbed(use, keys, write) || guards.isRangeChecked(use, keys)) return;
      }
      found.set(name, { index, name, use, write });
    };
    const text = file.textOf(body);
    let mayValidate: boolean | undefined;
    // Only a dereference of a plain name can be one of a parameter: the argument is looked at before the operator's text.
    const ofName = (node: Node) => unwrap(node.childForFieldName('argument'))?.type === 'identifier';
    // Cheap pre-check: no parameter name is mentioned at all.
    if (fn.params.some((param) => text.includes(param.name))) {
      for (const node of file.within(body, 'pointer_expression')) {
        if (ofName(node) && (node.childForFieldName('operator')?.text ?? node.child(0)?.text) === '*') consider(node, node.childForFieldName('argument'), isWritten(node));
      }
      for (const node of file.within(body, 'field_expression')) {
        if (ofName(node) && node.childForFieldName('operator')?.text === '->') consider(node, node.childForFieldName('argument'), isWritten(node));
      }
      for (const node of file.within(body, 'subscript_expression')) consider(node, node.childForFieldName('argument'), isWritten(node));
      for (const call of file.within(body, 'call_expression')) {
        const callee = calleeName(call) ?? '';
        const args = callArguments(call);
        const positions = COPY_CALLS[callee] ?? STRING_CALLS[callee];
        if (positions) {
          if (positions[0] >= 0) consider(call, args[positions[0]], true);
          if (positions[1] >= 0) consider(call, args[positions[1]], false);
          continue;
        }
        // Handed on to another function of the file that dereferences it (any depth, cycles cut).
        const target = callee ? file.functionByName(callee) : undefined;
        if (!target || target.node.id === fn.node.id) continue;
        for (const access of ask(target)) consider(call, args[access.index], access.write);
      }
    }
    result = [...found.values()].sort((a, b) => a.index - b.index);
  }
  return result;
}
