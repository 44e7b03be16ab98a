import { runRuleTests } from '../helpers/rule-tester';

const DISPATCH = (prefix = '', storage = '') => `${prefix}${storage}NTSTATUS
SampleDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_INVALID_DEVICE_REQUEST;
}

DRIVER_INITIALIZE DriverEntry;

NTSTATUS
DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = SampleDeviceControl;
    DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = SampleDeviceControl;
    return STATUS_SUCCESS;
}
`;

const KMDF = (prefix = '') => `${prefix}VOID
SampleEvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length)
{
    UNREFERENCED_PARAMETER(Queue);
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, 0);
}

NTSTATUS
SampleQueueInitialize(WDFDEVICE Device)
{
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchSequential);
    queueConfig.EvtIoRead = SampleEvtIoRead;
    return WdfIoQueueCreate(Device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_HANDLE);
}
`;

runRuleTests('dispatch-missing-sal', {
  valid: [
    { name: 'role-type declaration', code: DISPATCH('DRIVER_DISPATCH SampleDeviceControl;\n\n') },
    { name: '_Use_decl_annotations_ on the definition', code: DISPATCH('DRIVER_DISPATCH SampleCreate;\n\n_Use_decl_annotations_\n') },
    { name: 'annotated declaration with _Dispatch_type_ and a comment before the definition', code: DISPATCH('_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH SampleDeviceControl;\n\n/* Handles IOCTLs. */\n') },
    { name: 'KMDF callback declared with its role type', code: KMDF('EVT_WDF_IO_QUEUE_IO_READ SampleEvtIoRead;\n\n') },
    { name: 'static role-type declaration', code: DISPATCH('static DRIVER_DISPATCH SampleDeviceControl;\n\n', 'static ') },
    { name: 'helper called by a dispatch routine is not a dispatch routine', code: 'NTSTATUS Helper(PIRP Irp)\n{\n    return STATUS_SUCCESS;\n}\nDRIVER_DISPATCH Dispatch;\nNTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)\n{\n    return Helper(Irp);\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)\n{\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Dispatch;\n    return STATUS_SUCCESS;\n}\n' },
  ],
  invalid: [
    {
      name: 'WDM dispatch routine without declaration',
      code: DISPATCH(),
      errors: [{ messageId: 'missing', line: 2, message: '`DRIVER_DISPATCH SampleDeviceControl;`' }],
      output: DISPATCH('_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) _Dispatch_type_(IRP_MJ_INTERNAL_DEVICE_CONTROL) DRIVER_DISPATCH SampleDeviceControl;\n\n'),
    },
    {
      name: 'KMDF EvtIoRead without declaration',
      code: KMDF(),
      errors: [{ messageId: 'missing', line: 2, message: 'EVT_WDF_IO_QUEUE_IO_READ' }],
      output: KMDF('EVT_WDF_IO_QUEUE_IO_READ SampleEvtIoRead;\n\n'),
    },
    {
      name: 'static dispatch routine gets a static declaration',
      code: DISPATCH('', 'static '),
      errors: [{ messageId: 'missing', line: 2 }],
      output: DISPATCH('_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) _Dispatch_type_(IRP_MJ_INTERNAL_DEVICE_CONTROL) static DRIVER_DISPATCH SampleDeviceControl;\n\n', 'static '),
    },
  ],
});
