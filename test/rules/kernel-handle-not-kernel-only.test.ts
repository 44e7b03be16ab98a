import { runRuleTests } from '../helpers/rule-tester';

const READ_KEY = (flags: string) => `#include <ntddk.h>
NTSTATUS ReadSetting(PUNICODE_STRING RegistryPath, PULONG Value) {
    OBJECT_ATTRIBUTES attributes;
    HANDLE key;
    InitializeObjectAttributes(&attributes, RegistryPath, ${flags}, NULL, NULL);
    NTSTATUS status = ZwOpenKey(&key, KEY_READ, &attributes);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = QueryValue(key, Value);
    ZwClose(key);
    return status;
}`;

const LOG_FILE = (flags: string) => `typedef struct _DEVICE_EXTENSION { HANDLE LogFile; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;
NTSTATUS DispatchCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION extension = (PDEVICE_EXTENSION)DeviceObject->DeviceExtension;
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\\\SystemRoot\\\\vendor.log");
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK io;
    InitializeObjectAttributes(&attributes, &name, ${flags}, NULL, NULL);
    return ZwCreateFile(&extension->LogFile, FILE_APPEND_DATA, &attributes, &io, NULL, FILE_ATTRIBUTE_NORMAL, 0, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    DriverObject->MajorFunction[IRP_MJ_CREATE] = DispatchCreate;
    return STATUS_SUCCESS;
}`;

runRuleTests('kernel-handle-not-kernel-only', {
  valid: [
    { name: 'kernel handle', code: READ_KEY('OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE') },
    { name: 'attributes from a variable', code: READ_KEY('g_ObjectAttributes') },
    {
      name: 'handle returned to the caller through the output buffer',
      code: `#include <ntddk.h>
typedef struct _OPEN_REQUEST { ULONG ProcessId; } OPEN_REQUEST, *POPEN_REQUEST;
NTSTATUS OpenForCaller(PIRP Irp) {
    OBJECT_ATTRIBUTES attributes;
    CLIENT_ID client = { 0 };
    HANDLE process;
    client.UniqueProcess = (HANDLE)(ULONG_PTR)((POPEN_REQUEST)Irp->AssociatedIrp.SystemBuffer)->ProcessId;
    InitializeObjectAttributes(&attributes, NULL, 0, NULL, NULL);
    NTSTATUS status = ZwOpenProcess(&process, PROCESS_QUERY_LIMITED_INFORMATION, &attributes, &client);
    if (NT_SUCCESS(status)) {
        *(PHANDLE)Irp->AssociatedIrp.SystemBuffer = process;
        Irp->IoStatus.Information = sizeof(HANDLE);
    }
    return status;
}`,
    },
    {
      name: 'handle written straight into a caller out parameter',
      code: '#include <ntddk.h>\nNTSTATUS OpenSection(PUNICODE_STRING Name, PHANDLE Section) {\n    OBJECT_ATTRIBUTES attributes;\n    InitializeObjectAttributes(&attributes, Name, OBJ_CASE_INSENSITIVE, NULL, NULL);\n    return ZwOpenSection(Section, SECTION_MAP_READ, &attributes);\n}',
    },
    {
      name: 'user-mode tool (windows.h), where OBJ_KERNEL_HANDLE is invalid',
      code: '#include <windows.h>\n#include <winternl.h>\nNTSTATUS OpenKey(PUNICODE_STRING Name, HANDLE *Out) {\n    OBJECT_ATTRIBUTES attributes;\n    HANDLE key;\n    InitializeObjectAttributes(&attributes, Name, OBJ_CASE_INSENSITIVE, NULL, NULL);\n    NTSTATUS status = ZwOpenKey(&key, KEY_READ, &attributes);\n    return status;\n}',
    },
    {
      name: 'handle copied to the WDF output buffer',
      code: '#include <wdf.h>\nVOID OpenForCaller(WDFREQUEST Request, PUNICODE_STRING Name) {\n    OBJECT_ATTRIBUTES attributes;\n    HANDLE section;\n    PVOID output;\n    InitializeObjectAttributes(&attributes, Name, OBJ_CASE_INSENSITIVE, NULL, NULL);\n    NTSTATUS status = ZwOpenSection(&section, SECTION_MAP_READ, &attributes);\n    if (NT_SUCCESS(status)) {\n        status = WdfRequestRetrieveOutputBuffer(Request, sizeof(HANDLE), &output, NULL);\n        if (NT_SUCCESS(status)) RtlCopyMemory(output, &section, sizeof(HANDLE));\n    }\n    WdfRequestComplete(Request, status);\n}',
    },
    {
      name: 'handle returned from the function',
      code: '#include <ntddk.h>\nHANDLE OpenEventForCaller(PUNICODE_STRING Name) {\n    OBJECT_ATTRIBUTES attributes;\n    HANDLE event = NULL;\n    InitializeObjectAttributes(&attributes, Name, OBJ_OPENIF, NULL, NULL);\n    ZwCreateEvent(&event, EVENT_ALL_ACCESS, &attributes, NotificationEvent, FALSE);\n    return event;\n}',
    },
    { name: 'project macro that includes the flag', code: '#define OBJ_DRIVER_DEFAULT (OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE)\n' + READ_KEY('OBJ_DRIVER_DEFAULT') },
    { name: 'project macro defined elsewhere', code: READ_KEY('OBJ_DRIVER_DEFAULT') },
  ],
  invalid: [
    {
      name: 'registry key handle kept by the driver',
      code: READ_KEY('OBJ_CASE_INSENSITIVE'),
      errors: [{ messageId: 'missing', line: 5, message: '`attributes` (OBJ_CASE_INSENSITIVE)' }],
      output: READ_KEY('OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE'),
    },
    {
      name: 'log file handle stored in the device extension from a dispatch routine',
      code: LOG_FILE('0'),
      errors: [{ messageId: 'missing', line: 7, message: 'ZwCreateFile' }],
      output: LOG_FILE('OBJ_KERNEL_HANDLE'),
    },
  ],
});
