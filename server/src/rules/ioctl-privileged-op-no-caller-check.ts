/**
 * Flags privileged operations (physical memory, MSRs, port I/O, process termination, token changes, registry or
 * file deletion driven by the request) in code user mode reaches, when neither the function nor the IOCTL path
 * that calls it checks the caller (SeSinglePrivilegeCheck, SeAccessCheck, SePrivilegeCheck, the requestor mode).
 */
import { ancestorOfType, callArguments, calleeName, contains, type Node } from '../analysis/query';
import { anyCheckReaches } from '../analysis/conditional';
import type { Rule } from '../analysis/rule';
import { ACCESS_CHECKS, MODE_QUERIES } from '../analysis/previous-mode';
import { hasRestrictiveDeviceSddl } from '../analysis/sddl';
import { unguardedUserValue } from '../analysis/user-input';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { lookupTable } from '../analysis/lookup';

type Trigger = 'user-argument' | 'always' | 'user-path';

interface PrivilegedCall {
  what: string;
  trigger: Trigger;
  /** For 'user-argument': the arguments that choose what is touched (address, register, port). */
  targets?: number[];
}

const PHYSICAL: PrivilegedCall = { what: 'maps physical memory', trigger: 'user-argument', targets: [0] };
const MSR_READ: PrivilegedCall = { what: 'reads a model-specific register', trigger: 'user-argument', targets: [0] };
const MSR_WRITE: PrivilegedCall = { what: 'writes a model-specific register', trigger: 'user-argument', targets: [0, 1] };
/** A user value written to the device's own fixed port is ordinary device I/O: only a user-chosen port counts. */
const PORT: PrivilegedCall = { what: 'writes an I/O port chosen by the request', trigger: 'user-argument', targets: [0] };
const TERMINATE: PrivilegedCall = { what: 'terminates a process', trigger: 'always' };
const TOKEN: PrivilegedCall = { what: 'changes an access token', trigger: 'always' };
const REGISTRY: PrivilegedCall = { what: 'writes or deletes registry data chosen by the request', trigger: 'user-path' };
const FILE_DELETE: PrivilegedCall = { what: 'deletes a file chosen by the request', trigger: 'user-path' };

const PRIVILEGED: Record<string, PrivilegedCall> = lookupTable({
  MmMapIoSpace: PHYSICAL,
  MmMapIoSpaceEx: PHYSICAL,
  __readmsr: MSR_READ,
  __writemsr: MSR_WRITE,
  __outbyte: PORT,
  __outword: PORT,
  __outdword: PORT,
  __outbytestring: PORT,
  __outwordstring: PORT,
  __outdwordstring: PORT,
  WRITE_PORT_UCHAR: PORT,
  WRITE_PORT_USHORT: PORT,
  WRITE_PORT_ULONG: PORT,
  WRITE_PORT_BUFFER_UCHAR: PORT,
  WRITE_PORT_BUFFER_USHORT: PORT,
  WRITE_PORT_BUFFER_ULONG: PORT,
  ZwTerminateProcess: TERMINATE,
  NtTerminateProcess: TERMINATE,
  ZwSetInformationToken: TOKEN,
  NtSetInformationToken: TOKEN,
  ZwAdjustPrivilegesToken: TOKEN,
  NtAdjustPrivilegesToken: TOKEN,
  ZwAdjustGroupsToken: TOKEN,
  ZwSetValueKey: REGISTRY,
  ZwDeleteKey: REGISTRY,
  ZwDeleteValueKey: REGISTRY,
  ZwDeleteFile: FILE_DELETE,
  NtDeleteFile: FILE_DELETE,
});

/** Calls that open or name what a registry/file operation acts on: a user argument here means a user-chosen target. */
const TARGET_SETUP = new Set([
  'RtlInitUnicodeString', 'RtlInitUnicodeStringEx', 'RtlUnicodeStringInit', 'RtlUnicodeStringCopy', 'RtlCopyUnicodeString',
  'RtlUnicodeStringCbCopyN', 'RtlUnicodeStringCchCopyN', 'RtlStringCbCopyW', 'RtlStringCchCopyW', 'InitializeObjectAttributes',
  'ZwOpenKey', 'ZwOpenKeyEx', 'ZwCreateKey', 'ZwCreateFile', 'ZwOpenFile', 'IoCreateFile', 'IoCreateFileEx',
  'ZwOpenProcess', 'PsLookupProcessByProcessId', 'ObOpenObjectByPointer',
]);

/** Names that show the driver checks who is asking (calls: ACCESS_CHECKS and MODE_QUERIES). */
const CHECK_NAMES = /\b(RequestorMode|PreviousMode)\b/;

