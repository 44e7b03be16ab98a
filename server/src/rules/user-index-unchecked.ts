/**
 * Flags indexing a fixed-size array with a user-controlled value (a field of the request, an IOCTL length) that
 * no dominating comparison bounds: an out-of-bounds read, write or the classic `table[req->Index]++` primitive.
 */
import { everyCallGuarded, translateToCaller } from '../analysis/callers';
import { findDeclaration } from '../analysis/declarations';
import { failureExit, guardBefore } from '../analysis/fix-helpers';
import { callArguments, calleeName, declaratorName, enclosingStatement, unwrap, type Node, typeOf } from '../analysis/query';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { gather, type Rule } from '../analysis/rule';
import type { Taint } from '../analysis/taint';
import { isInsideSwitchOn } from '../analysis/user-input';
import { isWritten } from '../analysis/user-pointers';

function isIncrement(node: Node): boolean {
  let current = node;
  while (current.parent?.type === 'parenthesized_expression') current = current.parent;
  const parent = current.parent;
  if (parent?.type === 'update_expression') return true;
  return parent?.type === 'assignment_expression' && parent.childForFieldName('left')?.id === current.id && /^[+-]=$/.test(parent.child(1)?.text ?? '');
}

/** `sizeof(table[i])` does not access memory. */
function insideSizeof(node: Node): boolean {
  for (let current = node.parent; current && current.type !== 'expression_statement' && current.type !== 'compound_statement'; current = current.parent) {
    if (current.type === 'sizeof_expression' || current.type === 'alignof_expression') return true;
  }
  return false;
}

/** The element count of a local or global array (not a parameter: `ULONG a[4]` there is a pointer). */
function declaredArraySize(file: SourceFile, fn: FunctionInfo, name: string): string | undefined {
  const declaration = findDeclaration(file, fn, name);
  if (!declaration || !declaration.isArray || declaration.isParameter) return undefined;
  return declaration.arraySize;
}

/** `ext->Table`: the size when every structure of the file that declares a field of that name declares it as an array of one size. */
function fieldArraySize(file: SourceFile, field: Node): string | undefined {
  const name = field.childForFieldName('field')?.text;
  if (!name) return undefined;
  const sizes = new Set<string>();
  let other = false;
  for (const declaration of file.nodes('field_declaration')) {
    for (const declarator of declaration.childrenForFieldName('declarator')) {
      if (!declarator || declaratorName(declarator) !== name) continue;
      const size = declarator.type === 'array_declarator' ? declarator.childForFieldName('size')?.text : undefined;
      if (size && declarator.childForFieldName('declarator')?.type !== 'array_declarator') sizes.add(size);
      else other = true;
    }
  }
  return !other && sizes.size === 1 ? [...sizes][0] : undefined;
}

const COPIES = new Set(['memcpy', 'memmove', 'RtlCopyMemory', 'RtlMoveMemory', 'RtlCopyBytes', 'CopyMemory', '__movsb']);

/** A copy into the same array whose length derives from the same user value. */
function copiedWithSameLength(file: SourceFile, body: Node | null, array: string, index: Taint, use: Node): boolean {
  if (!body) return false;
  const fn = file.enclosingFunction(use);
  if (!fn) return false;
  const taint = file.taint(fn);
  return file.within(body, 'call_expression').some((call) => {
    if (!COPIES.has(calleeName(call) ?? '')) return false;
    const [destination, , length] = callArguments(call);
    if (unwrap(destination)?.text !== array || !length) return false;
    const lengthTaint = taint.taintOf(length, call.startIndex);
    return lengthTaint !== undefined && lengthTaint.keys.some((key) => index.keys.includes(key));
  });
}

