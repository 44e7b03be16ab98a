/**
 * Flags an IRP (or KMDF request) completed twice on one path — completed in a `case` and again after the
 * `switch`, completed in an error branch that does not return — or completed after IoCallDriver handed it to the
 * lower driver. The second completion touches memory the I/O manager may already have freed or reused.
 */
import { isCalledInFile } from '../analysis/callers';
import { analyzePaths, type FlowGraph, type FlowNode, type PathState } from '../analysis/paths';
import { callArguments, calleeName, declaratorName, unwrap, type Node } from '../analysis/query';
import { gather, lineOf, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { lookupTable } from '../analysis/lookup';

/** Completion calls and the argument that names the IRP/request. */
const COMPLETIONS: Record<string, number> = lookupTable({
  IoCompleteRequest: 0,
  IofCompleteRequest: 0,
  WdfRequestComplete: 0,
  WdfRequestCompleteWithInformation: 0,
  WdfRequestCompleteWithPriorityBoost: 0,
});

/** Calls that pass the IRP to another driver, which then owns it. */
const PASS_DOWN: Record<string, number> = lookupTable({
  IoCallDriver: 1,
  IofCallDriver: 1,
  PoCallDriver: 1,
});

/** The IRP variable an argument names (plain identifiers only: fields and array elements may alias). */
function irpName(argument: Node | undefined): string | undefined {
  const node = unwrap(argument);
  return node?.type === 'identifier' ? node.text : undefined;
}

/** IRPs that get a completion routine in this function: IoCallDriver returns them to us (forward-and-wait). */
function irpsWithCompletionRoutine(file: SourceFile, fn: FunctionInfo): Set<string> {
  const names = new Set<string>();
  for (const call of file.within(fn.body!, 'call_expression')) {
    const name = calleeName(call);
    if (name !== 'IoSetCompletionRoutine' && name !== 'IoSetCompletionRoutineEx') continue;
    const arguments_ = callArguments(call);
    const irp = irpName(name === 'IoSetCompletionRoutineEx' ? arguments_[1] : arguments_[0]);
    if (irp) names.add(irp);
  }
  return names;
}

interface Event {
  node: Node;
  kind: 'complete' | 'pass' | 'assign';
  irp: string;
}

const COMPLETION_CALL = /\b(Iof?CompleteRequest|WdfRequestComplete\w*)\s*\(/;

const helperCache = new WeakMap<SourceFile, Map<string, number | null>>();

/**
 * The parameter a helper of this file completes on every path (`VOID CompleteIrp(PIRP Irp, NTSTATUS s) { …
 * IoCompleteRequest(Irp, …); }`), so its calls count as completions. Undefined for helpers that complete only
 * sometimes (a conditional completion is not a completion).
 */
function completedParameter(file: SourceFile, name: string): number | undefined {
  let cache = helperCache.get(file);
  if (!cache) helperCache.set(file, (cache = new Map()));
  if (cache.has(name)) return cache.get(name) ?? undefined;
  cache.set(name, null); // recursion guard
  const fn = file.functionByName(name);
  if (!fn?.body || !COMPLETION_CALL.test(file.text.slice(fn.body.startIndex, fn.body.endIndex))) return undefined;
  const candidates = new Set<number>();
  for (const call of file.within(fn.body, 'call_expression')) {
    const index = COMPLETIONS[calleeName(call) ?? ''];
    const irp = index === undefined ? undefined : irpName(callArguments(call)[index]);
    const parameter = irp ? fn.params.findIndex((param) => param.name === irp) : -1;
    if (parameter >= 0) candidates.add(parameter);
  }
  for (const parameter of candidates) {
    const irp = fn.params[parameter].name;
    const result = analyzePaths(file, fn, {
      step(flowNode, state) {
        if (!flowNode.node || state.facts.includes('lost')) return state.facts;
        let facts = [...state.facts];
        for (const event of eventsOf(file, flowNode.node)) {
          if (event.irp !== irp) continue;
          if (event.kind === 'complete') facts.push('done');
          else facts = ['lost'];
        }
        return facts;
      },
    });
    if (!result) continue;
    const always = result.exits.every((exit) => result.after(exit).every((state) => state.facts.includes('done') && !state.facts.includes('lost')));
    if (always) {
      cache.set(name, parameter);
      return parameter;
    }
  }
  return undefined;
}

function eventsOf(file: SourceFile, container: Node): Event[] {
  const events: Event[] = [];
  for (const call of file.within(container, 'call_expression')) {
    const name = calleeName(call) ?? '';
    const helper = COMPLETIONS[name] === undefined && PASS_DOWN[name] === undefined && file.functionByName(name) ? completedParameter(file, name) : undefined;
    if (COMPLETIONS[name] !== undefined || helper !== undefined) {
      const irp = irpName(callArguments(call)[COMPLETIONS[name] ?? helper!]);
      if (irp) events.push({ node: call, kind: 'complete', irp });
    } else if (PASS_DOWN[name] !== undefined) {
      const irp = irpName(callArguments(call)[PASS_DOWN[name]]);
      if (irp) events.push({ node: call, kind: 'pass', irp });
    }
  }
  for (const assignment of file.within(container, 'assignment_expression')) {
    const left = unwrap(assignment.childForFieldName('left'));
    if (left?.type === 'identifier') events.push({ node: assignment, kind: 'assign', irp: left.text });
  }
  // `WdfIoQueueRetrieveNextRequest(Queue, &Request)`: a call may store a new IRP/request through the address.
  for (const pointer of file.within(container, 'pointer_expression')) {
    if ((pointer.childForFieldName('operator')?.text ?? pointer.child(0)?.text) !== '&') continue;
    const target = unwrap(pointer.childForFieldName('argument'));
    if (target?.type === 'identifier') events.push({ node: pointer, kind: 'assign', irp: target.text });
  }
  for (const declarator of file.within(container, 'init_declarator')) {
    const name = declaratorName(declarator.childForFieldName('declarator'));
    if (name) events.push({ node: declarator, kind: 'assign', irp: name });
  }
  return events.sort((a, b) => a.node.endIndex - b.node.endIndex);
}

export const rule: Rule = {
  meta: {
    id: 'irp-completed-twice',
    title: 'IRP completed twice',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.technology-practices',
    scope: 'function-local',
    description: 'IoCompleteRequest/WdfRequestComplete runs twice for the same IRP or request on one path, or after IoCallDriver passed the IRP to the lower driver.',
    rationale: 'Once an IRP is completed (or passed down with IoCallDriver without a completion routine that reclaims it) the I/O manager owns it and may free or reuse it at once. Completing it again corrupts pool, completes someone else\'s request or bug-checks with MULTIPLE_IRP_COMPLETE_REQUESTS; because error paths are reached with crafted input, user mode can often trigger it. Complete each request exactly once: return (or break out) right after completing it.',
    cwe: ['CWE-675', 'CWE-415'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/completing-irps',
      'https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x44--multiple-irp-complete-requests',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocalldriver',
    ],
    confidence: 'high',
    messages: {
      completedTwice: '`{{irp}}` is completed again here, but {{first}} on line {{line}} already completed it on this path; the IRP may already be freed or reused.',
      completedAfterPassDown: '`{{irp}}` is completed here after {{first}} on line {{line}} passed it to the lower driver, which owns and completes it; set a completion routine that returns STATUS_MORE_PROCESSING_REQUIRED or do not complete it.',
    },
    examples: {
      bad: 'switch (code) {\ncase IOCTL_RESET:\n    Irp->IoStatus.Status = STATUS_SUCCESS;\n    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n    break;\ndefault:\n    status = STATUS_INVALID_DEVICE_REQUEST;\n    break;\n}\nIrp->IoStatus.Status = status;\nIoCompleteRequest(Irp, IO_NO_INCREMENT);',
      good: 'switch (code) {\ncase IOCTL_RESET:\n    status = STATUS_SUCCESS;\n    break;\ndefault:\n    status = STATUS_INVALID_DEVICE_REQUEST;\n    break;\n}\nIrp->IoStatus.Status = status;\nIoCompleteRequest(Irp, IO_NO_INCREMENT);',
    },
  },
  // A function's findings depend on its own code and on which of the file's functions it calls complete the IRP they
  // are handed (`completedParameter`, which reads their bodies): after an edit elsewhere, those answers are compared.
  fileFacts(file) {
    return file.functions().filter((fn) => isCalledInFile(file, fn.name)).map((fn) => `${fn.name}:${completedParameter(file, fn.name) ?? '-'}`).join(' ');
  },
  create(context) {
    const { file } = context;
    // With `scope: 'function-local'` the engine hands over only the nodes of the functions it analyzes again.
    const visited = new Set<number>();
    return {
      ...gather('call_expression', 'assignment_expression', 'init_declarator', 'pointer_expression'),
      function_definition(node) {
        visited.add(node.id);
      },
      onEnd() {
        // Only a function called in this file can be a completing helper of another one.
        const helpers = file.functions().filter((fn) => isCalledInFile(file, fn.name) && completedParameter(file, fn.name) !== undefined).map((fn) => fn.name);
        const completes = helpers.length === 0 ? COMPLETION_CALL : new RegExp(`${COMPLETION_CALL.source}|\\b(${helpers.join('|')})\\s*\\(`);
        for (const fn of file.functions()) {
          if (!visited.has(fn.node.id) || !fn.body || !completes.test(file.text.slice(fn.body.startIndex, fn.body.endIndex))) continue;
          const all = eventsOf(file, fn.body);
          const completions = all.filter((event) => event.kind === 'complete');
          if (completions.length === 0) continue;
          const passes = all.some((event) => event.kind === 'pass');
          const completedIrps = new Map<string, number>();
          for (const event of completions) completedIrps.set(event.irp, (completedIrps.get(event.irp) ?? 0) + 1);
          // One completion and nothing passed down: nothing can repeat except in a loop, where the IRP is reassigned.
          if (!passes && [...completedIrps.values()].every((count) => count < 2) && !completions.some((event) => inLoop(event.node, fn))) continue;
          const reclaimed = irpsWithCompletionRoutine(file, fn);
          const reported = new Set<number>();
          const pending: { event: Event; kind: string; flowNode: FlowNode }[] = [];
          const result = analyzePaths(file, fn, {
            step(flowNode, state: PathState) {
              let facts = [...state.facts];
              if (!flowNode.node) return facts;
              for (const event of eventsOf(file, flowNode.node)) {
                if (!completedIrps.has(event.irp)) continue;
                if (event.kind === 'assign') {
                  facts = facts.filter((fact) => fact.split('|')[1] !== event.irp);
                  continue;
                }
                if (event.kind === 'pass' && reclaimed.has(event.irp)) continue;
                if (event.kind === 'complete') {
                  const prior = facts.find((fact) => fact.split('|')[1] === event.irp);
                  if (prior && !reported.has(event.node.startIndex)) {
                    reported.add(event.node.startIndex);
                    pending.push({ event, kind: prior.split('|')[0], flowNode });
                  }
                }
                facts = facts.filter((fact) => fact.split('|')[1] !== event.irp);
                // No call site in the fact: forty `case`s that complete and break must merge into one state.
                facts.push(`${event.kind}|${event.irp}`);
              }
              return facts;
            },
          });
          if (!result) continue;
          for (const { event, kind, flowNode } of pending) {
            const first = priorCall(all, event, kind, result.graph, flowNode);
            if (!first) continue;
            context.report({
              node: event.node,
              messageId: kind === 'pass' ? 'completedAfterPassDown' : 'completedTwice',
              data: { irp: event.irp, first: calleeName(first) ?? 'the first completion', line: lineOf(first) },
              related: [{ node: first, message: kind === 'pass' ? 'passed down here' : 'first completed here' }],
            });
          }
        }
      },
    };
  },
};

/**
 * For the message: the completion (or pass-down) of the same IRP that reaches this one through the graph, the
 * nearest earlier one in the text first (a loop's back edge makes a later one the culprit).
 */
function priorCall(events: Event[], event: Event, kind: string, graph: FlowGraph, target: FlowNode): Node | undefined {
  const candidates = events.filter((candidate) => candidate.kind === kind && candidate.irp === event.irp && candidate.node.startIndex !== event.node.startIndex);
  const ordered = [
    ...candidates.filter((candidate) => candidate.node.startIndex < event.node.startIndex).reverse(),
    ...candidates.filter((candidate) => candidate.node.startIndex > event.node.startIndex).reverse(),
  ];
  for (const candidate of ordered) {
    const from = graph.nodes.find((node) => node.node && node.kind !== 'end' && node.node.startIndex <= candidate.node.startIndex && candidate.node.endIndex <= node.node.endIndex);
    if (from && reaches(graph, from, target)) return candidate.node;
  }
  return undefined;
}

/** Whether `target` can run after `from` (a path of at least one edge). */
function reaches(graph: FlowGraph, from: FlowNode, target: FlowNode): boolean {
  const seen = new Set<number>();
  const work = from.succ.map((edge) => edge.to);
  while (work.length > 0) {
    const id = work.pop()!;
    if (id === target.id) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const edge of graph.nodes[id].succ) work.push(edge.to);
  }
  return false;
}

function inLoop(node: Node, fn: FunctionInfo): boolean {
  for (let current = node.parent; current && current.id !== fn.node.id; current = current.parent) {
    if (current.type === 'for_statement' || current.type === 'while_statement' || current.type === 'do_statement') return true;
  }
  return false;
}
