import { runRuleTests } from '../helpers/rule-tester';

const REQ = 'typedef struct _PORT_REQUEST { USHORT Port; UCHAR Value; } PORT_REQUEST, *PPORT_REQUEST;\n';

runRuleTests('port-io-exposed', {
  valid: [
    { name: 'range-checked port', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PPORT_REQUEST r = (PPORT_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    USHORT port = r->Port;\n    if (port < 0x3F8 || port >= 0x400) return STATUS_ACCESS_DENIED;\n    __outbyte(port, r->Value);\n    return 0;\n}` },
    { name: 'port from the device resources, user value', code: 'typedef struct _EXT { PUCHAR Port; } EXT;\nNTSTATUS H(PIRP Irp, EXT *ext) {\n    PUCHAR v = (PUCHAR)Irp->AssociatedIrp.SystemBuffer;\n    WRITE_PORT_UCHAR(ext->Port, *v);\n    return 0;\n}' },
    { name: 'constant port', code: 'UCHAR ReadStatus(VOID) { return __inbyte(0x64); }' },
  ],
  invalid: [
    { name: 'user port with __outbyte', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PPORT_REQUEST r = (PPORT_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    __outbyte(r->Port, r->Value);\n    return 0;\n}`, errors: [{ messageId: 'port', line: 4, message: 'r->Port' }] },
    { name: 'READ_PORT_UCHAR on a user port through a local', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PPORT_REQUEST r = (PPORT_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    PUCHAR port = (PUCHAR)(ULONG_PTR)r->Port;\n    r->Value = READ_PORT_UCHAR(port);\n    return 0;\n}`, errors: [{ messageId: 'port', line: 5 }] },
  ],
});
