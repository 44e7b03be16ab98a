/**
 * Points out, once per file, a hand-built WDM dispatch table for IRP_MJ_DEVICE_CONTROL: new drivers should use
 * KMDF, whose queues, request objects and buffer retrieval APIs remove whole classes of IOCTL bugs.
 */
import { calleeName, fieldName, unwrap, type Node } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import type { SourceFile } from '../analysis/source-file';

/** A filter that passes requests down: it attaches to a stack, so it must stay WDM-shaped (or is a KMDF filter). */
function isPassThroughFilter(file: SourceFile): boolean {
  return file.nodes('call_expression').some((call) => /^IoAttachDevice(ToDeviceStack(Safe)?|ByPointer)?$/.test(calleeName(call) ?? ''));
}

function majorIndex(left: Node): string | undefined {
  if (left.type !== 'subscript_expression' || fieldName(left.childForFieldName('argument')) !== 'MajorFunction') return undefined;
  const index = left.childForFieldName('index') ?? left.childForFieldName('indices');
  return index?.text.replace(/^\[|\]$/g, '').trim();
}

export const rule: Rule = {
  meta: {
    id: 'wdm-dispatch-table',
    title: 'Hand-built WDM dispatch table',
    type: 'suggestion',
    severity: 'information',
    checklistItem: 'checklist.use-frameworks',
    description: 'The driver assigns DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] itself (a WDM driver); KMDF is the recommended model for new drivers.',
    rationale: 'A WDM driver validates every buffer, length, IRP completion, cancellation and PnP/power transition by hand, and each of those is a place for a security bug. KMDF queues deliver requests with their buffers retrieved and length-checked (WdfRequestRetrieveInputBuffer with a minimum size), handle cancellation and synchronization, and give device objects a secure default. Microsoft\'s driver security checklist recommends the frameworks for new drivers.',
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-checklist#use-the-driver-frameworks',
      'https://learn.microsoft.com/windows-hardware/drivers/wdf/differences-between-wdm-and-kmdf',
    ],
    confidence: 'high',
    messages: {
      wdm: '{{target}} is set by hand: this is a WDM driver. For a new driver, prefer KMDF (EvtIoDeviceControl on a WDF queue), which retrieves and size-checks request buffers for you.',
    },
    examples: {
      bad: 'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)\n{\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n    return STATUS_SUCCESS;\n}',
      good: 'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)\n{\n    WDF_DRIVER_CONFIG config;\n    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);\n    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);\n}',
    },
  },
  create(context) {
    const { file } = context;
    let reported = false;
    return {
      assignment_expression(assignment) {
        if (reported || !assignment.text.includes('MajorFunction')) return;
        const left = unwrap(assignment.childForFieldName('left'));
        if (!left || majorIndex(left) !== 'IRP_MJ_DEVICE_CONTROL') return;
        reported = true;
        // KMDF drivers that hook a major function (WdfDriverCreate in the file) and pass-through filters are left alone.
        if (file.nodes('call_expression').some((call) => calleeName(call) === 'WdfDriverCreate') || isPassThroughFilter(file)) return;
        context.report({ node: assignment, messageId: 'wdm', data: { target: file.textOf(left) } });
      },
    };
  },
};
