/**
 * Flags work that needs IRQL < DISPATCH_LEVEL done while a spin lock is held: calls of PAGED_CODE()/alloc_text(PAGE)
 * functions, paged pool allocations, Zw* file and registry routines, and waits that can block.
 */
import { LOCK_ACQUIRES, lockPaths } from '../analysis/locks';
import { pagedFunctions } from '../analysis/paged';
import type { FlowNode } from '../analysis/paths';
import { callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { gather, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { lookupTable } from '../analysis/lookup';

/** Allocators and the argument holding the pool type or flags. */
const ALLOCATORS: Record<string, number> = lookupTable({
  ExAllocatePool: 0,
  ExAllocatePoolWithTag: 0,
  ExAllocatePoolWithQuotaTag: 0,
  ExAllocatePoolWithTagPriority: 0,
  ExAllocatePoolZero: 0,
  ExAllocatePoolUninitialized: 0,
  ExAllocatePool2: 0,
  ExAllocatePool3: 0,
});

/** Calls that may block or require APC_LEVEL or below. */
const BLOCKING = new Set(['KeDelayExecutionThread', 'ExAcquireFastMutex', 'KeAcquireGuardedMutex', 'ExAcquireResourceExclusiveLite', 'ExAcquireResourceSharedLite', 'WdfWaitLockAcquire', 'IoAllocateWorkItem']);

/** Why a call cannot run at DISPATCH_LEVEL, or undefined. */
function problemOf(call: Node, paged: Map<string, string>, workspacePaged?: (name: string) => boolean): string | undefined {
  const name = calleeName(call);
  if (!name) return undefined;
  const pagedWhy = paged.get(name) ?? (workspacePaged?.(name) ? 'is pageable (PAGED_CODE / alloc_text PAGE in the workspace)' : undefined);
  if (pagedWhy) return `\`${name}\` ${pagedWhy}: it may page-fault`;
  const poolArgument = ALLOCATORS[name];
  if (poolArgument !== undefined) {
    const pool = callArguments(call)[poolArgument]?.text ?? '';
    if (/\bPagedPool\w*\b|\bPOOL_FLAG_PAGED\b/.test(pool)) return `\`${name}\` allocates paged pool (${pool.trim()})`;
    return undefined;
  }
  if (/^Zw[A-Z]/.test(name)) return `\`${name}\` must be called at PASSIVE_LEVEL`;
  if (name === 'KeWaitForSingleObject' || name === 'KeWaitForMultipleObjects' || name === 'KeWaitForMutexObject') {
    const timeout = unwrap(callArguments(call)[name === 'KeWaitForMultipleObjects' ? 6 : 4]);
    if (timeout && /^(NULL|nullptr|0)$/.test(timeout.text.trim())) return `\`${name}\` waits without a timeout`;
    return undefined;
  }
  if (BLOCKING.has(name)) return `\`${name}\` requires IRQL <= APC_LEVEL`;
  return undefined;
}

/** The flow node that holds a call (statements, conditions and returns do not overlap). */
function flowNodeOf(nodes: FlowNode[], call: Node): FlowNode | undefined {
  return nodes.find((node) => node.node && node.kind !== 'end' && node.node.startIndex <= call.startIndex && call.endIndex <= node.node.endIndex);
}

export const rule: Rule = {
  meta: {
    id: 'paged-code-at-dispatch',
    title: 'Pageable work while a spin lock is held',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.technology-practices',
    description: 'While a spin lock is held (IRQL = DISPATCH_LEVEL) the code calls a pageable function (PAGED_CODE / alloc_text PAGE), allocates paged pool, calls a Zw* routine, waits without a timeout or takes a mutex or resource (APC_LEVEL or below).',
    rationale: 'Holding a spin lock raises IRQL to DISPATCH_LEVEL, where the processor cannot take a page fault or wait. Touching paged code or paged pool then bug-checks with IRQL_NOT_LESS_OR_EQUAL as soon as the page is out, which happens rarely in testing and in the field under memory pressure; Zw* file and registry routines and blocking waits are illegal at that level too. Move the work outside the locked region or use non-paged memory.',
    cwe: ['CWE-662'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/managing-hardware-priorities',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/introduction-to-spin-locks',
      'https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xa--irql-not-less-or-equal',
    ],
    confidence: 'medium',
    messages: {
      atDispatch: '{{problem}}, but `{{lock}}` ({{api}} on line {{line}}) is held here, so IRQL is DISPATCH_LEVEL.',
    },
    examples: {
      bad: 'KeAcquireSpinLock(&ext->Lock, &oldIrql);\nentry = ExAllocatePool2(POOL_FLAG_PAGED, sizeof(ENTRY), \'yrtE\');\nKeReleaseSpinLock(&ext->Lock, oldIrql);',
      good: 'entry = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(ENTRY), \'yrtE\');\nKeAcquireSpinLock(&ext->Lock, &oldIrql);\nInsertTailList(&ext->Entries, &entry->Link);\nKeReleaseSpinLock(&ext->Lock, oldIrql);',
    },
  },
  create(context) {
    const { file } = context;
    return {
      ...gather('call_expression'),
      onEnd() {
        let paged: Map<string, string> | undefined;
        for (const fn of file.functions()) {
          if (!fn.body) continue;
          const calls = file.within(fn.body, 'call_expression');
          if (!calls.some((call) => LOCK_ACQUIRES[calleeName(call) ?? '']?.spin)) continue;
          paged ??= pagedFunctions(file);
          const candidates = calls.map((call) => ({ call, problem: problemOf(call, paged!, file.workspace ? (name) => file.workspace!.isPaged(name) && !file.functionByName(name) : undefined) })).filter((item): item is { call: Node; problem: string } => item.problem !== undefined);
          if (candidates.length === 0) continue;
          reportFunction(fn, candidates);
        }
      },
    };

    function reportFunction(fn: FunctionInfo, candidates: { call: Node; problem: string }[]): void {
      const paths = lockPaths(file, fn);
      if (!paths) return;
      for (const { call, problem } of candidates) {
        const flowNode = flowNodeOf(paths.result.graph.nodes, call);
        if (!flowNode) continue;
        // The spin lock must be held on every path reaching the call: `may be held` alone would flag conditional locking.
        const perPath = paths.heldAtEach(flowNode, call.startIndex).map((locks) => locks.filter((lock) => LOCK_ACQUIRES[lock.api]?.spin));
        if (perPath.length === 0 || perPath.some((locks) => locks.length === 0)) continue;
        const held = perPath[0][0];
        const key = held.key;
        const acquire = file.within(fn.body!, 'call_expression').find((candidate) => candidate.startIndex === held.offset);
        context.report({
          node: call,
          messageId: 'atDispatch',
          data: { problem, lock: key.slice(key.indexOf(':') + 1), api: held.api, line: (acquire?.startPosition.row ?? 0) + 1 },
          related: acquire ? [{ node: acquire, message: 'spin lock acquired here' }] : undefined,
        });
      }
    }
  },
};
