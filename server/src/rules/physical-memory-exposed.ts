/**
 * Flags mapping or copying physical memory at an address or length chosen by user mode (MmMapIoSpace,
 * MmMapIoSpaceEx, MmCopyMemory with MM_COPY_MEMORY_PHYSICAL, MmGetVirtualForPhysical): read/write of all RAM.
 */
import { callArguments, calleeName } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import { unguardedUserValue } from '../analysis/user-input';
import { lookupTable } from '../analysis/lookup';

/** Calls and the argument positions that carry a physical address or a length. */
const PHYSICAL_CALLS: Record<string, number[]> = lookupTable({
  MmMapIoSpace: [0, 1],
  MmMapIoSpaceEx: [0, 1],
  MmGetVirtualForPhysical: [0],
  MmCopyMemory: [1, 2],
});

export const rule: Rule = {
  meta: {
    id: 'physical-memory-exposed',
    title: 'Physical memory access at a user-controlled address',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.vulnerable-driver-blocklist',
    scope: 'function',
    callerLevels: 0,
    description: 'Physical memory is mapped or copied at an address or with a length taken from a user request.',
    rationale: 'Mapping an arbitrary physical address gives the caller every byte of RAM: kernel code, page tables, other processes\' secrets. This is the most common reason drivers land on Microsoft\'s vulnerable driver blocklist. Map only the device\'s own registers, taken from its assigned hardware resources, never an address from the caller.',
    cwe: ['CWE-782', 'CWE-123'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmmapiospaceex',
      'https://learn.microsoft.com/windows/security/application-security/application-control/app-control-for-business/design/microsoft-recommended-driver-block-rules',
    ],
    confidence: 'high',
    messages: {
      mapped: '{{call}} uses a physical address or length from user input (`{{value}}`, from {{origin}}): user mode can read or write any physical memory.',
    },
    examples: {
      bad: 'PPHYSICAL_REQUEST request = (PPHYSICAL_REQUEST)Irp->AssociatedIrp.SystemBuffer;\nPHYSICAL_ADDRESS address;\naddress.QuadPart = request->Address;\nPVOID mapped = MmMapIoSpaceEx(address, request->Length, PAGE_READWRITE);',
      good: 'PVOID mapped = MmMapIoSpaceEx(extension->RegistersBase, extension->RegistersLength, PAGE_READWRITE | PAGE_NOCACHE);',
    },
  },
  create(context) {
    return {
      call_expression(call) {
        const name = calleeName(call);
        const positions = name ? PHYSICAL_CALLS[name] : undefined;
        if (!positions) return;
        if (name === 'MmCopyMemory' && !/MM_COPY_MEMORY_PHYSICAL/.test(callArguments(call)[3]?.text ?? '')) return;
        for (const index of positions) {
          const taint = unguardedUserValue(context.file, call, index);
          if (!taint) continue;
          context.report({
            node: call,
            messageId: 'mapped',
            data: { call: name ?? '', value: callArguments(call)[index].text, origin: taint.origin },
            related: [{ node: taint.source, message: `user-controlled: ${taint.origin}` }],
          });
          return;
        }
      },
    };
  },
};