export const rule: Rule = {
  meta: {
    id: 'user-index-unchecked',
    title: 'Array indexed with an unchecked user value',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 1,
    description: 'A fixed-size array is read or written at an index that comes from user input, with no dominating check against the array length.',
    rationale: 'An index taken from the request can be anything, including huge or (for signed types) negative values. Reading table[index] leaks kernel memory next to the table; writing or incrementing it (`table[req->Index]++`) is a controlled out-of-bounds write that exploits turn into arbitrary kernel memory corruption. Compare the index with ARRAYSIZE(table) (as an unsigned value) before every use.',
    cwe: ['CWE-129', 'CWE-787', 'CWE-125'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-dev-best-practices',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/failure-to-check-the-size-of-buffers',
    ],
    confidence: 'medium',
    messages: {
      read: '`{{expression}}` reads `{{array}}` ({{size}} elements) at `{{index}}` ({{origin}}, user-controlled) without checking `{{index}} < ARRAYSIZE({{array}})`: an out-of-bounds read.',
      write: '`{{expression}}` writes `{{array}}` ({{size}} elements) at `{{index}}` ({{origin}}, user-controlled) without checking `{{index}} < ARRAYSIZE({{array}})`: an out-of-bounds write.',
      increment: '`{{expression}}` increments `{{array}}` ({{size}} elements) at `{{index}}` ({{origin}}, user-controlled) without checking `{{index}} < ARRAYSIZE({{array}})`: an arbitrary-increment primitive.',
    },
    hasSuggestions: true,
    examples: {
      bad: 'static LONG g_Counters[16];\n\nNTSTATUS Bump(PIRP Irp)\n{\n    PCOUNTER_REQUEST request = (PCOUNTER_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    g_Counters[request->Index]++;\n    return STATUS_SUCCESS;\n}',
      good: 'static LONG g_Counters[16];\n\nNTSTATUS Bump(PIRP Irp)\n{\n    PCOUNTER_REQUEST request = (PCOUNTER_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    if (request->Index >= ARRAYSIZE(g_Counters)) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    g_Counters[request->Index]++;\n    return STATUS_SUCCESS;\n}',
    },
  },
  create(context) {
    const { file } = context;
    const reported = new Set<string>();
    /** Position-independent answers, per function and array (or index keys). */
    const sizes = new Map<string, string | undefined>();
    const copied = new Map<string, boolean>();
    const callersChecked = new Map<string, boolean>();
    return {
      ...gather('field_declaration'),
      subscript_expression(node) {
        const array = unwrap(node.childForFieldName('argument'));
        const arrayType = array && typeOf(array);
        if (!array || (arrayType !== 'identifier' && arrayType !== 'field_expression')) return;
        const index = node.childForFieldName('index');
        if (!index) return;
        const fn = file.enclosingFunction(node);
        if (!fn) return;
        const taint = file.taint(fn);
        if (taint.isEmpty) return;
        const value = taint.taintOf(index, node.startIndex);
        if (value?.kind !== 'value' || insideSizeof(node)) return;
        // The array itself must be a kernel array of known length (not the user's buffer, not a pointer).
        if (taint.taintOf(array, node.startIndex)) return;
        const key = `${fn.node.id}:${array.text}:${index.text}`;
        if (reported.has(key)) return;
        const arrayKey = `${fn.node.id}:${array.text}`;
        if (!sizes.has(arrayKey)) sizes.set(arrayKey, arrayType === 'identifier' ? declaredArraySize(file, fn, array.text) : fieldArraySize(file, array));
        const arraySize = sizes.get(arrayKey);
        if (!arraySize) return;
        if (taint.isGuarded(node, value) || isInsideSwitchOn(node, value)) return;
        // `RtlCopyMemory(name, in, len); name[len] = 0;`: the missing length check is user-length-copy-unchecked's finding.
        const valueKey = `${arrayKey}:${value.keys.join('|')}`;
        if (!copied.has(valueKey)) copied.set(valueKey, copiedWithSameLength(file, fn.body, array.text, value, node));
        if (copied.get(valueKey)) return;
        // A helper whose every caller bounded the index (`if (query->Index >= N) break; Store(query);`).
        const callerKey = `${fn.node.id}:${value.keys.join('|')}`;
        if (!callersChecked.has(callerKey)) callersChecked.set(callerKey, everyCallGuarded(file, fn, (_caller, call) => translateToCaller(fn, call, value.keys)));
        if (callersChecked.get(callerKey)) return;
        reported.add(key);
        const evaluated = file.macros.evaluate(arraySize);
        const size = evaluated === undefined ? arraySize : String(evaluated);
        const statement = enclosingStatement(node);
        const simpleIndex = !/\+\+|--|[^=!<>]=[^=]|\(/.test(` ${index.text} `);
        const messageId = isIncrement(node) ? 'increment' : isWritten(node) ? 'write' : 'read';
        const text = node.parent?.type === 'update_expression' || (messageId === 'increment' && node.parent?.type === 'parenthesized_expression') ? (node.parent.type === 'update_expression' ? node.parent.text : node.text) : node.text;
        context.report({
          node,
          messageId,
          data: { expression: text, array: array.text, size, index: index.text, origin: `from ${value.origin}` },
          related: [{ node: value.source, message: `user-controlled value: ${value.origin}` }],
          suggestions: simpleIndex && statement.parent?.type !== 'translation_unit'
            ? [{
              title: `Return STATUS_INVALID_PARAMETER when ${index.text} >= ARRAYSIZE(${array.text})`,
              edits: [{ start: statement.startIndex, end: statement.startIndex, text: guardBefore(file.indentationOf(statement), file.eol, `${index.text} >= ARRAYSIZE(${array.text})`, failureExit(fn, 'STATUS_INVALID_PARAMETER')) }],
            }]
            : undefined,
        });
      },
    };
  },
};
