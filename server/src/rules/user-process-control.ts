/**
 * Flags the "process killer" pattern: a request names a process (PID or handle) and the driver opens it with
 * control rights (ZwOpenProcess, PsLookupProcessByProcessId + ObOpenObjectByPointer) or terminates it
 * (ZwTerminateProcess), with no access check on the caller. Kernel opens skip the access check, so any user can
 * kill or tamper with any process, including anti-malware and protected processes.
 */
import { accessPath, callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { inOneBuild } from '../analysis/conditional';
import { consultsCallerHereOrInCallers } from '../analysis/previous-mode';
import type { Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import type { Taint } from '../analysis/taint';

/** Access rights that control a process (rather than query it). */
const CONTROL_RIGHTS = /\b(PROCESS_TERMINATE|PROCESS_ALL_ACCESS|PROCESS_VM_WRITE|PROCESS_VM_OPERATION|PROCESS_VM_READ|PROCESS_CREATE_THREAD|PROCESS_DUP_HANDLE|PROCESS_SET_INFORMATION|PROCESS_SUSPEND_RESUME|PROCESS_SET_QUOTA|GENERIC_ALL|GENERIC_WRITE|MAXIMUM_ALLOWED|0x1[fF]{5})\b/;

function addressTarget(node: Node | undefined): Node | undefined {
  const value = unwrap(node);
  if (value?.type === 'pointer_expression' && (value.childForFieldName('operator')?.text ?? value.child(0)?.text) === '&') return unwrap(value.childForFieldName('argument')) ?? undefined;
  return undefined;
}

/** A later ZwTerminateProcess of the handle stored in `handlePath`. */
function terminatedLater(file: SourceFile, fn: FunctionInfo, handlePath: string, after: Node): Node | undefined {
  if (!fn.body) return undefined;
  return file.within(fn.body, 'call_expression').find((call) => call.startIndex > after.endIndex && calleeName(call) === 'ZwTerminateProcess'
    && accessPath(callArguments(call)[0]) === handlePath);
}

export const rule: Rule = {
  meta: {
    id: 'user-process-control',
    title: 'Process opened or terminated for a user request without an access check',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.security-model',
    scope: 'function',
    callerLevels: 1,
    description: 'A process identified by a PID or handle from user input is opened with control rights or terminated, and nothing checks the caller\'s rights.',
    rationale: 'ZwOpenProcess, ObOpenObjectByPointer with KernelMode and ZwTerminateProcess called by a driver run with kernel access: no check decides whether the caller may touch the target process. A driver that does this for any PID in a request lets every user terminate or inject into any process, including security software and protected processes; such "process killer" drivers are abused by ransomware and blocklisted. Check the caller (SeSinglePrivilegeCheck for SeDebugPrivilege, SeAccessCheck against the target, or accept only kernel-mode requestors).',
    cwe: ['CWE-862', 'CWE-269'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-dev-best-practices',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-zwopenprocess',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-sesingleprivilegecheck',
    ],
    confidence: 'medium',
    messages: {
      open: '{{call}} opens the process `{{target}}` named by user input ({{origin}}) with {{access}}, and no access check on the caller: any user can control any process.',
      terminate: 'ZwTerminateProcess terminates the process behind `{{target}}`, a handle from user input ({{origin}}), with kernel access and no access check on the caller.',
    },
    examples: {
      bad: 'PPROCESS_REQUEST request = (PPROCESS_REQUEST)Irp->AssociatedIrp.SystemBuffer;\nCLIENT_ID client = { 0 };\nOBJECT_ATTRIBUTES attributes;\nHANDLE process;\nclient.UniqueProcess = (HANDLE)(ULONG_PTR)request->ProcessId;\nInitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);\nstatus = ZwOpenProcess(&process, PROCESS_TERMINATE, &attributes, &client);',
      good: 'PPROCESS_REQUEST request = (PPROCESS_REQUEST)Irp->AssociatedIrp.SystemBuffer;\nCLIENT_ID client = { 0 };\nOBJECT_ATTRIBUTES attributes;\nHANDLE process;\nif (!SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_DEBUG_PRIVILEGE), Irp->RequestorMode)) {\n    return STATUS_PRIVILEGE_NOT_HELD;\n}\nclient.UniqueProcess = (HANDLE)(ULONG_PTR)request->ProcessId;\nInitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);\nstatus = ZwOpenProcess(&process, PROCESS_TERMINATE, &attributes, &client);',
    },
  },
  create(context) {
    const { file } = context;
    const checked = new Map<number, boolean>();
    const isChecked = (fn: FunctionInfo) => {
      let value = checked.get(fn.node.id);
      if (value === undefined) {
        value = consultsCallerHereOrInCallers(file, fn);
        checked.set(fn.node.id, value);
      }
      return value;
    };
    /** Reports an open of a user-named process when it asks for control rights or the handle is terminated later. */
    const reportOpen = (call: Node, fn: FunctionInfo, name: string, target: Node, taint: Taint, access: Node | undefined, handle: Node | undefined) => {
      const handlePath = handle ? accessPath(handle) : undefined;
      const terminate = handlePath ? terminatedLater(file, fn, handlePath, call) : undefined;
      const rights = access && CONTROL_RIGHTS.test(file.macros.expand(access.text)) ? access.text : terminate ? `${access?.text ?? 'a handle'} that it then terminates` : undefined;
      if (!rights || isChecked(fn)) return;
      context.report({
        node: call,
        messageId: 'open',
        data: { call: name, target: target.text, origin: taint.origin, access: rights },
        related: [{ node: taint.source, message: `user-controlled: ${taint.origin}` }, ...(terminate ? [{ node: terminate, message: 'terminated here' }] : [])],
      });
    };
    return {
      call_expression(call) {
        const name = calleeName(call);
        if (name !== 'ZwOpenProcess' && name !== 'ObOpenObjectByPointer' && name !== 'ZwTerminateProcess') return;
        const fn = file.enclosingFunction(call);
        if (!fn?.body) return;
        const taint = file.taint(fn);
        const args = callArguments(call);
        if (name === 'ZwOpenProcess') {
          const client = addressTarget(args[3]) ?? unwrap(args[3]);
          const clientTaint = client ? taint.taintOf(client, call.startIndex) : undefined;
          if (!client || !clientTaint) return;
          reportOpen(call, fn, name, client, clientTaint, args[1], addressTarget(args[0]));
          return;
        }
        if (name === 'ObOpenObjectByPointer') {
          // The object came from PsLookupProcessByProcessId(userPid, &object) earlier in the function.
          const object = unwrap(args[0]);
          const objectPath = object ? accessPath(object) : undefined;
          if (!object || !objectPath || !/PsProcessType/.test(args[4]?.text ?? '')) return;
          let lookupTaint: Taint | undefined;
          let pid: Node | undefined;
          for (const lookup of file.within(fn.body, 'call_expression')) {
            if (lookup.startIndex >= call.startIndex) break;
            if (calleeName(lookup) !== 'PsLookupProcessByProcessId' || !inOneBuild(file, lookup.startIndex, call.startIndex)) continue;
            const lookupArgs = callArguments(lookup);
            if (accessPath(addressTarget(lookupArgs[1])) !== objectPath || !lookupArgs[0]) continue;
            pid = lookupArgs[0];
            lookupTaint = taint.taintOf(pid, lookup.startIndex);
          }
          if (!pid || !lookupTaint || lookupTaint.kind !== 'value') return;
          // An open with the caller's mode gets the caller's access check.
          if (!/^\s*KernelMode\s*$/.test(args[5]?.text ?? '')) return;
          reportOpen(call, fn, name, pid, lookupTaint, args[3], addressTarget(args[6]));
          return;
        }
        const handle = args[0];
        const handleTaint = handle ? taint.taintOf(handle, call.startIndex) : undefined;
        if (!handle || !handleTaint || handleTaint.kind !== 'value' || isChecked(fn)) return;
        context.report({
          node: call,
          messageId: 'terminate',
          data: { target: handle.text, origin: handleTaint.origin },
          related: [{ node: handleTaint.source, message: `user-controlled: ${handleTaint.origin}` }],
        });
      },
    };
  },
};
