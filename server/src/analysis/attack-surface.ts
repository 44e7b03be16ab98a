/**
 * The attack surface of a driver as the code shows it: the device objects a user can open (name, symbolic link,
 * type, characteristics, security), the dispatch routines and KMDF queues that take their requests, every IOCTL
 * code with its handler, and per handler which of the caller's buffers it uses, the length checks it makes and the
 * findings inside it.
 *
 * Two steps, both pure: `fileSurface` reads one parsed file into plain data (kept with the file's analysis result,
 * so the CLI, the worker threads, the scan cache and the language server carry it like findings), and
 * `buildAttackSurface` joins the files of a workspace folder into drivers (source files of one folder that hold a
 * driver entry, a dispatch table, a queue or an IOCTL switch), with the IOCTL definitions of the headers they use.
 * Lines are 0-based, as everywhere in the core.
 */
import * as path from 'node:path';
import { armsAt, isDeadAt } from './conditional';
import type { Finding } from './finding';
import type { IoctlSwitch } from './driver-model';
import { ACCESS_NAMES, METHOD_NAMES, type IoctlCode } from './macros';
import { callArguments, calleeName, fieldName, unwrap, type Node } from './query';
import { broadWriteGrant, resolveSddl, stringArgument } from './sddl';
import type { FunctionInfo, SourceFile } from './source-file';
import { lookupTable } from './lookup';

// ---------------------------------------------------------------------------------------------------------------
// Per-file facts

export interface DeviceFact {
  /** The call that creates the device: IoCreateDevice, IoCreateDeviceSecure, WdfDeviceCreate, WdfControlDeviceInitAllocate. */
  api: string;
  kmdf: boolean;
  /** A KMDF control device (WdfControlDeviceInitAllocate): not attached to a PnP stack. */
  control?: boolean;
  /** The NT name (`\Device\X`), when the code names the device and the string resolves. */
  name?: string;
  /** The name argument as written when it does not resolve to a string. */
  nameExpression?: string;
  /** The device type as written (`FILE_DEVICE_UNKNOWN`). */
  deviceType?: string;
  /** The characteristics as written (`FILE_DEVICE_SECURE_OPEN`, `0`). */
  characteristics?: string;
  secureOpen: boolean;
  /** Exclusive (one handle at a time), when the code says. */
  exclusive?: boolean;
  /** The SDDL string of the security descriptor the code assigns, when it resolves. */
  sddl?: string;
  /** The SDDL argument as written (`&SDDL_DEVOBJ_SYS_ALL_ADM_ALL`, a variable). */
  sddlExpression?: string;
  /** Who the SDDL lets write (`Everyone`), when it grants a broad group write access. */
  openTo?: string;
  /** Device interfaces registered for the device (the GUID argument as written). */
  interfaces: string[];
  /** Symbolic links to the device (`\DosDevices\X`, `\??\X`). */
  symbolicLinks: string[];
  function?: string;
  line: number;
}

export interface DispatchFact {
  /** IRP_MJ_* for WDM, the queue callback field (EvtIoDeviceControl, …) or EvtIoInCallerContext for KMDF. */
  major: string;
  function: string;
  kmdf: boolean;
  line: number;
}

export interface QueueFact {
  /** The queue config variable (`queueConfig`). */
  config: string;
  /** WdfIoQueueDispatchSequential / Parallel / Manual, when the code says. */
  dispatchType?: string;
  defaultQueue: boolean;
  callbacks: { field: string; function: string }[];
  /** Request types routed to it with WdfDeviceConfigureRequestDispatching. */
  requestTypes: string[];
  function?: string;
  line: number;
}

export interface IoctlCodeFact {
  /** The full 32-bit code. */
  value: number;
  deviceType: number;
  function: number;
  method: string;
  access: string;
}

export interface IoctlDefinitionFact extends IoctlCodeFact {
  name: string;
  line: number;
}

export interface IoctlCaseFact {
  /** The case label as written (`IOCTL_SAMPLE_STORE`). */
  label: string;
  code?: IoctlCodeFact;
  /** The function holding the switch. */
  dispatcher: string;
  line: number;
  /** The lines of the case's statements (through the next case). */
  endLine: number;
  /** The function the case hands the request to, when it calls one; absent when the case handles it inline. */
  handler?: string;
  /** Other functions of the driver the case calls (all of them when it handles the request inline). */
  helpers: string[];
  /** Facts of the case's own statements (with the dispatcher's length checks before the switch). */
  facts: BufferFacts;
}

export interface BufferFacts {
  /** Caller's buffers read: SystemBuffer, Type3InputBuffer, MdlAddress, WdfRequestRetrieveInputBuffer, … */
  reads: { source: string; line: number }[];
  /** Caller's buffers written or returned: UserBuffer, WdfRequestRetrieveOutputBuffer, IoStatus.Information, … */
  writes: { source: string; line: number }[];
  /** Conditions (and WDF minimum sizes) that bound the request's lengths. */
  lengthChecks: { text: string; line: number; offset: number }[];
  probes: { text: string; line: number }[];
  /** Calls that record the request (WPP, ETW, DbgPrint, error log). */
  logs: number;
  /** Caller checks: SeSinglePrivilegeCheck, SeAccessCheck, ExGetPreviousMode, RequestorMode, … */
  callerChecks: string[];
  /** Kernel resources the code touches, by kind: pool, physical memory, registry, files, processes, MSR, I/O ports, … */
  resources: string[];
}

export interface FunctionFact extends BufferFacts {
  name: string;
  /** Where the function starts (its return type) and the line of its name (where "go to" lands). */
  line: number;
  nameLine: number;
  endLine: number;
  /** Names it calls (for handlers whose helpers live in other functions or files). */
  calls: string[];
}

export interface FileSurface {
  driverEntry?: { line: number };
  devices: DeviceFact[];
  /** IoCreateSymbolicLink(&link, &target) calls whose target is not a device of this file. */
  symbolicLinks: { link?: string; target?: string; line: number }[];
  dispatch: DispatchFact[];
  queues: QueueFact[];
  definitions: IoctlDefinitionFact[];
  cases: IoctlCaseFact[];
  /** Request-handling functions (a PIRP / WDFREQUEST parameter, a role, called from an IOCTL case) and their helpers. */
  functions: FunctionFact[];
  /** `#define NAME L"…"` string macros of the file (device names, links, SDDL strings), unescaped: a header holding them is one of its driver's files. */
  strings?: [string, string][];
}

const DEVICE_CREATES: Record<string, { name: number; type: number; characteristics: number; exclusive: number; sddl?: number }> = lookupTable({
  IoCreateDevice: { name: 2, type: 3, characteristics: 4, exclusive: 5 },
  IoCreateDeviceSecure: { name: 2, type: 3, characteristics: 4, exclusive: 5, sddl: 6 },
  WdmlibIoCreateDeviceSecure: { name: 2, type: 3, characteristics: 4, exclusive: 5, sddl: 6 },
});

