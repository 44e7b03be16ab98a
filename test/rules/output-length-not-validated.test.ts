import { runRuleTests } from '../helpers/rule-tester';

const INFO = 'typedef struct _VERSION_INFO { ULONG Major; ULONG Minor; } VERSION_INFO, *PVERSION_INFO;\ntypedef struct _MSR_REQ { ULONG Register; ULONGLONG Value; } MSR_REQ, *PMSR_REQ;\n';

runRuleTests('output-length-not-validated', {
  valid: [
    {
      name: 'a request-context field named SystemBuffer holds a buffer the driver retrieved with a minimum length',
      code: 'typedef struct _COUNTERS { ULONG Sent; ULONG Lost; } COUNTERS, *PCOUNTERS;\ntypedef struct _MY_REQ_CTX { PVOID SystemBuffer; ULONG Information; } MY_REQ_CTX, *PMY_REQ_CTX;\nCOUNTERS g_Counters;\nBOOLEAN FillCounters(WDFINTERRUPT Interrupt, PVOID Context) {\n    PMY_REQ_CTX ctx = (PMY_REQ_CTX)Context;\n    PCOUNTERS out = ctx->SystemBuffer;\n    *out = g_Counters;\n    ctx->Information = sizeof(COUNTERS);\n    return FALSE;\n}',
    },
    {
      name: 'output length checked through a local',
      code: `${INFO}NTSTATUS GetVersion(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    ULONG outputLength = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;\n    PVERSION_INFO info = (PVERSION_INFO)Irp->AssociatedIrp.SystemBuffer;\n    if (outputLength < sizeof(VERSION_INFO)) {\n        return STATUS_BUFFER_TOO_SMALL;\n    }\n    info->Major = 1;\n    info->Minor = 2;\n    Irp->IoStatus.Information = sizeof(VERSION_INFO);\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'both lengths checked before answering in place (SystemBuffer is max of both)',
      code: `${INFO}NTSTATUS ReadMsr(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PMSR_REQ request = (PMSR_REQ)Irp->AssociatedIrp.SystemBuffer;\n    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(MSR_REQ) ||\n        IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(MSR_REQ)) {\n        return STATUS_INVALID_BUFFER_SIZE;\n    }\n    request->Value = __readmsr(0x10);\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'WDF minimum length covers the write',
      code: 'NTSTATUS Version(WDFREQUEST Request) {\n    PULONG output = NULL;\n    NTSTATUS status = WdfRequestRetrieveOutputBuffer(Request, sizeof(ULONG), (PVOID *)&output, NULL);\n    if (!NT_SUCCESS(status)) return status;\n    *output = 0x00020001;\n    return STATUS_SUCCESS;\n}',
    },
    {
      name: 'WDF minimum 0 but the returned length is checked',
      code: 'NTSTATUS Version(WDFREQUEST Request) {\n    PULONG output = NULL;\n    size_t length = 0;\n    NTSTATUS status = WdfRequestRetrieveOutputBuffer(Request, 0, (PVOID *)&output, &length);\n    if (!NT_SUCCESS(status)) return status;\n    if (length < sizeof(ULONG)) return STATUS_BUFFER_TOO_SMALL;\n    *output = 0x00020001;\n    return STATUS_SUCCESS;\n}',
    },
    {
      name: 'zeroing exactly the caller\'s output length',
      code: 'NTSTATUS Clear(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    RtlZeroMemory(Irp->AssociatedIrp.SystemBuffer, IrpSp->Parameters.DeviceIoControl.OutputBufferLength);\n    Irp->IoStatus.Information = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;\n    return STATUS_SUCCESS;\n}',
    },
    {
      name: 'writes to a kernel copy are not writes to the output buffer',
      code: `${INFO}NTSTATUS Snapshot(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    VERSION_INFO local = { 0 };\n    PVERSION_INFO copy = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(VERSION_INFO), 'tsT1');\n    if (copy == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    copy->Major = 1;\n    local.Minor = 2;\n    ExFreePoolWithTag(copy, 'tsT1');\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'the read without a check is input-length-not-validated\'s finding',
      code: `${INFO}NTSTATUS ReadMsr(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PMSR_REQ request = (PMSR_REQ)Irp->AssociatedIrp.SystemBuffer;\n    request->Value = __readmsr(request->Register);\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'the dispatch routine checked the output length before calling the helper',
      code: `${INFO}static NTSTATUS FillVersion(PIRP Irp) {\n    PVERSION_INFO info = (PVERSION_INFO)Irp->AssociatedIrp.SystemBuffer;\n    info->Major = 1;\n    info->Minor = 2;\n    Irp->IoStatus.Information = sizeof(VERSION_INFO);\n    return STATUS_SUCCESS;\n}\nNTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;\n    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {\n    case IOCTL_GET_VERSION:\n        if (irpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(VERSION_INFO)) {\n            status = STATUS_BUFFER_TOO_SMALL;\n            break;\n        }\n        status = FillVersion(Irp);\n        break;\n    }\n    return status;\n}`,
    },
    {
      name: 'another case retrieved into the same variable; this one uses a WDF memory object and its own length',
      code: 'VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    PCHAR outBuf = NULL;\n    size_t bufSize, outBufLength;\n    NTSTATUS status = STATUS_SUCCESS;\n    switch (IoControlCode) {\n    case IOCTL_BUFFERED:\n        status = WdfRequestRetrieveOutputBuffer(Request, 0, &outBuf, &bufSize);\n        if (!NT_SUCCESS(status)) break;\n        RtlCopyMemory(outBuf, g_Data, OutputBufferLength);\n        break;\n    case IOCTL_NEITHER:\n        outBuf = WdfMemoryGetBuffer(g_OutputMemory, &outBufLength);\n        RtlCopyMemory(outBuf, g_Data, outBufLength);\n        break;\n    }\n    WdfRequestComplete(Request, status);\n}',
    },
  ],
  invalid: [
    {
      name: 'METHOD_BUFFERED reply written with no length check',
      code: `${INFO}NTSTATUS GetVersion(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PVERSION_INFO info = (PVERSION_INFO)Irp->AssociatedIrp.SystemBuffer;\n    info->Major = 1;\n    info->Minor = 2;\n    Irp->IoStatus.Information = sizeof(VERSION_INFO);\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'unchecked', line: 5, message: '`info->Major = 1` writes sizeof(*info) bytes into the output buffer (SystemBuffer)' }],
      suggestionOutput: `${INFO}NTSTATUS GetVersion(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PVERSION_INFO info = (PVERSION_INFO)Irp->AssociatedIrp.SystemBuffer;\n    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(*info)) {\n        return STATUS_BUFFER_TOO_SMALL;\n    }\n    info->Major = 1;\n    info->Minor = 2;\n    Irp->IoStatus.Information = sizeof(VERSION_INFO);\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'cast store into SystemBuffer, output length read but never compared',
      code: 'NTSTATUS GetFlags(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    ULONG outputLength = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;\n    *(PULONGLONG)Irp->AssociatedIrp.SystemBuffer = 0x1234;\n    Irp->IoStatus.Information = sizeof(ULONGLONG);\n    return STATUS_SUCCESS;\n}',
      errors: [{ messageId: 'unchecked', line: 3, message: 'sizeof(ULONGLONG) bytes' }],
      suggestionOutput: 'NTSTATUS GetFlags(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    ULONG outputLength = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;\n    if (outputLength < sizeof(ULONGLONG)) {\n        return STATUS_BUFFER_TOO_SMALL;\n    }\n    *(PULONGLONG)Irp->AssociatedIrp.SystemBuffer = 0x1234;\n    Irp->IoStatus.Information = sizeof(ULONGLONG);\n    return STATUS_SUCCESS;\n}',
    },
    {
      name: 'KMDF output buffer retrieved with minimum 0',
      code: 'VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    PULONG output = NULL;\n    size_t length = 0;\n    NTSTATUS status = WdfRequestRetrieveOutputBuffer(Request, 0, (PVOID *)&output, &length);\n    if (!NT_SUCCESS(status)) { WdfRequestComplete(Request, status); return; }\n    *output = 0x00020001;\n    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, sizeof(ULONG));\n}',
      errors: [{ messageId: 'unchecked', line: 6, message: 'minimum length 0' }],
      suggestionOutput: 'VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    PULONG output = NULL;\n    size_t length = 0;\n    NTSTATUS status = WdfRequestRetrieveOutputBuffer(Request, 0, (PVOID *)&output, &length);\n    if (!NT_SUCCESS(status)) { WdfRequestComplete(Request, status); return; }\n    if (length < sizeof(ULONG)) {\n        WdfRequestComplete(Request, STATUS_BUFFER_TOO_SMALL); return;\n    }\n    *output = 0x00020001;\n    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, sizeof(ULONG));\n}',
    },
    {
      name: 'direct I/O read fills the MDL mapping with a fixed-size record',
      code: `${INFO}VERSION_INFO g_Version;\nNTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PVERSION_INFO mapped = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute);\n    if (mapped == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    RtlCopyMemory(mapped, &g_Version, sizeof(VERSION_INFO));\n    Irp->IoStatus.Information = sizeof(VERSION_INFO);\n    return STATUS_SUCCESS;\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_READ] = DispatchRead;\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'unchecked', line: 8, message: 'the MDL mapping of Irp->MdlAddress' }],
      suggestionOutput: `${INFO}VERSION_INFO g_Version;\nNTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PVERSION_INFO mapped = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute);\n    if (mapped == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    if (irpSp->Parameters.Read.Length < sizeof(VERSION_INFO)) {\n        return STATUS_BUFFER_TOO_SMALL;\n    }\n    RtlCopyMemory(mapped, &g_Version, sizeof(VERSION_INFO));\n    Irp->IoStatus.Information = sizeof(VERSION_INFO);\n    return STATUS_SUCCESS;\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_READ] = DispatchRead;\n    return STATUS_SUCCESS;\n}`,
    },
  ],
});
