import { runRuleTests } from '../helpers/rule-tester';

const WWW = 'typedef struct _WWW { PULONG_PTR What; PULONG_PTR Where; } WWW, *PWWW;\n';
const XFER = 'typedef struct _XFER { PVOID Buffer; ULONG Length; UCHAR Inline[16]; PULONG Slots; } XFER, *PXFER;\nULONG g_Table[16];\n';
const HANDLER = 'NTSTATUS H(PIRP Irp) {\n';
const NAMED = 'typedef struct _HDR { PULONG Target; ULONG Value; } HDR, *PHDR;\ntypedef struct _NREQ { HDR Header; UNICODE_STRING Name; } NREQ, *PNREQ;\nUNICODE_STRING g_Name;\nWCHAR g_Chars[32];\n';
const TABLES = 'typedef struct _ENTRY { PULONG Slot; ULONG Value; } ENTRY, *PENTRY;\ntypedef struct _TABLE { PENTRY Entry; ULONG Count; } TABLE, *PTABLE;\ntypedef struct _TREQ { PTABLE Table; } TREQ, *PTREQ;\nULONG g_V;\n';

runRuleTests('embedded-user-pointer', {
  valid: [
    { name: 'a descriptor pointer taken from a trailing array of the request (declared in the file)', code: 'typedef struct _SLOT { ULONG Id; ULONG Flags; } SLOT, *PSLOT;\ntypedef struct _TABLE { ULONG Count; SLOT Slots[1]; } TABLE, *PTABLE;\nULONG g_Id;\nNTSTATUS H(PIRP Irp) {\n    PTABLE table = Irp->AssociatedIrp.SystemBuffer;\n    PSLOT slot = table->Slots;\n    g_Id = slot->Id;\n    return 0;\n}' },
    { name: 'a descriptor pointer taken from the reservation array of SDK persistent-reserve data', code: 'ULONGLONG g_Key;\nNTSTATUS H(PIRP Irp) {\n    PPRI_RESERVATION_LIST list = Irp->AssociatedIrp.SystemBuffer;\n    PPRI_RESERVATION_DESCRIPTOR first = list->Reservations;\n    RtlCopyMemory(&g_Key, &first->ReservationKey, sizeof(g_Key));\n    g_Key |= first->Type;\n    return 0;\n}' },
    {
      name: 'HID feature report: the report buffer of HIDCLASS\'s HID_XFER_PACKET is kernel memory',
      code: 'typedef struct _LAMP_REPORT { UCHAR ReportId; UCHAR Level; } LAMP_REPORT, *PLAMP_REPORT;\nUCHAR g_Level;\nNTSTATUS SetLamp(PIRP Irp) {\n    PHID_XFER_PACKET packet = (PHID_XFER_PACKET)Irp->UserBuffer;\n    PLAMP_REPORT report;\n    if (packet == NULL || packet->reportBufferLen < sizeof(LAMP_REPORT)) return STATUS_BUFFER_TOO_SMALL;\n    report = (PLAMP_REPORT)packet->reportBuffer;\n    g_Level = report->Level;\n    return STATUS_SUCCESS;\n}',
    },
    { name: 'probed inside __try', code: `${WWW}NTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    PULONG_PTR where = r->Where;\n    __try {\n        ProbeForWrite(where, sizeof(ULONG_PTR), 8);\n        *where = 0;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}` },
    { name: 'plain fields of the buffered request', code: 'typedef struct _R { ULONG Size; UCHAR Data[8]; } R, *PR;\nNTSTATUS H(PIRP Irp) {\n    PR r = (PR)Irp->AssociatedIrp.SystemBuffer;\n    ULONG n = r->Size;\n    UCHAR b = r->Data[0];\n    return n + b;\n}' },
    { name: 'struct copied out of the request: its pointer field probed for writing inside __try', code: `${WWW}NTSTATUS H(PIRP Irp) {\n    WWW captured;\n    RtlCopyMemory(&captured, Irp->AssociatedIrp.SystemBuffer, sizeof(captured));\n    __try {\n        ProbeForWrite(captured.Where, sizeof(ULONG_PTR), 8);\n        *captured.Where = 0;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}` },
    { name: 'an array embedded in the request is the kernel copy, not a pointer from it', code: `${XFER}${HANDLER}    PXFER r = (PXFER)Irp->AssociatedIrp.SystemBuffer;\n    PUCHAR inline = r->Inline;\n    UCHAR local[16];\n    *inline = 0;\n    RtlCopyMemory(local, r->Inline, sizeof(local));\n    return r->Inline[3];\n}` },
    { name: 'compared against MmUserProbeAddress', code: `${WWW}NTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    PULONG_PTR where = r->Where;\n    if ((ULONG_PTR)where >= MM_USER_PROBE_ADDRESS) return STATUS_ACCESS_VIOLATION;\n    __try { *where = 0; } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}` },
    { name: 'every #if arm probes before the use after the #endif', code: `${WWW}NTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    PULONG_PTR where = r->Where;\n    __try {\n#ifdef BIG\n        ProbeForWrite(where, 2 * sizeof(ULONG_PTR), 8);\n#else\n        ProbeForWrite(where, sizeof(ULONG_PTR), 8);\n#endif\n        *where = 0;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}` },
    { name: 'a helper that dereferences its parameter, called after a probe', code: `${WWW}static VOID Put(PULONG_PTR slot) { *slot = 0; }\nNTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    __try {\n        ProbeForWrite(r->Where, sizeof(ULONG_PTR), 8);\n        Put(r->Where);\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}` },
    { name: 'copy through a pointer field probed for the copied length', code: `${XFER}${HANDLER}    PXFER r = (PXFER)Irp->AssociatedIrp.SystemBuffer;\n    ULONG length = r->Length;\n    if (length > sizeof(g_Table)) return STATUS_INVALID_PARAMETER;\n    __try {\n        ProbeForWrite(r->Buffer, length, 1);\n        memcpy(r->Buffer, g_Table, length);\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}` },
    { name: 'kernel pointer fields of a driver context are not user pointers', code: `${XFER}VOID Fill(PXFER ctx) { ctx->Slots[0] = 1; RtlCopyMemory(ctx->Buffer, g_Table, 4); }` },
    { name: 'an MDL built for the pointer, probed and locked', code: `${XFER}${HANDLER}    PXFER r = (PXFER)Irp->AssociatedIrp.SystemBuffer;\n    PMDL mdl = IoAllocateMdl(r->Buffer, r->Length, FALSE, FALSE, NULL);\n    if (mdl == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    __try { MmProbeAndLockPages(mdl, UserMode, IoWriteAccess); } __except (EXCEPTION_EXECUTE_HANDLER) { IoFreeMdl(mdl); return GetExceptionCode(); }\n    RtlCopyMemory(r->Buffer, g_Table, 4);\n    return 0;\n}` },
    { name: 'a UNICODE_STRING of the driver is not user data', code: 'UNICODE_STRING g_Path;\nWCHAR g_Copy[32];\nVOID Save(VOID) { RtlCopyMemory(g_Copy, g_Path.Buffer, g_Path.Length); }' },
    { name: 'every #if arm compares against the user range limit: holds after the #endif', code: `${WWW}NTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    PULONG_PTR where = r->Where;\n#ifdef _WIN64\n    if ((ULONG_PTR)where >= MM_USER_PROBE_ADDRESS) return STATUS_ACCESS_VIOLATION;\n#elif defined(_X86_)\n    if ((ULONG_PTR)where >= (ULONG_PTR)MmUserProbeAddress) return STATUS_ACCESS_VIOLATION;\n#else\n    if ((ULONG_PTR)where + sizeof(ULONG_PTR) > (ULONG_PTR)MmUserProbeAddress) return STATUS_ACCESS_VIOLATION;\n#endif\n    __try { *where = 0; } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}` },
    { name: 'double dereference: the pointer read through the first level probed before the second access', code: 'NTSTATUS H(PIRP Irp) {\n    PULONG *pp = (PULONG *)Irp->AssociatedIrp.SystemBuffer;\n    __try {\n        ProbeForWrite(*pp, sizeof(ULONG), __alignof(ULONG));\n        **pp = 0;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}' },
    { name: 'pointer chain from the request: each level probed before it is read through', code: `${TABLES}NTSTATUS H(PIRP Irp) {\n    PTREQ in = (PTREQ)Irp->AssociatedIrp.SystemBuffer;\n    PTABLE table = in->Table;\n    PENTRY entry;\n    __try {\n        ProbeForRead(table, sizeof(TABLE), __alignof(TABLE));\n        entry = table->Entry;\n        ProbeForRead(entry, sizeof(ENTRY), __alignof(ENTRY));\n        g_V = entry->Value;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}` },
    { name: 'a double pointer of the driver is not user memory', code: 'ULONG g_V;\nVOID Put(PULONG *pp) { **pp = g_V; }' },
    { name: 'RtlCopyUnicodeString from a string of the request whose Buffer was probed inside __try', code: `${NAMED}NTSTATUS H(PIRP Irp) {\n    PNREQ in = (PNREQ)Irp->AssociatedIrp.SystemBuffer;\n    __try {\n        ProbeForRead(in->Name.Buffer, in->Name.Length, sizeof(WCHAR));\n        RtlCopyUnicodeString(&g_Name, &in->Name);\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}` },
    { name: 'a string copied from the request whose Buffer the driver set itself', code: `${NAMED}NTSTATUS H(PIRP Irp) {\n    PNREQ in = (PNREQ)Irp->AssociatedIrp.SystemBuffer;\n    UNICODE_STRING name = in->Name;\n    name.Buffer = g_Chars;\n    RtlCopyUnicodeString(&g_Name, &name);\n    return 0;\n}` },
    { name: 'RtlCopyUnicodeString into a local: the destination keeps its own (kernel) Buffer', code: `${NAMED}NTSTATUS H(PIRP Irp) {\n    UNICODE_STRING copy;\n    RtlInitEmptyUnicodeString(&copy, g_Chars, sizeof(g_Chars));\n    RtlCopyUnicodeString(&copy, &g_Name);\n    return copy.Buffer[0];\n}` },
    { name: 'part of a captured request copied again, its pointer probed before the write', code: `${NAMED}NTSTATUS H(PIRP Irp) {\n    NREQ captured;\n    HDR header;\n    RtlCopyMemory(&captured, Irp->AssociatedIrp.SystemBuffer, sizeof(captured));\n    RtlCopyMemory(&header, &captured.Header, sizeof(header));\n    __try {\n        ProbeForWrite(header.Target, sizeof(ULONG), __alignof(ULONG));\n        *header.Target = header.Value;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}` },
    { name: 'kernel pointers', code: 'typedef struct _CTX { PULONG Counter; } CTX;\nVOID Bump(CTX *ctx) { (*(ctx->Counter))++; }' },
  ],
  invalid: [
    {
      name: 'a pointer-to-pointer field of the request: the pointer read through it is the caller\'s too',
      code: 'typedef struct _NEST { PULONG *Counters; } NEST, *PNEST;\nNTSTATUS H(PIRP Irp) {\n    PNEST in = (PNEST)Irp->AssociatedIrp.SystemBuffer;\n    __try {\n        ProbeForRead(in->Counters, sizeof(PULONG), __alignof(PULONG));\n        **in->Counters = 1;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}',
      errors: [{ messageId: 'dereference', line: 6, message: '`**in->Counters` writes through `*in->Counters`' }],
    },
    { name: 'write-what-where', code: `${WWW}NTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    *(r->Where) = *(r->What);\n    return 0;\n}`, errors: [{ messageId: 'dereference', line: 4, message: 'r->Where' }, { messageId: 'dereference', line: 4, message: 'r->What' }] },
    { name: 'arbitrary increment through a local copy of the pointer', code: 'typedef struct _INC { PULONG Target; } INC, *PINC;\nNTSTATUS H(PIRP Irp) {\n    PINC r = (PINC)Irp->AssociatedIrp.SystemBuffer;\n    PULONG target = r->Target;\n    (*target)++;\n    return 0;\n}', errors: [{ messageId: 'dereference', line: 5 }] },
    {
      name: 'pointer field of a struct copied out of the request (RtlCopyMemory): the fix wraps the access in __try with ProbeForWrite',
      code: `${WWW}NTSTATUS H(PIRP Irp) {\n    WWW captured;\n    RtlCopyMemory(&captured, Irp->AssociatedIrp.SystemBuffer, sizeof(captured));\n    *captured.Where = 0;\n    return 0;\n}`,
      errors: [{ messageId: 'dereference', line: 5, message: /writes through `captured\.Where`.*copied from SystemBuffer.*line 4.*ProbeForWrite/ }],
      suggestionOutput: `${WWW}NTSTATUS H(PIRP Irp) {\n    WWW captured;\n    RtlCopyMemory(&captured, Irp->AssociatedIrp.SystemBuffer, sizeof(captured));\n    __try {\n        ProbeForWrite(captured.Where, sizeof(*captured.Where), 1);\n        *captured.Where = 0;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return 0;\n}`,
    },
    {
      name: 'cast dereference of a probed METHOD_NEITHER buffer, NULL written through it: the fix probes inside the existing __try',
      code: 'NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION sp) {\n    PVOID buf = sp->Parameters.DeviceIoControl.Type3InputBuffer;\n    PVOID *slot;\n    __try {\n        ProbeForRead(buf, sizeof(PVOID), 1);\n        slot = *(PVOID *)buf;\n        *slot = NULL;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}',
      errors: [{ messageId: 'dereference', line: 7, message: /`\*\(PVOID \*\)buf`, line 6/ }],
      suggestionOutput: 'NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION sp) {\n    PVOID buf = sp->Parameters.DeviceIoControl.Type3InputBuffer;\n    PVOID *slot;\n    __try {\n        ProbeForRead(buf, sizeof(PVOID), 1);\n        slot = *(PVOID *)buf;\n        ProbeForWrite(slot, sizeof(*slot), 1);\n        *slot = NULL;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}',
    },
    {
      name: 'arbitrary increment through `((PULONG_PTR)buf)[1]` (parsed as a call of `(PVOID)`)',
      code: 'NTSTATUS H(PIRP Irp) {\n    PVOID buf = Irp->AssociatedIrp.SystemBuffer;\n    PVOID counter = (PVOID)((PULONG_PTR)buf)[1];\n    (*(PCHAR)counter)++;\n    return 0;\n}',
      errors: [{ messageId: 'dereference', line: 4, message: 'writes through `counter`' }],
    },
    {
      name: 'subscript of a pointer field',
      code: `${XFER}${HANDLER}    PXFER r = (PXFER)Irp->AssociatedIrp.SystemBuffer;\n    r->Slots[r->Length] = 0;\n    return 0;\n}`,
      errors: [{ messageId: 'dereference', line: 5, message: 'writes through `r->Slots`' }],
    },
    {
      name: 'copy destination and copy source taken from the request, through a local',
      code: `${XFER}${HANDLER}    PXFER r = (PXFER)Irp->AssociatedIrp.SystemBuffer;\n    PVOID source = r->Buffer;\n    RtlCopyMemory(r->Buffer, g_Table, sizeof(g_Table));\n    RtlMoveMemory(g_Table, source, sizeof(g_Table));\n    return 0;\n}`,
      errors: [{ messageId: 'copy', line: 6, message: 'copies into `r->Buffer`' }, { messageId: 'copy', line: 7, message: 'copies from `source`' }],
      suggestionOutput: `${XFER}${HANDLER}    PXFER r = (PXFER)Irp->AssociatedIrp.SystemBuffer;\n    PVOID source = r->Buffer;\n    __try {\n        ProbeForWrite(r->Buffer, sizeof(g_Table), 1);\n        RtlCopyMemory(r->Buffer, g_Table, sizeof(g_Table));\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    RtlMoveMemory(g_Table, source, sizeof(g_Table));\n    return 0;\n}`,
    },
    {
      name: 'passed to a helper that writes through that parameter (reported at the call, not in the helper); a NULL check is no probe',
      code: `${WWW}static VOID Put(PULONG_PTR slot, ULONG_PTR value) { *slot = value; }\nNTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    if (r->Where == NULL) return STATUS_INVALID_PARAMETER;\n    Put(r->Where, 1);\n    return 0;\n}`,
      errors: [{ messageId: 'helper', line: 6, message: /`Put` writes through its parameter `slot` \(line 2\).*`r->Where`/ }],
    },
    {
      name: 'probed for reading, then written',
      code: `${WWW}NTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    PULONG_PTR where = r->Where;\n    __try {\n        ProbeForRead(where, sizeof(ULONG_PTR), 8);\n        *where = 0;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}`,
      errors: [{ messageId: 'readProbeOnly', line: 7 }],
    },
    {
      name: 'probe only in the #ifdef arm: the #else arm is flagged, the probed arm is not',
      code: `${WWW}NTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    PULONG_PTR where = r->Where;\n    __try {\n#ifdef CHECKED\n        ProbeForWrite(where, sizeof(ULONG_PTR), 8);\n        *where = 0;\n#else\n        *where = 0;\n#endif\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}`,
      errors: [{ messageId: 'dereference', line: 10 }],
    },
    {
      name: 'user range limit compared only in the #ifdef arm: the implicit #else has no check',
      code: `${WWW}NTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    PULONG_PTR where = r->Where;\n#ifdef _WIN64\n    if ((ULONG_PTR)where >= MM_USER_PROBE_ADDRESS) return STATUS_ACCESS_VIOLATION;\n#endif\n    __try { *where = 0; } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}`,
      errors: [{ messageId: 'dereference', line: 8, message: 'writes through `where`' }],
    },
    {
      name: 'double dereference of the system buffer: `**pp` and `*(*(PVOID **)buf)`',
      code: 'NTSTATUS H(PIRP Irp) {\n    PULONG *pp = (PULONG *)Irp->AssociatedIrp.SystemBuffer;\n    PVOID buf = Irp->AssociatedIrp.SystemBuffer;\n    **pp = 0;\n    *(*(PVOID **)buf) = NULL;\n    return 0;\n}',
      errors: [{ messageId: 'dereference', line: 4, message: '`**pp` writes through `*pp`' }, { messageId: 'dereference', line: 5, message: 'writes through `*(PVOID **)buf`' }],
    },
    {
      name: 'double dereference of a probed METHOD_NEITHER buffer: the outer probe does not cover the pointer stored in it',
      code: 'NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION sp) {\n    PVOID buf = sp->Parameters.DeviceIoControl.Type3InputBuffer;\n    __try {\n        ProbeForRead(buf, sizeof(PVOID), 1);\n        **(PULONG **)buf = 0;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}',
      errors: [{ messageId: 'dereference', line: 5, message: 'writes through `*(PULONG **)buf`' }],
    },
    {
      name: 'pointer chain from the request: the first level probed, the pointer read through it not',
      code: `${TABLES}NTSTATUS H(PIRP Irp) {\n    PTREQ in = (PTREQ)Irp->AssociatedIrp.SystemBuffer;\n    PTABLE table = in->Table;\n    __try {\n        ProbeForRead(table, sizeof(TABLE), __alignof(TABLE));\n        g_V = table->Entry->Value;\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    return 0;\n}`,
      errors: [{ messageId: 'dereference', line: 10, message: '`table->Entry->Value` reads through `table->Entry`' }],
    },
    {
      name: 'a UNICODE_STRING of the request passed by address to RtlCopyUnicodeString / RtlEqualUnicodeString: they read through its Buffer',
      code: `${NAMED}NTSTATUS H(PIRP Irp) {\n    PNREQ in = (PNREQ)Irp->AssociatedIrp.SystemBuffer;\n    UNICODE_STRING captured = in->Name;\n    RtlCopyUnicodeString(&g_Name, &in->Name);\n    if (RtlEqualUnicodeString(&captured, &g_Name, TRUE)) return 1;\n    return 0;\n}`,
      errors: [{ messageId: 'copy', line: 8, message: '`RtlCopyUnicodeString` reads a string from `in->Name.Buffer`' }, { messageId: 'copy', line: 9, message: '`RtlEqualUnicodeString` reads a string from `captured.Buffer`' }],
    },
    {
      name: 'part of a captured request copied again by address: its pointer field is still the caller\'s',
      code: `${NAMED}NTSTATUS H(PIRP Irp) {\n    NREQ captured;\n    HDR header;\n    RtlCopyMemory(&captured, Irp->AssociatedIrp.SystemBuffer, sizeof(captured));\n    RtlCopyMemory(&header, &captured.Header, sizeof(header));\n    *header.Target = header.Value;\n    return 0;\n}`,
      errors: [{ messageId: 'dereference', line: 10, message: /writes through `header\.Target`.*copied from captured\.Header, copied from SystemBuffer/ }],
    },
    {
      name: 'element of an array of pointers embedded in the request',
      code: 'typedef struct _ENTRY { PULONG Address; ULONG Length; } ENTRY;\ntypedef struct _TABLE { ULONG Count; ENTRY Entries[4]; } TABLE, *PTABLE;\nULONG g;\nNTSTATUS H(PIRP Irp) {\n    PTABLE t = (PTABLE)Irp->AssociatedIrp.SystemBuffer;\n    g = *t->Entries[1].Address;\n    return 0;\n}',
      errors: [{ messageId: 'dereference', line: 6, message: 'reads through `t->Entries[1].Address`' }],
    },
    {
      name: 'offset from a pointer field (pointer arithmetic)',
      code: `${XFER}${HANDLER}    PXFER r = (PXFER)Irp->AssociatedIrp.SystemBuffer;\n    *(r->Slots + r->Length) = 0;\n    RtlCopyMemory((PUCHAR)r->Buffer + 8, g_Table, 4);\n    return 0;\n}`,
      errors: [{ messageId: 'dereference', line: 5, message: 'writes through `r->Slots + r->Length`' }, { messageId: 'copy', line: 6, message: 'copies into `(PUCHAR)r->Buffer + 8`' }],
      suggestionOutput: `${XFER}${HANDLER}    PXFER r = (PXFER)Irp->AssociatedIrp.SystemBuffer;\n    __try {\n        ProbeForWrite(r->Slots + r->Length, sizeof(*(r->Slots + r->Length)), 1);\n        *(r->Slots + r->Length) = 0;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    RtlCopyMemory((PUCHAR)r->Buffer + 8, g_Table, 4);\n    return 0;\n}`,
    },
    {
      name: 'string routines through a pointer field',
      code: 'typedef struct _NAMED { PWSTR Path; PUNICODE_STRING Name; } NAMED, *PNAMED;\nWCHAR g_Path[64];\nUNICODE_STRING g_Name;\nNTSTATUS H(PIRP Irp) {\n    PNAMED r = (PNAMED)Irp->AssociatedIrp.SystemBuffer;\n    UNICODE_STRING path;\n    RtlInitUnicodeString(&path, r->Path);\n    RtlCopyUnicodeString(&g_Name, r->Name);\n    return 0;\n}',
      errors: [{ messageId: 'copy', line: 7, message: '`RtlInitUnicodeString` reads a string from `r->Path`' }, { messageId: 'copy', line: 8, message: '`RtlCopyUnicodeString` reads a string from `r->Name`' }],
    },
    {
      name: 'helper that copies its parameter into a local and hands it to a second helper',
      code: `${WWW}static VOID Store(PULONG_PTR where) { PULONG_PTR slot = where; *slot = 1; }\nstatic VOID Forward(PULONG_PTR target) { Store(target); }\nNTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    Forward(r->Where);\n    return 0;\n}`,
      errors: [{ messageId: 'helper', line: 6, message: /`Forward` writes through its parameter `target` \(line 3\)/ }],
    },
    {
      name: 'the Buffer of a UNICODE_STRING embedded in the request, and a nested member through an array element',
      code: 'typedef struct _NAME_REQ { UNICODE_STRING Name; } NAME_REQ, *PNAME_REQ;\ntypedef struct _SLOT { PULONG Where; } SLOT;\ntypedef struct _SLOTS { SLOT Slots[2]; } SLOTS, *PSLOTS;\nWCHAR g_Name[32];\nNTSTATUS H(PIRP Irp) {\n    PNAME_REQ r = (PNAME_REQ)Irp->AssociatedIrp.SystemBuffer;\n    PSLOTS s = (PSLOTS)Irp->AssociatedIrp.SystemBuffer;\n    RtlCopyMemory(g_Name, r->Name.Buffer, sizeof(g_Name));\n    RtlCopyMemory(s->Slots[1].Where, g_Name, 4);\n    return 0;\n}',
      errors: [{ messageId: 'copy', line: 8, message: 'copies from `r->Name.Buffer`' }, { messageId: 'copy', line: 9, message: 'copies into `s->Slots[1].Where`' }],
      suggestionOutput: 'typedef struct _NAME_REQ { UNICODE_STRING Name; } NAME_REQ, *PNAME_REQ;\ntypedef struct _SLOT { PULONG Where; } SLOT;\ntypedef struct _SLOTS { SLOT Slots[2]; } SLOTS, *PSLOTS;\nWCHAR g_Name[32];\nNTSTATUS H(PIRP Irp) {\n    PNAME_REQ r = (PNAME_REQ)Irp->AssociatedIrp.SystemBuffer;\n    PSLOTS s = (PSLOTS)Irp->AssociatedIrp.SystemBuffer;\n    __try {\n        ProbeForRead(r->Name.Buffer, sizeof(g_Name), 1);\n        RtlCopyMemory(g_Name, r->Name.Buffer, sizeof(g_Name));\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    RtlCopyMemory(s->Slots[1].Where, g_Name, 4);\n    return 0;\n}',
    },
  ],
});
