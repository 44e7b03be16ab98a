import { runRuleTests } from '../helpers/rule-tester';

const CTX = "typedef struct _CONTEXT_DATA { PVOID Buffer; PMDL Mdl; ULONG Length; } CONTEXT_DATA, *PCONTEXT_DATA;\n#define TAG 'xtnC'\n";

runRuleTests('double-free', {
  valid: [
    {
      name: 'error path frees and NULLs before the cleanup label',
      code: `${CTX}NTSTATUS Start(PCONTEXT_DATA context) {
    NTSTATUS status;
    PVOID buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
    if (buffer == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    status = Fill(buffer);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(buffer, TAG);
        buffer = NULL;
        goto Exit;
    }
    context->Buffer = buffer;
    return STATUS_SUCCESS;
Exit:
    if (buffer != NULL) {
        ExFreePoolWithTag(buffer, TAG);
    }
    return status;
}`,
    },
    {
      name: 'error path frees and returns',
      code: `${CTX}NTSTATUS Query(PIRP Irp) {
    PVOID reply = ExAllocatePool2(POOL_FLAG_PAGED, 128, TAG);
    NTSTATUS status;
    if (reply == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    status = BuildReply(reply);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(reply, TAG);
        return status;
    }
    CopyReply(Irp, reply);
    ExFreePoolWithTag(reply, TAG);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'one free on each branch',
      code: `${CTX}VOID Release(PCONTEXT_DATA context, BOOLEAN fromLookaside) {
    if (fromLookaside)
        ExFreeToNPagedLookasideList(&g_Lookaside, context->Buffer);
    else
        ExFreePoolWithTag(context->Buffer, TAG);
}`,
    },
    {
      name: 'opposite conditions',
      code: `${CTX}VOID Drop(PVOID p, BOOLEAN owned) {
    if (owned) {
        ExFreePool(p);
    }
    Log(owned);
    if (!owned) {
        ExFreePool(p);
    }
}`,
    },
    {
      name: 'reallocated in between',
      code: `${CTX}VOID Resize(PCONTEXT_DATA context, ULONG length) {
    ExFreePoolWithTag(context->Buffer, TAG);
    context->Buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, length, TAG);
    if (context->Buffer == NULL) return;
    Fill(context->Buffer);
    ExFreePoolWithTag(context->Buffer, TAG);
}`,
    },
    {
      name: 'a loop frees each element once',
      code: `${CTX}VOID FreeAll(PVOID *items, ULONG count) {
    for (ULONG i = 0; i < count; i++) {
        ExFreePool(items[i]);
    }
}`,
    },
    {
      name: 'cleanup guarded by an ownership flag the error path cleared',
      code: `${CTX}NTSTATUS Queue(PCONTEXT_DATA context) {
    BOOLEAN owned = TRUE;
    NTSTATUS status;
    PVOID item = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, TAG);
    if (item == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    status = Validate(item);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(item, TAG);
        owned = FALSE;
        goto Exit;
    }
    status = Enqueue(context, item);
Exit:
    if (owned && !NT_SUCCESS(status)) {
        ExFreePoolWithTag(item, TAG);
    }
    return status;
}`,
    },
    {
      name: 'the container is re-initialized by a helper',
      code: `${CTX}VOID Reset(PCONTEXT_DATA context) {
    ExFreePoolWithTag(context->Buffer, TAG);
    InitializeContext(context);
    ExFreePoolWithTag(context->Buffer, TAG);
}`,
    },
  ],
  invalid: [
    {
      name: 'error path frees, then the cleanup label frees again',
      code: `${CTX}NTSTATUS Start(PCONTEXT_DATA context) {
    NTSTATUS status;
    PVOID buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
    if (buffer == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    status = Fill(buffer);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(buffer, TAG);
        goto Exit;
    }
    context->Buffer = buffer;
    return STATUS_SUCCESS;
Exit:
    ExFreePoolWithTag(buffer, TAG);
    return status;
}`,
      errors: [{ messageId: 'twice', line: 15, message: '`buffer` is freed again by ExFreePoolWithTag: ExFreePoolWithTag already freed it on line 9' }],
    },
    {
      name: 'conditional free followed by an unconditional one',
      code: `${CTX}NTSTATUS Send(PIRP Irp, ULONG length) {
    PVOID message = ExAllocatePool2(POOL_FLAG_NON_PAGED, length, TAG);
    NTSTATUS status;
    if (message == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    status = Transmit(message, length);
    if (!NT_SUCCESS(status)) {
        ExFreePool(message);
    }
    Irp->IoStatus.Status = status;
    ExFreePool(message);
    return status;
}`,
      errors: [{ messageId: 'twice', line: 12 }],
    },
    {
      name: 'MDL freed twice in a row',
      code: `${CTX}VOID Teardown(PCONTEXT_DATA context) {
    MmUnlockPages(context->Mdl);
    IoFreeMdl(context->Mdl);
    context->Length = 0;
    IoFreeMdl(context->Mdl);
}`,
      errors: [{ messageId: 'twice', line: 7, message: '`context->Mdl`' }],
    },
    {
      name: 'freed, not NULLed, then freed again under a NULL check',
      code: `${CTX}VOID Close(PCONTEXT_DATA context, BOOLEAN flush) {
    ExFreePoolWithTag(context->Buffer, TAG);
    if (flush) {
        Flush(context->Length);
    }
    if (context->Buffer != NULL) {
        ExFreePoolWithTag(context->Buffer, TAG);
    }
}`,
      errors: [{ messageId: 'twice', line: 9 }],
    },
  ],
});
