import { runRuleTests } from '../helpers/rule-tester';

const HEAD = 'typedef struct _DEVICE_CONTEXT { ULONG Count; UCHAR Key[32]; PUCHAR Buffer; ULONG_PTR Address; } DEVICE_CONTEXT, *PDEVICE_CONTEXT;\n';

runRuleTests('sizeof-pointer-length', {
  valid: [
    {
      name: 'sizeof of the pointee',
      code: `${HEAD}NTSTATUS Init(PDEVICE_CONTEXT *Out) {
    PDEVICE_CONTEXT context = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*context), 'txcD');
    if (context == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(context, sizeof(DEVICE_CONTEXT));
    *Out = context;
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'the pointer itself is copied (its address is the buffer)',
      code: `${HEAD}VOID Publish(PDEVICE_CONTEXT context, PVOID Output) {
    RtlCopyMemory(Output, &context, sizeof(context));
}`,
    },
    {
      name: 'an array of pointers allocated with sizeof(PVOID) * count',
      code: `NTSTATUS MakeTable(ULONG count, PVOID **Out) {
    PVOID *table = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(PVOID) * count, 'lbaT');
    if (table == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    *Out = table;
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'a pointer to pointer: sizeof(PVOID) is the size of the pointee',
      code: `VOID Clear(PVOID *slot) {
    PVOID *entry = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(PVOID), 'lbaT');
    if (entry != NULL) {
        RtlZeroMemory(slot, sizeof(slot));
    }
}`,
    },
    {
      name: 'an array is measured by sizeof',
      code: `${HEAD}VOID Fill(PDEVICE_CONTEXT context) {
    UCHAR local[16];
    RtlZeroMemory(local, sizeof(local));
    RtlZeroMemory(context->Key, sizeof(context->Key));
}`,
    },
    {
      name: 'a void pointer measured by sizeof(PVOID): the user slot holds an address',
      code: `VOID ClearSlot(PVOID userBuffer) {
    ProbeForWrite(userBuffer, sizeof(PVOID), __alignof(PVOID));
    ProbeForRead(userBuffer, sizeof(userBuffer), 1);
}`,
    },
    {
      name: 'an address-sized integer is not a pointer',
      code: `VOID Save(PVOID Output) {
    ULONG_PTR address = 0;
    RtlCopyMemory(Output, (PVOID)address, sizeof(address));
}`,
    },
  ],
  invalid: [
    {
      name: 'RtlZeroMemory with sizeof of the pointer',
      code: `${HEAD}VOID Reset(PDEVICE_CONTEXT context) {
    RtlZeroMemory(context, sizeof(context));
}`,
      errors: [{ messageId: 'pointerLength', line: 3, message: '`sizeof(context)` is the size of a pointer, not of what `context` points to: RtlZeroMemory handles only 4 or 8 bytes of it.' }],
      output: `${HEAD}VOID Reset(PDEVICE_CONTEXT context) {
    RtlZeroMemory(context, sizeof(*context));
}`,
    },
    {
      name: 'allocation of the pointer type',
      code: `${HEAD}NTSTATUS Create(PDEVICE_CONTEXT *Out) {
    PDEVICE_CONTEXT context = (PDEVICE_CONTEXT)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(PDEVICE_CONTEXT), 'txcD');
    if (context == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    context->Count = 0;
    *Out = context;
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'pointerAllocation', line: 3 }],
      output: `${HEAD}NTSTATUS Create(PDEVICE_CONTEXT *Out) {
    PDEVICE_CONTEXT context = (PDEVICE_CONTEXT)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(*context), 'txcD');
    if (context == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    context->Count = 0;
    *Out = context;
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'a copy from user memory measured with sizeof of the struct pointer (T *)',
      code: `${HEAD}VOID Capture(DEVICE_CONTEXT *saved, PVOID input) {
    RtlCopyMemory(saved, input, sizeof(DEVICE_CONTEXT *));
}`,
      errors: [{ messageId: 'pointerLength', line: 3 }],
      output: `${HEAD}VOID Capture(DEVICE_CONTEXT *saved, PVOID input) {
    RtlCopyMemory(saved, input, sizeof(*saved));
}`,
    },
    {
      name: 'a probe of a user structure sized by the pointer',
      code: `${HEAD}VOID Check(PDEVICE_CONTEXT userContext) {
    ProbeForRead(userContext, sizeof(userContext), 1);
}`,
      errors: [{ messageId: 'pointerLength', line: 3 }],
      output: `${HEAD}VOID Check(PDEVICE_CONTEXT userContext) {
    ProbeForRead(userContext, sizeof(*userContext), 1);
}`,
    },
    {
      name: 'a pointer field filled with sizeof of the field',
      code: `${HEAD}VOID Wipe(PDEVICE_CONTEXT context) {
    memset(context->Buffer, 0, sizeof(context->Buffer));
}`,
      errors: [{ messageId: 'pointerLength', line: 3 }],
      output: `${HEAD}VOID Wipe(PDEVICE_CONTEXT context) {
    memset(context->Buffer, 0, sizeof(*context->Buffer));
}`,
    },
  ],
});
