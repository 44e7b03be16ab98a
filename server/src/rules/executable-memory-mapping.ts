/**
 * Flags mappings and allocations that are executable: MmMapIoSpace (always executable; MmMapIoSpaceEx takes a page
 * protection), MmAllocateContiguousMemory, and the protection-taking routines called with PAGE_EXECUTE*.
 * Under HVCI executable kernel memory must never be writable; such a driver fails to load or breaks.
 */
import { callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { fixer, type FixDescriptor, type Rule } from '../analysis/rule';
import type { SourceFile } from '../analysis/source-file';
import { lookupTable } from '../analysis/lookup';

/** Routines that take a page protection, with the index of that argument (-1: any argument). */
const PROTECTION_ARGUMENT: Record<string, number> = lookupTable({
  MmMapIoSpaceEx: 2,
  MmProtectMdlSystemAddress: 1,
  MmAllocateContiguousNodeMemory: 4,
  MmAllocateContiguousMemoryEx: 5,
  MmMapLockedPagesSpecifyCache: -1,
});

/** MmMapIoSpace cache types and the MmMapIoSpaceEx protection that keeps the same caching. */
const CACHE_TO_PROTECTION: Record<string, string> = lookupTable({
  MmNonCached: 'PAGE_READWRITE | PAGE_NOCACHE',
  MmCached: 'PAGE_READWRITE',
  MmWriteCombined: 'PAGE_READWRITE | PAGE_WRITECOMBINE',
  MmFrameBufferCached: 'PAGE_READWRITE | PAGE_WRITECOMBINE',
});

/** Executable protections and their non-executable counterparts. */
const NON_EXECUTABLE: Record<string, string> = lookupTable({
  PAGE_EXECUTE_READWRITE: 'PAGE_READWRITE',
  PAGE_EXECUTE_READ: 'PAGE_READONLY',
  PAGE_EXECUTE_WRITECOPY: 'PAGE_WRITECOPY',
  PAGE_EXECUTE: 'PAGE_READONLY',
});

const EXECUTE = /\bPAGE_EXECUTE(?:_READWRITE|_READ|_WRITECOPY)?\b/g;

export const rule: Rule = {
  meta: {
    id: 'executable-memory-mapping',
    title: 'Executable memory mapping or allocation',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.hvci-compatible',
    scope: 'function',
    callerLevels: 0,
    description: 'MmMapIoSpace, MmAllocateContiguousMemory or a mapping routine called with PAGE_EXECUTE* creates executable kernel memory.',
    rationale: 'Memory that is both writable and executable lets an attacker who gains a kernel write place code and run it. Hypervisor-protected code integrity (HVCI, memory integrity) forbids it: drivers that create such mappings are incompatible and may fail to load. MmMapIoSpace and MmAllocateContiguousMemory always map executable memory; MmMapIoSpaceEx and MmAllocateContiguousNodeMemory take a protection, which should be PAGE_READWRITE (plus the cache flag).',
    cwe: ['CWE-276', 'CWE-732'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/implement-hvci-compatible-code',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmmapiospaceex',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmallocatecontiguousnodememory',
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/30030-parameter-indicates-executable-memory',
    ],
    confidence: 'high',
    messages: {
      mapIoSpace: 'MmMapIoSpace maps `{{address}}` as executable memory ({{cache}}): use MmMapIoSpaceEx with {{protection}}.',
      contiguous: '{{call}} allocates executable contiguous memory: use MmAllocateContiguousNodeMemory with PAGE_READWRITE.',
      executeProtection: '{{call}} is called with {{protection}}: the memory becomes executable, which HVCI does not allow for writable kernel memory.',
    },
    fixable: true,
    hasSuggestions: true,
    examples: {
      bad: 'extension->Registers = MmMapIoSpace(resource->u.Memory.Start, resource->u.Memory.Length, MmNonCached);',
      good: 'extension->Registers = MmMapIoSpaceEx(resource->u.Memory.Start, resource->u.Memory.Length, PAGE_READWRITE | PAGE_NOCACHE);',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const name = calleeName(call);
        if (!name) return;
        if (name === 'MmMapIoSpace') {
          const args = callArguments(call);
          if (args.length !== 3 || hasFallbackFor(file, call, 'MmMapIoSpaceEx')) return;
          const cacheNode = unwrap(args[2]);
          const cache = cacheNode?.text.trim() ?? '';
          const protection = CACHE_TO_PROTECTION[cache];
          const callee = call.childForFieldName('function');
          const fix: FixDescriptor | undefined = protection && callee?.type === 'identifier'
            ? { title: `Use MmMapIoSpaceEx with ${protection}`, edits: [fixer.replace(callee, 'MmMapIoSpaceEx'), fixer.replace(args[2], protection)] }
            : undefined;
          context.report({
            node: call,
            messageId: 'mapIoSpace',
            data: { address: args[0].text, cache: args[2].text, protection: protection ?? 'PAGE_READWRITE and the matching cache flag' },
            ...(fix ? { fix } : {}),
          });
          return;
        }
        if (name === 'MmAllocateContiguousMemory') {
          const args = callArguments(call);
          if (args.length !== 2 || hasFallbackFor(file, call, 'MmAllocateContiguousNodeMemory')) return;
          context.report({ node: call, messageId: 'contiguous', data: { call: name } });
          return;
        }
        const index = PROTECTION_ARGUMENT[name];
        if (index === undefined) return;
        const args = callArguments(call);
        const candidates = index < 0 ? args : args[index] ? [args[index]] : [];
        for (const argument of candidates) {
          const written = argument.text.match(EXECUTE);
          const expanded = written ?? (/^[\w\s|()]+$/.test(argument.text) ? file.macros.expand(argument.text).match(EXECUTE) : null);
          if (!expanded) continue;
          const suggestions = written ? [suggestion(argument, written)] : [];
          context.report({
            node: call,
            messageId: 'executeProtection',
            data: { call: name, protection: written ? argument.text : `${argument.text} (${expanded[0]})` },
            ...(suggestions.length > 0 ? { suggestions } : {}),
          });
          return;
        }
      },
    };
  },
};

/**
 * Compatibility code for systems before the non-executable routine existed: the call sits in a preprocessor branch
 * whose other branch uses the replacement, or in a function that also uses it (picked at run time).
 */
function hasFallbackFor(file: SourceFile, call: Node, replacement: string): boolean {
  const pattern = new RegExp(`${replacement}\\b`);
  for (let current = call.parent; current; current = current.parent) {
    if ((current.type === 'preproc_if' || current.type === 'preproc_ifdef') && pattern.test(current.text)) return true;
    if (current.type === 'function_definition') return pattern.test(current.text);
  }
  return false;
}

/** Replaces each PAGE_EXECUTE* in the argument with its non-executable counterpart. */
function suggestion(argument: Node, written: string[]): FixDescriptor {
  const replaced = argument.text.replace(EXECUTE, (flag) => NON_EXECUTABLE[flag] ?? flag);
  return { title: `Use ${[...new Set(written.map((flag) => NON_EXECUTABLE[flag]))].join(', ')} (no execute)`, edits: [fixer.replace(argument, replaced)] };
}
