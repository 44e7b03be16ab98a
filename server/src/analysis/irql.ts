/**
 * IRQL tracking inside one function: the IRQL a function is entered at (its `_IRQL_requires_*` annotations, read from
 * the original text because the neutralizer blanks them, or the callback role it is registered for), how
 * KeRaiseIrql/KeLowerIrql, spin locks (plain, in-stack queued, at-DPC-level, WDF) and fast mutexes move it on each
 * path, and the documented IRQL range of common DDIs (`calleeIrqlRange`). Levels are bounds: `low` is the least the
 * IRQL can be at a point, `high` the most; unknown is [PASSIVE_LEVEL, HIGH_LEVEL]. Everything errs towards the
 * widest range (an unknown release or helper restores "unknown"), so a rule that reports only when a bound is
 * surely violated stays precise.
 */
import { analyzePaths, normalizedText, type FlowNode, type PathResult } from './paths';
import { callArguments, calleeName, CAST_OR_PARENTHESES, climbWrappers, unwrap, type Node } from './query';
import { callNamedBy, type FunctionInfo, type SourceFile } from './source-file';
import { callTokens } from './call-tokens';
import { escapeRegExp, lookupTable } from './lookup';

export const PASSIVE_LEVEL = 0;
export const APC_LEVEL = 1;
export const DISPATCH_LEVEL = 2;
/** Device IRQLs: anything above DISPATCH_LEVEL (an ISR's level is not known statically). */
export const DIRQL = 3;
export const HIGH_LEVEL = 15;

const LEVEL_NAMES: Record<string, number> = lookupTable({
  PASSIVE_LEVEL: 0,
  LOW_LEVEL: 0,
  APC_LEVEL: 1,
  DISPATCH_LEVEL: 2,
  DPC_LEVEL: 2,
  CMCI_LEVEL: 5,
  PROFILE_LEVEL: 27,
  CLOCK_LEVEL: 28,
  CLOCK1_LEVEL: 28,
  CLOCK2_LEVEL: 28,
  IPI_LEVEL: 29,
  POWER_LEVEL: 30,
  HIGH_LEVEL: 31,
});

/** The numeric IRQL an expression names (`DISPATCH_LEVEL`, `2`), or undefined. Levels above DISPATCH collapse to DIRQL..HIGH. */
export function irqlValue(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim().replace(/^\((.*)\)$/, '$1').trim();
  const named = LEVEL_NAMES[trimmed];
  const value = named ?? (/^\d+$/.test(trimmed) ? Number(trimmed) : undefined);
  if (value === undefined || value > 31) return undefined;
  return value > DISPATCH_LEVEL ? Math.min(value, HIGH_LEVEL) : value;
}

export function irqlName(level: number): string {
  if (level === PASSIVE_LEVEL) return 'PASSIVE_LEVEL';
  if (level === APC_LEVEL) return 'APC_LEVEL';
  if (level === DISPATCH_LEVEL) return 'DISPATCH_LEVEL';
  if (level >= HIGH_LEVEL) return 'HIGH_LEVEL';
  return 'DIRQL';
}

/** What a function promises about IRQL (SAL), or the role it is registered for. */
export interface IrqlContract {
  /** `_IRQL_requires_(X)`. */
  requires?: number;
  /** `_IRQL_requires_max_(X)`. */
  max?: number;
  /** `_IRQL_requires_min_(X)`. */
  min?: number;
  /** `_IRQL_raises_(X)`: the function returns at X. */
  raises?: number;
  /** `_Function_class_(X)`. */
  functionClass?: string;
}

/** Parses the SAL IRQL annotations in a piece of original text. */
export function parseIrqlAnnotations(text: string): IrqlContract {
  const contract: IrqlContract = {};
  for (const match of text.matchAll(/\b_IRQL_(requires|requires_max|requires_min|raises)_\s*\(\s*([A-Za-z0-9_]+)\s*\)/g)) {
    const value = irqlValue(match[2]);
    if (value === undefined) continue;
    if (match[1] === 'requires') contract.requires = value;
    else if (match[1] === 'requires_max') contract.max = value;
    else if (match[1] === 'requires_min') contract.min = value;
    else contract.raises = value;
  }
  const functionClass = /\b_Function_class_\s*\(\s*(\w+)\s*\)/.exec(text);
  if (functionClass) contract.functionClass = functionClass[1];
  return contract;
}

/** The original text in front of a definition or declaration that may hold its annotations (back to the previous `;`, `}` or `{`). */
function annotationTextBefore(text: string, start: number): string {
  const from = Math.max(0, start - 800);
  const before = text.slice(from, start);
  const cut = Math.max(before.lastIndexOf(';'), before.lastIndexOf('}'), before.lastIndexOf('{'));
  return before.slice(cut + 1);
}

