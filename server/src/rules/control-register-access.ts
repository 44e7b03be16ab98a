/**
 * Flags reads and writes of CPU control and debug registers (__writecr0/3/4/8, __readcr0/3/4, __writedr, __readdr)
 * in code that user requests reach: clearing CR0.WP, swapping CR3 or disabling SMEP in CR4 from an IOCTL is the
 * signature of drivers on Microsoft's vulnerable driver blocklist.
 */
import { callArguments, calleeName, type Node } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import { lookupTable } from '../analysis/lookup';

/** Intrinsics and the register they touch. __readcr8 (the IRQL) and __readcr2 (the fault address) leak nothing useful. */
const WRITES: Record<string, string> = lookupTable({
  __writecr0: 'CR0',
  __writecr3: 'CR3',
  __writecr4: 'CR4',
  __writecr8: 'CR8',
  __writedr: 'a debug register',
});

const READS: Record<string, string> = lookupTable({
  __readcr0: 'CR0',
  __readcr3: 'CR3',
  __readcr4: 'CR4',
  __readdr: 'a debug register',
});

export const rule: Rule = {
  meta: {
    id: 'control-register-access',
    title: 'Control or debug register access reachable from user mode',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.vulnerable-driver-blocklist',
    scope: 'function',
    callerLevels: 0,
    description: 'A dispatch routine, a KMDF I/O callback or a function they call reads or writes a CPU control register (CR0, CR3, CR4, CR8) or a debug register.',
    rationale: 'Control registers hold the CPU\'s protections: CR0.WP makes read-only kernel pages read-only, CR4 enables SMEP/SMAP, CR3 selects the page tables. A driver that writes them on request lets user mode switch those protections off; reading CR3 hands out the physical address of the page tables. Drivers that expose such primitives are blocklisted. Keep register access in initialization code and never let a request trigger or parametrize it.',
    cwe: ['CWE-269', 'CWE-782'],
    references: [
      'https://learn.microsoft.com/windows/security/application-security/application-control/app-control-for-business/design/microsoft-recommended-driver-block-rules',
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-checklist',
    ],
    confidence: 'high',
    messages: {
      write: '{{call}} writes {{register}} in `{{function}}`, which user requests reach{{value}}: user mode can switch off CPU protections.',
      read: '{{call}} reads {{register}} in `{{function}}`, which user requests reach: the value reveals kernel memory layout or protection state.',
    },
    examples: {
      bad: 'NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    __writecr0(__readcr0() & ~0x10000ULL); // clears CR0.WP\n    return CompleteRequest(Irp, STATUS_SUCCESS);\n}\n\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n    return STATUS_SUCCESS;\n}',
      good: 'NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    return CompleteRequest(Irp, STATUS_INVALID_DEVICE_REQUEST);\n}\n\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n    return STATUS_SUCCESS;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const name = calleeName(call);
        if (!name) return;
        const written = WRITES[name];
        const read = READS[name];
        if (!written && !read) return;
        // `__readcr0()` inside `__writecr0(...)` is part of the write.
        if (read) {
          for (let current: Node | null = call.parent; current; current = current.parent) {
            if (current.type === 'call_expression' && WRITES[calleeName(current) ?? '']) return;
            if (current.type.endsWith('statement') || current.type === 'declaration') break;
          }
        }
        const fn = file.enclosingFunction(call);
        if (!fn || !file.driver.isUserReachable(fn.name)) return;
        let value = '';
        if (written) {
          const args = callArguments(call);
          const argument = args[args.length - 1];
          const taint = argument ? file.taint(fn).taintOf(argument, call.startIndex) : undefined;
          if (taint?.kind === 'value') value = ` with a value from user input (\`${argument.text}\`, from ${taint.origin})`;
        }
        context.report({
          node: call,
          messageId: written ? 'write' : 'read',
          severity: written ? 'error' : 'warning',
          data: { call: name, register: written ?? read, function: fn.name, value },
        });
      },
    };
  },
};
