import { runRuleTests } from '../helpers/rule-tester';

/** A WDM dispatch routine around a switch body; `init` is the status declaration. */
const WDM = (cases: string, init = 'NTSTATUS status = STATUS_SUCCESS;', after = '    Irp->IoStatus.Status = status;\n    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n    return status;\n') => `NTSTATUS
DeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    ${init}

    UNREFERENCED_PARAMETER(DeviceObject);
    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
${cases}    }
${after}}
`;

const TWO_CASES = `    case IOCTL_GET_VERSION:
        status = GetVersion(Irp, irpSp);
        break;
    case IOCTL_RESET:
        status = ResetDevice(Irp);
        break;
`;

const DEFAULT_FAIL = `    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
`;

const KMDF = (cases: string) => `VOID
EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode)
{
    NTSTATUS status = STATUS_SUCCESS;
    ULONG_PTR bytes = 0;

    switch (IoControlCode) {
${cases}    }
    WdfRequestCompleteWithInformation(Request, status, bytes);
}
`;

runRuleTests('ioctl-handler-no-default-fail', {
  valid: [
    {
      name: 'a filter forwards the codes it does not handle',
      code: WDM(`${TWO_CASES}    default:\n        break;\n`, undefined, '    if (!NT_SUCCESS(status)) {\n        Irp->IoStatus.Status = status;\n        IoCompleteRequest(Irp, IO_NO_INCREMENT);\n        return status;\n    }\n    IoSkipCurrentIrpStackLocation(Irp);\n    return IoCallDriver(LowerDevice, Irp);\n'),
    },
    { name: 'default sets STATUS_INVALID_DEVICE_REQUEST', code: WDM(TWO_CASES + DEFAULT_FAIL) },
    { name: 'status starts as a failure and only known codes set success', code: WDM(TWO_CASES, 'NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;') },
    { name: 'default returns a failure', code: WDM(`${TWO_CASES}    default:\n        Irp->IoStatus.Status = STATUS_NOT_SUPPORTED;\n        IoCompleteRequest(Irp, IO_NO_INCREMENT);\n        return STATUS_NOT_SUPPORTED;\n`) },
    { name: 'default forwards the request (filter)', code: WDM(`${TWO_CASES}    default:\n        IoSkipCurrentIrpStackLocation(Irp);\n        return IoCallDriver(ext->LowerDevice, Irp);\n`) },
    { name: 'status uninitialized: not this rule', code: WDM(TWO_CASES, 'NTSTATUS status;') },
    { name: 'status changed in a branch that does not leave: unsure', code: WDM(TWO_CASES, 'NTSTATUS status = STATUS_SUCCESS;\n    if (g_Disabled) {\n        status = STATUS_DEVICE_NOT_READY;\n    }') },
    { name: 'status set to failure after the switch for unhandled codes', code: WDM(TWO_CASES, 'NTSTATUS status = STATUS_SUCCESS;', '    if (!handled) {\n        status = STATUS_INVALID_DEVICE_REQUEST;\n    }\n    Irp->IoStatus.Status = status;\n    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n    return status;\n') },
    { name: 'switch on something else than the control code', code: 'NTSTATUS Power(PIRP Irp, PIO_STACK_LOCATION irpSp)\n{\n    NTSTATUS status = STATUS_SUCCESS;\n    switch (irpSp->MinorFunction) {\n    case IRP_MN_SET_POWER:\n        status = SetPower(Irp);\n        break;\n    }\n    return status;\n}\n' },
    { name: 'KMDF default completes with failure', code: KMDF(`    case IOCTL_GET_VERSION:\n        status = GetVersion(Request, &bytes);\n        break;\n    default:\n        status = STATUS_INVALID_DEVICE_REQUEST;\n        break;\n`) },
    {
      name: 'unknown codes rejected before the switch',
      code: 'NTSTATUS DeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)\n{\n    ULONG code = IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode;\n    NTSTATUS status = STATUS_SUCCESS;\n    if (!IsSupportedIoctl(code)) {\n        return CompleteRequest(Irp, STATUS_INVALID_DEVICE_REQUEST);\n    }\n    switch (code) {\n    case IOCTL_GET_VERSION:\n        status = GetVersion(Irp);\n        break;\n    }\n    return CompleteRequest(Irp, status);\n}\n',
    },
    { name: 'default only inside #if DBG is still a default', code: WDM(`${TWO_CASES}#if DBG\n    default:\n        status = STATUS_INVALID_DEVICE_REQUEST;\n        break;\n#endif\n`) },
  ],
  invalid: [
    {
      name: 'WDM: no default, status starts as STATUS_SUCCESS',
      code: WDM(TWO_CASES),
      errors: [{ messageId: 'noDefault', line: 8, message: '`status` = STATUS_SUCCESS' }],
      output: WDM(TWO_CASES + DEFAULT_FAIL),
    },
    {
      name: 'default that only breaks',
      code: WDM(`${TWO_CASES}    default:\n        break;\n`),
      errors: [{ messageId: 'emptyDefault', line: 15 }],
      output: WDM(TWO_CASES + DEFAULT_FAIL),
    },
    {
      name: 'KMDF EvtIoDeviceControl without default',
      code: KMDF('    case IOCTL_GET_VERSION:\n        status = GetVersion(Request, &bytes);\n        break;\n'),
      errors: [{ messageId: 'noDefault', line: 7, message: 'IoControlCode' }],
      output: KMDF('    case IOCTL_GET_VERSION:\n        status = GetVersion(Request, &bytes);\n        break;\n    default:\n        status = STATUS_INVALID_DEVICE_REQUEST;\n        break;\n'),
    },
    {
      name: 'IoStatus.Status style, status set to success before the switch',
      code: 'NTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)\n{\n    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);\n    Irp->IoStatus.Status = STATUS_SUCCESS;\n    switch (sp->Parameters.DeviceIoControl.IoControlCode) {\n    case IOCTL_A: Irp->IoStatus.Status = DoA(Irp); break;\n    }\n    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n    return Irp->IoStatus.Status;\n}\n',
      errors: [{ messageId: 'noDefault', line: 5, message: 'Irp->IoStatus.Status' }],
      output: 'NTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)\n{\n    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);\n    Irp->IoStatus.Status = STATUS_SUCCESS;\n    switch (sp->Parameters.DeviceIoControl.IoControlCode) {\n    case IOCTL_A: Irp->IoStatus.Status = DoA(Irp); break;\n    default:\n        Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;\n        break;\n    }\n    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n    return Irp->IoStatus.Status;\n}\n',
    },
    {
      name: 'error path before the switch sets a failure and leaves (sioctl style)',
      code: WDM(TWO_CASES, 'NTSTATUS status = STATUS_SUCCESS;\n    if (irpSp->Parameters.DeviceIoControl.InputBufferLength == 0) {\n        status = STATUS_INVALID_PARAMETER;\n        goto End;\n    }', 'End:\n    Irp->IoStatus.Status = status;\n    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n    return status;\n'),
      errors: [{ messageId: 'noDefault', line: 12 }],
      output: WDM(TWO_CASES + DEFAULT_FAIL, 'NTSTATUS status = STATUS_SUCCESS;\n    if (irpSp->Parameters.DeviceIoControl.InputBufferLength == 0) {\n        status = STATUS_INVALID_PARAMETER;\n        goto End;\n    }', 'End:\n    Irp->IoStatus.Status = status;\n    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n    return status;\n'),
    },
    {
      name: 'last case falls out of the switch: reported without a fix',
      code: WDM('    case IOCTL_GET_VERSION:\n        status = GetVersion(Irp, irpSp);\n'),
      errors: [{ messageId: 'noDefault', line: 8 }],
    },
  ],
});
