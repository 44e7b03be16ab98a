/**
 * Flags MmGetSystemAddressForMdlSafe / MmMapLockedPagesSpecifyCache (kernel-mode mappings) whose page priority lacks
 * MdlMappingNoExecute: the system address of the buffer is then mapped executable, which HVCI disallows for data.
 */
import { callArguments, calleeName } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';
import type { SourceFile } from '../analysis/source-file';
import { lookupTable } from '../analysis/lookup';

/** Mapping routines with the index of their priority argument (and of the access mode, when there is one). */
const MAPPERS: Record<string, { priority: number; mode?: number }> = lookupTable({
  MmGetSystemAddressForMdlSafe: { priority: 1 },
  MmMapLockedPagesSpecifyCache: { priority: 5, mode: 1 },
});

/** Only priorities written as constants are judged: a variable may carry the flag. */
const CONSTANT_PRIORITY = /^[\s()|]*(?:(?:(?:Normal|High|Low)PagePriority|MdlMapping[A-Za-z]+|0[xX][0-9a-fA-F]+|\d+)[uUlL]*[\s()|]*)+$/;

function optsInToNx(file: SourceFile): boolean {
  return /\bPOOL_NX_OPTIN(_AUTO)?\b/.test(file.text);
}

export const rule: Rule = {
  meta: {
    id: 'mdl-mapping-no-execute',
    title: 'MDL mapped without MdlMappingNoExecute',
    type: 'suggestion',
    severity: 'warning',
    checklistItem: 'checklist.hvci-compatible',
    scope: 'function',
    callerLevels: 0,
    description: 'An MDL is mapped into system space (MmGetSystemAddressForMdlSafe, MmMapLockedPagesSpecifyCache) with a page priority that lacks MdlMappingNoExecute.',
    rationale: 'Without MdlMappingNoExecute the system-space mapping of the buffer is executable. A buffer whose contents the caller controls then sits in executable kernel memory, which turns any control-flow bug into code execution and is not HVCI compatible. Data buffers never need to execute: OR MdlMappingNoExecute into the priority (Windows 8 and later).',
    cwe: ['CWE-732'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmgetsystemaddressformdlsafe',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmmaplockedpagesspecifycache',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/no-execute-nonpaged-pool',
    ],
    confidence: 'high',
    messages: {
      executable: '{{call}} maps `{{mdl}}` with priority {{priority}}, without MdlMappingNoExecute: the mapping is executable.',
    },
    fixable: true,
    examples: {
      bad: 'PVOID buffer = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority);',
      good: 'PVOID buffer = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute);',
    },
  },
  // POOL_NX_OPTIN is a build-wide switch (usually in a #define or the sources file): it can sit anywhere in the text.
  fileFacts: (file) => String(optsInToNx(file)),
  create(context) {
    const { file } = context;
    let optIn: boolean | undefined;
    return {
      call_expression(call) {
        const name = calleeName(call);
        const spec = name ? MAPPERS[name] : undefined;
        if (!spec) return;
        const args = callArguments(call);
        const priority = args[spec.priority];
        if (!priority || args.length !== spec.priority + 1) return;
        // A user-space mapping is judged by its own rules.
        if (spec.mode !== undefined && args[spec.mode]?.text.trim() !== 'KernelMode') return;
        const text = priority.text;
        if (text.includes('MdlMappingNoExecute') || !CONSTANT_PRIORITY.test(text)) return;
        optIn ??= optsInToNx(file);
        if (optIn) return;
        // `#if NTDDI_VERSION >= NTDDI_WIN8 … | MdlMappingNoExecute #else … #endif`: the old-system branch.
        for (let current = call.parent; current && current.type !== 'function_definition'; current = current.parent) {
          if ((current.type === 'preproc_if' || current.type === 'preproc_ifdef') && current.text.includes('MdlMappingNoExecute')) return;
        }
        context.report({
          node: call,
          messageId: 'executable',
          data: { call: name ?? '', mdl: args[0].text, priority: text },
          fix: { title: 'Add MdlMappingNoExecute', edits: [fixer.replace(priority, `${text} | MdlMappingNoExecute`)] },
        });
      },
    };
  },
};
