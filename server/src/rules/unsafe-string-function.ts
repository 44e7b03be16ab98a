/**
 * Flags the unbounded C string functions (strcpy, strcat, sprintf, wcscpy, …) and offers the ntstrsafe
 * equivalent, which takes the destination size, always terminates and returns an NTSTATUS.
 */
import { findDeclaration } from '../analysis/declarations';
import { callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
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
  _vsnwprintf: { safe: 'RtlStringCbVPrintfW', shape: 'none' },
  gets: { safe: 'a bounded read', shape: 'none' },
});

/**
 * Formatting calls that take the destination's element count: they never write past it, but when the output is
 * truncated they return -1 and leave the buffer without a terminating null.
 */
const BOUNDED_FORMAT = new Set(['_snprintf', '_snwprintf', '_vsnprintf', '_vsnwprintf']);

const NULL_CHARACTER = /^(0|'\\0'|L'\\0'|UNICODE_NULL|ANSI_NULL|'\\x00'|L'\\x00')$/;

function sameTarget(a: Node | null | undefined, b: string): boolean {
  const node = unwrap(a);
  return node !== undefined && node !== null && node.text.replace(/\s+/g, '') === b;
}

/**
 * The code terminates the destination itself: it stores a null into an element of it after the call
 * (`buf[RTL_NUMBER_OF(buf) - 1] = L'\0';`), or it zeroed the buffer before and passes a count that leaves the
 * last element alone (`count - 1`).
 */
function terminatesItself(file: SourceFile, fn: FunctionInfo | undefined, call: Node, destination: Node, count: Node | undefined): boolean {
  if (!fn?.body) return false;
  const target = unwrap(destination)?.text.replace(/\s+/g, '');
  if (!target) return false;
  const terminated = file.within(fn.body, 'assignment_expression').some((assignment) => {
    if (assignment.startIndex < call.endIndex) return false;
    const left = unwrap(assignment.childForFieldName('left'));
    const right = unwrap(assignment.childForFieldName('right'));
    if (!right || !NULL_CHARACTER.test(right.text.trim())) return false;
    if (left?.type === 'subscript_expression') return sameTarget(left.childForFieldName('argument'), target);
    if (left?.type === 'pointer_expression') return unwrap(left.childForFieldName('argument'))?.text.replace(/\s+/g, '').startsWith(`${target}+`) ?? false;
    return false;
  });
  if (terminated) return true;
  if (!count || !/-\s*1\s*\)*$/.test(count.text)) return false;
  const zeroedBefore = file.within(fn.body, 'call_expression').some((other) => {
    if (other.endIndex > call.startIndex) return false;
    const name = calleeName(other);
    const args = callArguments(other);
    if (name === 'RtlZeroMemory' || name === 'RtlSecureZeroMemory') return sameTarget(args[0], target);
    if (name === 'memset' || name === 'RtlFillMemory') return sameTarget(args[0], target) && /^(0|'\\0')$/.test(args[name === 'memset' ? 1 : 2]?.text.trim() ?? '');
    return false;
  });
  if (zeroedBefore) return true;
  const declaration = unwrap(destination)?.type === 'identifier' ? findDeclaration(file, fn, target) : undefined;
  const initializer = declaration?.initializer?.text.replace(/\s+/g, '');
  return initializer !== undefined && /^(\{0?\}|L?"")$/.test(initializer);
}

export const rule: Rule = {
  meta: {
    id: 'unsafe-string-function',
    title: 'Unsafe C string function',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'strcpy, strcat, sprintf, wcscpy and similar functions write without knowing the destination size; the counted _snprintf/_snwprintf family may leave the result unterminated.',
    rationale: 'These functions copy until the source ends, however large the destination is, and the n-variants may leave the result unterminated. In a driver one long string is a kernel stack or pool overflow. The ntstrsafe functions (RtlStringCbCopyW, RtlStringCbPrintfA, …) take the destination size in bytes, always terminate, and report truncation as STATUS_BUFFER_OVERFLOW.',
    cwe: ['CWE-120', 'CWE-676'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/using-safe-string-functions', 'https://learn.microsoft.com/windows-hardware/drivers/ddi/ntstrsafe/'],
    confidence: 'high',
    messages: {
      unsafe: '{{name}} does not know the size of `{{destination}}`. Use {{safe}} (ntstrsafe.h), which is bounded and always terminates.',
      unterminated: '{{name}} writes at most the count it is given, but when the output is truncated it returns -1 and leaves `{{destination}}` without a terminating null. Terminate the buffer after the call, or use {{safe}} (ntstrsafe.h), which always terminates.',
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
        const fn = file.enclosingFunction(call);
        if (BOUNDED_FORMAT.has(name) && destination && args.length >= 3) {
          if (terminatesItself(file, fn, call, destination, args[1])) return;
          context.report({
            node: call.childForFieldName('function') ?? call,
            messageId: 'unterminated',
            severity: 'information',
            data: { name, destination: destination.text, safe: replacement.safe },
          });
          return;
        }
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