const callOffsetCache = new WeakMap<SourceFile, Map<string, number[]>>();

/**
 * Where `name` stands before a `(` in the file's text (`\bname\s*\(`). One scan per file finds every identifier
 * followed by `(`, so asking for each function does not read the whole text once per function.
 */
function nameCallOffsets(file: SourceFile, name: string): number[] {
  if (!/^[A-Za-z_]\w*$/.test(name)) {
    return [...file.text.matchAll(new RegExp(`\\b${escapeRegExp(name)}\\s*\\(`, 'g'))].map((match) => match.index!);
  }
  let offsets = callOffsetCache.get(file);
  if (!offsets) {
    offsets = new Map();
    // Identifiers are matched whole (`\b` before, `\s*\(` after), and matches cannot overlap an identifier, so
    // these are exactly the offsets the per-name pattern would find.
    const tokens = callTokens(file.text);
    tokens.names.forEach((found, index) => {
      const list = offsets!.get(found);
      if (list) list.push(tokens.starts[index]);
      else offsets!.set(found, [tokens.starts[index]]);
    });
    callOffsetCache.set(file, offsets);
  }
  return offsets.get(name) ?? [];
}

const annotationMentions = new WeakMap<SourceFile, boolean>();

/** Whether the file names an IRQL annotation anywhere (asked once per file: a scan of the text per function costs ms). */
function mentionsIrqlAnnotations(file: SourceFile): boolean {
  let mentions = annotationMentions.get(file);
  if (mentions === undefined) {
    mentions = /_IRQL_|_Function_class_/.test(file.text);
    annotationMentions.set(file, mentions);
  }
  return mentions;
}

/** The annotation text of a function: before its definition (including the declarator's text, where `_IRQL_raises_` may sit) and before its prototypes in this file. */
function annotationTexts(file: SourceFile, fn: FunctionInfo): string[] {
  const texts = [annotationTextBefore(file.text, fn.node.startIndex)];
  const head = fn.body ? file.text.slice(fn.node.startIndex, fn.body.startIndex) : '';
  texts.push(head);
  if (mentionsIrqlAnnotations(file)) {
    for (const index of nameCallOffsets(file, fn.name)) {
      if (index >= fn.node.startIndex && index < fn.node.endIndex) continue;
      // A prototype: `name(...)` followed by `;` before any `{`.
      const rest = file.text.slice(index, index + 2000);
      const semi = rest.indexOf(';');
      const brace = rest.indexOf('{');
      if (semi < 0 || (brace >= 0 && brace < semi)) continue;
      const lineStart = file.text.lastIndexOf('\n', index) + 1;
      const statementStart = annotationTextBefore(file.text, lineStart);
      texts.push(statementStart + file.text.slice(lineStart, index));
    }
  }
  return texts;
}

const contractCache = new WeakMap<FunctionInfo, IrqlContract>();

/** The IRQL annotations of a function of this file (definition and prototypes merged; the definition wins). */
export function irqlContractOf(file: SourceFile, fn: FunctionInfo): IrqlContract {
  const cached = contractCache.get(fn);
  if (cached) return cached;
  const merged: IrqlContract = {};
  for (const text of annotationTexts(file, fn).reverse()) Object.assign(merged, parseIrqlAnnotations(text));
  contractCache.set(fn, merged);
  return merged;
}

const factsCache = new WeakMap<SourceFile, string>();

/**
 * What the file says of every function's IRQL, as one string: the roles (a DPC registered in AddDevice, an unload
 * routine assigned in DriverEntry) and the IRQL annotations, which sit outside function bodies or are blanked before
 * parsing, so the reuse plan would not see them change. The `fileFacts` of the rules built on `irqlPaths`.
 */
export function irqlFileFacts(file: SourceFile): string {
  let facts = factsCache.get(file);
  if (facts === undefined) {
    const roles = [...irqlRoles(file)].map(([name, role]) => `${name}=${role}`).sort().join(' ');
    const contracts = file.functions().map((fn) => `${fn.name}:${JSON.stringify(irqlContractOf(file, fn))}`).join(' ');
    facts = `${roles}\n${contracts}`;
    factsCache.set(file, facts);
  }
  return facts;
}

/** Callback roles that fix the IRQL a function runs at. */
export type IrqlRole = 'passive-callback' | 'dpc' | 'isr' | 'completion';

