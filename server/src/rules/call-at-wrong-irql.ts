/**
 * Flags a call whose callee's documented IRQL range cannot be met where it is made: the IRQL tracker
 * (analysis/irql.ts) knows the IRQL is surely above the callee's maximum (a Zw* call in a DPC routine, IoCreateDevice
 * after KeRaiseIrql) or surely below its minimum (KeAcquireSpinLockAtDpcLevel in DriverEntry) on every path.
 */
import { calleeIrqlRange, DISPATCH_LEVEL, entryIrql, entryState, irqlFileFacts, irqlName, irqlPaths, leavesIrqlAlone, localCalleeIrqlRange, type CalleeIrql, type IrqlState } from '../analysis/irql';
import { LOCK_ACQUIRES } from '../analysis/locks';
import { calleeName, type Node } from '../analysis/query';
import { gather, lineOf, type Rule } from '../analysis/rule';
import type { FunctionInfo } from '../analysis/source-file';

/** Callees that paged-code-at-dispatch reports already when a spin lock of the same function is held. */
const PAGED_RULE_COVERS = /^(Zw[A-Z]\w*|ExAllocatePool\w*|KeWaitFor\w+|KeDelayExecutionThread|ExAcquireFastMutex|KeAcquireGuardedMutex|ExAcquireResourceExclusiveLite|ExAcquireResourceSharedLite|WdfWaitLockAcquire)$/;

/** Calls that raise or restore IRQL: a function without any and without a known entry IRQL has nothing to check. */
const MOVES_IRQL = /^(KeRaiseIrql|KeRaiseIrqlToDpcLevel|KeAcquireSpinLock|KeAcquireSpinLockRaiseToDpc|KeAcquireInStackQueuedSpinLock|ExAcquireSpinLockExclusive|ExAcquireSpinLockShared|KeAcquireInterruptSpinLock|WdfSpinLockAcquire|ExAcquireFastMutex|NdisAcquireSpinLock)$/;