const READ_SOURCES: Record<string, string> = lookupTable({
  WdfRequestRetrieveInputBuffer: 'WdfRequestRetrieveInputBuffer',
  WdfRequestRetrieveInputMemory: 'WdfRequestRetrieveInputMemory',
  WdfRequestRetrieveInputWdmMdl: 'WdfRequestRetrieveInputWdmMdl',
  WdfRequestRetrieveUnsafeUserInputBuffer: 'WdfRequestRetrieveUnsafeUserInputBuffer',
  WdfMemoryCopyToBuffer: 'WdfMemoryCopyToBuffer',
});
const WRITE_SOURCES: Record<string, string> = lookupTable({
  WdfRequestRetrieveOutputBuffer: 'WdfRequestRetrieveOutputBuffer',
  WdfRequestRetrieveOutputMemory: 'WdfRequestRetrieveOutputMemory',
  WdfRequestRetrieveOutputWdmMdl: 'WdfRequestRetrieveOutputWdmMdl',
  WdfRequestRetrieveUnsafeUserOutputBuffer: 'WdfRequestRetrieveUnsafeUserOutputBuffer',
  WdfMemoryCopyFromBuffer: 'WdfMemoryCopyFromBuffer',
});
/** WDF retrievals whose second argument is the minimum length the framework checks. */
const MINIMUM_LENGTH_CALLS = new Set(['WdfRequestRetrieveInputBuffer', 'WdfRequestRetrieveOutputBuffer']);
const PROBE_CALLS = new Set(['MmProbeAndLockPages', 'WdfRequestProbeAndLockUserBufferForRead', 'WdfRequestProbeAndLockUserBufferForWrite', 'ProbeForRead', 'ProbeForWrite', 'ProbeForReadSmallStructure', 'ProbeAndReadUlong', 'ProbeForWriteUlong']);
const LOG_CALL = /^(DoTraceMessage|TraceEvents|TraceLogging\w*|EtwWrite\w*|DbgPrint\w*|KdPrint\w*|IoWriteErrorLogEntry|WPP_\w+|\w*Trace\w*|\w*Log\w*)$/;
const CALLER_CHECK_CALL = /^(SeSinglePrivilegeCheck|SePrivilegeCheck|SeAccessCheck|SeTokenIsAdmin|ExGetPreviousMode|IoGetRequestorProcess\w*|PsGetCurrentProcessId|WdfRequestGetRequestorMode|SeQueryInformationToken|IoCheckShareAccess)$/;
const LENGTH_NAME = /\b(InputBufferLength|OutputBufferLength|Parameters\s*\.\s*(?:Read|Write)\s*\.\s*Length)\b/;
const RELATIONAL = /[<>]=?|[=!]=/;
/** Callees that are not the driver's own handlers: system routines, runtime and logging. */
const SYSTEM_CALLEE = /^(Ex|Io|Rtl|Wdf|Mm|Ke|Zw|Nt|Ob|Ps|Kd|Dbg|Se|Po|Cm|FsRtl|Hal|Wmi|Etw|Interlocked|Probe|Wpp|Trace|RtlString|mem|str|wcs|sprintf|swprintf|_)/;

/** What a system call touches, for the data-flow diagram's kernel resources. */
const RESOURCES: [RegExp, string][] = [
  [/^(MmMapIoSpace\w*|MmMapLockedPages\w*|MmGetPhysicalAddress|MmCopyMemory|ZwMapViewOfSection|MmAllocateContiguousMemory\w*|MmGetSystemAddressForMdlSafe|MmBuildMdlForNonPagedPool)$/, 'memory mappings'],
  [/^(ExAllocatePool\w*|ExFreePool\w*|WdfMemoryCreate\w*|ExAllocateFromLookaside\w*|ExAllocateFromNPagedLookasideList|ExAllocateFromPagedLookasideList)$/, 'pool'],
  [/^(Zw|Nt)(Create|Open|Set|Query|Delete|Enumerate)\w*Key\w*$|^Rtl\w*Registry\w*$|^WdfRegistry\w+|^IoOpenDeviceRegistryKey$/, 'registry'],
  [/^(Zw|Nt)(CreateFile|OpenFile|ReadFile|WriteFile|DeleteFile|QueryInformationFile|SetInformationFile)$|^IoCreateFile\w*$/, 'files'],
  [/^(ZwOpenProcess|ZwTerminateProcess|PsLookupProcessByProcessId|PsLookupThreadByThreadId|KeStackAttachProcess|ZwOpenThread|ObOpenObjectByPointer|ZwDuplicateObject)$/, 'processes'],
  [/^(__readmsr|__writemsr|_readmsr|_writemsr)$/, 'MSRs'],
  [/^(READ_PORT_\w+|WRITE_PORT_\w+|__in\w*|__out\w*|READ_REGISTER_\w+|WRITE_REGISTER_\w+)$/, 'I/O ports and registers'],
  [/^(__readcr\d|__writecr\d|__readdr|__writedr)$/, 'control registers'],
  [/^(ObReferenceObjectByHandle|ZwClose|ObCloseHandle)$/, 'handles'],
  [/^(IoCallDriver|IoBuildDeviceIoControlRequest|IoBuildSynchronousFsdRequest|WdfRequestSend|WdfIoTargetSend\w+|WdfRequestForwardToIoQueue)$/, 'lower drivers and queues'],
];

function resourceOf(callee: string): string | undefined {
  for (const [pattern, kind] of RESOURCES) if (pattern.test(callee)) return kind;
  return undefined;
}

const REQUEST_PARAM_TYPES = /^(PIRP|WDFREQUEST|PIO_STACK_LOCATION|IRP\s*\*)$/;

function lineOf(file: SourceFile, node: Node): number {
  return node.startPosition.row;
}

/** The string a PCUNICODE_STRING argument names (`&name` of RTL_CONSTANT_STRING(L"\\Device\\X"), a macro, …). */
function resolveString(file: SourceFile, raw: Node | undefined): string | undefined {
  const argument = stringArgument(raw);
  let value = resolveSddl(file, argument);
  if (value === undefined) {
    // `UNICODE_STRING name = RTL_CONSTANT_STRING(NT_NAME);` and the like: the macro's string.
    const macro = stringMacroOf(file, argument);
    const body = macro ? file.macros.get(macro)?.body : undefined;
    const pieces = body ? [...body.matchAll(/"((?:[^"\\\n]|\\.)*)"/g)].map((match) => match[1]) : [];
    if (pieces.length > 0) value = pieces.join('');
  }
  return value === undefined ? undefined : value.replace(/\\\\/g, '\\');
}

const STRING_MACRO_ARGUMENT = /^\s*(?:RTL_CONSTANT_STRING\s*\(\s*)?([A-Za-z_]\w*)\s*\)?\s*$/;

/** The macro a PCUNICODE_STRING argument's string comes from (`&name` of `RtlInitUnicodeString(&name, NT_DEVICE_NAME)`). */
function stringMacroOf(file: SourceFile, argument: Node | undefined): string | undefined {
  let node = unwrap(stringArgument(argument));
  if (node?.type === 'pointer_expression' && node.child(0)?.type === '&') node = unwrap(node.childForFieldName('argument'));
  if (!node || node.type !== 'identifier') return undefined;
  const name = node.text;
  const macro = (text: string | undefined) => {
    const candidate = text ? STRING_MACRO_ARGUMENT.exec(text)?.[1] : undefined;
    return candidate && file.macros.get(candidate) ? candidate : undefined;
  };
  if (file.macros.get(name)) return name;
  for (const call of file.nodes('call_expression')) {
    const callee = calleeName(call);
    if (callee !== 'DECLARE_CONST_UNICODE_STRING' && callee !== 'DECLARE_UNICODE_STRING' && callee !== 'RtlInitUnicodeString') continue;
    const args = callArguments(call);
    if (stripAddress(args[0]) === name) return macro(args[1]?.text);
  }
  for (const declarator of file.nodes('init_declarator')) {
    if (declarator.childForFieldName('declarator')?.text === name) return macro(declarator.childForFieldName('value')?.text);
  }
  return undefined;
}

/** Whether an expression (or the macros it names) mentions a flag. */
function mentionsFlag(file: SourceFile, text: string | undefined, flag: string): boolean {
  if (!text) return false;
  if (text.includes(flag)) return true;
  return /[A-Za-z_]/.test(text) && file.macros.expand(text).includes(flag);
}

function booleanOf(text: string | undefined): boolean | undefined {
  if (!text) return undefined;
  const value = text.trim();
  if (/^(TRUE|1|true)$/.test(value)) return true;
  if (/^(FALSE|0|false)$/.test(value)) return false;
  return undefined;
}

function stripAddress(node: Node | undefined): string | undefined {
  const inner = unwrap(stringArgument(node));
  if (!inner) return undefined;
  if (inner.type === 'pointer_expression' && inner.child(0)?.type === '&') return unwrap(inner.childForFieldName('argument'))?.text;
  return inner.text;
}

export function codeFact(code: IoctlCode): IoctlCodeFact {
  const value = ((code.deviceType << 16) | (code.access << 14) | (code.function << 2) | code.method) >>> 0;
  return { value, deviceType: code.deviceType, function: code.function, method: METHOD_NAMES[code.method], access: ACCESS_NAMES[code.access] };
}