/** Role types (`KDEFERRED_ROUTINE MyDpc;`, `_Function_class_(…)`) and the IRQL role they stand for. */
const ROLE_TYPE_IRQL: Record<string, IrqlRole> = lookupTable({
  DRIVER_INITIALIZE: 'passive-callback',
  DRIVER_ADD_DEVICE: 'passive-callback',
  DRIVER_UNLOAD: 'passive-callback',
  EVT_WDF_DRIVER_DEVICE_ADD: 'passive-callback',
  EVT_WDF_DRIVER_UNLOAD: 'passive-callback',
  KDEFERRED_ROUTINE: 'dpc',
  IO_DPC_ROUTINE: 'dpc',
  EVT_WDF_DPC: 'dpc',
  EVT_WDF_INTERRUPT_DPC: 'dpc',
  KSERVICE_ROUTINE: 'isr',
  EVT_WDF_INTERRUPT_ISR: 'isr',
  IO_COMPLETION_ROUTINE: 'completion',
  EVT_WDF_REQUEST_COMPLETION_ROUTINE: 'completion',
});

/** Registration calls and the argument that names the callback. */
const ROLE_REGISTRATIONS: Record<string, { argument: number; role: IrqlRole }> = lookupTable({
  KeInitializeDpc: { argument: 1, role: 'dpc' },
  IoInitializeDpcRequest: { argument: 1, role: 'dpc' },
  IoConnectInterrupt: { argument: 1, role: 'isr' },
  IoSetCompletionRoutine: { argument: 1, role: 'completion' },
  IoSetCompletionRoutineEx: { argument: 2, role: 'completion' },
  WdfRequestSetCompletionRoutine: { argument: 1, role: 'completion' },
  WDF_DRIVER_CONFIG_INIT: { argument: 1, role: 'passive-callback' },
});


const roleCache = new WeakMap<SourceFile, Map<string, IrqlRole>>();

/**
 * The IRQL roles of the file's functions: DriverEntry, AddDevice and Unload routines (PASSIVE_LEVEL), DPCs
 * (DISPATCH_LEVEL), ISRs (DIRQL), I/O completion routines (<= DISPATCH_LEVEL). A name with two roles gets none.
 * A KMDF ISR is left out when the file asks for passive-level interrupt handling.
 */
export function irqlRoles(file: SourceFile): Map<string, IrqlRole> {
  const cached = roleCache.get(file);
  if (cached) return cached;
  const found = new Map<string, IrqlRole | null>();
  const add = (name: string | undefined, role: IrqlRole): void => {
    if (!name || !/^\w+$/.test(name)) return;
    const previous = found.get(name);
    found.set(name, previous === undefined || previous === role ? role : null);
  };
  const passiveInterrupts = /\bPassiveHandling\b/.test(file.text);
  for (const fn of file.functions()) {
    if (fn.name === 'DriverEntry') add(fn.name, 'passive-callback');
    const functionClass = irqlContractOf(file, fn).functionClass;
    const role = functionClass ? ROLE_TYPE_IRQL[functionClass] : undefined;
    if (role && !(role === 'isr' && passiveInterrupts && functionClass === 'EVT_WDF_INTERRUPT_ISR')) add(fn.name, role);
  }
  // Found from where the words occur (one scan for all): asking every declaration, call and assignment costs ms on
  // a big file.
  for (const word of file.wordNodes(ROLE_WORDS)) {
    const text = word.text;
    const typeRole = ROLE_TYPE_IRQL[text];
    if (typeRole) {
      if (typeRole === 'isr' && passiveInterrupts && text === 'EVT_WDF_INTERRUPT_ISR') continue;
      const declaration = word.parent;
      if (declaration?.type !== 'declaration' || declaration.childForFieldName('type')?.id !== word.id) continue;
      for (const declarator of declaration.childrenForFieldName('declarator')) if (declarator?.type === 'identifier') add(declarator.text, typeRole);
      continue;
    }
    const registration = ROLE_REGISTRATIONS[text];
    if (registration) {
      const call = callNamedBy(word);
      const argument = call ? unwrap(callArguments(call)[registration.argument]) : undefined;
      if (argument?.type === 'identifier') add(argument.text, registration.role);
      continue;
    }
    const assignment = assignmentTo(word);
    const left = assignment?.childForFieldName('left')?.text ?? '';
    const right = unwrap(assignment?.childForFieldName('right'));
    if (right?.type !== 'identifier') continue;
    if (/->\s*AddDevice$|->\s*DriverUnload$|\.\s*EvtDriverDeviceAdd$|\.\s*EvtDriverUnload$/.test(left)) add(right.text, 'passive-callback');
    else if (/\.\s*EvtInterruptDpc$|\.\s*EvtDpcFunc$/.test(left)) add(right.text, 'dpc');
    else if (/\.\s*EvtInterruptIsr$/.test(left) && !passiveInterrupts) add(right.text, 'isr');
  }
  const roles = new Map<string, IrqlRole>();
  for (const [name, role] of found) if (role) roles.set(name, role);
  roleCache.set(file, roles);
  return roles;
}

