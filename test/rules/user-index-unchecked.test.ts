import { runRuleTests } from '../helpers/rule-tester';

const DECLS = 'typedef struct _SLOT_REQ { ULONG Index; ULONG Value; } SLOT_REQ, *PSLOT_REQ;\n#define SLOT_COUNT 16\nstatic ULONG g_Counters[SLOT_COUNT];\n';
const HEAD = `${DECLS}NTSTATUS Bump(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PSLOT_REQ request = (PSLOT_REQ)Irp->AssociatedIrp.SystemBuffer;\n    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SLOT_REQ)) {\n        return STATUS_BUFFER_TOO_SMALL;\n    }\n`;

runRuleTests('user-index-unchecked', {
  valid: [
    { name: 'bounded with ARRAYSIZE first', code: `${HEAD}    if (request->Index >= ARRAYSIZE(g_Counters)) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    g_Counters[request->Index]++;\n    return STATUS_SUCCESS;\n}` },
    { name: 'bounded through a local copy', code: `${HEAD}    ULONG index = request->Index;\n    if (index < SLOT_COUNT) {\n        g_Counters[index] = request->Value;\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'masked index', code: `${HEAD}    g_Counters[request->Index & (SLOT_COUNT - 1)] = request->Value;\n    return STATUS_SUCCESS;\n}` },
    { name: 'switch allow-list', code: `${HEAD}    switch (request->Index) {\n    case 0:\n    case 1:\n        g_Counters[request->Index] = request->Value;\n        break;\n    default:\n        return STATUS_INVALID_PARAMETER;\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'loop counter bounded by the array, count from the user', code: `${HEAD}    ULONG i;\n    for (i = 0; i < request->Value && i < SLOT_COUNT; i++) {\n        g_Counters[i] = 0;\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'kernel index into a kernel table', code: `${DECLS}typedef struct _EXT { ULONG Current; } EXT, *PEXT;\nVOID Tick(PEXT ext) {\n    g_Counters[ext->Current % SLOT_COUNT]++;\n    g_Counters[0] = ext->Current;\n}` },
    { name: 'pointer table of unknown length is not judged', code: `${DECLS}static PULONG g_Table;\nNTSTATUS Get(PIRP Irp) {\n    PSLOT_REQ request = (PSLOT_REQ)Irp->AssociatedIrp.SystemBuffer;\n    g_Table[request->Index] = 0;\n    return STATUS_SUCCESS;\n}` },
    { name: 'the caller checked the index before passing it', code: `${DECLS}static VOID Store(ULONG index, ULONG value) {\n    g_Counters[index] = value;\n}\nNTSTATUS Set(PIRP Irp) {\n    PSLOT_REQ request = (PSLOT_REQ)Irp->AssociatedIrp.SystemBuffer;\n    if (request->Index >= SLOT_COUNT) return STATUS_INVALID_PARAMETER;\n    Store(request->Index, request->Value);\n    return STATUS_SUCCESS;\n}` },
    { name: 'the caller bounded the field before passing the request', code: `${DECLS}static VOID Apply(PSLOT_REQ req) {\n    g_Counters[req->Index] = req->Value;\n}\nNTSTATUS Set(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PSLOT_REQ query = (PSLOT_REQ)Irp->AssociatedIrp.SystemBuffer;\n    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SLOT_REQ) || query->Index >= SLOT_COUNT) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    Apply(query);\n    return STATUS_SUCCESS;\n}` },
    { name: 'terminator after an unchecked copy is the copy rule\'s finding', code: 'NTSTATUS SetName(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    CHAR name[32];\n    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;\n    RtlCopyMemory(name, Irp->AssociatedIrp.SystemBuffer, length);\n    name[length] = 0;\n    return STATUS_SUCCESS;\n}' },
    { name: 'an array inside the request itself is the input-length rule\'s business', code: 'typedef struct _BATCH { ULONG Count; ULONG Items[8]; } BATCH, *PBATCH;\nULONG g_Sum;\nNTSTATUS Sum(PIRP Irp) {\n    PBATCH batch = (PBATCH)Irp->AssociatedIrp.SystemBuffer;\n    g_Sum += batch->Items[batch->Count];\n    return STATUS_SUCCESS;\n}' },
  ],
  invalid: [
    {
      name: 'arbitrary increment of a global counter table',
      code: `${HEAD}    g_Counters[request->Index]++;\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'increment', line: 9, message: '`g_Counters[request->Index]++` increments `g_Counters` (16 elements) at `request->Index`' }],
      suggestionOutput: `${HEAD}    if (request->Index >= ARRAYSIZE(g_Counters)) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    g_Counters[request->Index]++;\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'stack table read with a user index through a local',
      code: `${HEAD}    ULONG names[4] = { 1, 2, 3, 4 };\n    ULONG slot = request->Index;\n    ULONG value = names[slot];\n    *(PULONG)Irp->AssociatedIrp.SystemBuffer = value;\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'read', line: 11, message: '`names[slot]` reads `names` (4 elements)' }],
      suggestionOutput: `${HEAD}    ULONG names[4] = { 1, 2, 3, 4 };\n    ULONG slot = request->Index;\n    if (slot >= ARRAYSIZE(names)) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    ULONG value = names[slot];\n    *(PULONG)Irp->AssociatedIrp.SystemBuffer = value;\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'a check only in the #if DBG branch does not protect the release build',
      code: `${HEAD}#if DBG\n    if (request->Index >= SLOT_COUNT) {\n        return STATUS_INVALID_PARAMETER;\n    }\n#endif\n    g_Counters[request->Index] = request->Value;\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'write', line: 14 }],
    },
    {
      name: 'KMDF: index is a field of the WDF input buffer, VOID callback',
      code: `${DECLS}VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    PSLOT_REQ request = NULL;\n    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, sizeof(SLOT_REQ), (PVOID *)&request, NULL);\n    if (!NT_SUCCESS(status)) { WdfRequestComplete(Request, status); return; }\n    g_Counters[request->Index] = request->Value;\n    WdfRequestComplete(Request, STATUS_SUCCESS);\n}`,
      errors: [{ messageId: 'write', line: 8 }],
      suggestionOutput: `${DECLS}VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    PSLOT_REQ request = NULL;\n    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, sizeof(SLOT_REQ), (PVOID *)&request, NULL);\n    if (!NT_SUCCESS(status)) { WdfRequestComplete(Request, status); return; }\n    if (request->Index >= ARRAYSIZE(g_Counters)) {\n        WdfRequestComplete(Request, STATUS_INVALID_PARAMETER); return;\n    }\n    g_Counters[request->Index] = request->Value;\n    WdfRequestComplete(Request, STATUS_SUCCESS);\n}`,
    },
    {
      name: 'array field of the device extension indexed by the request',
      code: `${DECLS}typedef struct _DEVICE_EXTENSION { KSPIN_LOCK Lock; ULONG Slots[SLOT_COUNT]; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\nNTSTATUS SetSlot(PDEVICE_OBJECT DeviceObject, PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)DeviceObject->DeviceExtension;\n    PSLOT_REQ request = (PSLOT_REQ)Irp->AssociatedIrp.SystemBuffer;\n    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SLOT_REQ)) return STATUS_BUFFER_TOO_SMALL;\n    ext->Slots[request->Index] = request->Value;\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'write', line: 9, message: '`ext->Slots` (16 elements)' }],
      suggestionOutput: `${DECLS}typedef struct _DEVICE_EXTENSION { KSPIN_LOCK Lock; ULONG Slots[SLOT_COUNT]; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\nNTSTATUS SetSlot(PDEVICE_OBJECT DeviceObject, PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)DeviceObject->DeviceExtension;\n    PSLOT_REQ request = (PSLOT_REQ)Irp->AssociatedIrp.SystemBuffer;\n    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SLOT_REQ)) return STATUS_BUFFER_TOO_SMALL;\n    if (request->Index >= ARRAYSIZE(ext->Slots)) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    ext->Slots[request->Index] = request->Value;\n    return STATUS_SUCCESS;\n}`,
    },
  ],
});