/**
 * Per-function facts of an earlier analysis of the same document, for `fileSurface` (the language server's keystroke
 * path: an edit inside one function leaves the facts of the others as they were). A function's facts depend only on
 * its text and on whether the conditional arms it lies in are compiled (an arm that holds the function's start holds
 * all of it); they are kept with lines and offsets relative to the function's
 * start, so a function moved by an edit above it is found again. `next` receives this analysis' facts.
 */
export interface SurfaceCache {
  /** The analyzed text (after neutralizing annotations: what the tree's nodes hold). */
  parsedText: string;
  prior?: ReadonlyMap<string, readonly CachedEntry[]>;
  next: Map<string, CachedEntry[]>;
}

/**
 * A cached value with the function text it was computed from. Kept under a short key (name, `#if` arms, …) and
 * matched by comparing the text: hashing every function's text as part of a key, twice per keystroke, cost more
 * than the comparison.
 */
export interface CachedEntry {
  text: string;
  value: CachedFact;
}

/** The value cached for this key and text, by this analysis or the last one (then kept for the next one too). */
function cachedValue(cache: SurfaceCache, key: string, text: string): CachedFact | undefined {
  const own = cache.next.get(key)?.find((entry) => entry.text === text);
  if (own) return own.value;
  const prior = cache.prior?.get(key)?.find((entry) => entry.text === text);
  // Stored with this version's text, so the entry does not keep an old version of the document alive.
  if (prior) keepCached(cache, key, text, prior.value);
  return prior?.value;
}

function keepCached(cache: SurfaceCache, key: string, text: string, value: CachedFact): void {
  const list = cache.next.get(key);
  if (list) list.push({ text, value });
  else cache.next.set(key, [{ text, value }]);
}

/**
 * A function's facts relative to its start, and the callees in the order it calls them first; or the cases of an
 * IOCTL switch (relative to the dispatcher's start).
 */
export type CachedFact = { fact: FunctionFact; callOrder: string[] } | { cases: IoctlCaseFact[] };

function movedBufferFacts(facts: BufferFacts, rows: number, offsets: number): BufferFacts {
  const at = <T extends { line: number }>(item: T): T => ({ ...item, line: item.line + rows });
  return {
    ...facts,
    reads: facts.reads.map(at),
    writes: facts.writes.map(at),
    lengthChecks: facts.lengthChecks.map((check) => ({ ...check, line: check.line + rows, offset: check.offset + offsets })),
    probes: facts.probes.map(at),
    callerChecks: [...facts.callerChecks],
    resources: [...facts.resources],
  };
}

function movedCase(fact: IoctlCaseFact, rows: number, offsets: number): IoctlCaseFact {
  return {
    ...fact,
    ...(fact.code ? { code: { ...fact.code } } : {}),
    line: fact.line + rows,
    endLine: fact.endLine + rows,
    helpers: [...fact.helpers],
    facts: movedBufferFacts(fact.facts, rows, offsets),
  };
}

/** The cases of one IOCTL switch as `fileSurface` lists them (from `cache` when the dispatcher is unchanged). */
function switchCases(file: SourceFile, ioctlSwitch: IoctlSwitch, cache: SurfaceCache | undefined, names: () => string): IoctlCaseFact[] {
  const fn = ioctlSwitch.fn;
  const row = fn.node.startPosition.row;
  const start = fn.node.startIndex;
  let key: string | undefined;
  let text: string | undefined;
  if (cache) {
    // What the cases read besides the dispatcher's text: the codes their labels resolve to and which callees are
    // functions of this file.
    const labels = ioctlSwitch.cases.map(({ label, caseNode, code }) => [label.text, caseNode.startIndex - start, code ?? null]);
    key = `switch\u0000${fn.name}\u0000${fn.node.shape}\u0000${ioctlSwitch.node.startIndex - start}\u0000${JSON.stringify(labels)}\u0000${names()}\u0000${armsAt(file, start).map((arm) => arm.taken).join(',')}`;
    text = cache.parsedText.slice(start, fn.node.endIndex);
    const known = cachedValue(cache, key, text);
    if (known && 'cases' in known) return known.cases.map((fact) => movedCase(fact, row, start));
  }
  const result: IoctlCaseFact[] = [];
  const cases = ioctlSwitch.cases;
  // Length checks of the dispatcher before the switch hold for every case.
  const before = fn.body
    ? bufferFacts(file, [fn.body], fn).lengthChecks.filter((check) => check.offset < ioctlSwitch.node.startIndex)
    : [];
  for (let index = 0; index < cases.length; index++) {
    const { label, caseNode, code } = cases[index];
    // `case A: case B: body` — an empty case shares the body of the next non-empty one.
    let bodyCase = caseNode;
    for (let next = index; next < cases.length && statementsOf(cases[next].caseNode).length === 0; next++) bodyCase = cases[next + 1]?.caseNode ?? bodyCase;
    const statements = statementsOf(bodyCase);
    const facts = bufferFacts(file, statements, fn);
    const called = calledFunctions(file, statements, fn.name);
    // A case that only calls a function hands the request to it; one that touches the buffers itself handles it
    // inline (the functions it calls are its helpers: `PrintIrpInfo(Irp)` is no handler).
    const inline = facts.reads.length > 0 || facts.writes.length > 0 || facts.lengthChecks.length > 0 || facts.probes.length > 0;
    const handler = inline ? undefined : called[0];
    facts.lengthChecks.unshift(...before);
    const last = statements[statements.length - 1] ?? bodyCase;
    result.push({
      label: label.text,
      ...(code ? { code: codeFact(code) } : {}),
      dispatcher: fn.name,
      line: lineOf(file, caseNode),
      endLine: last.endPosition.row,
      ...(handler ? { handler } : {}),
      helpers: handler ? called.slice(1) : called,
      facts,
    });
  }
  if (cache && key !== undefined && text !== undefined) keepCached(cache, key, text, { cases: result.map((fact) => movedCase(fact, -row, -start)) });
  return result;
}

/** The facts with every line and offset moved (`rows`, `offsets`); a fresh copy. */
function movedFact(fact: FunctionFact, rows: number, offsets: number): FunctionFact {
  const at = <T extends { line: number }>(item: T): T => ({ ...item, line: item.line + rows });
  return {
    ...fact,
    line: fact.line + rows,
    nameLine: fact.nameLine + rows,
    endLine: fact.endLine + rows,
    calls: [...fact.calls],
    reads: fact.reads.map(at),
    writes: fact.writes.map(at),
    lengthChecks: fact.lengthChecks.map((check) => ({ ...check, line: check.line + rows, offset: check.offset + offsets })),
    probes: fact.probes.map(at),
    callerChecks: [...fact.callerChecks],
    resources: [...fact.resources],
  };
}

/** The facts of one function of `fileSurface`'s list (what it reads and writes, checks, and calls). */
function functionFact(file: SourceFile, fn: FunctionInfo & { body: Node }, cache?: SurfaceCache): { fact: FunctionFact; callOrder: string[] } {
  let key: string | undefined;
  let text: string | undefined;
  const row = fn.node.startPosition.row;
  const start = fn.node.startIndex;
  if (cache) {
    // The tree's shape too: the same text may parse another way in a broken file (see `SyntaxNode.shape`).
    key = `${fn.name}\u0000${armsAt(file, start).map((arm) => arm.taken).join(',')}\u0000${fn.node.shape}`;
    text = cache.parsedText.slice(start, fn.node.endIndex);
    const known = cachedValue(cache, key, text);
    if (known && 'fact' in known && known.fact.name === fn.name) return { fact: movedFact(known.fact, row, start), callOrder: known.callOrder };
  }
  const fact: FunctionFact = { name: fn.name, line: lineOf(file, fn.node), nameLine: (fn.node.childForFieldName('declarator') ?? fn.node).startPosition.row, endLine: fn.node.endPosition.row, calls: [], ...bufferFacts(file, [fn.body], fn) };
  const calls = new Set<string>();
  for (const call of file.within(fn.body, 'call_expression')) {
    const callee = calleeName(call);
    if (!callee || SYSTEM_CALLEE.test(callee) || /^[A-Z0-9_]+$/.test(callee)) continue;
    calls.add(callee);
  }
  const callOrder = [...calls];
  fact.calls = [...calls].sort();
  if (cache && key !== undefined && text !== undefined) keepCached(cache, key, text, { fact: movedFact(fact, -row, -start), callOrder });
  return { fact, callOrder };
}