/** The fields whose assignment gives a function an IRQL role (`->AddDevice = F`, `.EvtInterruptIsr = F`). */
const ROLE_FIELDS = ['AddDevice', 'DriverUnload', 'EvtDriverDeviceAdd', 'EvtDriverUnload', 'EvtInterruptDpc', 'EvtDpcFunc', 'EvtInterruptIsr'];
/** What `irqlRoles` looks for: role types, registration calls and role fields. */
const ROLE_WORDS = [...Object.keys(ROLE_TYPE_IRQL), ...Object.keys(ROLE_REGISTRATIONS), ...ROLE_FIELDS];

/** The assignment whose left side ends with this word (a field: up from it through the nodes that end with it). */
function assignmentTo(word: Node): Node | undefined {
  let left = word;
  while (left.parent && left.parent.type !== 'assignment_expression' && left.parent.endIndex === word.endIndex) left = left.parent;
  const assignment = left.parent;
  return assignment?.type === 'assignment_expression' && assignment.childForFieldName('left')?.id === left.id ? assignment : undefined;
}

/** A range of IRQLs, both ends included. */
export interface IrqlRange {
  low: number;
  high: number;
}

/** Why the entry range is what it is, for messages. */
export interface EntryIrql extends IrqlRange {
  reason?: string;
  /** A completion routine: may run at DISPATCH_LEVEL even though it may also run at PASSIVE_LEVEL. */
  mayDispatch?: boolean;
}

/** The IRQL range a function is entered at. */
export function entryIrql(file: SourceFile, fn: FunctionInfo): EntryIrql {
  const contract = irqlContractOf(file, fn);
  if (contract.requires !== undefined) return { low: contract.requires, high: contract.requires, reason: `\`${fn.name}\` is annotated _IRQL_requires_(${irqlName(contract.requires)})` };
  const role = irqlRoles(file).get(fn.name);
  let range: EntryIrql = { low: PASSIVE_LEVEL, high: HIGH_LEVEL };
  if (role === 'passive-callback') range = { low: PASSIVE_LEVEL, high: PASSIVE_LEVEL, reason: `\`${fn.name}\` is called at PASSIVE_LEVEL` };
  else if (role === 'dpc') range = { low: DISPATCH_LEVEL, high: DISPATCH_LEVEL, reason: `\`${fn.name}\` is a DPC routine, which runs at DISPATCH_LEVEL` };
  else if (role === 'isr') range = { low: DIRQL, high: HIGH_LEVEL, reason: `\`${fn.name}\` is an interrupt service routine, which runs at DIRQL` };
  else if (role === 'completion') range = { low: PASSIVE_LEVEL, high: DISPATCH_LEVEL, reason: `\`${fn.name}\` is an I/O completion routine, which may run at DISPATCH_LEVEL`, mayDispatch: true };
  if (contract.min !== undefined && contract.min > range.low) range = { ...range, low: contract.min, reason: `\`${fn.name}\` is annotated _IRQL_requires_min_(${irqlName(contract.min)})`, mayDispatch: false };
  if (contract.max !== undefined && contract.max < range.high) range = { ...range, high: contract.max, mayDispatch: range.mayDispatch && contract.max >= DISPATCH_LEVEL };
  if (range.low > range.high) return { low: PASSIVE_LEVEL, high: HIGH_LEVEL };
  return range;
}

// ---------------------------------------------------------------------------------------------------------------
// DDI table

export interface CalleeIrql extends IrqlRange {
  /** Why (for messages): "`ZwCreateFile` requires PASSIVE_LEVEL". */
  why: string;
}

