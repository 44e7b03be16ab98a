/**
 * Flags user buffers read as NUL-terminated strings (strlen/wcslen, strcpy sources, RtlInitUnicodeString,
 * `%s` arguments) when nothing forced or checked a terminator inside the buffer first.
 */
import { FORMATTERS, unboundedStringArguments } from '../analysis/format-strings';
import { accessPath, baseIdentifier, callArguments, calleeName, declaratorName, enclosingStatement, unwrap, type Node } from '../analysis/query';
import { anyCheckReaches } from '../analysis/conditional';
import { gather, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import type { Taint } from '../analysis/taint';
import { lookupTable } from '../analysis/lookup';

/** Routines that read a string up to its NUL: argument index of the string. */
const STRING_READERS: Record<string, number> = lookupTable({
  strlen: 0, wcslen: 0, _stricmp: 0, _wcsicmp: 0, strcmp: 0, wcscmp: 0, strstr: 0, wcsstr: 0, strchr: 0, wcschr: 0,
  strcpy: 1, wcscpy: 1, strcat: 1, wcscat: 1,
  RtlInitUnicodeString: 1, RtlInitAnsiString: 1, RtlInitString: 1, RtlCreateUnicodeString: 1,
  RtlInitUnicodeStringEx: 1, RtlInitAnsiStringEx: 1, atoi: 0, strtoul: 0, wcstoul: 0, _wtoi: 0,
});

/** Calls that check for a terminator within a maximum length. */
const TERMINATION_CHECKS = new Set([
  'RtlStringCchLengthA', 'RtlStringCchLengthW', 'RtlStringCbLengthA', 'RtlStringCbLengthW', 'strnlen', 'wcsnlen',
  'memchr', 'wmemchr', 'RtlStringCchLength', 'RtlStringCbLength', 'strnlen_s', 'wcsnlen_s',
]);

const NULS = /^(0|'\\0'|L'\\0'|ANSI_NULL|UNICODE_NULL|L?'\\x0+'|\(\s*\w+\s*\)\s*0)$/;

interface UserStringUse {
  argument: Node;
  taint: Taint;
  /** The name or access path that identifies the buffer (`message`, `request->Name`). */
  path: string;
}

/** The argument is a user buffer (or a character array inside one) read as a string. */
function userStringArgument(file: SourceFile, fn: FunctionInfo, argument: Node, at: number): UserStringUse | undefined {
  const node = unwrap(argument);
  if (!node || (node.type !== 'identifier' && node.type !== 'field_expression')) return undefined;
  const taint = file.taint(fn).taintOf(node, at);
  if (!taint) return undefined;
  if (taint.kind === 'value') {
    // A field of the request: only a character array field is a string (`request->Name`), not a pointer field.
    if (!taint.fromUserMemory || node.type !== 'field_expression' || !isArrayField(file, node)) return undefined;
  }
  return { argument: node, taint, path: accessPath(node) ?? node.text };
}

/** The field is declared as an array in one of this file's structures. */
function isArrayField(file: SourceFile, field: Node): boolean {
  const name = field.childForFieldName('field')?.text;
  if (!name) return false;
  return file.nodes('field_declaration').some((declaration) => declaration.childrenForFieldName('declarator')
    .some((declarator) => declarator?.type === 'array_declarator' && declaratorName(declarator) === name));
}

/** Something before the use terminates or checks the string: `s[n - 1] = 0`, `RtlStringCchLengthW(s, max, …)`, `if (s[len - 1] != 0)`. */
function terminationHandled(file: SourceFile, fn: FunctionInfo, use: Node, string: UserStringUse): boolean {
  if (!fn.body) return false;
  const names = new Set([string.path, ...string.taint.keys]);
  const base = baseIdentifier(string.argument);
  const sameBuffer = (expression: Node | null | undefined): boolean => {
    const inner = unwrap(expression);
    if (!inner) return false;
    const path = accessPath(inner) ?? inner.text;
    return names.has(path) || (string.argument.type === 'identifier' && inner.type === 'identifier' && inner.text === base);
  };
  const handled: Node[] = [];
  for (const call of file.within(fn.body, 'call_expression')) {
    if (call.startIndex >= use.startIndex) break;
    if (TERMINATION_CHECKS.has(calleeName(call) ?? '') && sameBuffer(callArguments(call)[0])) handled.push(call);
  }
  for (const subscript of file.within(fn.body, 'subscript_expression')) {
    if (subscript.startIndex >= use.startIndex) break;
    if (!sameBuffer(subscript.childForFieldName('argument'))) continue;
    const parent = subscript.parent;
    // `s[n - 1] = 0;`
    if (parent?.type === 'assignment_expression' && parent.childForFieldName('left')?.id === subscript.id && NULS.test(parent.childForFieldName('right')?.text.trim() ?? '')) handled.push(parent);
    // `if (s[len - 1] != 0)` / `s[len - 1] == L'\0'`
    else if (parent?.type === 'binary_expression' && /^[!=]=$/.test(parent.childForFieldName('operator')?.text ?? '')) handled.push(parent);
  }
  // A termination in another `#if` arm does not terminate this build's string.
  return anyCheckReaches(file, handled, use.startIndex);
}

export const rule: Rule = {
  meta: {
    id: 'unterminated-string-from-user',
    title: 'User buffer read as a NUL-terminated string',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'A user buffer is passed to strlen/wcslen, strcpy/wcscpy as the source, RtlInitUnicodeString/RtlInitAnsiString or a %s conversion without forcing or checking a terminator inside the buffer.',
    rationale: 'Nothing obliges the caller to end a string with NUL: an IOCTL buffer full of non-zero bytes makes strlen and RtlInitUnicodeString run past the end of the allocation, reading neighbouring pool memory (a crash or an information leak), and a copy based on that length overflows. Check the terminator within the received length (RtlStringCbLengthW with the buffer size) or write one at the last element before using the buffer as a string.',
    cwe: ['CWE-170', 'CWE-125'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/using-safe-string-functions',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/ntstrsafe/nf-ntstrsafe-rtlstringcblengthw',
    ],
    confidence: 'medium',
    messages: {
      unterminated: '{{callee}} reads `{{string}}` ({{origin}}) up to a NUL terminator, but nothing ensures one inside the buffer: an unterminated request reads past its end.',
    },
    hasSuggestions: true,
    examples: {
      bad: 'typedef struct _LOG_REQUEST { ULONG Level; CHAR Text[64]; } LOG_REQUEST, *PLOG_REQUEST;\n\nNTSTATUS Log(PIRP Irp)\n{\n    PLOG_REQUEST request = (PLOG_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    DbgPrint("log: %s\\n", request->Text);\n    return STATUS_SUCCESS;\n}',
      good: 'typedef struct _LOG_REQUEST { ULONG Level; CHAR Text[64]; } LOG_REQUEST, *PLOG_REQUEST;\n\nNTSTATUS Log(PIRP Irp)\n{\n    PLOG_REQUEST request = (PLOG_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    request->Text[RTL_NUMBER_OF(request->Text) - 1] = 0;\n    DbgPrint("log: %s\\n", request->Text);\n    return STATUS_SUCCESS;\n}',
    },
  },
  create(context) {
    const { file } = context;
    const reported = new Set<string>();

    function check(call: Node, callee: string, argument: Node | undefined): void {
      if (!argument) return;
      const fn = file.enclosingFunction(call);
      if (!fn) return;
      const string = userStringArgument(file, fn, argument, call.startIndex);
      if (!string || terminationHandled(file, fn, call, string)) return;
      const key = `${fn.node.id}:${string.path}`;
      if (reported.has(key)) return;
      reported.add(key);
      const statement = enclosingStatement(call);
      // A character array inside the (kernel copy of the) request can be terminated in place.
      const terminate = string.argument.type === 'field_expression' && string.taint.kind === 'value' && isArrayField(file, string.argument)
        && file.taint(fn).taintOf(string.argument.childForFieldName('argument'), call.startIndex)?.kind === 'buffer';
      context.report({
        node: argument,
        messageId: 'unterminated',
        data: { callee, string: string.path, origin: `from ${string.taint.origin}` },
        related: [{ node: string.taint.source, message: `user-controlled: ${string.taint.origin}` }],
        suggestions: terminate && statement.parent?.type !== 'translation_unit'
          ? [{
            title: `Terminate ${string.path} at its last element first`,
            edits: [{ start: statement.startIndex, end: statement.startIndex, text: `${string.path}[RTL_NUMBER_OF(${string.path}) - 1] = 0;${file.eol}${file.indentationOf(statement)}` }],
          }]
          : undefined,
      });
    }

    return {
      ...gather('field_declaration'),
      call_expression(call) {
        const callee = calleeName(call);
        if (!callee) return;
        const index = STRING_READERS[callee];
        if (index !== undefined) {
          check(call, callee, callArguments(call)[index]);
          return;
        }
        const formatter = FORMATTERS[callee];
        if (!formatter) return;
        for (const argument of unboundedStringArguments(call, formatter) ?? []) check(call, callee, argument);
      },
    };
  },
};
