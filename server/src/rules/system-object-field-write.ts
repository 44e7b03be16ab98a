/**
 * Flags writes to fields of DEVICE_OBJECT, DRIVER_OBJECT and MDL that the I/O and memory managers own: a device
 * object's security descriptor, links and queues, a driver object's image and extension fields, the opaque fields
 * of an MDL. The system reads them under its own locks and assumptions; a driver that changes them corrupts its
 * state or silently replaces the device's access check.
 */
import { findDeclaration } from '../analysis/declarations';
import { unwrap, type Node } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

interface OwnedFields {
  object: string;
  /** Field → what to do instead. */
  fields: Record<string, string>;
}

const DEVICE_OBJECT: OwnedFields = {
  object: 'DEVICE_OBJECT',
  fields: {
    SecurityDescriptor: 'set security with IoCreateDeviceSecure, an INF/registry SDDL, or ObSetSecurityObjectByPointer — assigning the field bypasses the object manager\'s reference counting and can leave the device open to everyone',
    DriverObject: 'the I/O manager sets it in IoCreateDevice',
    NextDevice: 'the I/O manager links device objects of a driver itself',
    AttachedDevice: 'attach with IoAttachDeviceToDeviceStack(Safe)',
    CurrentIrp: 'the I/O manager sets it around StartIo (IoStartPacket/IoStartNextPacket)',
    ReferenceCount: 'the I/O manager counts opens; use ObReferenceObject/ObDereferenceObject for references',
    DeviceExtension: 'IoCreateDevice allocates it with the size the driver asks for',
    DeviceObjectExtension: 'it belongs to the I/O manager',
    DeviceQueue: 'use KeInsertDeviceQueue/IoStartPacket',
    Queue: 'it belongs to the I/O manager',
    Timer: 'use IoInitializeTimer',
    Dpc: 'use IoInitializeDpcRequest',
    ActiveThreadCount: 'it belongs to the I/O manager',
  },
};

const DRIVER_OBJECT: OwnedFields = {
  object: 'DRIVER_OBJECT',
  fields: {
    DeviceObject: 'the I/O manager keeps the driver\'s device list; IoCreateDevice/IoDeleteDevice change it',
    DriverExtension: 'use IoAllocateDriverObjectExtension for per-driver data',
    DriverStart: 'it describes the loaded image',
    DriverSize: 'it describes the loaded image',
    DriverSection: 'it is the loader\'s entry for the image',
    DriverName: 'it is the object manager\'s name of the driver',
    HardwareDatabase: 'it belongs to the I/O manager',
    DriverInit: 'it is the image entry point',
  },
};

const MDL: OwnedFields = {
  object: 'MDL',
  fields: {
    StartVa: 'build the MDL with IoAllocateMdl or MmInitializeMdl',
    ByteCount: 'build the MDL with IoAllocateMdl or MmInitializeMdl (MmGetMdlByteCount reads it)',
    ByteOffset: 'build the MDL with IoAllocateMdl or MmInitializeMdl (MmGetMdlByteOffset reads it)',
    MappedSystemVa: 'map it with MmGetSystemAddressForMdlSafe or MmMapLockedPagesSpecifyCache',
    Process: 'it belongs to the memory manager',
    Size: 'build the MDL with IoAllocateMdl or MmInitializeMdl',
  },
};

const TYPES: Record<string, OwnedFields> = {
  PDEVICE_OBJECT: DEVICE_OBJECT,
  DEVICE_OBJECT: DEVICE_OBJECT,
  PDRIVER_OBJECT: DRIVER_OBJECT,
  DRIVER_OBJECT: DRIVER_OBJECT,
  PMDL: MDL,
  MDL: MDL,
};

const OWNED_FIELD_NAMES = new Set([DEVICE_OBJECT, DRIVER_OBJECT, MDL].flatMap((owned) => Object.keys(owned.fields)));