const PASSIVE_ONLY = new Set([
  'IoCreateDevice', 'IoCreateDeviceSecure', 'IoDeleteDevice', 'IoCreateSymbolicLink', 'IoCreateUnprotectedSymbolicLink', 'IoDeleteSymbolicLink',
  'IoRegisterDeviceInterface', 'IoSetDeviceInterfaceState', 'IoGetDeviceObjectPointer', 'IoAttachDeviceToDeviceStack', 'IoDetachDevice',
  'IoCreateFile', 'IoCreateFileEx', 'IoCreateFileSpecifyDeviceObjectHint', 'IoOpenDeviceRegistryKey', 'IoOpenDeviceInterfaceRegistryKey',
  'IoRegisterPlugPlayNotification', 'IoGetDeviceProperty', 'IoGetDeviceInterfaces', 'IoBuildDeviceIoControlRequest', 'IoBuildSynchronousFsdRequest',
  'IoConnectInterrupt', 'IoConnectInterruptEx', 'IoDisconnectInterrupt', 'IoDisconnectInterruptEx', 'IoGetDmaAdapter', 'IoWMIRegistrationControl',
  'IoReleaseRemoveLockAndWait', 'IoRegisterShutdownNotification', 'IoInitializeTimer',
  'PsCreateSystemThread', 'PsTerminateSystemThread', 'PsSetCreateProcessNotifyRoutine', 'PsSetCreateProcessNotifyRoutineEx', 'PsSetLoadImageNotifyRoutine',
  'PsSetCreateThreadNotifyRoutine', 'CmRegisterCallback', 'CmRegisterCallbackEx', 'CmUnRegisterCallback',
  'RtlQueryRegistryValues', 'RtlQueryRegistryValuesEx', 'RtlWriteRegistryValue', 'RtlDeleteRegistryValue', 'RtlCheckRegistryKey', 'RtlCreateRegistryKey',
  'RtlAnsiStringToUnicodeString', 'RtlUnicodeStringToAnsiString', 'RtlUpcaseUnicodeString', 'RtlCreateUnicodeString',
  'MmGetSystemRoutineAddress', 'KeFlushQueuedDpcs', 'SeAccessCheck', 'SeSinglePrivilegeCheck',
  'WdfDriverCreate', 'WdfDeviceCreate', 'WdfDeviceCreateSymbolicLink', 'WdfDeviceCreateDeviceInterface', 'WdfControlDeviceInitAllocate',
  'WdfIoTargetSendIoctlSynchronously', 'WdfIoTargetSendInternalIoctlSynchronously', 'WdfIoTargetSendReadSynchronously', 'WdfIoTargetSendWriteSynchronously',
  'WdfIoTargetOpen', 'WdfDeviceOpenRegistryKey', 'WdfDriverOpenParametersRegistryKey',
]);

/** Routines that require IRQL <= APC_LEVEL. */
const APC_MAX = new Set([
  'KeDelayExecutionThread', 'ExAcquireFastMutex', 'ExAcquireFastMutexUnsafe', 'KeAcquireGuardedMutex', 'ExAcquireResourceExclusiveLite',
  'ExAcquireResourceSharedLite', 'KeEnterCriticalRegion', 'KeLeaveCriticalRegion', 'RtlEqualUnicodeString', 'RtlCompareUnicodeString',
]);

/** Routines that require IRQL >= DISPATCH_LEVEL (the caller is already at DISPATCH_LEVEL). */
const DISPATCH_MIN = new Set([
  'KeAcquireSpinLockAtDpcLevel', 'KeReleaseSpinLockFromDpcLevel', 'KeAcquireInStackQueuedSpinLockAtDpcLevel', 'KeReleaseInStackQueuedSpinLockFromDpcLevel',
  'NdisDprAcquireSpinLock', 'NdisDprReleaseSpinLock',
]);

/** Routines usable up to DISPATCH_LEVEL (listed so a same-named table entry elsewhere cannot widen them). */
const DISPATCH_MAX = new Set(['KeAcquireSpinLock', 'KeAcquireSpinLockRaiseToDpc', 'KeAcquireInStackQueuedSpinLock', 'WdfSpinLockAcquire', 'IoAllocateWorkItem', 'IoQueueWorkItem', 'IoCallDriver', 'IoCompleteRequest', 'ExFreePool', 'ExFreePoolWithTag']);

const POOL_ALLOCATORS = new Set(['ExAllocatePool', 'ExAllocatePoolWithTag', 'ExAllocatePoolWithQuotaTag', 'ExAllocatePoolWithTagPriority', 'ExAllocatePoolZero', 'ExAllocatePoolUninitialized', 'ExAllocatePool2', 'ExAllocatePool3']);

/** The timeout argument of the waits (`NULL`: wait forever). */
const WAIT_TIMEOUT: Record<string, number> = lookupTable({ KeWaitForSingleObject: 4, KeWaitForMultipleObjects: 6, KeWaitForMutexObject: 4, WdfWaitLockAcquire: 1 });

/**
 * The documented IRQL range of a call of a DDI, or undefined when the table has nothing (or it depends on an
 * argument we cannot read). Only documented limits: when a routine's limit depends on its arguments, the table
 * answers only for the arguments it can read (a paged pool type, a NULL timeout, `Wait = TRUE`).
 */
