import { runRuleTests } from '../helpers/rule-tester';

const REQ = 'typedef struct _MSR_REQUEST { ULONG Register; ULONGLONG Value; } MSR_REQUEST, *PMSR_REQUEST;\n';

runRuleTests('msr-access-exposed', {
  valid: [
    { name: 'fixed register', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PMSR_REQUEST r = (PMSR_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    r->Value = __readmsr(0x10);\n    return 0;\n}` },
    { name: 'allow-list check first', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PMSR_REQUEST r = (PMSR_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    if (r->Register != 0x1A0) return STATUS_ACCESS_DENIED;\n    __writemsr(r->Register, r->Value & 1);\n    return 0;\n}` },
    { name: 'switch on the register', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PMSR_REQUEST r = (PMSR_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    switch (r->Register) {\n    case 0x10: r->Value = __readmsr(r->Register); break;\n    default: return STATUS_ACCESS_DENIED;\n    }\n    return 0;\n}` },
    { name: 'register from driver state', code: 'ULONG g_Msr;\nVOID Read(VOID) { ULONGLONG v = __readmsr(g_Msr); }' },
  ],
  invalid: [
    { name: 'read with user register', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PMSR_REQUEST r = (PMSR_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    r->Value = __readmsr(r->Register);\n    return 0;\n}`, errors: [{ messageId: 'register', line: 4, message: 'r->Register' }] },
    { name: 'KMDF write with user register and value', code: `${REQ}NTSTATUS W(WDFREQUEST Request) {\n    PMSR_REQUEST r;\n    WdfRequestRetrieveInputBuffer(Request, sizeof(MSR_REQUEST), (PVOID *)&r, NULL);\n    __writemsr(r->Register, r->Value);\n    return 0;\n}`, errors: [{ messageId: 'register', line: 5 }] },
    { name: 'fixed register, user value', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PMSR_REQUEST r = (PMSR_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    __writemsr(0xC0000082, r->Value);\n    return 0;\n}`, errors: [{ messageId: 'value', line: 4 }] },
  ],
});
