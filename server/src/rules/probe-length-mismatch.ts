/**
 * Flags a copy through a probed user pointer whose length is user-controlled and differs from the probed length:
 * `ProbeForRead(p, sizeof(HEADER), 1); RtlCopyMemory(local, p, p->Length);` validates only the header, and the
 * rest of the copied range can reach into kernel memory.
 */
import { accessPath, callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { anyCheckReaches, inOneBuild } from '../analysis/conditional';
import { escapeRegExp } from '../analysis/lookup';
import { lineOf, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import type { FunctionTaint, Taint } from '../analysis/taint';
import { COPY_CALLS, probeCallsIn, userPointerAccess, wrappableStatement } from '../analysis/user-pointers';
import { constantSize, pointeeLayout, type Layout } from '../analysis/type-size';

const PROBES = new Set(['ProbeForRead', 'ProbeForWrite']);

function normalized(text: string): string {
  return text.replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
}

function pathOf(node: Node): string {
  const inner = unwrap(node) ?? node;
  return normalized(accessPath(inner) ?? inner.text);
}

/** The last ProbeForRead/ProbeForWrite of the same pointer before the call. */
function lastProbeOf(file: SourceFile, fn: FunctionInfo, pointer: Node, before: number): Node | undefined {
  const wanted = pathOf(pointer);
  let found: Node | undefined;
  for (const probe of probeCallsIn(file, fn)) {
    if (probe.startIndex >= before) break;
    const argument = callArguments(probe)[0];
    // A probe in another `#if` arm (or a dead one) is not this build's probe.
    if (PROBES.has(calleeName(probe) ?? '') && argument && pathOf(argument) === wanted && inOneBuild(file, probe.startIndex, before)) found = probe;
  }
  return found;
}

/** `p->f` on the left of an assignment through a field chain (`p->f.g = v`). */
function isWrittenAccess(node: Node): boolean {
  let current = node;
  while (current.parent?.type === 'field_expression' && current.parent.childForFieldName('argument')?.id === current.id) current = current.parent;
  const parent = current.parent;
  return parent?.type === 'assignment_expression' && parent.childForFieldName('left')?.id === current.id;
}


/** A comparison before the copy relates the copy length to the probed length (`len > inLen`). */
function lengthsCompared(file: SourceFile, fn: FunctionInfo, call: Node, probed: string, lengthTaint: Taint, length: string): boolean {
  if (!fn.body) return false;
  const lengthNames = [...new Set([...lengthTaint.keys, length])].map((key) => new RegExp(`(^|[^\\w.>])${escapeRegExp(key)}(?![\\w])`));
  const probedPattern = new RegExp(escapeRegExp(probed).replace(/\\s\*/g, '\\s*'));
  const comparisons: Node[] = [];
  for (const type of ['if_statement', 'while_statement', 'conditional_expression']) {
    for (const owner of file.within(fn.body, type)) {
      if (owner.startIndex >= call.startIndex) break;
      const condition = owner.childForFieldName('condition')?.text.replace(/\s+/g, '');
      if (condition && probedPattern.test(condition) && lengthNames.some((pattern) => pattern.test(condition))) comparisons.push(owner);
    }
  }
  return anyCheckReaches(file, comparisons, call.startIndex);
}

/** `sizeof(T)`, a number or a macro constant. */
function isConstant(file: SourceFile, node: Node): boolean {
  const text = node.text.trim();
  return /^sizeof\b/.test(text) || /^(FIELD_OFFSET|RTL_FIELD_SIZE|TYPE_ALIGNMENT)\b/.test(text) || file.macros.evaluate(text) !== undefined || /^[A-Z][A-Z0-9_]*$/.test(text);
}

/** Both lengths come from the same user value (`inLen` and InputBufferLength). */
function sameOrigin(taint: FunctionTaint, probeLength: Node, at: number, lengthTaint: Taint): boolean {
  const probed = taint.taintOf(probeLength, at);
  return probed !== undefined && probed.keys.some((key) => lengthTaint.keys.includes(key));
}


/**
 * The bytes an access through a pointer touches, from the pointer's start: `*p` the pointee, `p->f` (and `p->f.g`)
 * up to the end of the field, `p[2]` up to the end of that element. Undefined when a part is unknown.
 */
function accessEnd(file: SourceFile, fn: FunctionInfo, use: Node, pointer: Node): { end: number; size: number; node: Node } | undefined {
  const argument = use.type === 'call_expression' ? undefined : use.childForFieldName('argument');
  const pointee = argument ? pointeeLayout(file, fn, argument) : undefined;
  if (!pointee) return undefined;
  if (use.type === 'pointer_expression') return { end: pointee.size, size: pointee.size, node: use };
  if (use.type === 'subscript_expression') {
    const index = use.childForFieldName('index')?.text.trim() ?? '';
    if (!/^\d+$/.test(index)) return undefined;
    return { end: (Number(index) + 1) * pointee.size, size: pointee.size, node: use };
  }
  if (use.type !== 'field_expression') return undefined;
  let layout: Layout = pointee;
  let offset = 0;
  let current: Node = use;
  for (;;) {
    const field: { offset: number; layout: Layout } | undefined = layout.fields?.get(current.childForFieldName('field')?.text ?? '');
    if (!field) return undefined;
    offset += field.offset;
    layout = field.layout;
    let parent = current.parent;
    while (parent?.type === 'parenthesized_expression') parent = parent.parent;
    // `p->a.b`: only `b` is touched.
    if (parent?.type === 'field_expression' && parent.childForFieldName('operator')?.text === '.' && parent.childForFieldName('argument')?.id === current.id) {
      current = parent;
      continue;
    }
    // `p->Data[i]`: an element of an embedded array (its size unknown here): not judged.
    if (parent?.type === 'subscript_expression' || (parent?.type === 'pointer_expression' && parent.child(0)?.text === '&')) return undefined;
    break;
  }
  void pointer;
  return { end: offset + layout.size, size: layout.size, node: current };
}

export const rule: Rule = {
  meta: {
    id: 'probe-length-mismatch',
    title: 'Copy length differs from the probed length',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'A user pointer is probed for N bytes and then copied from or to with a different, user-controlled length M, or read or written through with an access wider than the probe (ProbeForWrite(p, sizeof(ULONG), …) then a ULONG64 or a structure written through p).',
    rationale: 'ProbeForRead/ProbeForWrite only prove that the probed range lies in user space. Copying more than was probed, with a length the caller chose, reads or writes past that range: when the buffer sits at the top of user space, the extra bytes are kernel memory, which turns the copy into a kernel information leak or write. Probe exactly the range the copy touches.',
    cwe: ['CWE-781', 'CWE-125', 'CWE-787'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-probeforread',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/errors-in-referencing-user-space-addresses',
    ],
    confidence: 'medium',
    messages: {
      narrow: '`{{expression}}` {{action}} {{size}} bytes through `{{pointer}}` (bytes up to {{end}}), but the probe on line {{line}} covered only `{{probed}}` ({{probedSize}} bytes): the rest is not checked to be user memory. Probe the whole range the access touches.',
      mismatch: '{{callee}} copies `{{length}}` bytes ({{origin}}, user-controlled) {{direction}} `{{pointer}}`, but the probe on line {{line}} covered only `{{probed}}` bytes. Probe the range the copy uses.',
    },
    hasSuggestions: true,
    examples: {
      bad: 'PMESSAGE user = (PMESSAGE)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n__try {\n    ProbeForRead(user, sizeof(MESSAGE), 1);\n    length = user->Length;\n    copy = ExAllocatePool2(POOL_FLAG_PAGED, length, TAG);\n    if (copy == NULL) {\n        return STATUS_INSUFFICIENT_RESOURCES;\n    }\n    RtlCopyMemory(copy, user, length);\n} __except (EXCEPTION_EXECUTE_HANDLER) {\n    return GetExceptionCode();\n}',
      good: 'PMESSAGE user = (PMESSAGE)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n__try {\n    ProbeForRead(user, sizeof(MESSAGE), 1);\n    length = user->Length;\n    copy = ExAllocatePool2(POOL_FLAG_PAGED, length, TAG);\n    if (copy == NULL) {\n        return STATUS_INSUFFICIENT_RESOURCES;\n    }\n    ProbeForRead(user, length, 1);\n    RtlCopyMemory(copy, user, length);\n} __except (EXCEPTION_EXECUTE_HANDLER) {\n    return GetExceptionCode();\n}',
    },
  },
  create(context) {
    const { file } = context;
    const reported = new Set<number>();

    /** An access through a probed user pointer that reaches past the probed (constant) length. */
    function checkWidth(use: Node, pointer: Node, extent: { end: number; size: number; node: Node } | undefined, write: boolean): void {
      const fn = file.enclosingFunction(use);
      if (!fn || !extent) return;
      const probe = lastProbeOf(file, fn, pointer, use.startIndex);
      if (!probe) return;
      const probedLength = callArguments(probe)[1];
      const probedSize = constantSize(file, fn, probedLength);
      if (probedSize === undefined || probedLength === undefined || extent.end <= probedSize) return;
      if (reported.has(extent.node.startIndex)) return;
      reported.add(extent.node.startIndex);
      const expression = extent.node.text.length > 60 ? `${extent.node.text.slice(0, 57)}...` : extent.node.text;
      context.report({
        node: extent.node,
        messageId: 'narrow',
        data: {
          expression,
          action: write ? 'writes' : 'reads',
          size: String(extent.size),
          pointer: pointer.text,
          end: String(extent.end),
          line: lineOf(probe),
          probed: probedLength.text,
          probedSize: String(probedSize),
        },
        related: [{ node: probe, message: `probed for ${probedLength.text} bytes` }],
      });
    }

    function access(node: Node): void {
      const found = userPointerAccess(file, node, { embedded: true });
      if (!found || found.use.type === 'call_expression') return;
      const fn = file.enclosingFunction(node);
      if (!fn) return;
      checkWidth(node, found.pointer, accessEnd(file, fn, node, found.pointer), found.write || isWrittenAccess(node));
    }

    return {
      pointer_expression: access,
      field_expression: access,
      subscript_expression: access,
      call_expression(call) {
        const callee = calleeName(call);
        const positions = callee ? COPY_CALLS[callee] : undefined;
        if (!positions || !callee) return;
        const args = callArguments(call);
        const length = args[positions[2]];
        if (!length) return;
        const fn = file.enclosingFunction(call);
        if (!fn) return;
        // A constant copy wider than the constant probe: `ProbeForWrite(p, sizeof(ULONG), …); RtlCopyMemory(p, &v64, sizeof(v64));`.
        const copied = constantSize(file, fn, length);
        if (copied !== undefined) {
          const through = userPointerAccess(file, call, { embedded: true });
          if (through) checkWidth(call, through.pointer, { end: copied, size: copied, node: call }, through.write);
        }
        const taint = file.taint(fn);
        const lengthTaint = taint.taintOf(length, call.startIndex);
        if (lengthTaint?.kind !== 'value') return;
        for (const [index, write] of [[positions[1], false], [positions[0], true]] as const) {
          const pointer = args[index];
          if (!pointer) continue;
          const probe = lastProbeOf(file, fn, pointer, call.startIndex);
          if (!probe) continue;
          // The probe must match the direction: reading through a write probe is fine (ProbeForWrite checks both).
          if (write && calleeName(probe) !== 'ProbeForWrite') continue;
          const probedLength = callArguments(probe)[1];
          if (!probedLength) continue;
          if (normalized(probedLength.text) === normalized(length.text)) return;
          if (sameOrigin(taint, probedLength, probe.startIndex, lengthTaint)) return;
          if (taint.isGuarded(call, lengthTaint)) {
            if (lengthsCompared(file, fn, call, normalized(probedLength.text), lengthTaint, normalized(length.text))) return;
            // Bounded by something else: with a constant probe size the two bounds cannot be compared here.
            if (isConstant(file, probedLength)) return;
          }
          const statement = wrappableStatement(call);
          const alignment = callArguments(probe)[2]?.text ?? '1';
          const probeName = write ? 'ProbeForWrite' : 'ProbeForRead';
          const pointerText = file.textOf(pointer);
          context.report({
            node: call,
            messageId: 'mismatch',
            data: {
              callee,
              length: length.text,
              origin: `from ${lengthTaint.origin}`,
              direction: write ? 'to' : 'from',
              pointer: pointerText,
              line: lineOf(probe),
              probed: probedLength.text,
            },
            related: [{ node: probe, message: `probed for ${probedLength.text} bytes` }],
            suggestions: statement && !/\+\+|--|[^=!<>]=[^=]/.test(` ${length.text} `)
              ? [{
                title: `${probeName}(${pointerText}, ${length.text}, ${alignment}) before the copy`,
                edits: [{ start: statement.startIndex, end: statement.startIndex, text: `${probeName}(${pointerText}, ${length.text}, ${alignment});${file.eol}${file.indentationOf(statement)}` }],
              }]
              : undefined,
          });
          return;
        }
      },
    };
  },
};