export function calleeIrqlRange(call: Node, name = calleeName(call)): CalleeIrql | undefined {
  if (!name) return undefined;
  if (/^Zw[A-Z]/.test(name)) return { low: PASSIVE_LEVEL, high: PASSIVE_LEVEL, why: `\`${name}\` requires PASSIVE_LEVEL` };
  if (PASSIVE_ONLY.has(name)) return { low: PASSIVE_LEVEL, high: PASSIVE_LEVEL, why: `\`${name}\` requires PASSIVE_LEVEL` };
  if (APC_MAX.has(name)) return { low: PASSIVE_LEVEL, high: APC_LEVEL, why: `\`${name}\` requires IRQL <= APC_LEVEL` };
  if (DISPATCH_MIN.has(name)) return { low: DISPATCH_LEVEL, high: DISPATCH_LEVEL, why: `\`${name}\` requires DISPATCH_LEVEL (the caller must already be there)` };
  if (DISPATCH_MAX.has(name)) return { low: PASSIVE_LEVEL, high: DISPATCH_LEVEL, why: `\`${name}\` requires IRQL <= DISPATCH_LEVEL` };
  const args = callArguments(call);
  if (POOL_ALLOCATORS.has(name)) {
    const pool = args[0]?.text ?? '';
    if (/\bPagedPool\w*\b|\bPOOL_FLAG_PAGED\b/.test(pool)) return { low: PASSIVE_LEVEL, high: APC_LEVEL, why: `\`${name}\` of paged pool (${pool.trim()}) requires IRQL <= APC_LEVEL` };
    if (/\bNonPagedPool\w*\b|\bPOOL_FLAG_NON_PAGED\b/.test(pool)) return { low: PASSIVE_LEVEL, high: DISPATCH_LEVEL, why: `\`${name}\` of non-paged pool requires IRQL <= DISPATCH_LEVEL` };
    return undefined;
  }
  const timeoutIndex = WAIT_TIMEOUT[name];
  if (timeoutIndex !== undefined) {
    const timeout = unwrap(args[timeoutIndex]);
    if (timeout && /^(NULL|nullptr)$/.test(timeout.text.trim())) return { low: PASSIVE_LEVEL, high: APC_LEVEL, why: `\`${name}\` without a timeout requires IRQL <= APC_LEVEL` };
    return undefined;
  }
  if (name === 'KeSetEvent' || name === 'KeReleaseSemaphore' || name === 'KeReleaseMutex') {
    const wait = unwrap(args[name === 'KeReleaseMutex' ? 1 : name === 'KeSetEvent' ? 2 : 3]);
    if (wait && /^(TRUE|true|1)$/.test(wait.text.trim())) return { low: PASSIVE_LEVEL, high: APC_LEVEL, why: `\`${name}\` with Wait = TRUE requires IRQL <= APC_LEVEL` };
    return { low: PASSIVE_LEVEL, high: DISPATCH_LEVEL, why: `\`${name}\` requires IRQL <= DISPATCH_LEVEL` };
  }
  return undefined;
}

