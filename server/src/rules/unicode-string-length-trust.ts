/**
 * Flags a UNICODE_STRING that comes from the user's buffer (the buffer itself, a UNICODE_STRING field of the
 * request, or a local copy of one) handed to a string routine or to InitializeObjectAttributes without any
 * validation of its Length/MaximumLength or its Buffer pointer.
 */
import { callArguments, calleeName, declaratorName, unwrap, type Node } from '../analysis/query';
import { anyCheckReaches } from '../analysis/conditional';
import { gather, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { findDeclaration } from '../analysis/declarations';
import { mentions, type FunctionTaint, type Taint } from '../analysis/taint';
import { lookupTable } from '../analysis/lookup';

/** Routines that trust a UNICODE_STRING's Length and Buffer: the argument positions that take such a string as input. */
const CONSUMERS: Record<string, number[]> = lookupTable({
  RtlCopyUnicodeString: [1],
  RtlAppendUnicodeStringToString: [1],
  RtlCompareUnicodeString: [0, 1],
  RtlEqualUnicodeString: [0, 1],
  RtlPrefixUnicodeString: [0, 1],
  RtlUpcaseUnicodeString: [1],
  RtlDowncaseUnicodeString: [1],
  RtlUnicodeStringToAnsiString: [1],
  RtlUnicodeStringToInteger: [0],
  RtlHashUnicodeString: [0],
  RtlDuplicateUnicodeString: [1],
  RtlUnicodeStringCopy: [1],
  RtlUnicodeStringCat: [1],
  InitializeObjectAttributes: [1],
  ObReferenceObjectByName: [0],
  IoGetDeviceObjectPointer: [0],
  MmGetSystemRoutineAddress: [0],
  ZwDeleteValueKey: [1],
  ZwQueryValueKey: [1],
  ZwSetValueKey: [1],
  RtlQueryRegistryValues: [],
});

/** Checks that validate a string (their argument mentions it). */
const VALIDATORS = new Set(['RtlValidateUnicodeString', 'ProbeForRead', 'ProbeForWrite', 'RtlUnicodeStringValidate', 'RtlUnicodeStringValidateEx']);

const STRING_TYPE = /^(const\s+)?(UNICODE_STRING|PUNICODE_STRING|PCUNICODE_STRING)$/;

/** Field names declared with a UNICODE_STRING (or pointer) type in this file's structures. */
function unicodeFields(file: SourceFile): Map<string, boolean> {
  const fields = new Map<string, boolean>();
  for (const declaration of file.nodes('field_declaration')) {
    const type = declaration.childForFieldName('type')?.text.trim() ?? '';
    if (!STRING_TYPE.test(type)) continue;
    for (const declarator of declaration.childrenForFieldName('declarator')) {
      const name = declaratorName(declarator);
      if (name) fields.set(name, type !== 'UNICODE_STRING' || declarator?.type === 'pointer_declarator');
    }
  }
  return fields;
}

interface UserString {
  /** The expression naming the string in the text (`name`, `request->Name`). */
  text: string;
  /** Paths whose comparison or validation counts: `name->Length`, `request->Name.Length`, `name`. */
  keys: string[];
  taint: Taint;
}

/** The user-controlled UNICODE_STRING an argument passes, if any. */
function userString(file: SourceFile, fn: FunctionInfo, taint: FunctionTaint, argument: Node, at: number, fields: Map<string, boolean>): UserString | undefined {
  let node = unwrap(argument);
  let addressOf = false;
  if (node?.type === 'pointer_expression' && node.child(0)?.text === '&') {
    addressOf = true;
    node = unwrap(node.childForFieldName('argument'));
  }
  if (!node) return undefined;
  if (node.type === 'identifier') {
    const value = taint.taintOf(node, at);
    if (!value) return undefined;
    const declaration = findDeclaration(file, fn, node.text);
    const type = declaration?.typeText.trim() ?? '';
    if (!STRING_TYPE.test(type)) return undefined;
    const isPointer = type !== 'UNICODE_STRING' || declaration?.isPointer === true;
    // A pointer to the user's buffer, or a local struct copied out of it (not one the driver filled itself).
    if (isPointer && !addressOf && value.kind !== 'value') return build(node.text, '->', value);
    if (!isPointer && addressOf && value.kind === 'value' && value.fromUserMemory) return build(node.text, '.', value);
    return undefined;
  }
  if (node.type === 'field_expression') {
    const field = node.childForFieldName('field')?.text;
    const base = node.childForFieldName('argument');
    if (!field || !base || !fields.has(field)) return undefined;
    const isPointerField = fields.get(field)!;
    if (isPointerField === addressOf) return undefined;
    const value = taint.taintOf(base, at);
    if (!value || value.kind === 'value') return undefined;
    return build(node.text, isPointerField ? '->' : '.', value);
  }
  return undefined;
}

function build(text: string, operator: string, taint: Taint): UserString {
  const compact = text.replace(/\s+/g, '');
  return {
    text: compact,
    keys: [`${compact}${operator}Length`, `${compact}${operator}MaximumLength`, `${compact}${operator}Buffer`],
    taint,
  };
}

/** A validator call before the use names the string, or a dominating comparison checks its lengths. */
function validated(file: SourceFile, fn: FunctionInfo, taint: FunctionTaint, use: Node, string: UserString): boolean {
  if (taint.isGuardedBy(use, string.keys)) return true;
  if (!fn.body) return false;
  const names = new Set([...string.keys, string.text, `&${string.text}`]);
  const validators = file.within(fn.body, 'call_expression').filter((call) => call.startIndex < use.startIndex && VALIDATORS.has(calleeName(call) ?? '')
    && callArguments(call).some((arg) => mentions(arg, names) || names.has(arg.text.replace(/\s+/g, ''))));
  return anyCheckReaches(file, validators, use.startIndex);
}

export const rule: Rule = {
  meta: {
    id: 'unicode-string-length-trust',
    title: 'UNICODE_STRING from user input used without validation',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'A UNICODE_STRING taken from a user buffer is passed to a string routine or InitializeObjectAttributes without checking Length against MaximumLength, its evenness, or probing Buffer.',
    rationale: 'Every field of a UNICODE_STRING in a request is chosen by the caller: Buffer can point into the kernel, Length can exceed MaximumLength or the real allocation, and an odd Length splits a WCHAR. Routines such as RtlCopyUnicodeString, RtlCompareUnicodeString and the object manager trust these fields and read Length bytes from Buffer: an arbitrary kernel read or an overflow. Capture the structure, check Length <= MaximumLength and both even (RtlValidateUnicodeString), and probe Buffer for Length bytes inside __try.',
    cwe: ['CWE-20', 'CWE-822', 'CWE-125'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wudfwdm/ns-wudfwdm-_unicode_string',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/errors-in-referencing-user-space-addresses',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/ntstrsafe/nf-ntstrsafe-rtlunicodestringvalidate',
    ],
    confidence: 'medium',
    messages: {
      untrusted: '{{callee}} uses the UNICODE_STRING `{{string}}` from the user\'s buffer ({{origin}}) without validating it: check Length <= MaximumLength and even lengths (RtlValidateUnicodeString) and probe its Buffer first.',
    },
    examples: {
      bad: 'PUNICODE_STRING name = (PUNICODE_STRING)Irp->AssociatedIrp.SystemBuffer;\nRtlCopyUnicodeString(&g_Name, name);',
      good: 'PUNICODE_STRING name = (PUNICODE_STRING)Irp->AssociatedIrp.SystemBuffer;\nUNICODE_STRING captured = *name;\nif (!NT_SUCCESS(RtlValidateUnicodeString(0, &captured))) {\n    return STATUS_INVALID_PARAMETER;\n}\n__try {\n    ProbeForRead(captured.Buffer, captured.Length, sizeof(WCHAR));\n    RtlCopyUnicodeString(&g_Name, &captured);\n} __except (EXCEPTION_EXECUTE_HANDLER) {\n    return GetExceptionCode();\n}',
    },
  },
  create(context) {
    const { file } = context;
    let fields: Map<string, boolean> | undefined;
    return {
      ...gather('field_declaration'),
      call_expression(call) {
        const callee = calleeName(call);
        const positions = callee ? CONSUMERS[callee] : undefined;
        if (!positions || positions.length === 0 || !callee) return;
        const fn = file.enclosingFunction(call);
        if (!fn) return;
        const taint = file.taint(fn);
        if (taint.isEmpty) return;
        fields ??= unicodeFields(file);
        const args = callArguments(call);
        for (const position of positions) {
          const argument = args[position];
          if (!argument) continue;
          const string = userString(file, fn, taint, argument, call.startIndex, fields);
          if (!string || validated(file, fn, taint, call, string)) continue;
          context.report({
            node: argument,
            messageId: 'untrusted',
            data: { callee, string: string.text, origin: `from ${string.taint.origin}` },
            related: [{ node: string.taint.source, message: `user-controlled: ${string.taint.origin}` }],
          });
          return;
        }
      },
    };
  },
};
