/**
 * Flags a string the Rtl conversion routines allocated (RtlCreateUnicodeString, RtlAnsiStringToUnicodeString and
 * friends with AllocateDestinationString = TRUE, RtlDuplicateUnicodeString) into a local that the function never
 * frees and never hands on: each call leaks pool, and a request path that leaks per call lets any caller exhaust it.
 */
import { findDeclaration } from '../analysis/declarations';
import { callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { gather, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { lookupTable } from '../analysis/lookup';

interface Allocator {
  /** The argument that receives the allocated string (`&local`). */
  destination: number;
  /** The AllocateDestinationString argument, when the routine allocates only if it is TRUE. */
  allocateFlag?: number;
  free: string;
}

const ALLOCATORS: Record<string, Allocator> = lookupTable({
  RtlCreateUnicodeString: { destination: 0, free: 'RtlFreeUnicodeString' },
  RtlDuplicateUnicodeString: { destination: 2, free: 'RtlFreeUnicodeString' },
  RtlAnsiStringToUnicodeString: { destination: 0, allocateFlag: 2, free: 'RtlFreeUnicodeString' },
  RtlOemStringToUnicodeString: { destination: 0, allocateFlag: 2, free: 'RtlFreeUnicodeString' },
  RtlUpcaseUnicodeString: { destination: 0, allocateFlag: 2, free: 'RtlFreeUnicodeString' },
  RtlDowncaseUnicodeString: { destination: 0, allocateFlag: 2, free: 'RtlFreeUnicodeString' },
  RtlUnicodeStringToAnsiString: { destination: 0, allocateFlag: 2, free: 'RtlFreeAnsiString' },
  RtlUpcaseUnicodeStringToAnsiString: { destination: 0, allocateFlag: 2, free: 'RtlFreeAnsiString' },
  RtlUnicodeStringToOemString: { destination: 0, allocateFlag: 2, free: 'RtlFreeOemString' },
  RtlUpcaseUnicodeStringToOemString: { destination: 0, allocateFlag: 2, free: 'RtlFreeOemString' },
});

const FREES = new Set(['RtlFreeUnicodeString', 'RtlFreeAnsiString', 'RtlFreeOemString', 'ExFreePool', 'ExFreePoolWithTag', 'RtlFreeHeap']);

/** System routines that read a string without keeping it (a driver helper may keep or free it: do not guess). */
const READERS = /^(Rtl|Zw|Nt|Io|Ob|Ke|Ex|Mm|Ps|Se|Dbg|Kd|Wpp|Trace|DoTrace|InitializeObjectAttributes|KdPrint|DbgPrint|NT_SUCCESS|ASSERT|NT_ASSERT|_snwprintf|swprintf|wcs|str|mem)/;

/**
 * Whether a driver helper may keep or free the string it gets: one of another file (do not guess), or one of this
 * file that frees something or stores its parameter.
 */
function keepsOrFrees(file: SourceFile, name: string, index: number): boolean {
  const helper = file.functionByName(name);
  if (!helper?.body) return true;
  const parameter = helper.params[index]?.name;
  if (/\b(RtlFree(Unicode|Ansi|Oem)String|ExFreePool\w*)\s*\(/.test(helper.body.text)) return true;
  if (!parameter) return true;
  const mention = new RegExp(`\\b${parameter}\\b`);
  return file.within(helper.body, 'assignment_expression').some((assignment) => mention.test(assignment.childForFieldName('right')?.text ?? ''));
}

/** Whether the expression uses the local other than as (part of) a call's argument. */
function mentionsOutsideCalls(expression: Node | null, local: string): boolean {
  if (!expression) return false;
  let found = false;
  const visit = (node: Node) => {
    if (found || node.type === 'call_expression') return;
    if (node.type === 'identifier' && node.text === local) found = true;
    for (const child of node.namedChildren) if (child) visit(child);
  };
  visit(expression);
  return found;
}

/** Whether the function frees the local or lets it escape (stores, returns, or hands it to a driver helper). */
function freedOrHandedOn(file: SourceFile, fn: FunctionInfo, local: string, allocation: Node): boolean {
  const mention = new RegExp(`\\b${local}\\b`);
  for (const call of file.within(fn.body!, 'call_expression')) {
    if (call.id === allocation.id) continue;
    const name = calleeName(call) ?? '';
    const args = callArguments(call);
    if (!args.some((argument) => mention.test(argument.text))) continue;
    if (FREES.has(name)) return true;
    if (!READERS.test(name) && keepsOrFrees(file, name, args.findIndex((argument) => mention.test(argument.text)))) return true;
  }
  // Stored or returned as a value (`ext->Name = copy;`, `PWSTR p = copy.Buffer;`, `return copy;`); an argument of a
  // call was judged above.
  for (const assignment of file.within(fn.body!, 'assignment_expression')) if (mentionsOutsideCalls(assignment.childForFieldName('right'), local)) return true;
  for (const ret of file.within(fn.body!, 'return_statement')) if (mentionsOutsideCalls(ret, local)) return true;
  for (const declaration of file.within(fn.body!, 'init_declarator')) if (mentionsOutsideCalls(declaration.childForFieldName('value'), local)) return true;
  return false;
}

export const rule: Rule = {
  meta: {
    id: 'allocated-string-not-freed',
    title: 'String allocated by an Rtl conversion routine never freed',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.secure-coding',
    description: 'RtlCreateUnicodeString, RtlDuplicateUnicodeString or a conversion with AllocateDestinationString = TRUE allocates the buffer of a local string that the function neither frees (RtlFreeUnicodeString / RtlFreeAnsiString) nor hands on.',
    rationale: 'These routines allocate the destination buffer from pool; only RtlFreeUnicodeString (or RtlFreeAnsiString / RtlFreeOemString) returns it. A local string that goes out of scope without the free leaks its buffer on every call: in a dispatch routine or an I/O callback, any caller that repeats the request drains pool until allocations across the system fail — a denial of service from user mode.',
    cwe: ['CWE-401', 'CWE-772'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-rtlansistringtounicodestring',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-rtlfreeunicodestring',
    ],
    confidence: 'high',
    messages: {
      leaked: '{{call}} allocates the buffer of `{{local}}`, but {{fn}} never calls {{free}}(&{{local}}): the buffer leaks on every call.',
    },
    examples: {
      bad: 'NTSTATUS OpenByName(PANSI_STRING name, PHANDLE key) {\n    UNICODE_STRING wide;\n    OBJECT_ATTRIBUTES attributes;\n    NTSTATUS status = RtlAnsiStringToUnicodeString(&wide, name, TRUE);\n    if (!NT_SUCCESS(status)) {\n        return status;\n    }\n    InitializeObjectAttributes(&attributes, &wide, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);\n    return ZwOpenKey(key, KEY_READ, &attributes);\n}',
      good: 'NTSTATUS OpenByName(PANSI_STRING name, PHANDLE key) {\n    UNICODE_STRING wide;\n    OBJECT_ATTRIBUTES attributes;\n    NTSTATUS status = RtlAnsiStringToUnicodeString(&wide, name, TRUE);\n    if (!NT_SUCCESS(status)) {\n        return status;\n    }\n    InitializeObjectAttributes(&attributes, &wide, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);\n    status = ZwOpenKey(key, KEY_READ, &attributes);\n    RtlFreeUnicodeString(&wide);\n    return status;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      ...gather('call_expression', 'assignment_expression', 'return_statement', 'init_declarator'),
      onEnd() {
        if (!/\bRtl(Create|Duplicate|[A-Za-z]*StringTo|Upcase|Downcase)/.test(file.text)) return;
        for (const fn of file.functions()) {
          if (!fn.body) continue;
          for (const call of file.within(fn.body, 'call_expression')) {
            const name = calleeName(call);
            const allocator = name ? ALLOCATORS[name] : undefined;
            if (!allocator) continue;
            const args = callArguments(call);
            if (allocator.allocateFlag !== undefined && unwrap(args[allocator.allocateFlag])?.text !== 'TRUE') continue;
            const destination = unwrap(args[allocator.destination]);
            if (destination?.type !== 'pointer_expression' || !destination.text.startsWith('&')) continue;
            const local = unwrap(destination.childForFieldName('argument'));
            if (local?.type !== 'identifier') continue;
            const declaration = findDeclaration(file, fn, local.text);
            if (!declaration?.isLocal || declaration.isParameter || declaration.isPointer || declaration.isArray) continue;
            if (freedOrHandedOn(file, fn, local.text, call)) continue;
            context.report({ node: call, messageId: 'leaked', data: { call: name!, local: local.text, fn: fn.name, free: allocator.free } });
          }
        }
      },
    };
  },
};
