/**
 * Flags the unbounded C string functions (strcpy, strcat, sprintf, wcscpy, …) and offers the ntstrsafe
 * equivalent, which takes the destination size, always terminates and returns an NTSTATUS.
 */
import { findDeclaration } from '../analysis/declarations';
import { callArguments, calleeName, unwrap } from '../analysis/query';
import { fixer, type FixDescriptor, type Rule } from '../analysis/rule';
import { lookupTable } from '../analysis/lookup';

/** Unsafe function → [ntstrsafe replacement, how the arguments map]. */
const REPLACEMENTS: Record<string, { safe: string; shape: 'copy' | 'printf' | 'copyN' | 'copyNWide' | 'none' }> = lookupTable({
  strcpy: { safe: 'RtlStringCbCopyA', shape: 'copy' },
  wcscpy: { safe: 'RtlStringCbCopyW', shape: 'copy' },
  strcat: { safe: 'RtlStringCbCatA', shape: 'copy' },
  wcscat: { safe: 'RtlStringCbCatW', shape: 'copy' },
  sprintf: { safe: 'RtlStringCbPrintfA', shape: 'printf' },
  vsprintf: { safe: 'RtlStringCbVPrintfA', shape: 'printf' },
  strncpy: { safe: 'RtlStringCbCopyNA', shape: 'copyN' },
  wcsncpy: { safe: 'RtlStringCbCopyNW', shape: 'copyNWide' },
  strncat: { safe: 'RtlStringCbCatNA', shape: 'copyN' },
  wcsncat: { safe: 'RtlStringCbCatNW', shape: 'copyNWide' },
  swprintf: { safe: 'RtlStringCbPrintfW', shape: 'none' },
  _snprintf: { safe: 'RtlStringCbPrintfA', shape: 'none' },
  _snwprintf: { safe: 'RtlStringCbPrintfW', shape: 'none' },
  _vsnprintf: { safe: 'RtlStringCbVPrintfA', shape: 'none' },
  gets: { safe: 'a bounded read', shape: 'none' },
});

export const rule: Rule = {
  meta: {
    id: 'unsafe-string-function',
    title: 'Unsafe C string function',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    description: 'strcpy, strcat, sprintf, wcscpy and similar functions write without knowing the destination size.',
    rationale: 'These functions copy until the source ends, however large the destination is, and the n-variants may leave the result unterminated. In a driver one long string is a kernel stack or pool overflow. The ntstrsafe functions (RtlStringCbCopyW, RtlStringCbPrintfA, …) take the destination size in bytes, always terminate, and report truncation as STATUS_BUFFER_OVERFLOW.',
    cwe: ['CWE-120', 'CWE-676'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/using-safe-string-functions', 'https://learn.microsoft.com/windows-hardware/drivers/ddi/ntstrsafe/'],
    confidence: 'high',
    messages: {
      unsafe: '{{name}} does not know the size of `{{destination}}`. Use {{safe}} (ntstrsafe.h), which is bounded and always terminates.',
    },
    fixable: true,
    hasSuggestions: true,
    examples: {
      bad: 'CHAR name[32];\nstrcpy(name, source);',
      good: 'CHAR name[32];\nstatus = RtlStringCbCopyA(name, sizeof(name), source);',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const name = calleeName(call);
        const replacement = name ? REPLACEMENTS[name] : undefined;
        if (!name || !replacement || unwrap(call.childForFieldName('function'))?.type !== 'identifier') return;
        const args = callArguments(call);
        const destination = args[0];
        const argumentList = call.childForFieldName('arguments');
        let edit: FixDescriptor | undefined;
        if (destination && argumentList && replacement.shape !== 'none') {
          const rest = args.slice(1).map((arg) => arg.text);
          const size = `sizeof(${destination.text})`;
          const newArguments = replacement.shape === 'copyNWide'
            ? [destination.text, size, rest[0], `(${rest[1]}) * sizeof(WCHAR)`]
            : [destination.text, size, ...rest];
          edit = {
            title: `Use ${replacement.safe}(${destination.text}, ${size}, …)`,
            edits: [fixer.replace(call.childForFieldName('function')!, replacement.safe), fixer.replace(argumentList, `(${newArguments.join(', ')})`)],
          };
        }
        // sizeof(destination) is the buffer size only for an array; for a pointer it is the pointer size.
        const fn = file.enclosingFunction(call);
        const target = unwrap(destination);
        const declaration = target?.type === 'identifier' ? findDeclaration(file, fn, target.text) : undefined;
        const isStatement = call.parent?.type === 'expression_statement';
        const safe = Boolean(edit && declaration?.isArray && declaration.arraySize && isStatement);
        context.report({
          node: call.childForFieldName('function') ?? call,
          messageId: 'unsafe',
          data: { name, destination: destination?.text ?? '?', safe: replacement.safe },
          fix: safe ? edit : undefined,
          suggestions: !safe && edit ? [{ ...edit, title: `${edit.title} (check that sizeof(${destination?.text}) is the buffer size, and handle the NTSTATUS)` }] : undefined,
        });
      },
    };
  },
};
