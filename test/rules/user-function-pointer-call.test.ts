import { runRuleTests } from '../helpers/rule-tester';

const OBJ = 'typedef VOID (*CB)(PVOID);\ntypedef struct _OBJ { ULONG Type; PVOID Context; CB Callback; } OBJ, *POBJ;\n';

runRuleTests('user-function-pointer-call', {
  valid: [
    { name: 'driver function chosen by a validated tag', code: `${OBJ}VOID Counter(PVOID c) { }\nNTSTATUS H(PIRP Irp) {\n    POBJ o = (POBJ)Irp->AssociatedIrp.SystemBuffer;\n    if (o->Type != 1) return STATUS_INVALID_PARAMETER;\n    Counter(o->Context);\n    return 0;\n}` },
    { name: 'callback from the driver\'s own table', code: `${OBJ}CB g_Table[2];\nNTSTATUS H(PIRP Irp) {\n    CB cb = g_Table[0];\n    cb(NULL);\n    return 0;\n}` },
  ],
  invalid: [
    { name: 'callback field of the user buffer', code: `${OBJ}NTSTATUS H(PIRP Irp) {\n    POBJ o = (POBJ)Irp->AssociatedIrp.SystemBuffer;\n    o->Callback(o->Context);\n    return 0;\n}`, errors: [{ messageId: 'call', line: 5, message: 'o->Callback' }] },
    { name: 'copied into a local first', code: `${OBJ}NTSTATUS H(PIRP Irp) {\n    POBJ o = (POBJ)Irp->AssociatedIrp.SystemBuffer;\n    CB cb = o->Callback;\n    cb(NULL);\n    return 0;\n}`, errors: [{ messageId: 'call', line: 6 }] },
  ],
});
