/**
 * Flags a WDM dispatch routine that calls IoMarkIrpPending and then returns a status other than STATUS_PENDING on
 * that path: the reverse of pending-without-mark. The I/O manager then completes the request twice, or waits for a
 * completion that already happened.
 */
import { irpParameter, isTableDispatch } from '../analysis/dispatch';
import { analyzePaths } from '../analysis/paths';
import { calleeName, callArguments, contains, unwrap, type Node } from '../analysis/query';
import { fixer, gather, lineOf, type Rule } from '../analysis/rule';

const MARKED = 'marked@';

/** `STATUS_PENDING` as the path analysis keeps it (the name, or its value when a header of the workspace defines it). */
function isPending(value: string | undefined): boolean {
  return value === 'STATUS_PENDING' || value === '#259';
}

/** A status the return statement states: a STATUS_* literal, or a local whose value the path knows. */
function returnedStatus(value: Node | null, values: ReadonlyMap<string, string>): { status: string; literal: boolean } | undefined {
  if (!value) return undefined;
  if (value.type === 'identifier' && /^STATUS_[A-Z0-9_]+$/.test(value.text)) return { status: value.text, literal: true };
  if (value.type !== 'identifier') return undefined;
  const known = values.get(value.text);
  // Only a value the path pins to one status: a collapsed class (`~e?`) is "some error", still not STATUS_PENDING.
  if (known === undefined) return undefined;
  return { status: known.startsWith('~') || known.startsWith('#') ? `\`${value.text}\` (not STATUS_PENDING on this path)` : `\`${value.text}\` (${known} on this path)`, literal: false };
}

export const rule: Rule = {
  meta: {
    id: 'marked-pending-not-returned',
    title: 'IoMarkIrpPending followed by a status other than STATUS_PENDING',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.technology-practices',
    description: 'A dispatch routine calls IoMarkIrpPending for its IRP and then returns a status other than STATUS_PENDING on the same path.',
    rationale: 'IoMarkIrpPending tells the I/O manager that the dispatch routine will return STATUS_PENDING and complete the IRP later. Returning any other status after the mark makes the I/O manager treat the request as completed synchronously while the completion also runs the asynchronous path: the caller\'s buffers and event are touched after the request ended, which corrupts memory or hangs the caller. Once the IRP is marked pending, the routine must return STATUS_PENDING even when it completed the IRP itself.',
    cwe: ['CWE-662', 'CWE-672'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iomarkirppending',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/completing-irps',
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/wdm-markirppending',
    ],
    confidence: 'high',
    messages: {
      markedNotPending: '{{fn}} marked {{irp}} pending (line {{markLine}}) but returns {{status}} here: a marked IRP must be answered with STATUS_PENDING.',
    },
    fixable: true,
    examples: {
      bad: 'NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;\n    IoMarkIrpPending(Irp);\n    if (!QueueWrite(ext, Irp)) {\n        Irp->IoStatus.Status = STATUS_DEVICE_BUSY;\n        IoCompleteRequest(Irp, IO_NO_INCREMENT);\n        return STATUS_DEVICE_BUSY;\n    }\n    return STATUS_PENDING;\n}\nVOID Register(PDRIVER_OBJECT DriverObject) {\n    DriverObject->MajorFunction[IRP_MJ_WRITE] = DispatchWrite;\n}',
      good: 'NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;\n    IoMarkIrpPending(Irp);\n    if (!QueueWrite(ext, Irp)) {\n        Irp->IoStatus.Status = STATUS_DEVICE_BUSY;\n        IoCompleteRequest(Irp, IO_NO_INCREMENT);\n        return STATUS_PENDING;\n    }\n    return STATUS_PENDING;\n}\nVOID Register(PDRIVER_OBJECT DriverObject) {\n    DriverObject->MajorFunction[IRP_MJ_WRITE] = DispatchWrite;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      ...gather('call_expression'),
      onEnd() {
        if (!file.text.includes('IoMarkIrpPending')) return;
        for (const fn of file.functions()) {
          if (!fn.body || !isTableDispatch(file, fn.name)) continue;
          const irp = irpParameter(fn) ?? fn.params[1]?.name;
          if (!irp) continue;
          const marks = file.within(fn.body, 'call_expression').filter((call) => calleeName(call) === 'IoMarkIrpPending' && unwrap(callArguments(call)[0])?.text === irp);
          if (marks.length === 0) continue;
          const findings = new Map<number, { ret: Node; status: string; literal: boolean; mark: Node }>();
          const result = analyzePaths(file, fn, {
            keepLiterals: ['STATUS_PENDING'],
            step(flowNode, state) {
              if (!flowNode.node) return state.facts;
              const marked = state.facts.find((fact) => fact.startsWith(MARKED));
              if (flowNode.kind === 'return' && marked) {
                const value = unwrap(flowNode.node.namedChild(0));
                const returned = returnedStatus(value, state.values);
                const pending = returned?.literal ? isPending(returned.status) : isPending(value ? state.values.get(value.text) : undefined);
                if (returned && !pending && !findings.has(flowNode.node.startIndex)) findings.set(flowNode.node.startIndex, { ret: flowNode.node, ...returned, mark: marks.find((candidate) => candidate.startIndex === Number(marked.slice(MARKED.length)))! });
              }
              const mark = flowNode.kind === 'cond' ? undefined : marks.find((candidate) => contains(flowNode.node!, candidate));
              // The fact names the mark, for the message (one fact per path: the latest mark).
              return mark ? [`${MARKED}${mark.startIndex}`] : state.facts;
            },
          });
          if (!result) continue;
          for (const { ret, status, literal, mark } of findings.values()) {
            const value = unwrap(ret.namedChild(0));
            context.report({
              node: ret,
              messageId: 'markedNotPending',
              data: { fn: fn.name, irp, status, markLine: lineOf(mark) },
              fix: literal && value ? { title: 'Return STATUS_PENDING', edits: [fixer.replace(value, 'STATUS_PENDING')] } : undefined,
            });
          }
        }
      },
    };
  },
};
