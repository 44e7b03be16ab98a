/**
 * Routines whose result can be NULL (allocations, mappings, lookups, list pops) and the simple "first mention after
 * the allocation dereferences it" shape. Shared by alloc-result-unchecked (that shape, for the allocators in
 * CHECKED_ALLOCATORS) and null-pointer-dereference (every other path on which such a result, or a pointer set to
 * NULL, reaches a dereference). Pure.
 */
import { callArguments, calleeName, CAST_OR_PARENTHESES, climbWrappers, declaratorName, enclosingStatement, unwrap, type Node, typeOf } from './query';
import type { SourceFile } from './source-file';

/** The allocators alloc-result-unchecked reports when the first mention of the result dereferences it. */
export const CHECKED_ALLOCATORS: ReadonlySet<string> = new Set([
  'ExAllocatePool2', 'ExAllocatePool3', 'ExAllocatePoolWithTag', 'ExAllocatePool', 'ExAllocatePoolZero',
  'ExAllocatePoolUninitialized', 'ExAllocatePoolWithTagPriority', 'ExAllocatePoolPriorityZero',
  'MmMapIoSpace', 'MmMapIoSpaceEx', 'IoAllocateMdl', 'MmAllocateContiguousMemory', 'MmAllocateContiguousMemorySpecifyCache',
  'MmAllocateNonCachedMemory', 'ExAllocateFromNPagedLookasideList', 'ExAllocateFromPagedLookasideList', 'MmGetSystemAddressForMdlSafe',
]);

/** Other routines that return NULL when they run out of memory. */
const MORE_ALLOCATORS: ReadonlySet<string> = new Set([
  'IoAllocateIrp', 'IoAllocateIrpEx', 'IoMakeAssociatedIrp', 'IoAllocateWorkItem', 'IoAllocateErrorLogEntry', 'IoBuildDeviceIoControlRequest',
  'IoBuildSynchronousFsdRequest', 'IoBuildAsynchronousFsdRequest', 'ExAllocateFromLookasideListEx', 'ExAllocateTimer',
  'MmAllocatePagesForMdl', 'MmAllocatePagesForMdlEx', 'MmMapLockedPagesSpecifyCache', 'MmAllocateContiguousMemorySpecifyCacheNode',
  'MmAllocateContiguousNodeMemory', 'ExAllocatePoolWithQuotaTag', 'IoGetDmaAdapter', 'ExAllocateCacheAwareRundownProtection',
]);

/**
 * Lookups that return NULL when there is nothing to return (not: IoGetCurrentIrpStackLocation, IoGetAttachedDeviceReference,
 * WdfObjectGetTypedContext and context accessors, which never do), with what NULL means there.
 */
export const NULLABLE_LOOKUPS: Readonly<Record<string, string>> = {
  MmGetSystemRoutineAddress: 'the routine is not exported by this version of Windows',
  IoCsqRemoveNextIrp: 'the queue holds no matching IRP',
  IoCsqRemoveIrp: 'the IRP was already cancelled or removed',
  ExInterlockedRemoveHeadList: 'the list is empty',
  ExInterlockedPopEntryList: 'the list is empty',
  ExInterlockedPopEntrySList: 'the list is empty',
  InterlockedPopEntrySList: 'the list is empty',
  PopEntryList: 'the list is empty',
  RtlLookupElementGenericTable: 'no element matches',
  RtlLookupElementGenericTableAvl: 'no element matches',
  RtlLookupElementGenericTableFull: 'no element matches',
  RtlLookupElementGenericTableFullAvl: 'no element matches',
  RtlLookupFirstMatchingElementGenericTableAvl: 'no element matches',
  RtlGetElementGenericTable: 'the index is past the last element',
  RtlGetElementGenericTableAvl: 'the index is past the last element',
  RtlInsertElementGenericTable: 'the table\'s allocation routine failed',
  RtlInsertElementGenericTableAvl: 'the table\'s allocation routine failed',
  IoGetTopLevelIrp: 'no top-level IRP is set',
};

