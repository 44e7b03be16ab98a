/**
 * Flags the deprecated pool allocators (ExAllocatePool, ExAllocatePoolWithTag, …). They return uninitialized
 * memory, a classic source of kernel memory disclosure; ExAllocatePool2 zeroes by default and takes explicit flags.
 */
import { callArguments, calleeName, type Node } from '../analysis/query';
import { fixer, type FixDescriptor, type Rule } from '../analysis/rule';
import { lookupTable } from '../analysis/lookup';

/** POOL_TYPE → the equivalent ExAllocatePool2 flags (NX for the executable non-paged types: HVCI forbids executable pool). */
const POOL_FLAGS: Record<string, string> = lookupTable({
  NonPagedPool: 'POOL_FLAG_NON_PAGED',
  NonPagedPoolNx: 'POOL_FLAG_NON_PAGED',
  NonPagedPoolExecute: 'POOL_FLAG_NON_PAGED',
  PagedPool: 'POOL_FLAG_PAGED',
  NonPagedPoolCacheAligned: 'POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED',
  NonPagedPoolNxCacheAligned: 'POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED',
  PagedPoolCacheAligned: 'POOL_FLAG_PAGED | POOL_FLAG_CACHE_ALIGNED',
});

const DEPRECATED = new Set([
  'ExAllocatePool',
  'ExAllocatePoolWithTag',
  'ExAllocatePoolWithQuota',
  'ExAllocatePoolWithQuotaTag',
  'ExAllocatePoolWithTagPriority',
]);

/** ExAllocatePool uses the tag 'None' for untagged allocations; keep it so pool tag tools show the same thing. */
const UNTAGGED = "'enoN'";

function replacementFor(call: Node, name: string): { fix?: FixDescriptor; suggestion?: FixDescriptor } {
  const args = callArguments(call);
  const flags = args[0] ? POOL_FLAGS[args[0].text.trim()] : undefined;
  const argumentList = call.childForFieldName('arguments');
  if (!flags || !argumentList) return {};
  const replace = (text: string, title: string): FixDescriptor => ({
    title,
    edits: [fixer.replace(call.childForFieldName('function')!, 'ExAllocatePool2'), fixer.replace(argumentList, text)],
  });
  switch (name) {
    case 'ExAllocatePoolWithTag':
      return { fix: replace(`(${flags}, ${args[1].text}, ${args[2].text})`, `Use ExAllocatePool2(${flags}, …)`) };
    case 'ExAllocatePool':
      return { suggestion: replace(`(${flags}, ${args[1].text}, ${UNTAGGED})`, `Use ExAllocatePool2(${flags}, …) with a pool tag`) };
    case 'ExAllocatePoolWithQuotaTag':
      // WithQuotaTag raises on failure; keep that behaviour explicitly.
      return { fix: replace(`(${flags} | POOL_FLAG_USE_QUOTA | POOL_FLAG_RAISE_ON_FAILURE, ${args[1].text}, ${args[2].text})`, 'Use ExAllocatePool2 with POOL_FLAG_USE_QUOTA') };
    default:
      return {};
  }
}

export const rule: Rule = {
  meta: {
    id: 'deprecated-pool-alloc',
    title: 'Deprecated pool allocation API',
    type: 'suggestion',
    severity: 'warning',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'ExAllocatePool, ExAllocatePoolWithTag and the quota/priority variants are deprecated; use ExAllocatePool2/ExAllocatePool3.',
    rationale: 'The deprecated allocators return uninitialized memory: any byte the driver forgets to write can leak kernel data to user mode. ExAllocatePool2 zeroes the allocation unless asked not to, takes explicit POOL_FLAG_* values (non-executable by default) and requires a tag. It needs Windows 10 version 2004 or later; drivers that load on older systems can use ExAllocatePoolZero.',
    cwe: ['CWE-908', 'CWE-477'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/updating-deprecated-exallocatepool-calls'],
    confidence: 'high',
    messages: {
      deprecated: '{{name}} is deprecated and returns uninitialized memory. Use ExAllocatePool2, which zeroes the allocation.',
    },
    fixable: true,
    hasSuggestions: true,
    examples: {
      bad: "buffer = ExAllocatePoolWithTag(NonPagedPoolNx, size, 'gDvD');",
      good: "buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, 'gDvD');",
    },
  },
  create(context) {
    return {
      call_expression(call) {
        const name = calleeName(call);
        if (!name || !DEPRECATED.has(name)) return;
        const { fix, suggestion } = replacementFor(call, name);
        context.report({
          node: call.childForFieldName('function') ?? call,
          messageId: 'deprecated',
          data: { name },
          fix,
          suggestions: suggestion ? [suggestion] : undefined,
        });
      },
    };
  },
};
