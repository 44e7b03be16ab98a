import { runRuleTests } from '../helpers/rule-tester';

const HEAD = "typedef struct _SESSION { volatile LONG RefCount; LIST_ENTRY Link; } SESSION, *PSESSION;\nvolatile LONG g_OpenCount;\n";

runRuleTests('refcount-reread-after-decrement', {
  valid: [
    {
      name: 'the returned value decides',
      code: `${HEAD}VOID Release(PSESSION session) {
    if (InterlockedDecrement(&session->RefCount) == 0) {
        ExFreePoolWithTag(session, 'sseS');
    }
}`,
    },
    {
      name: 'the returned value kept in a local',
      code: `${HEAD}VOID Release(PSESSION session) {
    LONG remaining = InterlockedDecrement(&session->RefCount);
    if (remaining == 0) {
        ExFreePoolWithTag(session, 'sseS');
    }
}`,
    },
    {
      name: 'a local counter no other thread sees',
      code: `ULONG CountDown(ULONG n) {
    LONG pending = (LONG)n;
    InterlockedDecrement(&pending);
    return pending == 0;
}`,
    },
    {
      name: 'the count is only traced after the decrement',
      code: `${HEAD}VOID Close(VOID) {
    InterlockedDecrement(&g_OpenCount);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "open handles: %d\\n", g_OpenCount);
}`,
    },
    {
      name: 'the read is on the other branch',
      code: `${HEAD}BOOLEAN Update(PSESSION session, BOOLEAN closing) {
    if (closing) {
        InterlockedDecrement(&session->RefCount);
    } else if (session->RefCount > 0) {
        return TRUE;
    }
    return FALSE;
}`,
    },
    {
      name: 'an element count changed under the driver lock and re-read by design',
      code: `typedef struct _GROUP { LONG NumberDevices; PVOID DeviceList[8]; } GROUP, *PGROUP;
VOID RemoveEntry(PGROUP group, ULONG i) {
    group->DeviceList[i] = NULL;
    InterlockedDecrement(&group->NumberDevices);
    if (group->NumberDevices == 0) {
        ExFreePoolWithTag(group, 'prgG');
    }
}`,
    },
    {
      name: 'the reference count is re-read to trace, not to free',
      code: `${HEAD}VOID Touch(PSESSION session) {
    InterlockedDecrement(&session->RefCount);
    if (session->RefCount > 100) {
        DbgPrint("many references\n");
    }
}`,
    },
  ],
  invalid: [
    {
      name: 'decrement, then the field tested to free',
      code: `${HEAD}VOID Release(PSESSION session) {
    InterlockedDecrement(&session->RefCount);
    if (session->RefCount == 0) {
        ExFreePoolWithTag(session, 'sseS');
    }
}`,
      errors: [{ messageId: 'reread', line: 5, message: '`session->RefCount` is read again after InterlockedDecrement on line 4 discarded the value it returned' }],
    },
    {
      name: 'a global open count returned after the decrement',
      code: `${HEAD}LONG CloseHandle(VOID) {
    InterlockedDecrement(&g_OpenCount);
    return g_OpenCount;
}`,
      errors: [{ messageId: 'reread', line: 5 }],
    },
    {
      name: 'a device extension counter decides whether to signal the remove event',
      code: `typedef struct _DEVICE_EXTENSION { LONG OutstandingIo; KEVENT RemoveEvent; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;
VOID IoDecrement(PDEVICE_EXTENSION ext) {
    InterlockedDecrement(&ext->OutstandingIo);
    while (ext->OutstandingIo == 0) {
        KeSetEvent(&ext->RemoveEvent, IO_NO_INCREMENT, FALSE);
        break;
    }
}`,
      errors: [{ messageId: 'reread', line: 4 }],
    },
  ],
});
