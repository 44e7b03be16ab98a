import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('must-inspect-result-ignored', {
  valid: [
    {
      name: 'the status is checked',
      code: `NTSTATUS Signal(HANDLE handle) {
    PKEVENT event;
    NTSTATUS status = ObReferenceObjectByHandle(handle, EVENT_MODIFY_STATE, *ExEventObjectType, UserMode, (PVOID *)&event, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    KeSetEvent(event, IO_NO_INCREMENT, FALSE);
    ObDereferenceObject(event);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'explicitly ignored with a (VOID) cast',
      code: `VOID Link(PUNICODE_STRING link, PUNICODE_STRING device) {
    (VOID)IoCreateSymbolicLink(link, device);
}`,
    },
    {
      name: 'a routine without the annotation used as a statement',
      code: `VOID Done(PIRP Irp) {
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    RtlStringCbCopyW(g_Name, sizeof(g_Name), L"x");
}`,
    },
    {
      name: 'the retrieval is tested in a condition',
      code: `VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length) {
    PVOID buffer;
    if (NT_SUCCESS(WdfRequestRetrieveInputBuffer(Request, sizeof(ULONG), &buffer, NULL))) {
        Consume(buffer);
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
}`,
    },
    {
      name: 'the handle the call produces is tested next (cleared before)',
      code: `VOID Cleanup(POBJECT_ATTRIBUTES attributes) {
    HANDLE key = NULL;
    ZwOpenKey(&key, KEY_ALL_ACCESS, attributes);
    if (key != NULL) {
        ZwDeleteKey(key);
        ZwClose(key);
    }
}`,
    },
  ],
  invalid: [
    {
      name: 'ObReferenceObjectByHandle as a statement (status variable in scope)',
      code: `NTSTATUS Signal(HANDLE handle) {
    PKEVENT event;
    NTSTATUS status = STATUS_SUCCESS;
    ObReferenceObjectByHandle(handle, EVENT_MODIFY_STATE, *ExEventObjectType, UserMode, (PVOID *)&event, NULL);
    KeSetEvent(event, IO_NO_INCREMENT, FALSE);
    ObDereferenceObject(event);
    return status;
}`,
      errors: [{ messageId: 'ignored', line: 4, severity: 'warning', message: 'The status of ObReferenceObjectByHandle is thrown away: when it fails it leaves the object pointer unset (and no reference taken)' }],
      suggestionOutput: `NTSTATUS Signal(HANDLE handle) {
    PKEVENT event;
    NTSTATUS status = STATUS_SUCCESS;
    status = ObReferenceObjectByHandle(handle, EVENT_MODIFY_STATE, *ExEventObjectType, UserMode, (PVOID *)&event, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    KeSetEvent(event, IO_NO_INCREMENT, FALSE);
    ObDereferenceObject(event);
    return status;
}`,
    },
    {
      name: 'a KMDF retrieval ignored in a VOID callback',
      code: `VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length) {
    PULONG value;
    WdfRequestRetrieveInputBuffer(Request, sizeof(ULONG), (PVOID *)&value, NULL);
    g_Setting = *value;
    WdfRequestComplete(Request, STATUS_SUCCESS);
}`,
      errors: [{ messageId: 'ignored', line: 3 }],
      suggestionOutput: `VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length) {
    PULONG value;
    if (!NT_SUCCESS(WdfRequestRetrieveInputBuffer(Request, sizeof(ULONG), (PVOID *)&value, NULL))) {
        WdfRequestComplete(Request, STATUS_UNSUCCESSFUL); return;
    }
    g_Setting = *value;
    WdfRequestComplete(Request, STATUS_SUCCESS);
}`,
    },
    {
      name: 'a function of this file annotated _Must_inspect_result_',
      code: `_Must_inspect_result_
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS
ReadConfig(_Out_ PULONG Value);

VOID Start(VOID) {
    ULONG value;
    ReadConfig(&value);
    g_Setting = value;
}`,
      errors: [{ messageId: 'ignored', line: 8, message: /ReadConfig is thrown away/ }],
      suggestionOutput: `_Must_inspect_result_
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS
ReadConfig(_Out_ PULONG Value);

VOID Start(VOID) {
    ULONG value;
    if (!NT_SUCCESS(ReadConfig(&value))) {
        return;
    }
    g_Setting = value;
}`,
    },
    {
      name: 'a symbolic link that may be missing (information)',
      code: `VOID Link(PUNICODE_STRING link, PUNICODE_STRING device) {
    IoCreateSymbolicLink(link, device);
}`,
      errors: [{ messageId: 'ignored', line: 2, severity: 'information' }],
      suggestionOutput: `VOID Link(PUNICODE_STRING link, PUNICODE_STRING device) {
    if (!NT_SUCCESS(IoCreateSymbolicLink(link, device))) {
        return;
    }
}`,
    },
  ],
});
