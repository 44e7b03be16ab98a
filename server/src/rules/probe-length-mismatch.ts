/**
 * Flags a copy through a probed user pointer whose length is user-controlled and differs from the probed length:
 * `ProbeForRead(p, sizeof(HEADER), 1); RtlCopyMemory(local, p, p->Length);` validates only the header, and the
 * rest of the copied range can reach into kernel memory.
 */
import { accessPath, callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { anyCheckReaches, inOneBuild } from '../analysis/conditional';
import { lineOf, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import type { FunctionTaint, Taint } from '../analysis/taint';
import { COPY_CALLS, probeCallsIn, wrappableStatement } from '../analysis/user-pointers';

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

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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

export const rule: Rule = {
  meta: {
    id: 'probe-length-mismatch',
    title: 'Copy length differs from the probed length',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    description: 'A user pointer is probed for N bytes and then copied from or to with a different, user-controlled length M.',
    rationale: 'ProbeForRead/ProbeForWrite only prove that the probed range lies in user space. Copying more than was probed, with a length the caller chose, reads or writes past that range: when the buffer sits at the top of user space, the extra bytes are kernel memory, which turns the copy into a kernel information leak or write. Probe exactly the range the copy touches.',
    cwe: ['CWE-781', 'CWE-125', 'CWE-787'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-probeforread',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/errors-in-referencing-user-space-addresses',
    ],
    confidence: 'medium',
    messages: {
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
    return {
      call_expression(call) {
        const callee = calleeName(call);
        const positions = callee ? COPY_CALLS[callee] : undefined;
        if (!positions || !callee) return;
        const args = callArguments(call);
        const length = args[positions[2]];
        if (!length) return;
        const fn = file.enclosingFunction(call);
        if (!fn) return;
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
