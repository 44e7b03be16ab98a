/**
 * Flags IOCTL cases named like test or debug requests (IOCTL_…_TEST_…, …_DEBUG_…, …_DBG_…) whose handler touches
 * physical memory, hardware or arbitrary kernel addresses, when the case is not compiled out of release builds
 * (`#if DBG`, `#ifdef _DEBUG`). Such back doors ship in signed drivers and end up on the vulnerable driver blocklist.
 */
import { ancestorOfType, calleeName, callArguments, unwrap, type Node } from '../analysis/query';
import { gather, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { lookupTable } from '../analysis/lookup';

const DEBUG_NAME = /(^|_)(TEST|TESTING|DEBUG|DBG)(_|$)/i;
const DEBUG_CONDITION = /^\s*(!\s*!\s*)?(defined\s*\(?\s*)?(DBG|_DEBUG|DEBUG)\s*\)?\s*(==\s*1\s*|!=\s*0\s*)?(&&.*)?$/s;

/** Calls that reach physical memory, device registers, ports or CPU state. */
const HARDWARE_CALL = /^(MmMapIoSpace(Ex)?|MmCopyMemory|MmGetPhysicalAddress|MmGetVirtualForPhysical|MmMapLockedPages(SpecifyCache)?|ZwMapViewOfSection|__readmsr|__writemsr|__in(byte|word|dword)(string)?|__out(byte|word|dword)(string)?|READ_PORT_\w+|WRITE_PORT_\w+|READ_REGISTER_\w+|WRITE_REGISTER_\w+|HalGetBusData\w*|HalSetBusData\w*|__readcr\d|__writecr\d)$/;
/** Memory calls: the argument positions that are addresses. */
const MEMORY_CALL: Record<string, number[]> = lookupTable({
  RtlCopyMemory: [0, 1], memcpy: [0, 1], RtlMoveMemory: [0, 1], memmove: [0, 1], RtlCopyBytes: [0, 1],
  RtlFillMemory: [0], RtlZeroMemory: [0], memset: [0], RtlSecureZeroMemory: [0],
});

/** Whether a node sits in the taken branch of a `#if DBG` / `#ifdef _DEBUG` (not in its `#else`). */
function insideDebugGuard(node: Node): boolean {
  let child = node;
  for (let current = node.parent; current; child = current, current = current.parent) {
    if (current.type !== 'preproc_if' && current.type !== 'preproc_ifdef' && current.type !== 'preproc_elif') {
      if (current.type === 'translation_unit') return false;
      continue;
    }
    if (current.childForFieldName('alternative')?.id === child.id) continue;
    if (current.type === 'preproc_ifdef') {
      if (current.child(0)?.type === '#ifdef' && /^(DBG|_DEBUG|DEBUG)$/.test(current.childForFieldName('name')?.text ?? '')) return true;
      continue;
    }
    if (DEBUG_CONDITION.test(current.childForFieldName('condition')?.text ?? '')) return true;
  }
  return false;
}

interface Access {
  node: Node;
  what: string;
}

/** The first hardware or arbitrary-memory access in a region of `fn` (and one level into local callees). */
function accessIn(file: SourceFile, fn: FunctionInfo, region: Node, depth = 0): Access | undefined {
  const taint = file.taint(fn);
  const userAddress = (expression: Node | undefined, at: number) => !!expression && taint.taintOf(expression, at)?.kind === 'value';
  for (const call of file.within(region, 'call_expression')) {
    const name = calleeName(call) ?? '';
    if (HARDWARE_CALL.test(name)) return { node: call, what: `calls ${name}` };
    const positions = MEMORY_CALL[name];
    if (positions && positions.some((index) => userAddress(callArguments(call)[index], call.startIndex))) {
      return { node: call, what: `calls ${name} on an address from the request` };
    }
    const callee = depth === 0 && name !== fn.name ? file.functionByName(name) : undefined;
    if (callee?.body) {
      const inner = accessIn(file, callee, callee.body, depth + 1);
      if (inner) return { node: call, what: `${inner.what} (in ${name})` };
    }
  }
  for (const dereference of file.within(region, 'pointer_expression')) {
    if (dereference.child(0)?.type !== '*') continue;
    const target = unwrap(dereference.childForFieldName('argument'));
    if (target && userAddress(target, dereference.startIndex)) return { node: dereference, what: 'dereferences an address from the request' };
  }
  return undefined;
}

export const rule: Rule = {
  meta: {
    id: 'debug-ioctl-in-release',
    title: 'Test or debug IOCTL compiled into release builds',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.no-test-signing-in-production',
    description: 'An IOCTL named like a test or debug request accesses hardware, physical memory or request-supplied addresses and is not compiled out of release builds with #if DBG.',
    rationale: 'Test hooks that peek and poke memory or hardware are convenient during bring-up and catastrophic in a signed release driver: any process that can open the device gets the same primitive. Keep them behind `#if DBG` (both the IOCTL definition and its case) so free builds do not contain them, or remove them before release.',
    cwe: ['CWE-489', 'CWE-749'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-checklist',
      'https://learn.microsoft.com/windows/security/application-security/application-control/app-control-for-business/design/microsoft-recommended-driver-block-rules',
    ],
    confidence: 'medium',
    messages: {
      exposed: 'IOCTL `{{name}}` is named like a test/debug request and its handler {{what}}, but it is compiled into release builds: wrap the case and its definition in `#if DBG` or remove it.',
    },
    examples: {
      bad: 'switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {\ncase IOCTL_DEBUG_READ_PORT:\n    request->Value = READ_PORT_UCHAR((PUCHAR)request->Port);\n    break;\n}',
      good: 'switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {\n#if DBG\ncase IOCTL_DEBUG_READ_PORT:\n    request->Value = READ_PORT_UCHAR((PUCHAR)request->Port);\n    break;\n#endif\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      ...gather('case_statement'),
      onEnd() {
        for (const ioctlSwitch of file.driver.ioctlSwitches()) {
          const body = ioctlSwitch.node.childForFieldName('body');
          if (!body || ioctlSwitch.node.hasError) continue;
          for (const caseNode of file.within(body, 'case_statement')) {
            const label = caseNode.childForFieldName('value');
            if (!label || label.type !== 'identifier' || !DEBUG_NAME.test(label.text)) continue;
            if (ancestorOfType(caseNode, 'switch_statement')?.id !== ioctlSwitch.node.id) continue;
            if (insideDebugGuard(caseNode)) continue;
            const definitions = file.nodes('preproc_def').filter((definition) => definition.childForFieldName('name')?.text === label.text);
            if (definitions.length > 0 && definitions.every(insideDebugGuard)) continue;
            const access = accessIn(file, ioctlSwitch.fn, caseNode);
            if (!access) continue;
            context.report({
              node: label,
              messageId: 'exposed',
              data: { name: label.text, what: access.what },
              related: [{ node: access.node, message: access.what }],
            });
          }
        }
      },
    };
  },
};