const CURRENT_PROCESS = /^\(?\s*(\(HANDLE\)\s*)?(ZwCurrentProcess|NtCurrentProcess)\s*\(\s*\)\s*\)?$|^\(?\s*\(HANDLE\)\s*-1\s*\)?$/;

export const rule: Rule = {
  meta: {
    id: 'ioctl-privileged-op-no-caller-check',
    title: 'Privileged operation in an IOCTL path without a caller check',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.access-control',
    description: 'Code reachable from a user request maps physical memory, touches MSRs or I/O ports, terminates processes, changes tokens or deletes registry/file objects chosen by the request, without checking the caller\'s privileges.',
    rationale: 'Whoever can open the device can send its IOCTLs. When a handler performs an operation that normally requires administrator rights (or more than any administrator has) on behalf of that caller, the driver becomes a privilege-escalation primitive; this is the pattern behind most drivers on Microsoft\'s vulnerable driver blocklist. Restrict the device with an SDDL, and check the caller in the handler: SeSinglePrivilegeCheck for the privilege the operation stands for (evaluated in the caller\'s context), SeAccessCheck against a security descriptor, or the requestor mode for kernel-only requests.',
    cwe: ['CWE-269', 'CWE-862'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-dev-best-practices',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-sesingleprivilegecheck',
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-checklist#manage-driver-access-control',
    ],
    confidence: 'medium',
    messages: {
      unchecked: '`{{call}}` {{what}} in `{{function}}`, which user mode reaches, and no caller check (SeSinglePrivilegeCheck, SeAccessCheck, requestor mode) guards it: anyone who can open the device can do this.',
    },
    examples: {
      bad: 'NTSTATUS KillProcess(PIRP Irp)\n{\n    PKILL_REQUEST request = (PKILL_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    HANDLE process;\n    CLIENT_ID id = { request->ProcessId, NULL };\n    OBJECT_ATTRIBUTES attributes;\n    InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);\n    NTSTATUS status = ZwOpenProcess(&process, PROCESS_TERMINATE, &attributes, &id);\n    if (NT_SUCCESS(status)) {\n        status = ZwTerminateProcess(process, STATUS_SUCCESS);\n        ZwClose(process);\n    }\n    return status;\n}\nDRIVER_DISPATCH DispatchDeviceControl;\nNTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)\n{\n    return KillProcess(Irp);\n}',
      good: 'NTSTATUS KillProcess(PIRP Irp)\n{\n    PKILL_REQUEST request = (PKILL_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    HANDLE process;\n    CLIENT_ID id = { request->ProcessId, NULL };\n    OBJECT_ATTRIBUTES attributes;\n    if (!SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_DEBUG_PRIVILEGE), Irp->RequestorMode)) {\n        return STATUS_PRIVILEGE_NOT_HELD;\n    }\n    InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);\n    NTSTATUS status = ZwOpenProcess(&process, PROCESS_TERMINATE, &attributes, &id);\n    if (NT_SUCCESS(status)) {\n        status = ZwTerminateProcess(process, STATUS_SUCCESS);\n        ZwClose(process);\n    }\n    return status;\n}\nDRIVER_DISPATCH DispatchDeviceControl;\nNTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)\n{\n    return KillProcess(Irp);\n}',
    },
  },
  create(context) {
    const { file } = context;
    let restrictedDevice: boolean | undefined;
    const checksIn = new Map<string, boolean>();

    /** Whether a function body performs a caller check anywhere (for helpers like IsCallerAdmin()). */
    const helperChecks = (name: string): boolean => {
      let result = checksIn.get(name);
      if (result === undefined) {
        checksIn.set(name, false);
        const fn = file.functionByName(name);
        result = !!fn?.body && regionChecks(fn.body, fn.body.endIndex, 0);
        checksIn.set(name, result);
      }
      return result;
    };

    /** A caller check inside `region` that starts before `before`. */
    const regionChecks = (region: Node, before: number, depth: number): boolean => {
      // A check in another `#if` arm (or a dead one) does not cover this build (analysis/conditional.ts).
      const checks: Node[] = [];
      for (const call of file.within(region, 'call_expression')) {
        if (call.startIndex >= before) break;
        const name = calleeName(call);
        if (!name) continue;
        if (ACCESS_CHECKS.has(name) || MODE_QUERIES.has(name)) checks.push(call);
        else if (depth === 0 && file.functionByName(name) && helperChecks(name)) checks.push(call);
      }
      for (const field of file.within(region, 'field_identifier')) {
        if (field.startIndex >= before) break;
        if (CHECK_NAMES.test(field.text)) checks.push(field);
      }
      for (const identifier of file.within(region, 'identifier')) {
        if (identifier.startIndex >= before) break;
        if (CHECK_NAMES.test(identifier.text)) checks.push(identifier);
      }
      return anyCheckReaches(file, checks, before);
    };

    /** The region of a caller that dominates a call site: its IOCTL case (and what precedes the switch), or the body. */
    const checkedAt = (fn: FunctionInfo, site: Node): boolean => {
      if (!fn.body) return false;
      const caseNode = ancestorOfType(site, 'case_statement');
      const switchNode = caseNode ? ancestorOfType(caseNode, 'switch_statement') : null;
      if (caseNode && switchNode && contains(fn.body, switchNode)) {
        return regionChecks(caseNode, site.startIndex, 0) || regionChecks(fn.body, switchNode.startIndex, 0);
      }
      return regionChecks(fn.body, site.startIndex, 0);
    };

    /** Checked in the function before `site`, or in some caller chain before the call into it. */
    const isChecked = (fn: FunctionInfo, site: Node, seen: Set<string>): boolean => {
      if (checkedAt(fn, site)) return true;
      seen.add(fn.name);
      for (const caller of file.functions()) {
        if (!caller.body || seen.has(caller.name)) continue;
        for (const call of file.within(caller.body, 'call_expression')) {
          if (calleeName(call) === fn.name && isChecked(caller, call, seen)) return true;
        }
      }
      return false;
    };

    const checkedAtOpen = (): boolean => {
      const openHandlers = new Set(file.driver.roles.filter((role) => role.role === 'wdm-dispatch' && role.detail === 'IRP_MJ_CREATE').map((role) => role.functionName));
      for (const call of file.nodes('call_expression')) {
        if (calleeName(call) !== 'WDF_FILEOBJECT_CONFIG_INIT') continue;
        const callback = callArguments(call)[1];
        if (callback?.type === 'identifier') openHandlers.add(callback.text);
      }
      return [...openHandlers].some((name) => helperChecks(name));
    };

    const userArgument = (fn: FunctionInfo, call: Node, skip: readonly number[] = [], only?: readonly number[]): boolean => {
      const taint = file.taint(fn);
      return callArguments(call).some((argument, index) => !skip.includes(index) && (!only || only.includes(index))
        && taint.taintOf(argument, call.startIndex) !== undefined);
    };

    /** A target argument the request chooses: a bounded or allow-listed user value only picks among the driver's own. */
    const chosenByRequest = (fn: FunctionInfo, call: Node, targets: readonly number[]): boolean => {
      const taint = file.taint(fn);
      return targets.some((index) => {
        const value = taint.taintOf(callArguments(call)[index], call.startIndex);
        return value !== undefined && (value.kind !== 'value' || unguardedUserValue(file, call, index) !== undefined);
      });
    };

    /** The target (key, value name, file) comes from the request; the data written may (ZwSetValueKey's Type/Data/DataSize). */
    const userPath = (fn: FunctionInfo, call: Node, name: string): boolean => {
      if (userArgument(fn, call, name === 'ZwSetValueKey' ? [3, 4, 5] : [])) return true;
      if (!fn.body) return false;
      const taint = file.taint(fn);
      return file.within(fn.body, 'call_expression').some((setup) => setup.startIndex < call.startIndex && TARGET_SETUP.has(calleeName(setup) ?? '')
        && callArguments(setup).some((argument) => taint.taintOf(argument, setup.startIndex) !== undefined));
    };

    return {
      call_expression(call) {
        const name = calleeName(call);
        const privileged = name ? PRIVILEGED[name] : undefined;
        if (!name || !privileged) return;
        const fn = file.enclosingFunction(call);
        if (!fn?.body || fn.body.hasError || !file.driver.isUserReachable(fn.name)) return;
        if (privileged === TERMINATE && CURRENT_PROCESS.test(callArguments(call)[0]?.text.trim() ?? '')) return;
        if (privileged.trigger === 'user-argument' && !chosenByRequest(fn, call, privileged.targets ?? callArguments(call).map((_, index) => index))) return;
        if (privileged.trigger === 'user-path' && !userPath(fn, call, name)) return;
        // An admin-only device (restrictive SDDL in this file), or a caller check when the device is opened
        // (IRP_MJ_CREATE / EvtDeviceFileCreate), already limits who can send the request.
        restrictedDevice ??= hasRestrictiveDeviceSddl(file) || checkedAtOpen();
        if (restrictedDevice) return;
        if (isChecked(fn, call, new Set())) return;
        context.report({ node: call, messageId: 'unchecked', data: { call: name, what: privileged.what, function: fn.name } });
      },
    };
  },
};
