/**
 * Flags DbgPrint/KdPrint/RtlStringCch*Printf* calls whose format string is user data (a request buffer or a
 * string field of it): `%s`/`%p` conversions in it read kernel memory and stack values the caller chose.
 */
import { findDeclaration } from '../analysis/declarations';
import { FORMATTERS, formatArgument, NARROW_TYPES, WIDE_TYPES } from '../analysis/format-strings';
import { baseIdentifier, calleeName, fieldName, unwrap, type Node, typeOf } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import type { SourceFile } from '../analysis/source-file';

type StringKind = 'wide' | 'narrow' | 'unicode-string' | undefined;

/** What the format argument points to, from a cast or the declared type of the variable. */
function stringKind(file: SourceFile, call: Node, argument: Node): { kind: StringKind; unicodeString?: string } {
  let current: Node | null = argument;
  while (current?.type === 'parenthesized_expression') current = current.namedChild(0);
  if (current?.type === 'cast_expression') {
    const type = current.childForFieldName('type')?.text.replace(/\s+/g, ' ').trim() ?? '';
    if (WIDE_TYPES.test(type.replace(/ ?\*$/, '').replace(/^const /, '')) && (type.endsWith('*') || type.startsWith('P') || type.startsWith('LP'))) return { kind: 'wide' };
    if (NARROW_TYPES.test(type.replace(/ ?\*$/, '').replace(/^const /, '')) && (type.endsWith('*') || type.startsWith('P') || type.startsWith('LP'))) return { kind: 'narrow' };
    return { kind: undefined };
  }
  const fn = file.enclosingFunction(call);
  if (current?.type === 'field_expression' && fieldName(current) === 'Buffer') {
    const base = unwrap(current.childForFieldName('argument'));
    if (base && typeOf(base) === 'identifier') {
      const declaration = findDeclaration(file, fn, base.text);
      if (declaration && /^P?C?UNICODE_STRING$/.test(declaration.typeText.trim())) {
        const isPointer = current.childForFieldName('operator')?.text === '->';
        return { kind: 'unicode-string', unicodeString: isPointer ? base.text : `&${base.text}` };
      }
    }
    return { kind: undefined };
  }
  if (current?.type !== 'identifier') return { kind: undefined };
  const declaration = findDeclaration(file, fn, baseIdentifier(current) ?? current.text);
  if (!declaration) return { kind: undefined };
  const type = declaration.typeText.trim().replace(/^const /, '');
  if (WIDE_TYPES.test(type)) return { kind: 'wide' };
  if (NARROW_TYPES.test(type)) return { kind: 'narrow' };
  return { kind: undefined };
}

export const rule: Rule = {
  meta: {
    id: 'format-string-user-controlled',
    title: 'User data used as a format string',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'DbgPrint/DbgPrintEx/KdPrint/vDbgPrintEx or an RtlStringCch*/Cb*Printf* function takes its format string from user input.',
    rationale: 'A format string decides how many arguments the function reads and how it interprets them. When the caller supplies it, `%s` and `%wZ` dereference whatever sits in the argument slots (a kernel crash or an information leak), `%p` prints kernel stack values and addresses, and a long expansion overflows the destination of the Printf functions. Always pass a literal format and print user text through `%s`/`%ws`/`%wZ`.',
    cwe: ['CWE-134'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-dbgprintex',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/ntstrsafe/nf-ntstrsafe-rtlstringcchprintfw',
    ],
    confidence: 'high',
    messages: {
      format: '{{callee}} uses `{{format}}` ({{origin}}, user-controlled) as its format string: conversions in it read kernel memory the caller chooses. Pass a literal format such as {{literal}}.',
    },
    fixable: true,
    examples: {
      bad: 'PCHAR message = (PCHAR)Irp->AssociatedIrp.SystemBuffer;\nDbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, message);',
      good: 'PCHAR message = (PCHAR)Irp->AssociatedIrp.SystemBuffer;\nDbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "%s", message);',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const callee = calleeName(call);
        const formatter = callee ? FORMATTERS[callee] : undefined;
        if (!formatter || !callee) return;
        const format = formatArgument(call, formatter);
        const inner = unwrap(format);
        const innerType = inner && typeOf(inner);
        if (!format || !inner || innerType === 'string_literal' || innerType === 'concatenated_string') return;
        const fn = file.enclosingFunction(call);
        if (!fn) return;
        const taint = file.taint(fn).taintOf(format, call.startIndex);
        if (!taint) return;
        const { kind, unicodeString } = stringKind(file, call, format);
        // A scalar (a length) is no string; a field read out of the user's buffer, or a UNICODE_STRING over it, is.
        if (taint.kind === 'value' && !taint.fromUserMemory && kind !== 'unicode-string') return;
        let edit: { start: number; end: number; text: string };
        let literal: string;
        if (formatter.wide) {
          // The W functions take a wide format: `%s` prints a wide string there.
          literal = kind === 'narrow' ? 'L"%hs"' : 'L"%s"';
          if (kind === 'unicode-string') literal = 'L"%wZ"';
        } else {
          literal = kind === 'wide' ? '"%ws"' : kind === 'unicode-string' ? '"%wZ"' : '"%s"';
        }
        if (kind === 'unicode-string' && unicodeString) {
          edit = { start: format.startIndex, end: format.endIndex, text: `${literal}, ${unicodeString}` };
        } else {
          edit = { start: format.startIndex, end: format.startIndex, text: `${literal}, ` };
        }
        const text = file.textOf(format).replace(/\s+/g, ' ');
        context.report({
          node: format,
          messageId: 'format',
          data: { callee, format: text.length > 60 ? `${text.slice(0, 57)}...` : text, origin: `from ${taint.origin}`, literal },
          related: [{ node: taint.source, message: `user-controlled: ${taint.origin}` }],
          fix: { title: `Use ${literal} as the format`, edits: [edit] },
        });
      },
    };
  },
};
