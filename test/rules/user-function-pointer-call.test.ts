import { runRuleTests } from '../helpers/rule-tester';

const OBJ = 'typedef VOID (*CB)(PVOID);\ntypedef struct _OBJ { ULONG Type; PVOID Context; CB Callback; } OBJ, *POBJ;\n';
const MORE = `${OBJ}typedef struct _REQ { ULONG Type; ULONG64 Words[2]; CB Callback; } REQ, *PREQ;\ntypedef struct _KOBJ { ULONG Kind; union { ULONG64 Raw[2]; struct { CB Notify; PVOID Ctx; } Hook; } u; } KOBJ, *PKOBJ;\ntypedef struct _AOBJ { ULONG Kind; union { ULONG64 Cookie; CB Notify; }; } AOBJ, *PAOBJ;\nVOID Mine(PVOID c) { }\nVOID Run(POBJ Object) {\n    Object->Callback(Object->Context);\n}\n`;
const body = (lines: string[]) => `${MORE}${lines.join('\n')}`;

runRuleTests('user-function-pointer-call', {
  valid: [
    { name: 'driver function chosen by a validated tag', code: `${OBJ}VOID Counter(PVOID c) { }\nNTSTATUS H(PIRP Irp) {\n    POBJ o = (POBJ)Irp->AssociatedIrp.SystemBuffer;\n    if (o->Type != 1) return STATUS_INVALID_PARAMETER;\n    Counter(o->Context);\n    return 0;\n}` },
    { name: 'callback from the driver\'s own table', code: `${OBJ}CB g_Table[2];\nNTSTATUS H(PIRP Irp) {\n    CB cb = g_Table[0];\n    cb(NULL);\n    return 0;\n}` },
    {
      name: 'a field copied from the request, then set to the driver\'s own routine',
      code: body(['NTSTATUS H(PIRP Irp) {', '    PREQ in = (PREQ)Irp->AssociatedIrp.SystemBuffer;', '    OBJ local;', '    local.Callback = in->Callback;', '    local.Callback = Mine;', '    local.Callback(NULL);', '    Run(&local);', '    return 0;', '}']),
    },
    {
      name: 'the other union member written from the request, the callback member set by the driver after it',
      code: body(['NTSTATUS H(PIRP Irp, PKOBJ k) {', '    PREQ in = (PREQ)Irp->AssociatedIrp.SystemBuffer;', '    RtlCopyMemory(k->u.Raw, in->Words, sizeof(k->u.Raw));', '    k->u.Hook.Notify = Mine;', '    k->u.Hook.Notify(NULL);', '    return 0;', '}']),
    },
    {
      name: 'pool whose callback is written before the helper runs it',
      code: body(['NTSTATUS H(VOID) {', "    POBJ obj = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(OBJ), 'jbO');", '    if (obj == NULL) return STATUS_INSUFFICIENT_RESOURCES;', '    obj->Callback = Mine;', '    obj->Context = NULL;', '    Run(obj);', '    return 0;', '}']),
    },
    {
      name: 'zeroing pool handed to the helper',
      code: body(['NTSTATUS H(VOID) {', "    POBJ obj = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(OBJ), 'jbO');", '    if (obj == NULL) return STATUS_INSUFFICIENT_RESOURCES;', '    Run(obj);', '    return 0;', '}']),
    },
    {
      name: 'a field written from the request only on one branch',
      code: body(['NTSTATUS H(PIRP Irp, POBJ obj, ULONG mode) {', '    PREQ in = (PREQ)Irp->AssociatedIrp.SystemBuffer;', '    if (mode == 7) {', '        obj->Callback = in->Callback;', '    }', '    obj->Callback(NULL);', '    return 0;', '}']),
    },
  ],
  invalid: [
    { name: 'callback field of the user buffer', code: `${OBJ}NTSTATUS H(PIRP Irp) {\n    POBJ o = (POBJ)Irp->AssociatedIrp.SystemBuffer;\n    o->Callback(o->Context);\n    return 0;\n}`, errors: [{ messageId: 'call', line: 5, message: 'o->Callback' }] },
    { name: 'copied into a local first', code: `${OBJ}NTSTATUS H(PIRP Irp) {\n    POBJ o = (POBJ)Irp->AssociatedIrp.SystemBuffer;\n    CB cb = o->Callback;\n    cb(NULL);\n    return 0;\n}`, errors: [{ messageId: 'call', line: 6 }] },
    {
      name: 'callback copied field by field into a kernel object',
      code: body(['NTSTATUS H(PIRP Irp) {', '    PREQ in = (PREQ)Irp->AssociatedIrp.SystemBuffer;', "    POBJ obj = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(OBJ), 'jbO');", '    if (obj == NULL) return STATUS_INSUFFICIENT_RESOURCES;', '    obj->Type = in->Type;', '    obj->Callback = in->Callback;', '    obj->Callback(obj->Context);', '    return 0;', '}']),
      errors: [{ messageId: 'copied', line: 16, message: '`obj->Callback` calls a function pointer the driver stored from user-controlled memory on line 15' }],
    },
    {
      name: 'overlapping union member filled from the request',
      code: body(['NTSTATUS H(PIRP Irp, PKOBJ k) {', '    PREQ in = (PREQ)Irp->AssociatedIrp.SystemBuffer;', '    RtlCopyMemory(k->u.Raw, in->Words, sizeof(k->u.Raw));', '    k->u.Hook.Notify(NULL);', '    return 0;', '}']),
      errors: [{ messageId: 'copied', line: 13 }],
    },
    {
      name: 'anonymous union: the cookie written, the routine called',
      code: body(['NTSTATUS H(PIRP Irp, PAOBJ a) {', '    PREQ in = (PREQ)Irp->AssociatedIrp.SystemBuffer;', '    a->Cookie = in->Words[0];', '    a->Notify(NULL);', '    return 0;', '}']),
      errors: [{ messageId: 'copied', line: 13 }],
    },
    {
      name: 'a helper calls the callback the caller copied from the request',
      code: body(['NTSTATUS H(PIRP Irp) {', '    PREQ in = (PREQ)Irp->AssociatedIrp.SystemBuffer;', '    OBJ local;', '    local.Type = 1;', '    local.Callback = in->Callback;', '    local.Context = NULL;', '    Run(&local);', '    return 0;', '}']),
      errors: [{ messageId: 'helperCopied', line: 16, message: '`Run` calls `Object->Callback` of `local`' }],
    },
    {
      name: 'a helper calls the callback of pool nobody initialized',
      code: body(['NTSTATUS H(VOID) {', "    POBJ obj = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(OBJ), 'jbO');", '    if (obj == NULL) return STATUS_INSUFFICIENT_RESOURCES;', '    obj->Type = 1;', '    Run(obj);', '    return 0;', '}']),
      errors: [{ messageId: 'helperPool', line: 14, message: 'comes from ExAllocatePoolWithTag (line 11, not zeroed)' }],
    },
  ],
});