/** Text that mentions some routine whose result can be NULL (a cheap pre-check). */
export const NULLABLE_TEXT = new RegExp(`\\b(${[...CHECKED_ALLOCATORS, ...MORE_ALLOCATORS, ...Object.keys(NULLABLE_LOOKUPS)].join('|')})\\b`);

export type NullableKind = 'allocation' | 'lookup';

/** Whether `call` can return NULL: an allocation (that does not raise on failure) or a lookup. */
export function nullableCall(call: Node): NullableKind | undefined {
  const name = calleeName(call);
  if (!name) return undefined;
  if (CHECKED_ALLOCATORS.has(name) || MORE_ALLOCATORS.has(name)) {
    const args = callArguments(call);
    const first = args[0]?.text ?? '';
    if ((name === 'ExAllocatePool2' || name === 'ExAllocatePool3') && /POOL_FLAG_RAISE_ON_FAILURE/.test(first)) return undefined;
    if (/^ExAllocatePool/.test(name) && /MustS/.test(first)) return undefined;
    // Quota allocations raise unless asked not to.
    if (name === 'ExAllocatePoolWithQuotaTag' && !/POOL_QUOTA_FAIL_INSTEAD_OF_RAISE/.test(first)) return undefined;
    // MmMapLockedPagesSpecifyCache(…, BugCheckOnFailure, …) with TRUE never returns NULL; in user mode it raises.
    if (name === 'MmMapLockedPagesSpecifyCache' && (/^\s*(TRUE|1)\s*$/.test(args[4]?.text ?? '') || /UserMode/.test(args[1]?.text ?? ''))) return undefined;
    return 'allocation';
  }
  if (Object.prototype.hasOwnProperty.call(NULLABLE_LOOKUPS, name)) return 'lookup';
  return undefined;
}

/** Calls that read or write memory through some of their pointer arguments (by index). */
export const DEREFERENCING_CALLS: Readonly<Record<string, readonly number[]>> = {
  RtlCopyMemory: [0, 1], memcpy: [0, 1], memmove: [0, 1], RtlMoveMemory: [0, 1], RtlCopyBytes: [0, 1], memcpy_s: [0, 2], memmove_s: [0, 2],
  RtlZeroMemory: [0], RtlSecureZeroMemory: [0], memset: [0], RtlFillMemory: [0], RtlZeroBytes: [0], RtlFillBytes: [0],
  RtlCompareMemory: [0, 1], RtlEqualMemory: [0, 1], memcmp: [0, 1],
  RtlInitUnicodeString: [0], RtlInitAnsiString: [0], RtlCopyUnicodeString: [0], RtlAppendUnicodeStringToString: [0, 1], RtlAppendUnicodeToString: [0],
  KeInitializeEvent: [0], KeSetEvent: [0], KeClearEvent: [0], KeResetEvent: [0], KeInitializeSpinLock: [0], KeInitializeDpc: [0], KeInitializeTimer: [0],
  InitializeListHead: [0], InsertTailList: [0, 1], InsertHeadList: [0, 1], RemoveEntryList: [0], IsListEmpty: [0],
  ObReferenceObject: [0], ObDereferenceObject: [0], ObfReferenceObject: [0], ObfDereferenceObject: [0],
  IoCallDriver: [0, 1], IofCallDriver: [0, 1], IoCompleteRequest: [0], IofCompleteRequest: [0], IoGetCurrentIrpStackLocation: [0], IoGetNextIrpStackLocation: [0],
  IoCopyCurrentIrpStackLocationToNext: [0], IoSkipCurrentIrpStackLocation: [0], IoSetCompletionRoutine: [0], IoSetCompletionRoutineEx: [1], IoMarkIrpPending: [0],
  IoQueueWorkItem: [0], IoFreeWorkItem: [0], IoFreeIrp: [0], IoWriteErrorLogEntry: [0],
  MmBuildMdlForNonPagedPool: [0], MmProbeAndLockPages: [0], MmUnlockPages: [0], MmGetSystemAddressForMdlSafe: [0], MmGetMdlByteCount: [0], MmGetMdlVirtualAddress: [0],
};