export const rule: Rule = {
  meta: {
    id: 'call-at-wrong-irql',
    title: 'Call outside the IRQL range its callee requires',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.technology-practices',
    scope: 'function-local',
    description: 'A routine is called where the IRQL is surely outside its documented range: above its maximum (a Zw* or PASSIVE_LEVEL-only routine in a DPC, an ISR, a completion routine or after KeRaiseIrql) or below its minimum (a ...AtDpcLevel spin-lock call at PASSIVE_LEVEL).',
    rationale: 'Every kernel routine documents the IRQLs it may be called at. Above the maximum the routine may touch pageable memory or wait, which bug-checks with IRQL_NOT_LESS_OR_EQUAL (0xA) or ATTEMPTED_SWITCH_FROM_DPC, rarely in testing and reliably under memory pressure; below the minimum (the ...AtDpcLevel spin-lock routines at PASSIVE_LEVEL) the lock is taken without raising IRQL, so a DPC on the same processor deadlocks on it. The IRQL is known from the function\'s role (DriverEntry and AddDevice at PASSIVE_LEVEL, DPCs at DISPATCH_LEVEL, ISRs at DIRQL, completion routines at up to DISPATCH_LEVEL), its _IRQL_requires_ annotations, and the raises, lowers and spin locks before the call. Queue a work item for PASSIVE_LEVEL work, or use the routine variant made for the IRQL.',
    cwe: ['CWE-662'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/managing-hardware-priorities',
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/irql-annotations-for-drivers',
      'https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xa--irql-not-less-or-equal',
    ],
    confidence: 'medium',
    messages: {
      tooHigh: '{{why}}, but the IRQL here is {{level}}: {{because}}.',
      tooHighRaised: '{{why}}, but the IRQL here is {{level}}: `{{raiser}}` on line {{line}} set it.',
      mayBeDispatch: '{{why}}, but {{because}}.',
      tooLow: '{{why}}, but the IRQL here is {{level}}: {{because}}.',
      tooLowLowered: '{{why}}, but the IRQL here is {{level}}: `{{raiser}}` on line {{line}} set it.',
    },
    examples: {
      bad: 'VOID TimerDpc(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2) {\n    ZwClose(((PDEVICE_EXTENSION)Context)->FileHandle);   // DPCs run at DISPATCH_LEVEL\n}\n...\nKeInitializeDpc(&ext->Dpc, TimerDpc, ext);',
      good: 'VOID TimerDpc(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2) {\n    PDEVICE_EXTENSION ext = Context;\n    IoQueueWorkItem(ext->WorkItem, CloseFileWorker, DelayedWorkQueue, ext);   // ZwClose runs in the work item at PASSIVE_LEVEL\n}',
    },
  },
  // A function's findings depend on its own text and on what the file says of every function's IRQL.
  fileFacts: irqlFileFacts,
  create(context) {
    const { file } = context;
    // With `scope: 'function-local'` the engine hands over only the calls of the functions it re-analyzes.
    const visited = new Set<FunctionInfo>();
    return {
      ...gather('declaration', 'assignment_expression'),
      call_expression(call) {
        const fn = file.enclosingFunction(call);
        if (fn) visited.add(fn);
      },
      onEnd() {
        for (const fn of file.functions()) if (visited.has(fn)) checkFunction(fn);
      },
    };

    function checkFunction(fn: FunctionInfo): void {
      if (!fn.body) return;
      const calls = file.within(fn.body, 'call_expression');
      const candidates: { call: Node; range: CalleeIrql; name: string; local: boolean }[] = [];
      let moves = false;
      for (const call of calls) {
        const name = calleeName(call);
        if (!name) continue;
        if (MOVES_IRQL.test(name) || file.functionByName(name)) moves = true;
        const documented = calleeIrqlRange(call, name);
        const range = documented ?? localCalleeIrqlRange(file, name);
        if (range) candidates.push({ call, range, name, local: documented === undefined });
      }
      if (candidates.length === 0) return;
      const entry = entryIrql(file, fn);
      // Only the entry IRQL can say anything: skip the tracker when it is unknown.
      if (!moves && entry.low === 0 && entry.high >= 15) return;
      // Where nothing changes the IRQL, every reachable call runs at the entry IRQL: the path analysis (which only
      // adds which calls are reachable) is needed only when the entry IRQL alone breaks some callee's contract.
      if (leavesIrqlAlone(file, calls)) {
        const atEntry = [entryState(entry)];
        if (candidates.every(({ range, name, local }) => verdict(range, name, local, atEntry) === undefined)) return;
      }
      const paths = irqlPaths(file, fn);
      if (!paths) return;
      for (const { call, range, name, local } of candidates) {
        const node = paths.flowNodeOf(call);
        if (!node) continue;
        const states = paths.statesAt(node, call.startIndex);
        const found = verdict(range, name, local, states);
        if (found === 'tooHigh') reportAt(call, 'tooHigh', range, states, fn, (state) => state.low);
        else if (found === 'mayBeDispatch') context.report({ node: call, messageId: 'mayBeDispatch', data: { why: range.why, because: paths.entry.reason ?? 'it may run at DISPATCH_LEVEL' } });
        else if (found === 'tooLow') reportAt(call, 'tooLow', range, states, fn, (state) => state.high);
      }

      /** What the states a call can run in say about the callee's documented range, if anything. */
      function verdict(range: CalleeIrql, name: string, local: boolean, states: readonly IrqlState[]): 'tooHigh' | 'mayBeDispatch' | 'tooLow' | undefined {
        if (states.length === 0) return undefined;
        if (states.every((state) => state.low > range.high)) {
          return PAGED_RULE_COVERS.test(name) && states.every((state) => fromSpinLock(state)) ? undefined : 'tooHigh';
        }
        // "May run at DISPATCH_LEVEL" holds against documented limits only: a local annotation may be stricter than the code needs.
        if (range.high < DISPATCH_LEVEL && !local && states.every((state) => state.mayDispatch || state.low > range.high)) return 'mayBeDispatch';
        if (states.every((state) => state.high < range.low)) return 'tooLow';
        return undefined;
      }

      function fromSpinLock(state: IrqlState): boolean {
        if (state.source < 0) return false;
        const source = calls.find((candidate) => candidate.startIndex === state.source);
        return source !== undefined && LOCK_ACQUIRES[calleeName(source) ?? '']?.spin === true;
      }

      function reportAt(call: Node, messageId: string, range: CalleeIrql, states: IrqlState[], info: FunctionInfo, bound: (state: IrqlState) => number): void {
        const state = states[0];
        const level = messageId === 'tooLow' && state.low !== state.high ? `at most ${irqlName(bound(state))}` : irqlName(bound(state));
        const source = state.source >= 0 ? calls.find((candidate) => candidate.startIndex === state.source) : undefined;
        if (source) {
          context.report({
            node: call,
            messageId: messageId === 'tooHigh' ? 'tooHighRaised' : 'tooLowLowered',
            data: { why: range.why, level, raiser: calleeName(source) ?? '', line: lineOf(source) },
            related: [{ node: source, message: 'IRQL set here' }],
          });
          return;
        }
        context.report({ node: call, messageId, data: { why: range.why, level, because: paths!.entry.reason ?? `\`${info.name}\` is entered there` } });
      }
    }
  },
};
