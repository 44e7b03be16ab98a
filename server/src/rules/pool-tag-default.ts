/**
 * Hints at pool allocations tagged with a default or empty tag ('None', ' kdD', 0): every driver that does so
 * shares the tag, so pool tools (PoolMon, !poolused, Driver Verifier's leak report) cannot tell this driver's
 * allocations — or its leaks and overruns — from anyone else's.
 */
import { callArguments, calleeName, unwrap } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import { lookupTable } from '../analysis/lookup';

/** Routine → index of its tag argument. */
const TAGGED: Record<string, number> = lookupTable({
  ExAllocatePoolWithTag: 2,
  ExAllocatePoolWithQuotaTag: 2,
  ExAllocatePoolWithTagPriority: 2,
  ExAllocatePool2: 2,
  ExAllocatePool3: 2,
  ExAllocatePoolZero: 2,
  ExAllocatePoolUninitialized: 2,
  ExAllocatePoolQuotaZero: 2,
  ExFreePoolWithTag: 1,
});

/** Default and generic tags by value (a source literal reads reversed: 'enoN' shows as None in pool tools). */
const DEFAULT_TAGS = new Map<number, string>([
  [0, 'no tag (0)'],
  [0x656e6f4e, "'enoN' (shown as None: the tag ExAllocatePool uses)"],
  [0x4e6f6e65, "'None' (a generic tag)"],
  [0x206b6444, "' kdD' (shown as Ddk: the WDK's default tag)"],
]);

function tagValue(text: string): number | undefined {
  const literal = /^'(.{1,4})'$/s.exec(text);
  if (literal) {
    // A multi-character constant: the first character is the most significant byte (MSVC).
    let value = 0;
    for (const char of literal[1]) value = (value * 256 + char.charCodeAt(0)) >>> 0;
    return value;
  }
  if (/^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.test(text)) return Number.parseInt(text.replace(/[uUlL]+$/, ''), /^0[xX]/.test(text) ? 16 : 10);
  return undefined;
}

export const rule: Rule = {
  meta: {
    id: 'pool-tag-default',
    title: 'Pool allocation with a default tag',
    type: 'suggestion',
    severity: 'hint',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: "A pool allocation or free uses a default or empty tag ('enoN' shown as None, ' kdD' shown as Ddk, 0) instead of a tag unique to the driver.",
    rationale: "Pool tags are how PoolMon, the debugger's !poolused/!pool and Driver Verifier attribute memory to a driver. A default tag is shared with every driver that uses it, so this driver's leaks, overruns and uses after free show up under a name that points nowhere. Pick a four-character tag unique to the driver (written reversed in the source: 'gaTD' shows as DTag) and use it in the matching ExFreePoolWithTag.",
    cwe: ['CWE-778'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exallocatepool2',
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/poolmon',
    ],
    confidence: 'high',
    messages: {
      defaultTag: '{{call}} uses {{tag}}: pool tools cannot tell these allocations from other drivers\'. Use a tag unique to this driver.',
    },
    examples: {
      bad: "PVOID buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, length, ' kdD');",
      good: "#define SAMPLE_TAG 'pmaS'\nPVOID buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, length, SAMPLE_TAG);",
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const name = calleeName(call);
        const index = name ? TAGGED[name] : undefined;
        if (index === undefined) return;
        const tag = unwrap(callArguments(call)[index]);
        if (!tag) return;
        const value = tagValue(tag.text) ?? (/^[A-Z_][A-Z0-9_]*$/.test(tag.text) ? file.macros.evaluate(tag.text) : undefined);
        const description = value === undefined ? undefined : DEFAULT_TAGS.get(value >>> 0);
        if (!description) return;
        context.report({ node: tag, messageId: 'defaultTag', data: { call: name!, tag: description } });
      },
    };
  },
};
