/**
 * Flags a WDM dispatch routine that returns STATUS_PENDING on a path where it never called IoMarkIrpPending: the
 * I/O manager then treats the IRP as completed synchronously and the later completion races with it.
 */
import { irpParameter, isTableDispatch, SYSTEM_ROUTINE_PREFIX } from '../analysis/dispatch';
import { analyzePaths } from '../analysis/paths';
import { callArguments, calleeName, contains, unwrap, type Node } from '../analysis/query';
import { fixer, gather, type Rule } from '../analysis/rule';
import type { SourceFile } from '../analysis/source-file';

/** Calls that mark the IRP pending themselves (IoCsqInsertIrp marks the IRP it queues). */
const MARKERS = new Set(['IoMarkIrpPending', 'IoCsqInsertIrp', 'IoCsqInsertIrpEx']);


/**
 * Whether calling `name` may mark the IRP pending: one of the markers, a helper of this file that calls one, or a
 * driver helper from another file (it may reach the IRP through a context structure: do not guess).
 */
function mayMark(file: SourceFile, name: string, depth = 0): boolean {
  if (MARKERS.has(name)) return true;
  const target = file.functionByName(name);
  if (target?.body) {
    if (depth > 2) return true;
    return file.within(target.body, 'call_expression').some((call) => {
      const callee = calleeName(call);
      return callee !== undefined && callee !== name && mayMark(file, callee, depth + 1);
    });
  }
  return !SYSTEM_ROUTINE_PREFIX.test(name);
}


/** Calls that use the IRP without handing it to anyone (the mark can go after them). */
const NOT_PUBLISHING = /^(IoGetCurrentIrpStackLocation|IoGetNextIrpStackLocation|IoCopyCurrentIrpStackLocationToNext|IoSkipCurrentIrpStackLocation|IoAcquireRemoveLock|IoReleaseRemoveLock|DbgPrint|DbgPrintEx|KdPrint|KdPrintEx|RtlCopyMemory|RtlZeroMemory|memcpy|memset|MmGetSystemAddressForMdlSafe|MmGetMdlByteCount)$/;

/**
 * Where to insert the mark for `return STATUS_PENDING;`: before the first statement of the straight-line run that
 * ends in the return and hands the IRP to a call (queues it, starts it), so the mark precedes publication; only
 * plain statements are crossed, so no other path runs the inserted call. Undefined when the return is not in a block.
 */
function insertionPoint(file: SourceFile, ret: Node, irp: string): Node | undefined {
  const block = ret.parent;
  if (!block || (block.type !== 'compound_statement' && block.type !== 'case_statement')) return undefined;
  const mention = new RegExp(`\\b${irp}\\b`);
  let anchor = ret;
  for (let statement = ret.previousNamedSibling; statement; statement = statement.previousNamedSibling) {
    if (statement.type === 'comment') continue;
    if (statement.type !== 'expression_statement' && statement.type !== 'declaration') break;
    const calls = file.within(statement, 'call_expression');
    if (calls.some((call) => MARKERS.has(calleeName(call) ?? ''))) break;
    if (calls.some((call) => !NOT_PUBLISHING.test(calleeName(call) ?? '') && callArguments(call).some((argument) => mention.test(argument.text)))) anchor = statement;
  }
  return anchor;
}

export const rule: Rule = {
  meta: {
    id: 'pending-without-mark',
    title: 'STATUS_PENDING returned without IoMarkIrpPending',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.technology-practices',
    description: 'A dispatch routine returns STATUS_PENDING (directly or through a status variable) on a path that never calls IoMarkIrpPending for the IRP.',
    rationale: 'A dispatch routine that returns STATUS_PENDING must have marked the IRP pending first (IoMarkIrpPending, or IoCsqInsertIrp which does it), before the IRP can be completed by another thread. Without the mark the I/O manager runs the synchronous completion path while the driver still owns the IRP: the caller\'s event is never signalled or the IRP is completed twice, which hangs the requesting thread or corrupts memory.',
    cwe: ['CWE-662'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iomarkirppending',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/dispatch-routines-and-irqls',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/completing-irps',
    ],
    confidence: 'high',
    messages: {
      notMarked: '{{fn}} returns {{what}} here, but no IoMarkIrpPending({{irp}}) runs on this path.',
    },
    fixable: true,
    examples: {
      bad: 'NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;\n    ExInterlockedInsertTailList(&ext->PendingQueue, &Irp->Tail.Overlay.ListEntry, &ext->QueueLock);\n    return STATUS_PENDING;\n}\nVOID Register(PDRIVER_OBJECT DriverObject) {\n    DriverObject->MajorFunction[IRP_MJ_READ] = DispatchRead;\n}',
      good: 'NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;\n    IoMarkIrpPending(Irp);\n    ExInterlockedInsertTailList(&ext->PendingQueue, &Irp->Tail.Overlay.ListEntry, &ext->QueueLock);\n    return STATUS_PENDING;\n}\nVOID Register(PDRIVER_OBJECT DriverObject) {\n    DriverObject->MajorFunction[IRP_MJ_READ] = DispatchRead;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      ...gather('call_expression'),
      onEnd() {
        if (!file.text.includes('STATUS_PENDING')) return;
        for (const fn of file.functions()) {
          if (!fn.body || !isTableDispatch(file, fn.name)) continue;
          const irp = irpParameter(fn) ?? fn.params[1]?.name;
          if (!irp || !file.within(fn.body, 'identifier').some((id) => id.text === 'STATUS_PENDING')) continue;
          const findings = new Map<number, { ret: Node; what: string }>();
          const result = analyzePaths(file, fn, {
            initial: ['unmarked'],
            keepLiterals: ['STATUS_PENDING'],
            step(flowNode, state) {
              if (!state.facts.includes('unmarked') || !flowNode.node) return state.facts;
              if (flowNode.kind === 'return') {
                const value = unwrap(flowNode.node.namedChild(0));
                let what: string | undefined;
                if (value?.text === 'STATUS_PENDING') what = 'STATUS_PENDING';
                else if (value?.type === 'identifier' && state.values.get(value.text) === 'STATUS_PENDING') what = `\`${value.text}\` (STATUS_PENDING on this path)`;
                if (what && !findings.has(flowNode.node.startIndex)) findings.set(flowNode.node.startIndex, { ret: flowNode.node, what });
              }
              for (const call of file.within(flowNode.node, 'call_expression')) {
                const name = calleeName(call);
                if (name === 'IoCallDriver' || name === 'IofCallDriver' || (name && mayMark(file, name))) return [];
              }
              return state.facts;
            },
          });
          if (!result) continue;
          for (const { ret, what } of findings.values()) {
            if (!contains(fn.body, ret)) continue;
            // Only `return STATUS_PENDING;` gets the fix: a status variable is returned on other paths too.
            const anchor = unwrap(ret.namedChild(0))?.text === 'STATUS_PENDING' ? insertionPoint(file, ret, irp) : undefined;
            context.report({
              node: ret,
              messageId: 'notMarked',
              data: { fn: fn.name, what, irp },
              fix: anchor ? { title: `Call IoMarkIrpPending(${irp}) first`, edits: [fixer.insertBefore(anchor, `IoMarkIrpPending(${irp});${file.eol}${file.indentationOf(anchor)}`)] } : undefined,
            });
          }
        }
      },
    };
  },
};
