/**
 * Flags executable pool types (NonPagedPool, NonPagedPoolExecute, …) passed to allocators or stored as a pool
 * type: memory that is both writable and executable breaks HVCI and gives exploits a place for their code.
 */
import { fixer, type Rule } from '../analysis/rule';
import { calleeName, type Node } from '../analysis/query';
import type { SourceFile } from '../analysis/source-file';
import { POOL_NX_OPT_IN } from '../analysis/workspace-index';
import { lookupTable } from '../analysis/lookup';

/** Executable pool type → its non-executable replacement. */
const NX_REPLACEMENT: Record<string, string> = lookupTable({
  NonPagedPool: 'NonPagedPoolNx',
  NonPagedPoolExecute: 'NonPagedPoolNx',
  NonPagedPoolMustSucceed: 'NonPagedPoolNx',
  NonPagedPoolCacheAligned: 'NonPagedPoolNxCacheAligned',
  NonPagedPoolCacheAlignedMustS: 'NonPagedPoolNxCacheAligned',
  NonPagedPoolSession: 'NonPagedPoolSessionNx',
  NonPagedPoolMustSucceedSession: 'NonPagedPoolSessionNx',
  NonPagedPoolCacheAlignedSession: 'NonPagedPoolNxCacheAligned',
});

/** Every key of `NX_REPLACEMENT` contains it: an argument list without it holds nothing to check. */
const CANDIDATE_WORD = 'NonPagedPool';

/**
 * A driver built with POOL_NX_OPTIN=1 that calls ExInitializeDriverRuntime(DrvRtPoolNxOptIn) gets NonPagedPoolNx
 * whenever it writes NonPagedPool (the other executable types keep their meaning). The call is looked for in this
 * file and in the workspace files of the same folder or a parent folder.
 */
function optsInToNxPool(file: SourceFile): boolean {
  return file.workspace?.poolNxOptInFor(file.fileName) === true
    || file.nodes('call_expression').some((call) => calleeName(call) === 'ExInitializeDriverRuntime' && POOL_NX_OPT_IN.test(file.textOf(call)));
}

export const rule: Rule = {
  meta: {
    id: 'executable-pool-type',
    title: 'Executable pool type',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.hvci-compatible',
    scope: 'function',
    callerLevels: 0,
    description: 'An executable non-paged pool type (NonPagedPool, NonPagedPoolExecute, NonPagedPoolCacheAligned, …) is used for an allocation.',
    rationale: 'NonPagedPool is executable. Under HVCI (memory integrity) the kernel refuses writable and executable memory, so the driver fails to load or allocate, and without HVCI every such allocation is a ready-made place for injected code. Use NonPagedPoolNx (or POOL_FLAG_NON_PAGED with ExAllocatePool2, which is non-executable).',
    cwe: ['CWE-1220'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/no-execute-nonpaged-pool', 'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-isolation'],
    confidence: 'high',
    messages: {
      executable: '{{type}} is executable memory (not HVCI compatible). Use {{replacement}}.',
    },
    fixable: true,
    examples: {
      bad: "buffer = ExAllocatePoolWithTag(NonPagedPool, size, 'gDvD');",
      good: "buffer = ExAllocatePoolWithTag(NonPagedPoolNx, size, 'gDvD');",
    },
  },
  // The opt-in is made once, usually in DriverEntry, and changes the meaning of NonPagedPool in every function.
  fileFacts: (file) => String(optsInToNxPool(file)),
  create(context) {
    const { file } = context;
    let optedIn: boolean | undefined;
    const nxOptIn = (): boolean => {
      optedIn ??= optsInToNxPool(file);
      return optedIn;
    };
    const check = (node: Node | null) => {
      if (node?.type !== 'identifier') return;
      const replacement = NX_REPLACEMENT[node.text];
      if (!replacement) return;
      if (node.text === 'NonPagedPool' && nxOptIn()) return;
      context.report({
        node,
        messageId: 'executable',
        data: { type: node.text, replacement },
        fix: { title: `Use ${replacement}`, edits: [fixer.replace(node, replacement)] },
      });
    };
    return {
      argument_list(list) {
        // One read of the list's text rules out nearly every call before its arguments are looked at one by one.
        const text = list.text;
        if (!text.includes(CANDIDATE_WORD)) return;
        for (const argument of list.namedChildren) check(argument);
      },
      init_declarator(node) {
        check(node.childForFieldName('value'));
      },
      assignment_expression(node) {
        check(node.childForFieldName('right'));
      },
    };
  },
};