/**
 * The attack-surface facts of one parsed file; undefined when it holds none (most files). With `cache`, the facts of
 * functions unchanged since an earlier analysis are taken from it.
 */
export function fileSurface(file: SourceFile, cache?: SurfaceCache): FileSurface | undefined {
  const surface: FileSurface = { devices: [], symbolicLinks: [], dispatch: [], queues: [], definitions: [], cases: [], functions: [] };
  const model = file.driver;
  const live = (node: Node) => !isDeadAt(file, node.startIndex);
  const entry = file.functionByName('DriverEntry');
  if (entry) surface.driverEntry = { line: lineOf(file, entry.node) };

  for (const role of model.roles) {
    if (!role.node || role.node.type === 'declaration') continue;
    if (role.role === 'wdm-dispatch') surface.dispatch.push({ major: role.detail ?? '*', function: role.functionName, kmdf: false, line: lineOf(file, role.node) });
    else if (role.role === 'kmdf-io' || role.role === 'kmdf-in-caller-context') surface.dispatch.push({ major: role.detail ?? 'EvtIo', function: role.functionName, kmdf: true, line: lineOf(file, role.node) });
  }

  collectDevices(file, surface, live);
  collectQueues(file, surface, live);

  const strings: [string, string][] = [];
  for (const node of file.nodes('preproc_def')) {
    const name = node.childForFieldName('name')?.text;
    const value = node.childForFieldName('value')?.text.trim();
    const literal = value && /^(?:L?"(?:[^"\\\n]|\\.)*"\s*)+$/.test(value) ? [...value.matchAll(/"((?:[^"\\\n]|\\.)*)"/g)].map((match) => match[1]).join('') : undefined;
    if (name && literal !== undefined && /^(\\\\|D:|O:)/.test(literal)) strings.push([name, literal.replace(/\\\\/g, '\\')]);
  }
  if (strings.length > 0) surface.strings = strings;

  for (const definition of model.ioctlDefinitions()) {
    surface.definitions.push({ name: definition.name, line: lineOf(file, definition.node), ...codeFact(definition.code) });
  }

  const handlerNames = new Set<string>();
  let names: string | undefined;
  const namesKey = () => (names ??= file.functions().map((fn) => fn.name).join(','));
  for (const ioctlSwitch of model.ioctlSwitches()) {
    for (const fact of switchCases(file, ioctlSwitch, cache, namesKey)) {
      // The functions a case calls: its handler first, then its helpers (calledFunctions' order).
      if (fact.handler) handlerNames.add(fact.handler);
      for (const name of fact.helpers) handlerNames.add(name);
      surface.cases.push(fact);
    }
  }

  // Request functions and the functions of this file they call.
  const wanted = new Set<string>();
  for (const fn of file.functions()) {
    if (handlerNames.has(fn.name) || model.isUserEntry(fn.name) || fn.params.some((param) => REQUEST_PARAM_TYPES.test(param.type.replace(/\s+/g, ' ').trim()))) wanted.add(fn.name);
  }
  const queue = [...wanted];
  const facts = new Map<string, FunctionFact>();
  while (queue.length > 0 && facts.size < 400) {
    const name = queue.shift()!;
    const fn = file.functionByName(name);
    if (!fn?.body || facts.has(name)) continue;
    const { fact, callOrder } = functionFact(file, fn as FunctionInfo & { body: Node }, cache);
    for (const callee of callOrder) if (file.functionByName(callee) && !facts.has(callee)) queue.push(callee);
    facts.set(name, fact);
  }
  surface.functions = [...facts.values()].sort((a, b) => a.line - b.line);

  const empty = !surface.driverEntry && surface.devices.length === 0 && surface.symbolicLinks.length === 0 && surface.dispatch.length === 0
    && surface.queues.length === 0 && surface.definitions.length === 0 && surface.cases.length === 0 && surface.functions.length === 0 && !surface.strings;
  return empty ? undefined : surface;
}

/** The statements of a case (tree-sitter nests them under the case_statement), without nested cases. */
function statementsOf(caseNode: Node): Node[] {
  const value = caseNode.childForFieldName('value');
  return caseNode.namedChildren.filter((child): child is Node => child !== null && child.id !== value?.id && child.type !== 'case_statement' && child.type !== 'comment');
}

/** The driver's functions a case calls, in order: those of this file, and others that receive the request. */
function calledFunctions(file: SourceFile, statements: readonly Node[], dispatcher: string): string[] {
  const names: string[] = [];
  for (const statement of statements) {
    for (const call of file.within(statement, 'call_expression')) {
      const callee = calleeName(call);
      if (!callee || callee === dispatcher || names.includes(callee) || isDeadAt(file, call.startIndex)) continue;
      if (file.functionByName(callee)) names.push(callee);
      else if (SYSTEM_CALLEE.test(callee) || /^[A-Z0-9_]+$/.test(callee) || LOG_CALL.test(callee)) continue;
      // A function of another file that receives the request.
      else if (callArguments(call).some((argument) => /\b(Irp|Request|irp|request|IrpSp|irpSp|Stack)\b/.test(argument.text))) names.push(callee);
    }
  }
  return names;
}

/** What a piece of code does with the caller's buffers and lengths. */
function bufferFacts(file: SourceFile, containers: readonly Node[], fn: FunctionInfo): BufferFacts {
  const facts: BufferFacts = { reads: [], writes: [], lengthChecks: [], probes: [], logs: 0, callerChecks: [], resources: [] };
  // Locals holding a length of the request: `ULONG inLen = IrpSp->Parameters.DeviceIoControl.InputBufferLength;`.
  const lengthNames = new Set<string>();
  for (const param of fn.params) if (/^(InputBufferLength|OutputBufferLength|Length)$/.test(param.name) && /size_t|ULONG|SIZE_T/i.test(param.type)) lengthNames.add(param.name);
  if (fn.body) {
    for (const node of file.withinAll(fn.body, ['init_declarator', 'assignment_expression'])) {
      const target = node.type === 'init_declarator' ? node.childForFieldName('declarator') : node.childForFieldName('left');
      const value = node.type === 'init_declarator' ? node.childForFieldName('value') : node.childForFieldName('right');
      if (target?.type === 'identifier' && value && LENGTH_NAME.test(value.text)) lengthNames.add(target.text);
    }
  }
  const mentionsLength = (text: string) => LENGTH_NAME.test(text) || [...lengthNames].some((name) => new RegExp(`\\b${name}\\b`).test(text));
  const seen = new Set<string>();
  const add = (list: { source: string; line: number }[], source: string, node: Node) => {
    const key = `${list === facts.reads ? 'r' : 'w'}:${source}:${lineOf(file, node)}`;
    if (seen.has(key)) return;
    seen.add(key);
    list.push({ source, line: lineOf(file, node) });
  };
  for (const container of containers) {
    if (isDeadAt(file, container.startIndex)) continue;
    for (const node of file.within(container, 'field_expression')) {
      const field = node.childForFieldName('field')?.text;
      if (field === 'SystemBuffer') add(facts.reads, 'SystemBuffer', node);
      else if (field === 'Type3InputBuffer') add(facts.reads, 'Type3InputBuffer', node);
      else if (field === 'UserBuffer') add(facts.writes, 'UserBuffer', node);
      else if (field === 'MdlAddress') add(facts.reads, 'MdlAddress', node);
    }
    for (const call of file.within(container, 'call_expression')) {
      if (isDeadAt(file, call.startIndex)) continue;
      const callee = calleeName(call);
      if (!callee) continue;
      if (READ_SOURCES[callee]) add(facts.reads, READ_SOURCES[callee], call);
      if (WRITE_SOURCES[callee]) add(facts.writes, WRITE_SOURCES[callee], call);
      if (MINIMUM_LENGTH_CALLS.has(callee)) {
        const minimum = callArguments(call)[1]?.text.trim();
        if (minimum && minimum !== '0') facts.lengthChecks.push({ text: `${callee}(minimum ${minimum})`, line: lineOf(file, call), offset: call.startIndex });
      }
      if (PROBE_CALLS.has(callee)) facts.probes.push({ text: call.text.replace(/\s+/g, ' ').slice(0, 120), line: lineOf(file, call) });
      if (callee === 'WdfRequestCompleteWithInformation' || callee === 'WdfRequestSetInformation') {
        const count = callArguments(call)[callee === 'WdfRequestSetInformation' ? 1 : 2]?.text.trim();
        if (count && count !== '0') add(facts.writes, 'Information', call);
      }
      if (LOG_CALL.test(callee)) facts.logs++;
      const resource = resourceOf(callee);
      if (resource && !facts.resources.includes(resource)) facts.resources.push(resource);
      if (CALLER_CHECK_CALL.test(callee) && !facts.callerChecks.includes(callee)) facts.callerChecks.push(callee);
    }
    for (const node of file.within(container, 'assignment_expression')) {
      const left = unwrap(node.childForFieldName('left'));
      if (fieldName(left) === 'Information' && /IoStatus/.test(left?.text ?? '') && unwrap(node.childForFieldName('right'))?.text.trim() !== '0') add(facts.writes, 'Information', node);
    }
    for (const type of ['if_statement', 'while_statement', 'for_statement', 'conditional_expression']) {
      for (const node of file.within(container, type)) {
        const condition = node.childForFieldName('condition');
        if (!condition || isDeadAt(file, node.startIndex)) continue;
        const text = condition.text.replace(/\s+/g, ' ').trim();
        if ((RELATIONAL.test(text) || /!\s*\w/.test(text)) && mentionsLength(text)) facts.lengthChecks.push({ text: text.replace(/^\((.*)\)$/, '$1').slice(0, 160), line: lineOf(file, condition), offset: condition.startIndex });
        if (/RequestorMode|PreviousMode/.test(text) && !facts.callerChecks.includes('RequestorMode')) facts.callerChecks.push('RequestorMode');
      }
    }
  }
  facts.lengthChecks.sort((a, b) => a.line - b.line);
  facts.resources.sort();
  return facts;
}

