/**
 * Flags reading or writing through a pointer that was read out of user memory (`*(request->Where) = *(request->What)`,
 * a pointer field of a structure copied out of the request, `*(PVOID *)UserBuffer`, a local holding one of these)
 * without probing it: the classic write-what-where / arbitrary-increment / arbitrary NULL write primitive. Uses are
 * `*p`, `p->f`, `p[i]`, memcpy/RtlCopyMemory/RtlMoveMemory with p as source or destination, and a call of a
 * function of the file that dereferences that parameter (one-level summary, reported at the call).
 */
import { failureExit } from '../analysis/fix-helpers';
import { accessPath, callArguments, calleeName, contains, unwrap, type Node, typeOf } from '../analysis/query';
import { lineOf, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { reachesUse } from '../analysis/conditional';
import { mentions, type Taint } from '../analysis/taint';
import {
  COPY_CALLS,
  COUNTED_STRING_CALLS,
  countedStringBuffer,
  dereferencedParameters,
  STRING_CALLS,
  enclosingTryExcept,
  isWritten,
  wrappableStatement,
  wrapInTry,
} from '../analysis/user-pointers';

type Use = 'dereference' | 'subscript' | 'copy' | 'helper';

/** `n`, `sizeof(X)`, `in->Length`: a length the quick fix can repeat in the probe without side effects. */
function plainLength(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  const text = node.text;
  return /\+\+|--|\(\s*\)|=/.test(text.replace(/[<>!=]=/g, '')) || /\w\s*\(/.test(text.replace(/\b(sizeof|__alignof|_alignof|TYPE_ALIGNMENT)\s*\(/g, '')) ? undefined : text;
}

/** The bytes the access touches, for the probe the quick fix inserts. */
function accessSize(use: Node, kind: Use, pointer: Node): string | undefined {
  if (kind === 'dereference') {
    if (use.type === 'pointer_expression') return `sizeof(${use.text})`;
    if (use.type === 'field_expression') return `sizeof(*${pointer.type === 'identifier' || pointer.type === 'field_expression' ? pointer.text : `(${pointer.text})`})`;
  }
  if (kind === 'copy') {
    const positions = COPY_CALLS[calleeName(use) ?? ''];
    return positions ? plainLength(callArguments(use)[positions[2]]) : undefined;
  }
  return undefined;
}

export const rule: Rule = {
  meta: {
    id: 'embedded-user-pointer',
    title: 'Pointer from a user buffer dereferenced without a probe',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'A pointer read out of user memory (a field of the request, a structure copied from it, `*(PVOID *)buffer`) is read or written through, copied to or from, or handed to a helper that dereferences it, without ProbeForRead/ProbeForWrite or a check against MmUserProbeAddress.',
    rationale: 'METHOD_BUFFERED copies the request into kernel memory, but a pointer inside it still points wherever the caller wants, including kernel addresses. Reading or writing through it gives user mode an arbitrary kernel read/write (write-what-where, arbitrary increment, arbitrary NULL write). Check Irp->RequestorMode, probe the pointer for the exact size (ProbeForWrite before a write: ProbeForRead does not check that the page is writable) inside __try/__except, and access it only there. A NULL check does not validate an address.',
    cwe: ['CWE-822', 'CWE-123'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/errors-in-referencing-user-space-addresses'],
    confidence: 'high',
    messages: {
      dereference: '`{{expression}}` {{action}} through `{{pointer}}`, a pointer read from user memory (`{{origin}}`, line {{line}}), without {{probe}}: an arbitrary kernel {{what}}.',
      readProbeOnly: '`{{expression}}` writes through `{{pointer}}`, a pointer read from user memory (`{{origin}}`, line {{line}}), probed only with ProbeForRead: ProbeForWrite is needed before writing, or the caller can name a read-only or kernel page.',
      copy: '`{{callee}}` {{action}} `{{pointer}}`, a pointer read from user memory (`{{origin}}`, line {{line}}), without {{probe}}: an arbitrary kernel {{what}}.',
      helper: '`{{callee}}` {{action}} through its parameter `{{parameter}}` (line {{useLine}}) without a probe, and this call passes `{{pointer}}`, a pointer read from user memory (`{{origin}}`, line {{line}}): an arbitrary kernel {{what}}. {{probe}} it here first.',
    },
    hasSuggestions: true,
    examples: {
      bad: 'PWRITE_WHAT_WHERE request = (PWRITE_WHAT_WHERE)Irp->AssociatedIrp.SystemBuffer;\n*(request->Where) = *(request->What);',
      good: 'PWRITE_WHAT_WHERE request = (PWRITE_WHAT_WHERE)Irp->AssociatedIrp.SystemBuffer;\nPULONG_PTR where = request->Where;\n__try {\n    ProbeForWrite(where, sizeof(ULONG_PTR), __alignof(ULONG_PTR));\n    *where = 0;\n} __except (EXCEPTION_EXECUTE_HANDLER) {\n    return GetExceptionCode();\n}',
    },
  },
  fileFacts(file) {
    // Findings at a call depend on what the callee does with its parameters.
    return file.functions().map((fn) => {
      const accesses = dereferencedParameters(file, fn);
      return accesses.length === 0 ? '' : `${fn.name}:${accesses.map((access) => `${access.index}${access.write ? 'w' : 'r'}`).join(',')}`;
    }).filter(Boolean).join(';');
  },
  create(context) {
    const { file } = context;
    const reported = new Set<number>();

    /** The value `pointer` holds when it is a pointer read from user memory, else undefined. */
    function userPointerValue(fn: FunctionInfo, use: Node, pointer: Node, needsPointerType: boolean): Taint | undefined {
      const pointerType = typeOf(pointer);
      if (pointerType === 'binary_expression') {
        // `in->Target + 1`, `(PUCHAR)in->Buffer + offset`: an offset from a pointer the type says came from the caller.
        const operator = pointer.childForFieldName('operator')?.text;
        if (operator !== '+' && operator !== '-') return undefined;
        for (const side of [pointer.childForFieldName('left'), operator === '+' ? pointer.childForFieldName('right') : null]) {
          const inner = unwrap(side);
          const value = inner ? userPointerValue(fn, use, inner, true) : undefined;
          if (value) return value;
        }
        return undefined;
      }
      // `**pp`, `(*pp)->f`: the pointer is itself read through a pointer from user memory (only when its type says so).
      const derefed = pointerType === 'pointer_expression' && (pointer.childForFieldName('operator')?.text ?? pointer.child(0)?.text) === '*';
      if (pointerType !== 'field_expression' && pointerType !== 'identifier' && pointerType !== 'subscript_expression' && !derefed) return undefined;
      const taint = file.taint(fn);
      // An identifier's taint is a variable's: without a variable ever holding a value from user memory, none is.
      if (pointerType === 'identifier' && !taint.holdsUserMemoryValue()) return undefined;
      const value = taint.taintOf(pointer, use.startIndex);
      if (!value || value.kind !== 'value' || !value.fromUserMemory || value.embeddedArray) return undefined;
      // `p[i]`, copies and `s->Table[i]` read as a pointer only when the type says it is one.
      if ((needsPointerType || derefed || pointerType === 'subscript_expression') && !value.userPointer) return undefined;
      return value;
    }

    /** The pointer came in as a parameter the function dereferences: its callers are reported at the call instead. */
    function reportedAtCallers(fn: FunctionInfo, pointer: Node, value: Taint): boolean {
      // Callers are reported when the type says the value is a pointer (a helper taking one of unknown type still reports itself).
      if (!value.userPointer || contains(fn.node, value.source)) return false;
      return dereferencedParameters(file, fn).some((access) => value.keys.includes(access.name));
    }

    /** `IoAllocateMdl(p, …)` and then MmProbeAndLockPages before the use: the pages were probed and locked. */
    function lockedByMdl(fn: FunctionInfo, use: Node, names: readonly string[]): boolean {
      if (!fn.body) return false;
      const wanted = new Set(names);
      const calls = file.within(fn.body, 'call_expression').filter((call) => call.startIndex < use.startIndex);
      return calls.some((allocate) => {
        if (calleeName(allocate) !== 'IoAllocateMdl') return false;
        const address = callArguments(allocate)[0];
        if (!address || !mentions(address, wanted) || !reachesUse(file, allocate.startIndex, use.startIndex, () => false)) return false;
        return calls.some((lock) => lock.startIndex > allocate.startIndex && calleeName(lock) === 'MmProbeAndLockPages' && reachesUse(file, lock.startIndex, use.startIndex, () => false));
      });
    }

    function probeFix(fn: FunctionInfo, use: Node, pointer: Node, size: string | undefined, write: boolean) {
      const statement = wrappableStatement(use);
      if (!statement || !size) return undefined;
      const probe = `${write ? 'ProbeForWrite' : 'ProbeForRead'}(${pointer.text}, ${size}, 1);`;
      const indent = file.indentationOf(statement);
      if (enclosingTryExcept(statement, file.text)) {
        return [{ title: `Insert ${probe} before the access (inside the __try)`, edits: [{ start: statement.startIndex, end: statement.startIndex, text: `${probe}${file.eol}${indent}` }] }];
      }
      return [{ title: `Wrap in __try and ${probe} first`, edits: [wrapInTry(file, statement, statement, indent, failureExit(fn, 'GetExceptionCode()'), probe)] }];
    }

    function check(use: Node, pointerExpression: Node | null | undefined, kind: Use, write: boolean, helper?: { callee: string; parameter: string; use: Node }, counted?: Taint): void {
      const pointer = unwrap(pointerExpression);
      if (!pointer || (!counted && typeOf(pointer) === 'pointer_expression' && (pointer.childForFieldName('operator')?.text ?? pointer.child(0)?.text) !== '*')) return;
      // Only the uses below read the pointer itself; its value as an operand is not an access.
      if (typeOf(pointer) === 'binary_expression' && kind === 'dereference' && use.type !== 'pointer_expression') return;
      const fn = file.enclosingFunction(use);
      if (!fn) return;
      const value = counted ?? userPointerValue(fn, use, pointer, kind !== 'dereference');
      if (!value) return;
      const taint = file.taint(fn);
      const names = counted ? value.keys : [...value.keys, accessPath(pointer) ?? pointer.text];
      if (taint.isRangeChecked(use, names) || lockedByMdl(fn, use, names)) return;
      const probedForWrite = taint.isProbed(use, names, true);
      if (probedForWrite) return;
      const probedForRead = taint.isProbed(use, names);
      if (probedForRead && !write) return;
      if (reportedAtCallers(fn, pointer, value)) return;
      if (reported.has(use.startIndex)) return;
      reported.add(use.startIndex);
      const probe = write ? 'ProbeForWrite' : 'ProbeForRead';
      const common = {
        pointer: counted ? value.origin : pointer.text,
        origin: value.origin,
        line: lineOf(value.source),
        probe,
        what: write ? 'write' : 'read',
      };
      const related = [{ node: value.source, message: `read from user memory: ${value.origin}` }];
      const suggestions = counted ? undefined : probeFix(fn, use, pointer, accessSize(use, kind, pointer), write);
      if (kind === 'helper' && helper) {
        context.report({ node: use, messageId: 'helper', data: { ...common, callee: helper.callee, parameter: helper.parameter, useLine: lineOf(helper.use), action: write ? 'writes' : 'reads' }, related });
        return;
      }
      if (kind === 'copy') {
        const name = calleeName(use) ?? '';
        const action = STRING_CALLS[name] || COUNTED_STRING_CALLS[name] ? (write ? 'writes a string into' : 'reads a string from') : write ? 'copies into' : 'copies from';
        context.report({ node: use, messageId: 'copy', data: { ...common, callee: name, action }, related, suggestions });
        return;
      }
      const expression = use.text.length > 80 ? `${use.text.slice(0, 77)}...` : use.text;
      context.report({
        node: use,
        messageId: probedForRead ? 'readProbeOnly' : 'dereference',
        data: { ...common, expression, action: write ? 'writes' : 'reads' },
        related,
        suggestions,
      });
    }

    return {
      pointer_expression(node) {
        const operator = node.childForFieldName('operator')?.text ?? node.child(0)?.text;
        if (operator === '*') check(node, node.childForFieldName('argument'), 'dereference', isWritten(node));
      },
      field_expression(node) {
        if (node.childForFieldName('operator')?.text !== '->') return;
        const argument = unwrap(node.childForFieldName('argument'));
        // `request->Field` itself reads the (kernel) copy; `request->Ptr->Field` goes through the user's pointer.
        const argumentType = argument && typeOf(argument);
        if (argument && (argumentType === 'field_expression' || argumentType === 'identifier' || argumentType === 'pointer_expression')) check(node, argument, 'dereference', isWritten(node));
      },
      subscript_expression(node) {
        const argument = unwrap(node.childForFieldName('argument'));
        const argumentType = argument && typeOf(argument);
        if (argument && (argumentType === 'field_expression' || argumentType === 'identifier' || argumentType === 'pointer_expression')) check(node, argument, 'subscript', isWritten(node));
      },
      call_expression(node) {
        const name = calleeName(node);
        if (!name) return;
        const positions = COPY_CALLS[name] ?? STRING_CALLS[name];
        const args = callArguments(node);
        const counted = COUNTED_STRING_CALLS[name];
        if (counted) {
          // `RtlCopyUnicodeString(&k, &in->Name)`: the routine reads (or writes) through `in->Name.Buffer`.
          const fn = file.enclosingFunction(node);
          for (const [index, write] of counted) {
            const found = fn ? countedStringBuffer(file, fn, args[index], node.startIndex) : undefined;
            if (found) check(node, found.string, 'copy', write, undefined, found.taint);
          }
        }
        if (positions) {
          if (positions[0] >= 0) check(node, args[positions[0]], 'copy', true);
          if (positions[1] >= 0) check(node, args[positions[1]], 'copy', false);
          return;
        }
        const callee = file.functionByName(name);
        if (!callee || callee.node.id === file.enclosingFunction(node)?.node.id) return;
        for (const access of dereferencedParameters(file, callee)) {
          check(node, args[access.index], 'helper', access.write, { callee: name, parameter: access.name, use: access.use });
        }
      },
    };
  },
};
