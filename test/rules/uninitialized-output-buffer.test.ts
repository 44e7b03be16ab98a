import { runRuleTests } from '../helpers/rule-tester';

const REPLY = 'typedef struct _REPLY { ULONG Version; ULONG64 Time; } REPLY;\n';

runRuleTests('uninitialized-output-buffer', {
  valid: [
    `${REPLY}NTSTATUS Q(PIRP Irp) {\n    REPLY reply = { 0 };\n    reply.Version = 1;\n    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, &reply, sizeof(reply));\n    return 0;\n}`,
    `${REPLY}NTSTATUS Q(PIRP Irp) {\n    REPLY reply;\n    RtlZeroMemory(&reply, sizeof(reply));\n    reply.Version = 1;\n    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, &reply, sizeof(reply));\n    return 0;\n}`,
    { name: 'ExAllocatePool2 zeroes', code: "NTSTATUS Q(PIRP Irp) {\n    PUCHAR data = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'x');\n    if (!data) return 1;\n    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, data, 64);\n    return 0;\n}" },
    { name: 'copy into a kernel buffer is not output', code: `${REPLY}VOID Save(REPLY *saved) {\n    REPLY reply;\n    RtlCopyMemory(saved, &reply, sizeof(reply));\n}` },
  ],
  invalid: [
    {
      name: 'stack struct with padding',
      code: `${REPLY}NTSTATUS Q(PIRP Irp) {\n    REPLY reply;\n    reply.Version = 1;\n    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, &reply, sizeof(reply));\n    return 0;\n}`,
      errors: [{ messageId: 'local', line: 5, message: '`reply`' }],
      output: `${REPLY}NTSTATUS Q(PIRP Irp) {\n    REPLY reply = { 0 };\n    reply.Version = 1;\n    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, &reply, sizeof(reply));\n    return 0;\n}`,
    },
    {
      name: 'non-zeroing pool to a WDF output buffer',
      code: "NTSTATUS Q(WDFREQUEST Request) {\n    PVOID out;\n    PUCHAR data;\n    WdfRequestRetrieveOutputBuffer(Request, 64, &out, NULL);\n    data = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'x');\n    if (!data) return 1;\n    RtlCopyMemory(out, data, 64);\n    return 0;\n}",
      errors: [{ messageId: 'pool', line: 7, message: 'ExAllocatePoolWithTag' }],
      suggestionOutput: "NTSTATUS Q(WDFREQUEST Request) {\n    PVOID out;\n    PUCHAR data;\n    WdfRequestRetrieveOutputBuffer(Request, 64, &out, NULL);\n    data = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'x');\n    if (data != NULL) {\n        RtlZeroMemory(data, 64);\n    }\n    if (!data) return 1;\n    RtlCopyMemory(out, data, 64);\n    return 0;\n}",
    },
  ],
});
