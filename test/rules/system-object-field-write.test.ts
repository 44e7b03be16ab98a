import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('system-object-field-write', {
  valid: [
    {
      name: 'driver-owned device object fields',
      code: `VOID Setup(PDEVICE_OBJECT device, PDEVICE_OBJECT lower) {
    device->Flags |= DO_BUFFERED_IO | DO_POWER_PAGABLE;
    device->Characteristics |= FILE_DEVICE_SECURE_OPEN;
    device->StackSize = lower->StackSize + 1;
    device->AlignmentRequirement = lower->AlignmentRequirement;
    device->Flags &= ~DO_DEVICE_INITIALIZING;
}`,
    },
    {
      name: 'the dispatch table, Unload and the AddDevice of the driver extension',
      code: `NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    DriverObject->MajorFunction[IRP_MJ_CREATE] = DispatchCreate;
    DriverObject->DriverUnload = DriverUnload;
    DriverObject->DriverExtension->AddDevice = AddDevice;
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'MDL chaining and flags',
      code: `VOID Chain(PMDL first, PMDL second) {
    first->Next = second;
    second->MdlFlags |= MDL_MAPPING_CAN_FAIL;
}`,
    },
    {
      name: 'a driver structure with fields of the same names',
      code: `typedef struct _MY_REQUEST { PVOID SecurityDescriptor; ULONG ByteCount; } MY_REQUEST, *PMY_REQUEST;
VOID Fill(PMY_REQUEST request, PVOID descriptor) {
    request->SecurityDescriptor = descriptor;
    request->ByteCount = 0;
}`,
    },
    {
      name: 'the byte count of pages MmAllocatePagesForMdl allocated, trimmed to the request',
      code: `PMDL AllocateTransfer(PHYSICAL_ADDRESS low, PHYSICAL_ADDRESS high, PHYSICAL_ADDRESS skip, SIZE_T bytes) {
    PMDL mdl = NULL;
    mdl = MmAllocatePagesForMdl(low, high, skip, bytes);
    if (mdl == NULL || MmGetMdlByteCount(mdl) < bytes) {
        return NULL;
    }
    mdl->ByteCount = (ULONG)bytes;
    mdl->ByteOffset = 0;
    return mdl;
}`,
    },
  ],
  invalid: [
    {
      name: 'the security descriptor replaced by assignment',
      code: `NTSTATUS Secure(PDEVICE_OBJECT device, PSECURITY_DESCRIPTOR descriptor) {
    device->SecurityDescriptor = descriptor;
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'ownedField', line: 2, message: /`device->SecurityDescriptor` is a DEVICE_OBJECT field the system owns: set security with IoCreateDeviceSecure/ }],
    },
    {
      name: 'an MDL edited by hand to describe another buffer',
      code: `VOID Retarget(PMDL mdl, PVOID buffer, ULONG length) {
    mdl->StartVa = PAGE_ALIGN(buffer);
    mdl->ByteOffset = BYTE_OFFSET(buffer);
    mdl->ByteCount = length;
}`,
      errors: [{ messageId: 'ownedField', line: 2 }, { messageId: 'ownedField', line: 3 }, { messageId: 'ownedField', line: 4 }],
    },
    {
      name: 'a filter writes the attached device and the current IRP',
      code: `VOID Hook(DEVICE_OBJECT *filter, PDEVICE_OBJECT target, PIRP irp) {
    target->AttachedDevice = filter;
    filter->CurrentIrp = irp;
}`,
      errors: [{ messageId: 'ownedField', line: 2, message: /attach with IoAttachDeviceToDeviceStack/ }, { messageId: 'ownedField', line: 3 }],
    },
    {
      name: 'a driver object extension pointer overwritten',
      code: `NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    DriverObject->DriverExtension = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'txeD');
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'ownedField', line: 2, message: /IoAllocateDriverObjectExtension/ }],
    },
  ],
});