/** The system object type of the variable a field is written through (`device->X`), if it is one of the three. */
function ownerOf(file: SourceFile, fn: FunctionInfo | undefined, base: Node): OwnedFields | undefined {
  if (base.type !== 'identifier') return undefined;
  const declaration = findDeclaration(file, fn, base.text);
  if (!declaration || declaration.isArray) return undefined;
  const type = declaration.typeText.replace(/\b(const|CONST|struct|_In_|_Inout_|_Out_)\b/g, ' ').replace(/\s+/g, ' ').trim();
  const stars = (declaration.declarator.text.replace(/=.*$/s, '').match(/\*/g) ?? []).length;
  if (type.startsWith('P') ? stars !== 0 : stars !== 1) return undefined;
  return TYPES[type];
}

/**
 * An MDL of pages MmAllocatePagesForMdl(Ex) allocated whose byte count or offset the driver trims to the part it
 * uses: the pages stay the ones the memory manager allocated and the MDL still covers no more than they do.
 */
function trimsAllocatedPages(fn: FunctionInfo | undefined, mdl: string, field: string): boolean {
  if (field !== 'ByteCount' && field !== 'ByteOffset') return false;
  return fn?.body !== null && fn?.body !== undefined && new RegExp(`\\b${mdl}\\s*=\\s*(\\([^)]*\\)\\s*)?MmAllocatePagesForMdl(Ex)?\\s*\\(`).test(fn.body.text);
}

export const rule: Rule = {
  meta: {
    id: 'system-object-field-write',
    title: 'Write to a system-owned DEVICE_OBJECT, DRIVER_OBJECT or MDL field',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.technology-practices',
    scope: 'function',
    callerLevels: 0,
    description: 'The driver assigns a DEVICE_OBJECT field the I/O manager owns (SecurityDescriptor, DriverObject, AttachedDevice, CurrentIrp, DeviceExtension…), a read-only DRIVER_OBJECT field, or an opaque MDL field (StartVa, ByteCount, ByteOffset, MappedSystemVa).',
    rationale: 'Only some fields of these objects are the driver\'s to set: a device object\'s Flags, Characteristics, StackSize and AlignmentRequirement; a driver object\'s dispatch table, Unload, StartIo and FastIoDispatch; an MDL\'s Next and MdlFlags. The rest are read by the system under its own locks. Replacing SecurityDescriptor skips the object manager (the old descriptor leaks or is freed twice, and the device may end up with no access check); changing links, queues or CurrentIrp corrupts the I/O manager\'s lists; a hand-edited MDL describes memory the memory manager never locked, which maps or unlocks the wrong pages.',
    cwe: ['CWE-471', 'CWE-732'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_device_object',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_driver_object',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/using-mdls',
    ],
    confidence: 'high',
    messages: {
      ownedField: '`{{target}}` is a {{object}} field the system owns: {{instead}}.',
    },
    examples: {
      bad: 'NTSTATUS Secure(PDEVICE_OBJECT device, PSECURITY_DESCRIPTOR descriptor) {\n    device->SecurityDescriptor = descriptor;\n    return STATUS_SUCCESS;\n}',
      good: 'NTSTATUS Secure(PDEVICE_OBJECT device, PSECURITY_DESCRIPTOR descriptor) {\n    return ObSetSecurityObjectByPointer(device, DACL_SECURITY_INFORMATION, descriptor);\n}',
    },
  },
  create(context) {
    const { file } = context;
    const check = (node: Node, left: Node | null) => {
      const target = unwrap(left);
      if (target?.type !== 'field_expression' || target.childForFieldName('operator')?.text !== '->') return;
      const field = target.childForFieldName('field')?.text;
      const base = unwrap(target.childForFieldName('argument'));
      if (!field || !base) return;
      if (!OWNED_FIELD_NAMES.has(field)) return;
      const fn = file.enclosingFunction(node);
      const owner = ownerOf(file, fn, base);
      const instead = owner?.fields[field];
      if (!owner || !instead) return;
      if (owner === MDL && trimsAllocatedPages(fn, base.text, field)) return;
      context.report({ node, messageId: 'ownedField', data: { target: target.text, object: owner.object, instead } });
    };
    return {
      assignment_expression(assignment) {
        check(assignment, assignment.childForFieldName('left'));
      },
      update_expression(update) {
        check(update, update.childForFieldName('argument'));
      },
    };
  },
};
