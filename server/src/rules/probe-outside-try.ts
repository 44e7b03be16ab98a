/**
 * Flags ProbeForRead/ProbeForWrite/MmProbeAndLockPages outside a `__try` that has an `__except`, and accesses to
 * a raw user pointer that was probed but is then touched outside any `__try`/`__except`: both raise an exception
 * for a bad address, and an unhandled exception in a driver bugchecks the machine.
 */
import { failureExit } from '../analysis/fix-helpers';
import { accessPath, callArguments, calleeName, contains, unwrap, type Node } from '../analysis/query';
import { lineOf, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { mentions } from '../analysis/taint';
import {
  allCallsGuardedByTry,
  earlierProbe,
  isInsideTryExcept,
  kernelCallersOnly,
  onlyForKernelCallers,
  PROBE_CALLS,
  pointerNames,
  probeCallsIn,
  probedArgument,
  userPointerAccess,
  wrappableStatement,
  wrapInTry,
  type UserPointerAccess,
} from '../analysis/user-pointers';

/** Calls that raise an exception for a bad user address. */
const RAISING = new Set([...PROBE_CALLS, 'MmProbeAndLockPages']);

/** A function whose probes must handle exceptions themselves: a user entry, or a helper some caller runs outside __try. */
function needsOwnHandler(file: SourceFile, fn: FunctionInfo, probedPointer: Node | null): boolean {
  if (file.driver.isUserEntry(fn.name)) return true;
  const { calls, guarded } = allCallsGuardedByTry(file, fn);
  if (calls > 0) return guarded < calls;
  // No caller in this file: only a function that takes the raw user address from the IRP itself is a handler.
  const taint = probedPointer ? file.taint(fn).taintOf(probedPointer) : undefined;
  return taint?.kind === 'pointer' && contains(fn.node, taint.source);
}

/** The `__except` handler text, when leaving the function reports the failure (not from a plain VOID helper). */
function exceptionExit(fn: FunctionInfo): string | undefined {
  const exit = failureExit(fn, 'GetExceptionCode()');
  return exit === 'return;' ? undefined : exit;
}

/** Statements from `statement` to the last later sibling that mentions one of the names (same block). */
function statementRange(statement: Node, names: ReadonlySet<string>): { last: Node; hasDeclaration: boolean } {
  const parent = statement.parent!;
  let last = statement;
  let hasDeclaration = false;
  let declarationSeen = false;
  let started = false;
  for (const sibling of parent.namedChildren) {
    if (!sibling) continue;
    if (sibling.id === statement.id) {
      started = true;
      continue;
    }
    if (!started || sibling.type === 'comment') continue;
    if (sibling.type === 'declaration' || sibling.type === 'case_statement' || sibling.type === 'labeled_statement') declarationSeen = true;
    if (mentions(sibling, names)) {
      last = sibling;
      if (declarationSeen) hasDeclaration = true;
    }
  }
  return { last, hasDeclaration };
}

export const rule: Rule = {
  meta: {
    id: 'probe-outside-try',
    title: 'Probe or user-pointer access outside __try/__except',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 1,
    description: 'ProbeForRead/ProbeForWrite/MmProbeAndLockPages, or an access through a probed user pointer, is not inside a __try block with an __except handler.',
    rationale: 'Probing raises STATUS_ACCESS_VIOLATION or STATUS_DATATYPE_MISALIGNMENT for a bad address, and a user thread can unmap or protect its pages between the probe and every later access. Without a __try/__except around the probe and all accesses, that exception is unhandled in kernel mode and bugchecks the machine: any user can crash the system.',
    cwe: ['CWE-248', 'CWE-755'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/handling-exceptions',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-probeforread',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/errors-in-referencing-user-space-addresses',
    ],
    confidence: 'high',
    messages: {
      probe: '`{{call}}` is not inside a __try/__except: a bad address from the caller raises an exception that bugchecks the system.',
      access: '`{{expression}}` accesses the user-mode address `{{pointer}}` outside __try/__except (probed on line {{line}}): the caller can unmap the memory after the probe and crash the system.',
    },
    fixable: true,
    examples: {
      bad: 'PREQUEST request = (PREQUEST)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;\nProbeForRead(request, sizeof(REQUEST), __alignof(REQUEST));\nmode = request->Mode;',
      good: 'PREQUEST request = (PREQUEST)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n__try {\n    ProbeForRead(request, sizeof(REQUEST), __alignof(REQUEST));\n    mode = request->Mode;\n} __except (EXCEPTION_EXECUTE_HANDLER) {\n    return GetExceptionCode();\n}',
    },
  },
  create(context) {
    const { file } = context;
    const accessFound = new Map<string, { node: Node; fn: FunctionInfo; access: UserPointerAccess; probe: Node }>();

    function checkProbe(call: Node): void {
      const name = calleeName(call) ?? '';
      if (!RAISING.has(name) || isInsideTryExcept(call, file.text)) return;
      const fn = file.enclosingFunction(call);
      const pointer = unwrap(callArguments(call)[0]);
      if (!fn || !needsOwnHandler(file, fn, pointer)) return;
      const statement = wrappableStatement(call);
      let fix;
      const handler = exceptionExit(fn);
      if (statement && pointer && handler) {
        const names = new Set([pointer.text, accessPath(pointer) ?? pointer.text]);
        if (pointer.type === 'identifier') names.add(pointer.text);
        const { last, hasDeclaration } = statementRange(statement, names);
        if (!hasDeclaration) {
          fix = { title: 'Wrap in __try/__except', edits: [wrapInTry(file, statement, last, file.indentationOf(statement), handler)] };
        }
      }
      const text = call.text.replace(/\s+/g, ' ');
      context.report({ node: call, messageId: 'probe', data: { call: text.length > 80 ? `${text.slice(0, 77)}...` : text }, fix });
    }

    function checkAccess(node: Node): void {
      const access = userPointerAccess(file, node, { embedded: true });
      if (!access) return;
      const fn = file.enclosingFunction(node);
      if (!fn) return;
      const names = pointerNames(access);
      const probe = earlierProbe(file, fn, node, names);
      // No probe at all is user-pointer-unprobed's finding; an unprotected probe is reported (and wrapped) above.
      if (!probe || !RAISING.has(calleeName(probe) ?? '')) return;
      if (isInsideTryExcept(node, file.text) || onlyForKernelCallers(node) || kernelCallersOnly(file, fn, node)) return;
      const wanted = new Set(names);
      const unprotected = probeCallsIn(file, fn).some((candidate) => candidate.startIndex < node.startIndex && RAISING.has(calleeName(candidate) ?? '')
        && !isInsideTryExcept(candidate, file.text) && mentions(probedArgument(candidate)!, wanted));
      if (unprotected) return;
      const key = `${fn.node.id}:${access.pointer.text}`;
      const known = accessFound.get(key);
      if (known && known.node.startIndex <= node.startIndex) return;
      accessFound.set(key, { node, fn, access, probe });
    }

    return {
      call_expression(call) {
        checkProbe(call);
        checkAccess(call);
      },
      pointer_expression: checkAccess,
      field_expression: checkAccess,
      subscript_expression: checkAccess,
      onEnd() {
        for (const { node, fn, access, probe } of [...accessFound.values()].sort((a, b) => a.node.startIndex - b.node.startIndex)) {
          const statement = wrappableStatement(node);
          const handler = exceptionExit(fn);
          const text = node.text.replace(/\s+/g, ' ');
          context.report({
            node,
            messageId: 'access',
            data: { expression: text.length > 80 ? `${text.slice(0, 77)}...` : text, pointer: access.pointer.text, line: lineOf(probe) },
            related: [{ node: probe, message: 'probed here' }],
            fix: statement && handler ? { title: 'Wrap in __try/__except', edits: [wrapInTry(file, statement, statement, file.indentationOf(statement), handler)] } : undefined,
          });
        }
      },
    };
  },
};