/** The IRQL range a call of a function of this file requires, from its annotations (or its PAGED_CODE). */
export function localCalleeIrqlRange(file: SourceFile, name: string): CalleeIrql | undefined {
  const target = file.functionByName(name);
  if (!target) return undefined;
  const contract = irqlContractOf(file, target);
  if (contract.requires !== undefined) return { low: contract.requires, high: contract.requires, why: `\`${name}\` is annotated _IRQL_requires_(${irqlName(contract.requires)})` };
  if (contract.max !== undefined || contract.min !== undefined) {
    const low = contract.min ?? PASSIVE_LEVEL;
    const high = contract.max ?? HIGH_LEVEL;
    const parts = [contract.min !== undefined ? `_IRQL_requires_min_(${irqlName(low)})` : '', contract.max !== undefined ? `_IRQL_requires_max_(${irqlName(high)})` : ''].filter(Boolean);
    return { low, high, why: `\`${name}\` is annotated ${parts.join(' ')}` };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The path analysis

/** Facts: `lvl|<low>|<high>|<offset of the call that set it, or -1 at entry>`, `sv|<saved variable>|<low>|<high>` (the level a raise saved), `may` (completion routine, entry state). */
function levelFact(low: number, high: number, source: number): string {
  return `lvl|${low}|${high}|${source}`;
}

export interface IrqlState extends IrqlRange {
  /** Offset of the call that set the level (a raise or acquire), -1 when it is the entry IRQL. */
  source: number;
  /** A completion routine still at its entry IRQL: it may be at DISPATCH_LEVEL. */
  mayDispatch: boolean;
}

/** The IRQL state a path's facts describe (for exit states read from `IrqlPaths.result.after`). */
export function parseState(facts: readonly string[]): IrqlState {
  const level = facts.find((fact) => fact.startsWith('lvl|'));
  const [, low, high, source] = (level ?? 'lvl|0|15|-1').split('|');
  return { low: Number(low), high: Number(high), source: Number(source), mayDispatch: facts.includes('may') };
}

/** Raising acquires: the argument that receives the saved IRQL (index), or `result` when the call returns it. */
const RAISING: Record<string, { level: number; saved: number | 'result'; lockArgument?: number }> = lookupTable({
  KeAcquireSpinLock: { level: DISPATCH_LEVEL, saved: 1 },
  KeAcquireSpinLockRaiseToDpc: { level: DISPATCH_LEVEL, saved: 'result' },
  KeRaiseIrqlToDpcLevel: { level: DISPATCH_LEVEL, saved: 'result' },
  KeAcquireInStackQueuedSpinLock: { level: DISPATCH_LEVEL, saved: 1 },
  ExAcquireSpinLockExclusive: { level: DISPATCH_LEVEL, saved: 'result' },
  ExAcquireSpinLockShared: { level: DISPATCH_LEVEL, saved: 'result' },
  KeAcquireInterruptSpinLock: { level: DIRQL, saved: 'result' },
  // The saved IRQL lives in the lock object: the lock argument is the key.
  WdfSpinLockAcquire: { level: DISPATCH_LEVEL, saved: 0, lockArgument: 0 },
  ExAcquireFastMutex: { level: APC_LEVEL, saved: 0, lockArgument: 0 },
  NdisAcquireSpinLock: { level: DISPATCH_LEVEL, saved: 0, lockArgument: 0 },
});

/** Restoring releases: the argument holding the saved IRQL (or the lock / handle it was saved in). */
const RESTORING: Record<string, number> = lookupTable({
  KeReleaseSpinLock: 1,
  KeLowerIrql: 0,
  KeReleaseInStackQueuedSpinLock: 0,
  ExReleaseSpinLockExclusive: 1,
  ExReleaseSpinLockShared: 1,
  KeReleaseInterruptSpinLock: 1,
  WdfSpinLockRelease: 0,
  ExReleaseFastMutex: 0,
  NdisReleaseSpinLock: 0,
});

/** System routine names: passing them the saved IRQL does not restore it. */
const SYSTEM_ROUTINE = /^(Ke|Ex|Io|Rtl|Mm|Ob|Ps|Zw|Nt|Se|Po|Wdf|Dbg|Kd|Hal|Ndis|Interlocked|WPP|Trace)/;

function savedKey(node: Node | undefined): string | undefined {
  return normalizedText(node)?.replace(/^&/, '');
}

export interface IrqlPaths {
  result: PathResult;
  entry: EntryIrql;
  /** The IRQL state on each path reaching a point inside a flow node (after the calls before `offset` in it ran). */
  statesAt(node: FlowNode, offset: number): IrqlState[];
  /** The flow node that holds a call. */
  flowNodeOf(call: Node): FlowNode | undefined;
}

/**
 * Whether no call of the function can change the IRQL: no raise, acquire, lower or release, and no local callee
 * annotated `_IRQL_raises_`. (A helper handed a saved IRQL may restore it, but a saved IRQL needs a raise first.)
 * Then every reachable point is at the entry IRQL (`entryState`), and a caller can skip the path analysis unless
 * the entry IRQL alone already breaks a contract.
 */
export function leavesIrqlAlone(file: SourceFile, calls: readonly Node[]): boolean {
  return calls.every((call) => {
    const name = calleeName(call) ?? '';
    if (RAISING[name] || RESTORING[name] !== undefined || name === 'KeRaiseIrql') return false;
    if (!name || SYSTEM_ROUTINE.test(name)) return true;
    const local = file.functionByName(name);
    return !local || irqlContractOf(file, local).raises === undefined;
  });
}

/** The state a function starts in (what `irqlPaths` gives every point when `leavesIrqlAlone`). */
export function entryState(entry: EntryIrql): IrqlState {
  return { low: entry.low, high: entry.high, source: -1, mayDispatch: entry.mayDispatch === true };
}

const pathCache = new WeakMap<FunctionInfo, IrqlPaths | null>();

/**
 * The IRQL on every path of a function. Undefined when the function cannot be analysed or reads
 * KeGetCurrentIrql (it adapts to the IRQL: do not second-guess it).
 */
export function irqlPaths(file: SourceFile, fn: FunctionInfo): IrqlPaths | undefined {
  const cached = pathCache.get(fn);
  if (cached !== undefined) return cached ?? undefined;
  const computed = computeIrqlPaths(file, fn);
  pathCache.set(fn, computed ?? null);
  return computed;
}

function computeIrqlPaths(file: SourceFile, fn: FunctionInfo): IrqlPaths | undefined {
  if (!fn.body) return undefined;
  const calls = file.within(fn.body, 'call_expression');
  if (calls.some((call) => calleeName(call) === 'KeGetCurrentIrql')) return undefined;
  const entry = entryIrql(file, fn);
  const apply = (facts: string[], call: Node): string[] => {
    const name = calleeName(call) ?? '';
    const state = parseState(facts);
    const raising = RAISING[name];
    const args = callArguments(call);
    const setLevel = (low: number, high: number, kept: string[]): string[] => [...kept.filter((fact) => !fact.startsWith('lvl|') && fact !== 'may'), levelFact(low, high, call.startIndex)];
    if (raising || name === 'KeRaiseIrql') {
      let level: number | undefined = raising?.level;
      let saved: string | undefined;
      if (name === 'KeRaiseIrql') {
        level = irqlValue(unwrap(args[0])?.text);
        saved = savedKey(args[1]);
      } else if (raising!.saved === 'result') {
        const { parent } = climbWrappers(call, CAST_OR_PARENTHESES);
        if (parent?.type === 'assignment_expression') saved = savedKey(parent.childForFieldName('left') ?? undefined);
        else if (parent?.type === 'init_declarator') saved = parent.childForFieldName('declarator')?.text;
      } else {
        saved = savedKey(args[raising!.saved]);
        if (saved && raising!.lockArgument !== undefined) saved = `lock:${saved}`;
      }
      const kept = facts.filter((fact) => !(saved && fact.startsWith(`sv|${saved}|`)));
      if (saved) kept.push(`sv|${saved}|${state.low}|${state.high}`);
      if (level === undefined) return setLevel(state.low, HIGH_LEVEL, kept);
      // A raise sets the level it names (raising from above it is itself a bug check); DIRQL is any device level.
      return setLevel(level, level >= DIRQL ? HIGH_LEVEL : level, kept);
    }
    const restoring = RESTORING[name];
    if (restoring !== undefined) {
      const lockRelease = name === 'WdfSpinLockRelease' || name === 'ExReleaseFastMutex' || name === 'NdisReleaseSpinLock';
      const argument = args[restoring];
      let key = savedKey(argument);
      if (key && lockRelease) key = `lock:${key}`;
      const saved = key ? facts.find((fact) => fact.startsWith(`sv|${key}|`)) : undefined;
      const kept = facts.filter((fact) => fact !== saved);
      if (saved) {
        const [, , low, high] = saved.split('|');
        return setLevel(Number(low), Number(high), kept);
      }
      const literal = name === 'KeLowerIrql' ? irqlValue(unwrap(argument)?.text) : undefined;
      if (literal !== undefined) return setLevel(literal, literal, kept);
      // An IRQL saved elsewhere: anything up to where we were.
      return setLevel(PASSIVE_LEVEL, state.high, kept);
    }
    if (!name || SYSTEM_ROUTINE.test(name)) return facts;
    const local = file.functionByName(name);
    if (local) {
      const raises = irqlContractOf(file, local).raises;
      if (raises !== undefined) return setLevel(raises, raises, facts);
    }
    // A helper that receives a saved IRQL (or the lock holding it) may restore it: the level is unknown below.
    const passed = new Set(args.flatMap((argument) => {
      const key = savedKey(argument);
      return key ? [key, `lock:${key}`] : [];
    }));
    const restored = facts.filter((fact) => fact.startsWith('sv|') && passed.has(fact.split('|')[1]));
    if (restored.length > 0) {
      const kept = facts.filter((fact) => !restored.includes(fact));
      const low = Math.min(...restored.map((fact) => Number(fact.split('|')[2])), state.low);
      return setLevel(low, state.high, kept);
    }
    return facts;
  };
  const initial = [levelFact(entry.low, entry.high, -1), ...(entry.mayDispatch ? ['may'] : [])];
  const result = analyzePaths(file, fn, {
    initial,
    step(node, state) {
      let facts = [...state.facts];
      if (!node.node) return facts;
      for (const call of file.within(node.node, 'call_expression')) facts = apply(facts, call);
      return facts;
    },
  });
  if (!result) return undefined;
  const nodes = result.graph.nodes;
  return {
    result,
    entry,
    statesAt(node, offset) {
      return result.before(node).map((state) => {
        let facts = [...state.facts];
        if (node.node) for (const call of file.within(node.node, 'call_expression')) if (call.endIndex <= offset) facts = apply(facts, call);
        return parseState(facts);
      });
    },
    flowNodeOf(call) {
      return nodes.find((node) => node.node && node.kind !== 'end' && node.kind !== 'join' && node.node.startIndex <= call.startIndex && call.endIndex <= node.node.endIndex);
    },
  };
}
