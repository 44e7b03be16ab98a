/**
 * Flags a kernel object pointer (PKEVENT, PFILE_OBJECT, PEPROCESS, PMDL, WDFREQUEST, …) that is taken from the
 * user's buffer and handed to a kernel routine: user mode decides which memory the kernel treats as that object.
 * Dereferences of such pointers are embedded-user-pointer's; calls through them are user-function-pointer-call's.
 */
import { callArguments, calleeName, declaratorName, fieldName, unwrap, type Node, typeOf } from '../analysis/query';
import { gather, lineOf, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { findDeclaration } from '../analysis/declarations';
import { lookupTable } from '../analysis/lookup';

const KERNEL_OBJECT_TYPES = new Set([
  'PEPROCESS', 'PETHREAD', 'PKTHREAD', 'PKPROCESS', 'PFILE_OBJECT', 'PDEVICE_OBJECT', 'PDRIVER_OBJECT', 'PKEVENT', 'PRKEVENT',
  'PKMUTEX', 'PRKMUTEX', 'PKSEMAPHORE', 'PRKSEMAPHORE', 'PKTIMER', 'PKDPC', 'PRKDPC', 'PMDL', 'PIRP', 'PERESOURCE', 'PFAST_MUTEX',
  'PKGUARDED_MUTEX', 'PKSPIN_LOCK', 'PIO_WORKITEM', 'PWORK_QUEUE_ITEM', 'POBJECT_TYPE', 'PACCESS_TOKEN', 'PKAPC', 'PRKAPC',
  'PKQUEUE', 'PRKQUEUE', 'PCALLBACK_OBJECT', 'PIO_STACK_LOCATION', 'PVPB', 'PKINTERRUPT', 'PIO_REMOVE_LOCK', 'PEX_RUNDOWN_REF',
  'WDFREQUEST', 'WDFDEVICE', 'WDFQUEUE', 'WDFMEMORY', 'WDFFILEOBJECT', 'WDFOBJECT', 'WDFKEY', 'WDFTIMER', 'WDFWORKITEM',
  'WDFSPINLOCK', 'WDFWAITLOCK', 'WDFDPC', 'WDFIOTARGET', 'WDFCOLLECTION', 'WDFSTRING',
]);

/** Kernel routines that operate on the object passed at these argument positions. */
const OBJECT_CONSUMERS: Record<string, number[]> = lookupTable({
  ObDereferenceObject: [0], ObfDereferenceObject: [0], ObReferenceObject: [0], ObfReferenceObject: [0], ObDereferenceObjectDeferDelete: [0],
  ObReferenceObjectByPointer: [0], ObOpenObjectByPointer: [0],
  KeSetEvent: [0], KeResetEvent: [0], KeClearEvent: [0], KePulseEvent: [0], KeWaitForSingleObject: [0], KeReleaseMutex: [0],
  KeReleaseSemaphore: [0], KeInsertQueueDpc: [0], KeCancelTimer: [0], KeSetTimer: [0, 2], KeStackAttachProcess: [0],
  KeInitializeEvent: [0], KeAcquireSpinLock: [0], KeReleaseSpinLock: [0], ExAcquireFastMutex: [0], ExReleaseFastMutex: [0],
  ExAcquireResourceExclusiveLite: [0], ExAcquireResourceSharedLite: [0], ExReleaseResourceLite: [0],
  IoCallDriver: [0, 1], IofCallDriver: [0, 1], IoCompleteRequest: [0], IofCompleteRequest: [0], IoCancelIrp: [0], IoFreeIrp: [0],
  IoFreeMdl: [0], MmUnlockPages: [0], MmGetSystemAddressForMdlSafe: [0], MmMapLockedPagesSpecifyCache: [0], MmProbeAndLockPages: [0],
  IoGetRelatedDeviceObject: [0], IoQueueWorkItem: [0], IoFreeWorkItem: [0], ExQueueWorkItem: [0],
  PsGetProcessId: [0], PsGetThreadId: [0], PsLookupProcessThreadByCid: [], PsTerminateSystemThread: [],
  ExFreePool: [0], ExFreePoolWithTag: [0], ExFreePool2: [0],
  WdfRequestComplete: [0], WdfRequestCompleteWithInformation: [0], WdfObjectDelete: [0], WdfObjectDereference: [0],
  WdfObjectReference: [0], WdfRequestForwardToIoQueue: [0, 1], WdfMemoryCopyToBuffer: [0], WdfMemoryCopyFromBuffer: [0],
});

/** The kernel object type the argument is cast to, or that its variable is declared with. */
function objectType(file: SourceFile, fn: FunctionInfo, argument: Node): string | undefined {
  let current: Node | null = argument;
  let currentType: string | undefined = current?.type;
  while (current && currentType === 'parenthesized_expression') {
    current = current.namedChild(0);
    currentType = current?.type;
  }
  if (current && currentType === 'cast_expression') {
    const type = current.childForFieldName('type')?.text.replace(/\s+/g, '') ?? '';
    return KERNEL_OBJECT_TYPES.has(type) ? type : undefined;
  }
  if (current && currentType === 'identifier') {
    const declaration = findDeclaration(file, fn, current.text);
    const type = declaration?.typeText.trim() ?? '';
    return KERNEL_OBJECT_TYPES.has(type) && !declaration?.isArray ? type : undefined;
  }
  return undefined;
}

/** Typedef names of function pointer types in this file (`typedef VOID (*CALLBACK)(PVOID);`) and by WDK naming. */
function functionPointerTypes(file: SourceFile): Set<string> {
  const names = new Set<string>();
  for (const definition of file.nodes('type_definition')) {
    for (const declarator of definition.childrenForFieldName('declarator')) {
      if (declarator?.type !== 'function_declarator') continue;
      let inner: Node | null = declarator.childForFieldName('declarator');
      let pointer = false;
      while (inner && inner.type !== 'type_identifier') {
        if (inner.type === 'pointer_declarator') pointer = true;
        inner = inner.childForFieldName('declarator') ?? inner.namedChild(0);
      }
      if (pointer && inner) names.add(inner.text);
    }
  }
  return names;
}

const WDK_FUNCTION_POINTER = /^(PFN_\w+|P\w*(ROUTINE|CALLBACK|HANDLER|FUNCTION))$/;

interface UnionOverlay {
  /** Function pointer members sharing the union. */
  callbacks: string[];
}

/** Non-function members of unions that also hold a function pointer, by member name. */
function unionOverlays(file: SourceFile): Map<string, UnionOverlay> {
  const result = new Map<string, UnionOverlay>();
  const pointerTypes = functionPointerTypes(file);
  for (const union of file.nodes('union_specifier')) {
    const body = union.childForFieldName('body');
    if (!body) continue;
    const data: string[] = [];
    const callbacks: string[] = [];
    for (const member of body.namedChildren) {
      if (member?.type !== 'field_declaration') continue;
      const type = member.childForFieldName('type')?.text.trim() ?? '';
      for (const declarator of member.childrenForFieldName('declarator')) {
        const name = declaratorName(declarator);
        if (!name) continue;
        const isCallback = declarator?.type === 'function_declarator' || (declarator?.type === 'field_identifier' && (pointerTypes.has(type) || WDK_FUNCTION_POINTER.test(type)));
        (isCallback ? callbacks : data).push(name);
      }
    }
    if (callbacks.length === 0) continue;
    for (const name of data) result.set(name, { callbacks });
  }
  return result;
}

/** Calls through one of the given function pointer members, anywhere in the file. */
function overlayCalls(file: SourceFile, callbacks: readonly string[]): Node[] {
  return file.nodes('call_expression').filter((candidate) => {
    const callee = unwrap(candidate.childForFieldName('function'));
    return callee !== null && typeOf(callee) === 'field_expression' && callbacks.includes(fieldName(callee) ?? '');
  });
}

export const rule: Rule = {
  meta: {
    id: 'user-type-confusion',
    title: 'Kernel object pointer taken from user input',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'A pointer or handle read from a user buffer is treated as a kernel object (cast to PKEVENT, PFILE_OBJECT, PEPROCESS, PMDL, WDFREQUEST, …) and passed to a kernel routine, or a user value is stored in a union member that overlays a function pointer the driver calls.',
    rationale: 'A pointer inside a request is just a number the caller picked. Passing it to KeSetEvent, ObDereferenceObject, IoFreeMdl or ExFreePool makes the kernel treat attacker-chosen memory as an object of that type: a type confusion that corrupts memory, frees arbitrary pool or dispatches through fake function tables. User mode must refer to kernel objects by handle; resolve the handle with ObReferenceObjectByHandle (with the expected object type and Irp->RequestorMode), or look the object up in a table the driver owns.',
    cwe: ['CWE-843', 'CWE-822'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-obreferenceobjectbyhandle',
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-dev-best-practices',
    ],
    confidence: 'high',
    messages: {
      overlay: '`{{expression}}` stores a user-controlled value ({{origin}}) in `{{field}}`, which shares a union with the function pointer `{{callback}}` that is called on line {{line}}: user mode chooses the code the kernel runs.',
      object: '{{callee}} receives `{{expression}}`, {{what}} taken from the user\'s buffer ({{origin}}): user mode chooses the memory the kernel treats as {{type}}. Take a handle and resolve it with ObReferenceObjectByHandle and the expected object type.',
    },
    examples: {
      bad: 'PSIGNAL_REQUEST request = (PSIGNAL_REQUEST)Irp->AssociatedIrp.SystemBuffer;\nKeSetEvent((PKEVENT)request->Event, IO_NO_INCREMENT, FALSE);',
      good: 'PSIGNAL_REQUEST request = (PSIGNAL_REQUEST)Irp->AssociatedIrp.SystemBuffer;\nPKEVENT event;\nstatus = ObReferenceObjectByHandle(request->EventHandle, EVENT_MODIFY_STATE, *ExEventObjectType, Irp->RequestorMode, (PVOID *)&event, NULL);\nif (NT_SUCCESS(status)) {\n    KeSetEvent(event, IO_NO_INCREMENT, FALSE);\n    ObDereferenceObject(event);\n}',
    },
  },
  // An overlay finding names the first call through the overlaid pointer, which may be in any function.
  fileFacts(file) {
    const callbacks = [...new Set([...unionOverlays(file).values()].flatMap((overlay) => overlay.callbacks))];
    if (callbacks.length === 0) return '';
    return overlayCalls(file, callbacks).map((call) => `${fieldName(unwrap(call.childForFieldName('function')))}@${file.enclosingFunction(call)?.name ?? ''}`).join(' ');
  },
  create(context) {
    const { file } = context;
    let overlays: Map<string, UnionOverlay> | undefined;
    return {
      ...gather('union_specifier', 'type_definition'),
      assignment_expression(assignment) {
        // Most files have no union overlaying a function pointer: then no assignment needs a look.
        overlays ??= unionOverlays(file);
        if (overlays.size === 0) return;
        const left = unwrap(assignment.childForFieldName('left'));
        const right = assignment.childForFieldName('right');
        const field = fieldName(left);
        if (!left || !right || !field) return;
        const overlay = overlays.get(field);
        if (!overlay) return;
        const fn = file.enclosingFunction(assignment);
        if (!fn) return;
        const taint = file.taint(fn);
        const value = taint.taintOf(right, assignment.startIndex);
        if (value?.kind !== 'value') return;
        // Writing into the user's own buffer changes nothing the kernel calls.
        const target = taint.taintOf(left.childForFieldName('argument'), assignment.startIndex);
        if (target && target.kind !== 'value') return;
        const call = overlayCalls(file, overlay.callbacks)[0];
        if (!call) return;
        context.report({
          node: assignment,
          messageId: 'overlay',
          data: { expression: assignment.text.replace(/\s+/g, ' '), origin: value.origin, field, callback: fieldName(unwrap(call.childForFieldName('function'))) ?? '', line: lineOf(call) },
          related: [{ node: call, message: 'the overlaid function pointer is called here' }, { node: value.source, message: `user-controlled: ${value.origin}` }],
        });
      },
      call_expression(call) {
        const callee = calleeName(call);
        if (!callee || file.functionByName(callee)) return;
        const args = callArguments(call);
        const consumer = OBJECT_CONSUMERS[callee];
        const fn = file.enclosingFunction(call);
        if (!fn) return;
        const taint = file.taint(fn);
        if (taint.isEmpty) return;
        for (let index = 0; index < args.length; index++) {
          const argument = args[index];
          const inner = unwrap(argument);
          const innerType = inner && typeOf(inner);
          if (!inner || (innerType !== 'identifier' && innerType !== 'field_expression' && innerType !== 'subscript_expression')) continue;
          const value = taint.taintOf(inner, call.startIndex);
          if (!value) continue;
          const consumes = consumer?.includes(index) ?? false;
          if (!consumes && value.kind === 'value' && !value.fromUserMemory) continue;
          const type = objectType(file, fn, argument);
          if (!type && !consumes) continue;
          // A pointer stored in the user's data, or the user buffer itself explicitly cast to an object type.
          const fromUser = value.kind === 'value' ? value.fromUserMemory === true : type !== undefined;
          // No comparison validates a pointer (a NULL check proves nothing about what it points to).
          if (!fromUser) continue;
          context.report({
            node: argument,
            messageId: 'object',
            data: {
              callee,
              expression: argument.text.replace(/\s+/g, ' '),
              what: value.kind === 'value' ? 'a pointer' : 'the request buffer',
              origin: value.origin,
              type: type ? `a ${type.startsWith('P') ? type.slice(1) : type}` : 'a kernel object',
            },
            related: [{ node: value.source, message: `user-controlled: ${value.origin}` }],
          });
          return;
        }
      },
    };
  },
};