/** The calls `collectDevices` reads: device and symbolic-link creation, interfaces, KMDF device set-up. */
function isDeviceCall(callee: string): boolean {
  return DEVICE_CREATES[callee] !== undefined || callee === 'IoCreateSymbolicLink' || callee === 'IoCreateUnprotectedSymbolicLink' || callee === 'WdfDeviceCreateSymbolicLink'
    || callee === 'WdfDeviceCreateDeviceInterface' || callee === 'IoRegisterDeviceInterface' || callee === 'WdfDeviceCreate' || callee.startsWith('WdfDeviceInit') || callee === 'WdfControlDeviceInitAllocate';
}

function collectDevices(file: SourceFile, surface: FileSurface, live: (node: Node) => boolean): void {
  const links: { link?: string; target?: string; targetExpression?: string; line: number; fn?: string }[] = [];
  const kmdfLinks: { link?: string; fn?: string; line: number }[] = [];
  const addLink = (device: DeviceFact, link: string) => {
    if (!device.symbolicLinks.includes(link)) device.symbolicLinks.push(link);
  };
  const interfaces: { guid: string; fn?: string }[] = [];
  const byFunction = new Map<string, Node[]>();
  for (const call of file.nodes('call_expression')) {
    // The name first: most calls are none of these, and their arguments and function need not be looked up.
    const callee = calleeName(call);
    if (!callee || !isDeviceCall(callee) || !live(call)) continue;
    const args = callArguments(call);
    const fn = file.enclosingFunction(call)?.name;
    const spec = DEVICE_CREATES[callee];
    if (spec) {
      const nameArgument = args[spec.name];
      const name = resolveString(file, nameArgument);
      const characteristics = args[spec.characteristics]?.text.replace(/\s+/g, ' ').trim();
      const device: DeviceFact = {
        api: callee,
        kmdf: false,
        ...(name !== undefined ? { name } : nameArgument && nameArgument.text.trim() !== 'NULL' ? { nameExpression: nameArgument.text.trim() } : {}),
        deviceType: args[spec.type]?.text.trim(),
        characteristics,
        secureOpen: mentionsFlag(file, characteristics, 'FILE_DEVICE_SECURE_OPEN'),
        exclusive: booleanOf(args[spec.exclusive]?.text),
        interfaces: [],
        symbolicLinks: [],
        ...(fn ? { function: fn } : {}),
        line: lineOf(file, call),
      };
      if (spec.sddl !== undefined) addSddl(file, device, args[spec.sddl]);
      surface.devices.push(device);
      continue;
    }
    if (callee === 'IoCreateSymbolicLink' || callee === 'IoCreateUnprotectedSymbolicLink') {
      links.push({ link: resolveString(file, args[0]), target: resolveString(file, args[1]), targetExpression: stripAddress(args[1]), line: lineOf(file, call), fn });
    } else if (callee === 'WdfDeviceCreateSymbolicLink') {
      kmdfLinks.push({ link: resolveString(file, args[1]), fn, line: lineOf(file, call) });
    } else if (callee === 'WdfDeviceCreateDeviceInterface' || callee === 'IoRegisterDeviceInterface') {
      const guid = stripAddress(args[1]);
      if (guid) interfaces.push({ guid, fn });
    } else if (callee === 'WdfDeviceCreate' || callee.startsWith('WdfDeviceInit') || callee === 'WdfControlDeviceInitAllocate') {
      if (fn) byFunction.set(fn, [...(byFunction.get(fn) ?? []), call]);
    }
  }
  // KMDF: one device per WdfDeviceCreate, with the WdfDeviceInit* settings of the same function.
  for (const [fn, calls] of byFunction) {
    const creates = calls.filter((call) => calleeName(call) === 'WdfDeviceCreate');
    if (creates.length === 0) continue;
    const control = calls.find((call) => calleeName(call) === 'WdfControlDeviceInitAllocate');
    for (const create of creates) {
      const device: DeviceFact = { api: 'WdfDeviceCreate', kmdf: true, ...(control ? { control: true } : {}), secureOpen: false, interfaces: [], symbolicLinks: [], function: fn, line: lineOf(file, create) };
      for (const call of calls) {
        const args = callArguments(call);
        switch (calleeName(call)) {
          case 'WdfDeviceInitAssignName': {
            const name = resolveString(file, args[1]);
            if (name !== undefined) device.name = name;
            else if (args[1] && args[1].text.trim() !== 'NULL') device.nameExpression = args[1].text.trim();
            break;
          }
          case 'WdfDeviceInitSetDeviceType':
            device.deviceType = args[1]?.text.trim();
            break;
          case 'WdfDeviceInitSetCharacteristics':
            device.characteristics = args[1]?.text.replace(/\s+/g, ' ').trim();
            device.secureOpen = mentionsFlag(file, device.characteristics, 'FILE_DEVICE_SECURE_OPEN');
            break;
          case 'WdfDeviceInitSetExclusive':
            device.exclusive = booleanOf(args[1]?.text);
            break;
          case 'WdfDeviceInitAssignSDDLString':
            addSddl(file, device, args[1]);
            break;
          case 'WdfControlDeviceInitAllocate':
            addSddl(file, device, args[1]);
            break;
        }
      }
      surface.devices.push(device);
    }
  }
  // WdfControlDeviceInitAllocate in the caller (DriverEntry) that hands the init to the function creating the device.
  for (const call of file.nodes('call_expression')) {
    if (calleeName(call) !== 'WdfControlDeviceInitAllocate' || !live(call)) continue;
    const caller = file.enclosingFunction(call);
    if (!caller?.body) continue;
    const callees = new Set(file.within(caller.body, 'call_expression').map((other) => calleeName(other)));
    for (const device of surface.devices) {
      if (!device.kmdf || device.control || device.function === caller.name || !device.function || !callees.has(device.function)) continue;
      device.control = true;
      if (device.sddlExpression === undefined) addSddl(file, device, callArguments(call)[1]);
    }
  }
  for (const { guid, fn } of interfaces) {
    const device = surface.devices.find((candidate) => candidate.function === fn) ?? (surface.devices.length === 1 ? surface.devices[0] : undefined);
    if (device && !device.interfaces.includes(guid)) device.interfaces.push(guid);
  }
  for (const link of kmdfLinks) {
    const device = surface.devices.find((candidate) => candidate.kmdf && candidate.function === link.fn) ?? surface.devices.find((candidate) => candidate.kmdf);
    if (device && link.link) addLink(device, link.link);
    else surface.symbolicLinks.push({ ...(link.link ? { link: link.link } : {}), line: link.line });
  }
  for (const link of links) {
    const device = surface.devices.find((candidate) => link.target !== undefined && candidate.name === link.target)
      ?? surface.devices.find((candidate) => link.targetExpression !== undefined && candidate.nameExpression === link.targetExpression)
      ?? (link.target === undefined && surface.devices.length === 1 ? surface.devices[0] : undefined);
    if (device && link.link) {
      addLink(device, link.link);
    } else {
      surface.symbolicLinks.push({ ...(link.link ? { link: link.link } : {}), ...(link.target ? { target: link.target } : {}), line: link.line });
    }
  }
}

