/**
 * Flags KeSetEvent / KeReleaseSemaphore / KeReleaseMutex with Wait = TRUE in pageable code. With Wait = TRUE the
 * routine returns with the dispatcher lock held at DISPATCH_LEVEL, expecting a wait call next; pageable code in
 * between (the rest of the function, its next instruction) page-faults at DISPATCH_LEVEL and bug-checks.
 */
import { callArguments, calleeName, unwrap } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';
import { lookupTable } from '../analysis/lookup';
import { pagedFunctions } from '../analysis/paged';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

/** Routine → index of its Wait argument. */
const SIGNALS: Record<string, number> = lookupTable({ KeSetEvent: 2, KeReleaseSemaphore: 3, KeReleaseMutex: 1 });

/** Why a function is pageable: this file's PAGED_CODE() / alloc_text, or another file's alloc_text. */
function pageableBecause(file: SourceFile, fn: FunctionInfo): string | undefined {
  return pagedFunctions(file).get(fn.name) ?? (file.workspace?.isPaged(fn.name) ? 'is placed in the PAGE section in another file (alloc_text)' : undefined);
}

export const rule: Rule = {
  meta: {
    id: 'set-event-wait-in-pageable',
    title: 'KeSetEvent with Wait = TRUE in pageable code',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.technology-practices',
    scope: 'function-local',
    description: 'KeSetEvent, KeReleaseSemaphore or KeReleaseMutex is called with Wait = TRUE in a function that is pageable (PAGED_CODE, #pragma alloc_text(PAGE, …)).',
    rationale: 'Wait = TRUE tells the kernel that a wait call follows at once: the routine returns at DISPATCH_LEVEL with the dispatcher database locked, to save a lock round trip. Any page fault before that wait — and pageable code can fault on its very next instruction — happens at DISPATCH_LEVEL and bug-checks the machine (IRQL_NOT_LESS_OR_EQUAL). Pass FALSE; the saving is negligible.',
    cwe: ['CWE-662'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kesetevent',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/making-drivers-pageable',
    ],
    confidence: 'high',
    messages: {
      waitInPageable: '{{call}} with Wait = TRUE returns at DISPATCH_LEVEL, but {{fn}} {{why}}: its code after the call can page-fault at DISPATCH_LEVEL. Pass FALSE.',
    },
    fixable: true,
    examples: {
      bad: '#pragma alloc_text(PAGE, StopWorker)\nVOID StopWorker(PDEVICE_EXTENSION ext) {\n    PAGED_CODE();\n    KeSetEvent(&ext->StopEvent, IO_NO_INCREMENT, TRUE);\n    KeWaitForSingleObject(ext->WorkerThread, Executive, KernelMode, FALSE, NULL);\n}',
      good: '#pragma alloc_text(PAGE, StopWorker)\nVOID StopWorker(PDEVICE_EXTENSION ext) {\n    PAGED_CODE();\n    KeSetEvent(&ext->StopEvent, IO_NO_INCREMENT, FALSE);\n    KeWaitForSingleObject(ext->WorkerThread, Executive, KernelMode, FALSE, NULL);\n}',
    },
  },
  create(context) {
    const { file } = context;
    if (!/\bKe(SetEvent|ReleaseSemaphore|ReleaseMutex)\b/.test(file.text)) return {};
    return {
      call_expression(call) {
        const name = calleeName(call);
        const index = name ? SIGNALS[name] : undefined;
        if (index === undefined) return;
        const wait = unwrap(callArguments(call)[index]);
        if (!wait || !/^(TRUE|true|1)$/.test(wait.text)) return;
        const fn = file.enclosingFunction(call);
        const why = fn ? pageableBecause(file, fn) : undefined;
        if (!fn || !why) return;
        context.report({ node: call, messageId: 'waitInPageable', data: { call: name!, fn: fn.name, why }, fix: { title: 'Pass Wait = FALSE', edits: [fixer.replace(wait, 'FALSE')] } });
      },
    };
  },
};