const DEREFERENCE_CALL_TEXT = /^(RtlCopyMemory|memcpy|memmove|RtlMoveMemory|RtlZeroMemory|memset|RtlFillMemory|RtlSecureZeroMemory)$/;

/** Whether `use` (an identifier) is dereferenced where it stands: `p->f`, `p[i]`, `*p`, or a copy/zero routine's argument. */
function isDereference(use: Node): boolean {
  const parent = use.parent;
  if (!parent) return false;
  if (parent.type === 'field_expression' && parent.childForFieldName('argument')?.id === use.id && parent.childForFieldName('operator')?.text === '->') return true;
  if (parent.type === 'subscript_expression' && parent.childForFieldName('argument')?.id === use.id) return true;
  if (parent.type === 'pointer_expression' && (parent.childForFieldName('operator')?.text ?? parent.child(0)?.text) === '*') return true;
  if (parent.type === 'argument_list') {
    const call = parent.parent;
    const name = call ? calleeName(call) : undefined;
    return name !== undefined && DEREFERENCE_CALL_TEXT.test(name);
  }
  return false;
}

/**
 * The first identifier `name` in `body` that starts at or after `from` (document order). Found through the text
 * instead of a walk of every identifier of the body: each occurrence of the name in the parsed text is looked up
 * (an identifier with that text starts where the text has the name, so none is missed).
 */
function firstIdentifierAfter(body: Node, name: string, from: number): Node | undefined {
  if (name === '') return undefined;
  const start = body.startIndex;
  const text = body.text;
  for (let index = text.indexOf(name, Math.max(0, from - start)); index !== -1; index = text.indexOf(name, index + 1)) {
    const node = body.descendantForIndex(start + index, start + index + name.length);
    if (node && node.type === 'identifier' && node.startIndex === start + index && node.text === name) return node;
  }
  return undefined;
}

/** The local name an allocation is stored in (`p = Alloc(…)`, `T p = Alloc(…)`, through casts). */
function storedName(call: Node): string | undefined {
  const { holder, parent } = climbWrappers(call, CAST_OR_PARENTHESES);
  if (parent?.type === 'assignment_expression' && parent.childForFieldName('right')?.id === holder.id) {
    const left = unwrap(parent.childForFieldName('left'));
    if (left && typeOf(left) === 'identifier') return left.text;
  } else if (parent?.type === 'init_declarator') {
    return declaratorName(parent.childForFieldName('declarator'));
  }
  return undefined;
}

/**
 * alloc-result-unchecked's shape: an allocation of CHECKED_ALLOCATORS stored in a name whose first mention after the
 * allocation's statement dereferences it. The name and that dereference; undefined otherwise.
 */
export function uncheckedFirstUse(file: SourceFile, call: Node): { name: string; use: Node; statement: Node } | undefined {
  const allocator = calleeName(call);
  if (!allocator || !CHECKED_ALLOCATORS.has(allocator)) return undefined;
  if (allocator === 'ExAllocatePool2' && /POOL_FLAG_RAISE_ON_FAILURE/.test(callArguments(call)[0]?.text ?? '')) return undefined;
  const name = storedName(call);
  const fn = file.enclosingFunction(call);
  if (!name || !fn?.body) return undefined;
  const statement = enclosingStatement(call);
  // The first mention of the name after the allocation decides: a check, an escape, or a dereference.
  const first = firstIdentifierAfter(fn.body, name, statement.endIndex);
  if (!first || !isDereference(first)) return undefined;
  return { name, use: first, statement };
}