function addSddl(file: SourceFile, device: DeviceFact, argument: Node | undefined): void {
  if (!argument) return;
  device.sddlExpression = argument.text.trim();
  const sddl = resolveSddl(file, argument);
  if (sddl !== undefined) {
    device.sddl = sddl;
    const grant = broadWriteGrant(sddl);
    if (grant) device.openTo = grant.who;
  }
}

function collectQueues(file: SourceFile, surface: FileSurface, live: (node: Node) => boolean): void {
  const creates = file.nodes('call_expression').filter((call) => calleeName(call) === 'WdfIoQueueCreate' && live(call));
  for (const [index, call] of creates.entries()) {
    const fn = file.enclosingFunction(call);
    const config = stripAddress(callArguments(call)[1]);
    if (!fn?.body || !config) continue;
    // One config variable often serves several queues: each queue takes what was set since the previous create in
    // the function, and the dispatching configured until the next one.
    const previous = creates.slice(0, index).reverse().find((other) => file.enclosingFunction(other)?.node.id === fn.node.id);
    const next = creates.slice(index + 1).find((other) => file.enclosingFunction(other)?.node.id === fn.node.id);
    const from = previous ? previous.endIndex : fn.body.startIndex;
    const to = next ? next.startIndex : fn.body.endIndex;
    const queue: QueueFact = { config, defaultQueue: false, callbacks: [], requestTypes: [], function: fn.name, line: lineOf(file, call) };
    const queueHandle = stripAddress(callArguments(call)[3]);
    for (const other of file.within(fn.body, 'call_expression')) {
      const callee = calleeName(other);
      const args = callArguments(other);
      if ((callee === 'WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE' || callee === 'WDF_IO_QUEUE_CONFIG_INIT') && stripAddress(args[0]) === config && other.startIndex >= from && other.startIndex < call.startIndex) {
        queue.defaultQueue = callee === 'WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE';
        queue.dispatchType = args[1]?.text.trim();
      } else if (callee === 'WdfDeviceConfigureRequestDispatching' && queueHandle && args[1]?.text.trim() === queueHandle && args[2] && other.startIndex > call.startIndex && other.startIndex < to) {
        queue.requestTypes.push(args[2].text.trim());
      }
    }
    for (const assignment of file.within(fn.body, 'assignment_expression')) {
      if (assignment.startIndex < from || assignment.startIndex >= call.startIndex) continue;
      const left = unwrap(assignment.childForFieldName('left'));
      const right = unwrap(assignment.childForFieldName('right'));
      if (left?.type !== 'field_expression' || right?.type !== 'identifier') continue;
      const field = fieldName(left);
      const base = left.childForFieldName('argument')?.text.trim();
      if (field?.startsWith('EvtIo') && (base === config || base === `(${config})`)) queue.callbacks.push({ field, function: right.text });
    }
    surface.queues.push(queue);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A workspace folder's attack surface

export interface Location {
  file: string;
  line: number;
}

export interface FindingRef {
  ruleId: string;
  severity: Finding['severity'];
  message: string;
  file: string;
  line: number;
  character: number;
}

export interface IoctlEntry extends Partial<IoctlCodeFact> {
  /** The macro name, or the case label as written when it is not a name. */
  name: string;
  /** Where the code is defined (`#define … CTL_CODE`), when a file of the folder defines it. */
  definition?: Location;
  /** Defined in the folder but no switch of the driver handles it. */
  declaredOnly: boolean;
  /** Findings on the definition (METHOD_NEITHER, FILE_ANY_ACCESS). */
  findings: FindingRef[];
  /** Handled by a case but not defined in the folder (an SDK code, a literal, or a header outside the folder). */
  undeclared: boolean;
  handlers: IoctlHandler[];
}

/** What a handler (with the functions it calls) does with the request, in the folder's terms. */
export interface HandlerFacts {
  reads: string[];
  writes: string[];
  lengthChecks: { text: string; location: Location }[];
  probes: number;
  logs: number;
  callerChecks: string[];
  resources: string[];
}

export interface IoctlHandler extends HandlerFacts {
  /** The function holding the switch. */
  dispatcher: string;
  /** The `case` line. */
  caseLocation: Location;
  /** The function the case calls, when it does; else the case handles the request inline. */
  function?: string;
  /** Where that function is defined, when a file of the driver defines it. */
  location?: Location;
  /** Other functions of the driver the case calls (their findings count for the IOCTL; their buffer use does not). */
  helpers?: string[];
  reads: string[];
  writes: string[];
  lengthChecks: { text: string; location: Location }[];
  probes: number;
  logs: number;
  callerChecks: string[];
  resources: string[];
  findings: FindingRef[];
}

export interface DeviceEntry extends Omit<DeviceFact, 'line' | 'function'> {
  location: Location;
  function?: string;
  /** Who can open it: `sddl` (the SDDL decides), `default` (no SDDL in the code: the default descriptor, or the INF's). */
  security: 'sddl' | 'default';
  /** Findings on the creating call (no FILE_DEVICE_SECURE_OPEN, no SDDL). */
  findings: FindingRef[];
}

export interface DriverSurface {
  /** The driver's folder, relative to the root given to `buildAttackSurface` ('.' for the root itself). */
  name: string;
  folder: string;
  model: 'WDM' | 'KMDF' | 'unknown';
  driverEntry?: Location;
  files: string[];
  devices: DeviceEntry[];
  symbolicLinks: { link?: string; target?: string; location: Location }[];
  dispatch: ({ major: string; function: string; kmdf: boolean; location: Location; handlerLocation?: Location; findings: FindingRef[] } & HandlerFacts)[];
  queues: (Omit<QueueFact, 'line'> & { location: Location })[];
  ioctls: IoctlEntry[];
  summary: SurfaceSummary;
}

export interface SurfaceSummary {
  devices: number;
  ioctls: number;
  /** Devices whose SDDL lets a broad group (Everyone, Users, …) write. */
  openToAnyUser: number;
  /** Devices created with no SDDL in the code. */
  defaultSecurity: number;
  /** Named WDM devices without FILE_DEVICE_SECURE_OPEN. */
  withoutSecureOpen: number;
  methodNeither: number;
  anyAccess: number;
  declaredOnly: number;
  undeclared: number;
  /** Open (unsuppressed) findings inside the handlers and dispatch routines. */
  findings: number;
}

export interface AttackSurface {
  version: 1;
  drivers: DriverSurface[];
  summary: SurfaceSummary;
}

export interface SurfaceInput {
  file: string;
  surface?: FileSurface;
  findings: readonly Finding[];
}

const HEADER = /\.(h|hh|hpp|hxx|inl)$/i;

/** Findings that mean a length the caller controls is used unchecked. */
export const UNCHECKED_LENGTH_RULES = new Set(['input-length-not-validated', 'output-length-not-validated', 'user-length-copy-unchecked', 'unicode-string-length-trust', 'probe-length-mismatch', 'size-arithmetic-overflow']);

function emptySummary(): SurfaceSummary {
  return { devices: 0, ioctls: 0, openToAnyUser: 0, defaultSecurity: 0, withoutSecureOpen: 0, methodNeither: 0, anyAccess: 0, declaredOnly: 0, undeclared: 0, findings: 0 };
}

/**
 * Joins the files of a folder into drivers. `root` makes folder names relative (and is the folder a header's IOCTL
 * codes may come from); files are named as given (paths or URIs: only `/`-separated folders are compared).
 */
export function buildAttackSurface(inputs: readonly SurfaceInput[], root = ''): AttackSurface {
  const folderOf = (file: string) => path.posix.dirname(file.replace(/\\/g, '/'));
  const isDriverFile = (surface: FileSurface | undefined) => surface !== undefined
    && (surface.driverEntry !== undefined || surface.dispatch.length > 0 || surface.queues.length > 0 || surface.cases.length > 0 || surface.devices.length > 0);
  const groups = new Map<string, SurfaceInput[]>();
  for (const input of inputs) {
    if (HEADER.test(input.file) || !isDriverFile(input.surface)) continue;
    const folder = folderOf(input.file);
    groups.set(folder, [...(groups.get(folder) ?? []), input]);
  }
  // Source files of a driver folder without driver facts still hold helpers (handlers called from a switch).
  for (const input of inputs) {
    if (HEADER.test(input.file) || isDriverFile(input.surface) || !input.surface) continue;
    groups.get(folderOf(input.file))?.push(input);
  }
  // A subfolder without a DriverEntry (`HW/`, `common/`) belongs to the driver of the nearest folder above it that has one.
  const hasEntry = (members: SurfaceInput[]) => members.some((member) => member.surface?.driverEntry !== undefined);
  for (const folder of [...groups.keys()].sort((a, b) => b.length - a.length)) {
    const members = groups.get(folder)!;
    if (hasEntry(members)) continue;
    for (let parent = path.posix.dirname(folder); ; ) {
      const target = groups.get(parent);
      if (target && hasEntry(target)) {
        target.push(...members);
        groups.delete(folder);
        break;
      }
      const up = path.posix.dirname(parent);
      if (up === parent) break;
      parent = up;
    }
  }
  const headers = inputs.filter((input) => HEADER.test(input.file) && input.surface && (input.surface.definitions.length > 0 || input.surface.strings));
  const rootFolder = root.replace(/\\/g, '/').replace(/\/$/, '');
  // A header outside a driver's folders that several drivers take codes from (a shared `inc/`) is nobody's own: each
  // driver lists only the codes it handles from it, not the others' as "declared but not handled".
  const sorted = [...groups].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const owned = sorted.map(([folder, members]) => ownHeaders(folder, members, headers));
  const users = new Map<string, number>();
  sorted.forEach(([, members], index) => {
    const folders = new Set(members.map((member) => folderOf(member.file)));
    for (const header of owned[index]) if (!folders.has(folderOf(header.file))) users.set(header.file, (users.get(header.file) ?? 0) + 1);
  });
  const shared = new Set([...users].filter(([, count]) => count > 1).map(([file]) => file));
  const drivers: DriverSurface[] = sorted.map(([folder, members], index) => buildDriver(folder, members, owned[index], rootFolder, shared));
  const summary = emptySummary();
  for (const driver of drivers) for (const key of Object.keys(summary) as (keyof SurfaceSummary)[]) summary[key] += driver.summary[key];
  return { version: 1, drivers, summary };
}

/**
 * The driver's headers: those in its folders, and for each code it handles, the nearest header outside that defines
 * it (a workspace of many samples defines the same IOCTL in each sample's `inc/`).
 */
function ownHeaders(folder: string, members: SurfaceInput[], headers: SurfaceInput[]): SurfaceInput[] {
  const labels = new Set(members.flatMap((member) => member.surface!.cases.map((entry) => entry.label)));
  const folders = new Set(members.map((member) => folderOf(member.file)));
  const inside = headers.filter((header) => folders.has(folderOf(header.file)));
  const outside = headers.filter((header) => !folders.has(folderOf(header.file)) && header.surface!.definitions.some((definition) => labels.has(definition.name)));
  const shared = (file: string) => {
    const a = folderOf(file).split('/');
    const b = folder.split('/');
    let index = 0;
    while (index < a.length && index < b.length && a[index] === b[index]) index++;
    return index;
  };
  const kept = new Set<SurfaceInput>();
  for (const label of labels) {
    const defining = outside.filter((header) => header.surface!.definitions.some((definition) => definition.name === label));
    if (defining.length === 0) continue;
    const best = Math.max(...defining.map((header) => shared(header.file)));
    for (const header of defining) if (shared(header.file) === best) kept.add(header);
  }
  return [...inside, ...outside.filter((header) => kept.has(header))];
}

function buildDriver(folder: string, members: SurfaceInput[], own: SurfaceInput[], root: string, shared: ReadonlySet<string>): DriverSurface {
  const name = root && (folder === root || folder.startsWith(`${root}/`)) ? (folder === root ? '.' : folder.slice(root.length + 1)) : folder;
  const labels = new Set(members.flatMap((member) => member.surface!.cases.map((entry) => entry.label)));
  const folders = new Set(members.map((member) => folderOf(member.file)));
  const files = [...members, ...own];
  const functions = new Map<string, { fact: FunctionFact; file: string }>();
  for (const member of files) for (const fact of member.surface!.functions) if (!functions.has(fact.name)) functions.set(fact.name, { fact, file: member.file });
  const openFindings = (file: string) => (files.find((member) => member.file === file)?.findings ?? []).filter((finding) => !finding.suppression && finding.ruleId !== 'unused-suppression');
  const findingRef = (file: string, finding: Finding): FindingRef => ({ ruleId: finding.ruleId, severity: finding.severity, message: finding.message, file, line: finding.range.start.line, character: finding.range.start.character });
  /** The function and every function of the driver it calls, transitively (bounded). */
  const reach = (start: string): { fact: FunctionFact; file: string }[] => {
    const result: { fact: FunctionFact; file: string }[] = [];
    const visited = new Set<string>();
    const queue = [start];
    while (queue.length > 0 && result.length < 50) {
      const current = queue.shift()!;
      if (visited.has(current)) continue;
      visited.add(current);
      const found = functions.get(current);
      if (!found) continue;
      result.push(found);
      queue.push(...found.fact.calls);
    }
    return result;
  };
  const findingsIn = (ranges: { file: string; line: number; endLine: number }[]): FindingRef[] => {
    const refs: FindingRef[] = [];
    const seen = new Set<string>();
    for (const range of ranges) {
      for (const finding of openFindings(range.file)) {
        const line = finding.range.start.line;
        if (line < range.line || line > range.endLine) continue;
        const key = `${range.file}:${line}:${finding.range.start.character}:${finding.ruleId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        refs.push(findingRef(range.file, finding));
      }
    }
    return refs.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  };

  const devices: DeviceEntry[] = [];
  const symbolicLinks: DriverSurface['symbolicLinks'] = [];
  const dispatch: DriverSurface['dispatch'] = [];
  const queues: DriverSurface['queues'] = [];
  let driverEntry: Location | undefined;
  let kmdf = false;
  let wdm = false;
  for (const member of members) {
    const surface = member.surface!;
    if (surface.driverEntry && !driverEntry) driverEntry = { file: member.file, line: surface.driverEntry.line };
    for (const device of surface.devices) {
      // Names and links from string macros resolved per file (`WorkspaceFacts.macrosFor`): a workspace of several
      // drivers defining NT_DEVICE_NAME once per driver gives each file its own driver's definition.
      const { line, function: fn, ...rest } = device;
      devices.push({ ...rest, ...(fn ? { function: fn } : {}), security: device.sddlExpression !== undefined ? 'sddl' : 'default', location: { file: member.file, line }, findings: findingsIn([{ file: member.file, line, endLine: line }]) });
      if (device.kmdf) kmdf = true;
      else wdm = true;
    }
    for (const link of surface.symbolicLinks) symbolicLinks.push({ ...(link.link ? { link: link.link } : {}), ...(link.target ? { target: link.target } : {}), location: { file: member.file, line: link.line } });
    for (const entry of surface.dispatch) {
      if (entry.kmdf) kmdf = true;
      else wdm = true;
      const found = functions.get(entry.function);
      const reached = found ? reach(entry.function) : [];
      dispatch.push({
        major: entry.major,
        function: entry.function,
        kmdf: entry.kmdf,
        location: { file: member.file, line: entry.line },
        ...(found ? { handlerLocation: { file: found.file, line: found.fact.nameLine } } : {}),
        ...handlerFacts(reached.map(({ fact, file }) => ({ facts: fact, file })), []),
        findings: findingsIn(reached.map(({ fact, file }) => ({ file, line: fact.line, endLine: fact.endLine }))),
      });
    }
    for (const queue of surface.queues) {
      kmdf = true;
      const { line, ...rest } = queue;
      queues.push({ ...rest, location: { file: member.file, line } });
    }
  }
  // A device's symbolic link created in another file of the driver.
  for (const link of [...symbolicLinks]) {
    const device = devices.find((candidate) => link.target !== undefined && candidate.name === link.target);
    if (device && link.link) {
      device.symbolicLinks.push(link.link);
      symbolicLinks.splice(symbolicLinks.indexOf(link), 1);
    }
  }

  // IOCTLs: definitions of the driver's files and headers, joined with the cases by name or by value.
  const ioctls = new Map<string, IoctlEntry>();
  const handledValues = new Set(members.flatMap((member) => member.surface!.cases.flatMap((entry) => (entry.code ? [entry.code.value] : []))));
  for (const member of files) {
    const onlyHandled = shared.has(member.file) && !folders.has(folderOf(member.file));
    for (const definition of member.surface!.definitions) {
      if (ioctls.has(definition.name)) continue;
      if (onlyHandled && !labels.has(definition.name) && !handledValues.has(definition.value)) continue;
      const { line, ...code } = definition;
      ioctls.set(definition.name, { ...code, definition: { file: member.file, line }, declaredOnly: true, findings: findingsIn([{ file: member.file, line, endLine: line }]), undeclared: false, handlers: [] });
    }
  }
  for (const member of members) {
    for (const entry of member.surface!.cases) {
      let ioctl = ioctls.get(entry.label);
      if (!ioctl && entry.code) ioctl = [...ioctls.values()].find((candidate) => candidate.value === entry.code!.value);
      if (!ioctl) {
        ioctl = { name: entry.label, ...(entry.code ?? {}), declaredOnly: false, findings: [], undeclared: true, handlers: [] };
        ioctls.set(entry.label, ioctl);
      }
      ioctl.declaredOnly = false;
      const handler = entry.handler ? functions.get(entry.handler) : undefined;
      const reached = entry.handler ? reach(entry.handler) : [];
      const helpers = entry.helpers.flatMap((helper) => reach(helper));
      ioctl.handlers.push({
        dispatcher: entry.dispatcher,
        caseLocation: { file: member.file, line: entry.line },
        ...(entry.handler ? { function: entry.handler } : {}),
        ...(handler ? { location: { file: handler.file, line: handler.fact.nameLine } } : {}),
        ...handlerFacts([{ facts: entry.facts, file: member.file }, ...reached.map(({ fact, file }) => ({ facts: fact, file }))], helpers.map(({ fact }) => fact)),
        ...(entry.helpers.length > 0 ? { helpers: entry.helpers } : {}),
        findings: findingsIn([{ file: member.file, line: entry.line, endLine: entry.endLine }, ...[...reached, ...helpers].map(({ fact, file }) => ({ file, line: fact.line, endLine: fact.endLine }))]),
      });
    }
  }
  const ioctlList = [...ioctls.values()].sort((a, b) => (a.value ?? Infinity) - (b.value ?? Infinity) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const summary = emptySummary();
  summary.devices = devices.length;
  summary.ioctls = ioctlList.length;
  summary.openToAnyUser = devices.filter((device) => device.openTo !== undefined).length;
  summary.defaultSecurity = devices.filter((device) => device.security === 'default').length;
  summary.withoutSecureOpen = devices.filter((device) => !device.kmdf && (device.name !== undefined || device.nameExpression !== undefined) && !device.secureOpen).length;
  summary.methodNeither = ioctlList.filter((ioctl) => ioctl.method === 'METHOD_NEITHER' && !ioctl.declaredOnly).length;
  summary.anyAccess = ioctlList.filter((ioctl) => ioctl.access === 'FILE_ANY_ACCESS' && !ioctl.declaredOnly).length;
  summary.declaredOnly = ioctlList.filter((ioctl) => ioctl.declaredOnly).length;
  summary.undeclared = ioctlList.filter((ioctl) => ioctl.undeclared).length;
  const counted = new Set<string>();
  for (const finding of [...devices.flatMap((device) => device.findings), ...dispatch.flatMap((entry) => entry.findings), ...ioctlList.flatMap((ioctl) => [...ioctl.findings, ...ioctl.handlers.flatMap((handler) => handler.findings)])]) {
    counted.add(`${finding.file}:${finding.line}:${finding.character}:${finding.ruleId}`);
  }
  summary.findings = counted.size;

  return {
    name,
    folder,
    model: kmdf && !wdm ? 'KMDF' : wdm ? 'WDM' : kmdf ? 'KMDF' : 'unknown',
    ...(driverEntry ? { driverEntry } : {}),
    files: files.map((member) => member.file).sort(),
    devices,
    symbolicLinks,
    dispatch,
    queues,
    ioctls: ioctlList,
    summary,
  };
}

/** Buffer facts of the code a handler runs, joined; helpers add only the resources they touch. */
function handlerFacts(parts: { facts: BufferFacts; file: string }[], helpers: BufferFacts[]): HandlerFacts {
  return {
    reads: [...new Set(parts.flatMap(({ facts }) => facts.reads.map((read) => read.source)))].sort(),
    writes: [...new Set(parts.flatMap(({ facts }) => facts.writes.map((write) => write.source)))].sort(),
    lengthChecks: parts.flatMap(({ facts, file }) => facts.lengthChecks.map((check) => ({ text: check.text, location: { file, line: check.line } }))),
    probes: parts.reduce((sum, { facts }) => sum + facts.probes.length, 0),
    logs: parts.reduce((sum, { facts }) => sum + facts.logs, 0),
    callerChecks: [...new Set(parts.flatMap(({ facts }) => facts.callerChecks))].sort(),
    resources: [...new Set([...parts.map(({ facts }) => facts), ...helpers].flatMap((facts) => facts.resources))].sort(),
  };
}

function folderOf(file: string): string {
  return path.posix.dirname(file.replace(/\\/g, '/'));
}

/** "3 devices, 14 IOCTLs, 2 open to any user" — the one-line evidence the checklist shows. */
export function summaryLine(summary: SurfaceSummary): string {
  const plural = (count: number, word: string, words = `${word}s`) => `${count} ${count === 1 ? word : words}`;
  const parts = [plural(summary.devices, 'device'), plural(summary.ioctls, 'IOCTL')];
  if (summary.openToAnyUser > 0) parts.push(`${summary.openToAnyUser} open to any user`);
  if (summary.defaultSecurity > 0) parts.push(`${summary.defaultSecurity} with default security`);
  if (summary.withoutSecureOpen > 0) parts.push(`${summary.withoutSecureOpen} without FILE_DEVICE_SECURE_OPEN`);
  if (summary.methodNeither > 0) parts.push(`${summary.methodNeither} METHOD_NEITHER`);
  if (summary.anyAccess > 0) parts.push(`${summary.anyAccess} FILE_ANY_ACCESS`);
  return parts.join(', ');
}
