import { runRuleTests } from '../helpers/rule-tester';

const OPEN = (flags: string) => `NTSTATUS O(PIRP Irp, PIO_STACK_LOCATION IrpSp) {
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK io;
    HANDLE file;
    name.Buffer = (PWCHAR)Irp->AssociatedIrp.SystemBuffer;
    name.Length = (USHORT)IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    InitializeObjectAttributes(&attributes, &name, ${flags}, NULL, NULL);
    return ZwOpenFile(&file, GENERIC_READ, &attributes, &io, FILE_SHARE_READ, 0);
}`;

runRuleTests('kernel-file-access-no-force-check', {
  valid: [
    { name: 'force access check', code: OPEN('OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK') },
    { name: 'fixed kernel path', code: 'NTSTATUS L(VOID) {\n    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\\\SystemRoot\\\\driver.log");\n    OBJECT_ATTRIBUTES attributes; IO_STATUS_BLOCK io; HANDLE file;\n    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, NULL, NULL);\n    return ZwCreateFile(&file, GENERIC_WRITE, &attributes, &io, NULL, 0, 0, FILE_OPEN_IF, 0, NULL, 0);\n}' },
  ],
  invalid: [
    {
      name: 'user path without the check',
      code: OPEN('OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE'),
      errors: [{ messageId: 'noForceCheck', line: 9, message: 'ZwOpenFile' }],
      output: OPEN('OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK'),
    },
    {
      name: 'registry key from RtlInitUnicodeString of user data',
      code: 'NTSTATUS K(PIRP Irp) {\n    UNICODE_STRING name; OBJECT_ATTRIBUTES oa; HANDLE key;\n    PWCHAR path = (PWCHAR)Irp->AssociatedIrp.SystemBuffer;\n    name.Buffer = path;\n    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, NULL, NULL);\n    return ZwOpenKey(&key, KEY_ALL_ACCESS, &oa);\n}',
      errors: [{ messageId: 'noForceCheck', line: 6 }],
      output: 'NTSTATUS K(PIRP Irp) {\n    UNICODE_STRING name; OBJECT_ATTRIBUTES oa; HANDLE key;\n    PWCHAR path = (PWCHAR)Irp->AssociatedIrp.SystemBuffer;\n    name.Buffer = path;\n    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, NULL, NULL);\n    return ZwOpenKey(&key, KEY_ALL_ACCESS, &oa);\n}',
    },
  ],
});
