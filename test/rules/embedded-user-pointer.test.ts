import { runRuleTests } from '../helpers/rule-tester';

const WWW = 'typedef struct _WWW { PULONG_PTR What; PULONG_PTR Where; } WWW, *PWWW;\n';

runRuleTests('embedded-user-pointer', {
  valid: [
    {
      name: 'HID feature report: the report buffer of HIDCLASS\'s HID_XFER_PACKET is kernel memory',
      code: 'typedef struct _LAMP_REPORT { UCHAR ReportId; UCHAR Level; } LAMP_REPORT, *PLAMP_REPORT;\nUCHAR g_Level;\nNTSTATUS SetLamp(PIRP Irp) {\n    PHID_XFER_PACKET packet = (PHID_XFER_PACKET)Irp->UserBuffer;\n    PLAMP_REPORT report;\n    if (packet == NULL || packet->reportBufferLen < sizeof(LAMP_REPORT)) return STATUS_BUFFER_TOO_SMALL;\n    report = (PLAMP_REPORT)packet->reportBuffer;\n    g_Level = report->Level;\n    return STATUS_SUCCESS;\n}',
    },
    { name: 'probed inside __try', code: `${WWW}NTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    PULONG_PTR where = r->Where;\n    __try {\n        ProbeForWrite(where, sizeof(ULONG_PTR), 8);\n        *where = 0;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}` },
    { name: 'plain fields of the buffered request', code: 'typedef struct _R { ULONG Size; UCHAR Data[8]; } R, *PR;\nNTSTATUS H(PIRP Irp) {\n    PR r = (PR)Irp->AssociatedIrp.SystemBuffer;\n    ULONG n = r->Size;\n    UCHAR b = r->Data[0];\n    return n + b;\n}' },
    { name: 'kernel pointers', code: 'typedef struct _CTX { PULONG Counter; } CTX;\nVOID Bump(CTX *ctx) { (*(ctx->Counter))++; }' },
  ],
  invalid: [
    { name: 'write-what-where', code: `${WWW}NTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    *(r->Where) = *(r->What);\n    return 0;\n}`, errors: [{ messageId: 'dereference', line: 4, message: 'r->Where' }, { messageId: 'dereference', line: 4, message: 'r->What' }] },
    { name: 'arbitrary increment through a local copy of the pointer', code: 'typedef struct _INC { PULONG Target; } INC, *PINC;\nNTSTATUS H(PIRP Irp) {\n    PINC r = (PINC)Irp->AssociatedIrp.SystemBuffer;\n    PULONG target = r->Target;\n    (*target)++;\n    return 0;\n}', errors: [{ messageId: 'dereference', line: 5 }] },
  ],
});
