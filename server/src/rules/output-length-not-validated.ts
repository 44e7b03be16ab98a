/**
 * Flags writing a structure or a fixed number of bytes into the request's output buffer (METHOD_BUFFERED
 * SystemBuffer, the direct-I/O MDL mapping, a WDF output buffer retrieved with minimum length 0) when no length
 * of the request was checked first: a caller with a small output buffer gets a kernel pool or mapping overflow.
 */
import { everyCallGuarded } from '../analysis/callers';
import { findDeclaration } from '../analysis/declarations';
import { failureExit, guardBefore } from '../analysis/fix-helpers';
import { callArguments, calleeName, enclosingStatement, fieldName, unwrap, type Node } from '../analysis/query';
import { anyCheckReaches, inOneBuild } from '../analysis/conditional';
import type { Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { LENGTH_KEYS, type FunctionTaint } from '../analysis/taint';
import { lookupTable } from '../analysis/lookup';
import { irqlRoles } from '../analysis/irql';

/** Routines that write into their first argument: [length argument index]. */
const WRITERS: Record<string, number> = lookupTable({
  RtlCopyMemory: 2, memcpy: 2, memmove: 2, RtlMoveMemory: 2, RtlCopyBytes: 2, CopyMemory: 2,
  RtlZeroMemory: 1, RtlSecureZeroMemory: 1, RtlFillMemory: 1, memset: 2,
});

/** `PULONG` → ULONG for the common Windows pointer typedefs. */
const POINTEE: Record<string, string> = lookupTable({
  PULONG: 'ULONG', PLONG: 'LONG', PUCHAR: 'UCHAR', PCHAR: 'CHAR', PUSHORT: 'USHORT', PSHORT: 'SHORT', PBOOLEAN: 'BOOLEAN',
  PULONG64: 'ULONG64', PLONG64: 'LONG64', PULONGLONG: 'ULONGLONG', PLONGLONG: 'LONGLONG', PULONG_PTR: 'ULONG_PTR',
  PLONG_PTR: 'LONG_PTR', PSIZE_T: 'SIZE_T', PWCHAR: 'WCHAR', PBYTE: 'BYTE', PDWORD: 'DWORD', PWORD: 'WORD',
  PUINT32: 'UINT32', PUINT64: 'UINT64', PUINT8: 'UINT8', PUINT16: 'UINT16', PNTSTATUS: 'NTSTATUS', PHANDLE: 'HANDLE',
});

const VOID_POINTER = /^(PVOID|LPVOID|VOID|void)$/;

interface OutputBuffer {
  origin: string;
  /** The WdfRequestRetrieveOutputBuffer call, for the length out-parameter. */
  retrieve?: Node;
}

interface Write {
  /** The expression naming the buffer (`out`, `Irp->AssociatedIrp.SystemBuffer`). */
  buffer: Node;
  /** `sizeof(ULONG)`, `sizeof(*reply)`, a copy length; undefined when it cannot be written down (computed on demand). */
  size: () => string | undefined;
}

/** `*(PULONG)x` → sizeof(ULONG); `(PFOO)x` with FOO * → sizeof(FOO). */
function castSize(cast: Node): string | undefined {
  const type = cast.childForFieldName('type')?.text.replace(/\s+/g, ' ').trim() ?? '';
  if (POINTEE[type]) return `sizeof(${POINTEE[type]})`;
  const star = /^([A-Za-z_]\w*(?: [A-Za-z_]\w*)*) ?\*$/.exec(type);
  if (star && !VOID_POINTER.test(star[1])) return `sizeof(${star[1]})`;
  return undefined;
}

/** What `*buffer` occupies, from a cast in the expression or the variable's declared type. */
function pointeeSize(file: SourceFile, fn: FunctionInfo, expression: Node): string | undefined {
  let current: Node | null = expression;
  while (current?.type === 'parenthesized_expression') current = current.namedChild(0);
  if (current?.type === 'cast_expression') return castSize(current);
  if (current?.type !== 'identifier') return undefined;
  const declaration = findDeclaration(file, fn, current.text);
  if (!declaration || declaration.isArray || !declaration.isPointer) return undefined;
  const type = declaration.typeText.trim();
  if (VOID_POINTER.test(type)) return undefined;
  return POINTEE[type] ? `sizeof(${POINTEE[type]})` : `sizeof(*${current.text})`;
}

/** The buffer and byte count a node writes, for assignments through a pointer and memory-writing calls. */
function writeOf(file: SourceFile, fn: FunctionInfo, taint: FunctionTaint, node: Node, nodeType: string): Write | undefined {
  if (nodeType === 'call_expression') {
    const lengthIndex = WRITERS[calleeName(node) ?? ''];
    if (lengthIndex === undefined) return undefined;
    const args = callArguments(node);
    const length = args[lengthIndex];
    if (!args[0] || !length) return undefined;
    // A length chosen by the caller (the output length itself) or reported for the buffer fits it by construction.
    if (taint.taintOf(length, node.startIndex) || lengthFromOutParameter(file, fn, length, node.startIndex)) return undefined;
    const text = length.text;
    return { buffer: args[0], size: () => (/\+\+|--|=/.test(text.replace(/[<>!=]=/g, '')) ? undefined : text) };
  }
  if (nodeType !== 'assignment_expression') return undefined;
  let left = node.childForFieldName('left');
  let type = left?.type;
  while (left && type === 'parenthesized_expression') {
    left = left.namedChild(0);
    type = left?.type;
  }
  // `out->a.b = x` writes through `out->a`.
  while (left && type === 'field_expression' && left.childForFieldName('operator')?.text === '.') {
    left = left.childForFieldName('argument');
    type = left?.type;
  }
  while (left && type === 'parenthesized_expression') {
    left = left.namedChild(0);
    type = left?.type;
  }
  if (!left) return undefined;
  if (type === 'field_expression') {
    const pointer = left.childForFieldName('argument');
    return pointer ? { buffer: pointer, size: () => pointeeSize(file, fn, pointer) } : undefined;
  }
  if (type === 'pointer_expression' && (left.childForFieldName('operator')?.text ?? left.child(0)?.text) === '*') {
    const pointer = left.childForFieldName('argument');
    return pointer ? { buffer: pointer, size: () => pointeeSize(file, fn, pointer) } : undefined;
  }
  if (type === 'subscript_expression') {
    const index = left.childForFieldName('index');
    const pointer = left.childForFieldName('argument');
    // Only a constant index says how far the write reaches.
    if (!pointer || index?.type !== 'number_literal' || index.text !== '0') return undefined;
    return { buffer: pointer, size: () => pointeeSize(file, fn, pointer) };
  }
  return undefined;
}

/** `&name` → name. */
function addressOfName(node: Node | undefined): string | undefined {
  const target = unwrap(node);
  if (target?.type !== 'pointer_expression' || target.child(0)?.text !== '&') return undefined;
  const inner = unwrap(target.childForFieldName('argument'));
  return inner?.type === 'identifier' ? inner.text : undefined;
}

/**
 * The WdfRequestRetrieveOutputBuffer that last stored into `name` before `at`, when its block also holds the
 * write and nothing assigned `name` in between (another `case` may retrieve into the same variable).
 */
function retrieveCallFor(file: SourceFile, fn: FunctionInfo, name: string, at: number): Node | undefined {
  if (!fn.body) return undefined;
  let found: Node | undefined;
  for (const call of file.within(fn.body, 'call_expression')) {
    if (call.startIndex >= at) break;
    if (calleeName(call) === 'WdfRequestRetrieveOutputBuffer' && addressOfName(callArguments(call)[2]) === name && inOneBuild(file, call.startIndex, at)) found = call;
  }
  if (!found) return undefined;
  const block = enclosingStatement(found).parent;
  if (!block || block.startIndex > at || block.endIndex < at) return undefined;
  const retrieve = found;
  const reassigned = file.within(fn.body, 'assignment_expression').some((assignment) => assignment.startIndex > retrieve.endIndex && assignment.startIndex < at
    && unwrap(assignment.childForFieldName('left'))?.text === name);
  return reassigned ? undefined : found;
}

/** `len` was filled in by a call (`WdfMemoryGetBuffer(memory, &len)`): it describes a buffer, the driver did not pick it. */
function lengthFromOutParameter(file: SourceFile, fn: FunctionInfo, length: Node, at: number): boolean {
  const name = unwrap(length);
  if (name?.type !== 'identifier' || !fn.body) return false;
  // The request's own lengths handed in as parameters (EvtIo callbacks, helpers called with them).
  if (fn.params.some((param) => param.name === name.text && /(Input|Output)BufferLength$|^Length$/.test(param.name))) return true;
  const fills = file.within(fn.body, 'call_expression').filter((call) => call.startIndex < at && callArguments(call).some((arg) => addressOfName(arg) === name.text));
  return anyCheckReaches(file, fills, at);
}

/** Whether the written expression is the output buffer, and where it came from. */
function outputBufferOf(file: SourceFile, fn: FunctionInfo, taint: FunctionTaint, expression: Node, at: number): OutputBuffer | undefined {
  const buffer = unwrap(expression);
  if (!buffer) return undefined;
  const value = taint.taintOf(buffer, at);
  if (value?.kind === 'buffer' && value.minimumLength) return undefined;
  if (value?.kind === 'buffer' && (value.origin === 'SystemBuffer' || value.origin === 'Irp->MdlAddress')) return { origin: value.origin === 'SystemBuffer' ? 'SystemBuffer' : 'the MDL mapping of Irp->MdlAddress' };
  if (buffer.type !== 'identifier' || value) return undefined;
  const retrieve = retrieveCallFor(file, fn, buffer.text, at);
  if (!retrieve) return undefined;
  const minimum = callArguments(retrieve)[1]?.text.trim();
  if (minimum !== '0' && minimum !== '0U' && minimum !== '0u') return undefined;
  return { origin: 'WdfRequestRetrieveOutputBuffer with minimum length 0', retrieve };
}

/** Names whose comparison validates a request length in this function. */
function lengthNames(file: SourceFile, fn: FunctionInfo, taint: FunctionTaint, retrieve?: Node): string[] {
  const names = [...LENGTH_KEYS, ...fn.params.filter((param) => /Length/.test(param.name)).map((param) => param.name)];
  const lengthVar = retrieve ? addressOfName(callArguments(retrieve)[3]) : undefined;
  if (lengthVar) names.push(lengthVar);
  if (fn.body) {
    for (const field of file.within(fn.body, 'field_expression')) {
      const name = fieldName(field);
      if (name === 'OutputBufferLength' || name === 'InputBufferLength' || (name !== undefined && /Length$/.test(name) && /\bParameters\b/.test(field.text))) names.push(field.text);
    }
  }
  names.push(...taint.aliasesOf(names));
  return [...new Set(names)];
}

/** input-length-not-validated already reports this function: it reads the same SystemBuffer without any check. */
function inputRuleReports(file: SourceFile, fn: FunctionInfo, taint: FunctionTaint): boolean {
  if (!fn.body) return false;
  const names = [...LENGTH_KEYS, ...fn.params.filter((param) => /Length/.test(param.name)).map((param) => param.name)];
  names.push(...taint.aliasesOf(names));
  return file.within(fn.body, 'field_expression').some((node) => {
    if (node.childForFieldName('operator')?.text !== '->') return false;
    const base = unwrap(node.childForFieldName('argument'));
    if (base?.type !== 'identifier') return false;
    const buffer = taint.taintOf(base, node.startIndex);
    if (!buffer || buffer.kind !== 'buffer' || buffer.minimumLength) return false;
    const parent = node.parent;
    if (parent?.type === 'assignment_expression' && parent.childForFieldName('left')?.id === node.id) return false;
    return !taint.isGuardedBy(node, names);
  });
}

/** The expression holding the output length, for the suggested check. */
function outputLengthExpression(file: SourceFile, fn: FunctionInfo, taint: FunctionTaint, output: OutputBuffer): string | undefined {
  if (output.retrieve) {
    const lengthVar = addressOfName(callArguments(output.retrieve)[3]);
    if (lengthVar) return lengthVar;
    return fn.params.find((param) => param.name === 'OutputBufferLength')?.name;
  }
  if (!fn.body) return undefined;
  const body = file.textOf(fn.body);
  const roles = file.driver.rolesOf(fn.name);
  const isRead = roles.some((role) => role.detail === 'IRP_MJ_READ') || /Parameters\s*\.\s*Read\b/.test(body);
  const isIoctl = roles.some((role) => /DEVICE_CONTROL/.test(role.detail ?? '')) || /DeviceIoControl|IoControlCode/.test(body);
  // The MDL belongs to a read or to a direct-I/O IOCTL: without evidence of which, no suggestion.
  if (output.origin !== 'SystemBuffer' && !isRead && !isIoctl) return undefined;
  const alias = taint.aliasesOf([isRead ? 'Length' : 'OutputBufferLength'])
    .find((name) => /^\w+$/.test(name) && findDeclaration(file, fn, name)?.isLocal && !findDeclaration(file, fn, name)?.isPointer);
  if (alias) return alias;
  const stack = fn.params.find((param) => param.type === 'PIO_STACK_LOCATION')?.name
    ?? file.within(fn.body, 'init_declarator').map((declarator) => /^(\w+)\s*=\s*IoGetCurrentIrpStackLocation\s*\(/.exec(declarator.text)?.[1]).find(Boolean);
  return stack ? `${stack}->Parameters.${isRead ? 'Read.Length' : 'DeviceIoControl.OutputBufferLength'}` : undefined;
}

export const rule: Rule = {
  meta: {
    id: 'output-length-not-validated',
    title: 'Output buffer written without an output length check',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 1,
    description: 'A handler writes a structure or a fixed number of bytes into the output buffer (SystemBuffer, the MDL mapping, a WDF output buffer retrieved with minimum 0) without checking OutputBufferLength.',
    rationale: 'The output buffer is exactly as large as the caller asked: for METHOD_BUFFERED the I/O manager allocates max(InputBufferLength, OutputBufferLength) bytes, for direct I/O the MDL maps only the caller\'s pages. Writing sizeof(RESULT) into a smaller buffer corrupts the adjacent pool or writes past the mapping. Compare OutputBufferLength with the size first and fail with STATUS_BUFFER_TOO_SMALL, or pass the size as the minimum length to WdfRequestRetrieveOutputBuffer.',
    cwe: ['CWE-787', 'CWE-131'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/failure-to-check-the-size-of-buffers',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/buffer-descriptions-for-i-o-control-codes',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdfrequest/nf-wdfrequest-wdfrequestretrieveoutputbuffer',
    ],
    confidence: 'medium',
    messages: {
      unchecked: '`{{expression}}` writes {{size}} into the output buffer ({{origin}}) but the request\'s output length is never checked: a smaller caller buffer overflows.',
    },
    hasSuggestions: true,
    examples: {
      bad: 'PVERSION_INFO info = (PVERSION_INFO)Irp->AssociatedIrp.SystemBuffer;\ninfo->Major = 1;\nIrp->IoStatus.Information = sizeof(VERSION_INFO);',
      good: 'PVERSION_INFO info = (PVERSION_INFO)Irp->AssociatedIrp.SystemBuffer;\nif (irpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(VERSION_INFO)) {\n    return STATUS_BUFFER_TOO_SMALL;\n}\ninfo->Major = 1;\nIrp->IoStatus.Information = sizeof(VERSION_INFO);',
    },
  },
  // Completion routines are silent (below): which functions are completion routines is read file-wide.
  fileFacts: (file) => [...irqlRoles(file)].filter(([, role]) => role === 'completion').map(([name]) => name).sort().join(','),
  create(context) {
    const { file } = context;
    const first = new Map<number, { node: Node; fn: FunctionInfo; write: Write; output: OutputBuffer }>();
    /** Cheap pre-check per function: it names an output buffer source at all (or a caller passes a buffer in). */
    const gate = new Map<number, boolean>();
    const namesByFunction = new Map<number, string[]>();
    const mayWriteOutput = (fn: FunctionInfo): boolean => {
      let result = gate.get(fn.node.id);
      if (result === undefined) {
        result = fn.body !== null && (/SystemBuffer|MdlAddress|WdfRequestRetrieveOutputBuffer/.test(file.textOf(fn.body))
          || fn.params.some((param) => file.taint(fn).taintAt(param.name, fn.node.startIndex)?.kind === 'buffer'));
        gate.set(fn.node.id, result);
      }
      return result;
    };

    /** `type` is the node's type, known from the visitor. */
    function check(node: Node, type: string): void {
      const fn = file.enclosingFunction(node);
      if (!fn || !mayWriteOutput(fn)) return;
      // A completion routine fills in a request its dispatch routine checked before sending it down (classpnp's
      // ClassCheckVerifyComplete writes the master IRP's media change count): the check belongs there.
      if (irqlRoles(file).get(fn.name) === 'completion') return;
      const known = first.get(fn.node.id);
      if (known && known.node.startIndex <= node.startIndex) return;
      const taint = file.taint(fn);
      const write = writeOf(file, fn, taint, node, type);
      if (!write) return;
      const output = outputBufferOf(file, fn, taint, write.buffer, node.startIndex);
      if (!output) return;
      let names = output.retrieve ? undefined : namesByFunction.get(fn.node.id);
      if (!names) {
        names = lengthNames(file, fn, taint, output.retrieve);
        if (!output.retrieve) namesByFunction.set(fn.node.id, names);
      }
      if (taint.isGuardedBy(node, names)) return;
      // A helper whose every caller checked a request length before the call.
      if (!output.retrieve && everyCallGuarded(file, fn, (caller) => lengthNames(file, caller, file.taint(caller)))) return;
      first.set(fn.node.id, { node, fn, write, output });
    }

    return {
      assignment_expression: (node) => check(node, 'assignment_expression'),
      call_expression: (node) => check(node, 'call_expression'),
      onEnd() {
        for (const { node, fn, write, output } of [...first.values()].sort((a, b) => a.node.startIndex - b.node.startIndex)) {
          const taint = file.taint(fn);
          if (output.origin === 'SystemBuffer' && inputRuleReports(file, fn, taint)) continue;
          const length = outputLengthExpression(file, fn, taint, output);
          const size = write.size();
          const statement = enclosingStatement(node);
          const text = node.text.replace(/\s+/g, ' ');
          context.report({
            node,
            messageId: 'unchecked',
            data: { expression: text.length > 80 ? `${text.slice(0, 77)}...` : text, size: size ? `${size} bytes` : 'data', origin: output.origin },
            related: output.retrieve ? [{ node: output.retrieve, message: 'retrieved with minimum length 0' }] : undefined,
            suggestions: length && size
              ? [{
                title: `Return STATUS_BUFFER_TOO_SMALL when ${length} < ${size}`,
                edits: [{ start: statement.startIndex, end: statement.startIndex, text: guardBefore(file.indentationOf(statement), file.eol, `${length} < ${size}`, failureExit(fn, 'STATUS_BUFFER_TOO_SMALL')) }],
              }]
              : undefined,
          });
        }
      },
    };
  },
};
