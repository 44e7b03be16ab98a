import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('information-exceeds-written', {
  valid: [
    { name: 'bytes written', code: 'NTSTATUS V(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    ULONG out = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;\n    if (out < sizeof(ULONG)) return STATUS_BUFFER_TOO_SMALL;\n    *(PULONG)Irp->AssociatedIrp.SystemBuffer = 1;\n    Irp->IoStatus.Information = sizeof(ULONG);\n    return 0;\n}' },
    { name: 'whole output zeroed first', code: 'NTSTATUS V(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    ULONG out = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;\n    RtlZeroMemory(Irp->AssociatedIrp.SystemBuffer, out);\n    Irp->IoStatus.Information = out;\n    return 0;\n}' },
    { name: 'KMDF completes with the bytes written', code: 'VOID E(WDFQUEUE Q, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG Code) {\n    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, sizeof(ULONG));\n}\nVOID Setup(WDF_IO_QUEUE_CONFIG *c) { c->EvtIoDeviceControl = E; }' },
  ],
  invalid: [
    { name: 'WDM Information = OutputBufferLength', code: 'NTSTATUS V(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    ULONG out = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;\n    if (out < sizeof(ULONG)) return STATUS_BUFFER_TOO_SMALL;\n    *(PULONG)Irp->AssociatedIrp.SystemBuffer = 1;\n    Irp->IoStatus.Information = out;\n    return 0;\n}', errors: [{ messageId: 'information', line: 5, message: '`out`' }] },
    { name: 'KMDF OutputBufferLength parameter', code: 'VOID E(WDFQUEUE Q, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG Code) {\n    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, OutputBufferLength);\n}\nVOID Setup(WDF_IO_QUEUE_CONFIG *c) { c->EvtIoDeviceControl = E; }', errors: [{ messageId: 'information', line: 2 }] },
  ],
});
