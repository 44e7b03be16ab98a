/**
 * Notes a global variable written by code that user-mode requests reach, with no lock held and not through an
 * Interlocked* operation: two requests on two processors race on it (lost updates, torn values, broken invariants).
 */
import { LOCK_ACQUIRES, lockPaths } from '../analysis/locks';
import type { FlowNode } from '../analysis/paths';
import { calleeName, declaratorName, unwrap, type Node } from '../analysis/query';
import { gather, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

/** Types that are synchronization objects themselves (initialized, not raced on). */
const SYNC_TYPES = /^(KSPIN_LOCK|FAST_MUTEX|ERESOURCE|KEVENT|KMUTEX|KSEMAPHORE|EX_PUSH_LOCK|KGUARDED_MUTEX|WDFSPINLOCK|WDFWAITLOCK|IO_REMOVE_LOCK|EX_RUNDOWN_REF)$/;

/** Functions that run once, before or after the requests (setup and teardown). */
const INIT_NAME = /Init|Initiali[sz]e|Setup|Unload|AddDevice|DeviceAdd|DriverEntry|Cleanup|Destroy|Shutdown|Teardown|PrepareHardware|ReleaseHardware|Register|Start|Stop|Create|Close/i;

/** File-scope variables (not functions, not const, not synchronization objects). */
function globalVariables(file: SourceFile): Map<string, Node> {
  const globals = new Map<string, Node>();
  for (const declaration of file.nodes('declaration')) {
    if (file.enclosingFunction(declaration)) continue; // locals (cheap: no walk up the tree)
    let scope = declaration.parent;
    while (scope && (scope.type === 'preproc_if' || scope.type === 'preproc_ifdef' || scope.type === 'preproc_else' || scope.type === 'preproc_elif' || scope.type === 'linkage_specification' || scope.type === 'declaration_list')) scope = scope.parent;
    if (scope?.type !== 'translation_unit') continue;
    const text = declaration.text;
    if (/\bconst\b|\btypedef\b/.test(text)) continue;
    const type = declaration.childForFieldName('type')?.text ?? '';
    if (SYNC_TYPES.test(type)) continue;
    for (const declarator of declaration.childrenForFieldName('declarator')) {
      if (!declarator || declarator.type === 'function_declarator' || declarator.descendantsOfType('function_declarator').length > 0) continue;
      const name = declaratorName(declarator);
      if (name) globals.set(name, declaration);
    }
  }
  return globals;
}

/** The global a write targets: `g = …`, `g.f = …`, `g[i] = …`, `g++` (not writes through a global pointer). */
function writtenGlobal(target: Node | null, globals: Map<string, Node>): string | undefined {
  let current = unwrap(target);
  while (current) {
    if (current.type === 'identifier') return globals.has(current.text) ? current.text : undefined;
    if (current.type === 'field_expression') {
      if (current.childForFieldName('operator')?.text !== '.') return undefined;
      current = unwrap(current.childForFieldName('argument'));
    } else if (current.type === 'subscript_expression') {
      current = unwrap(current.childForFieldName('argument'));
    } else {
      return undefined;
    }
  }
  return undefined;
}

function flowNodeOf(nodes: FlowNode[], node: Node): FlowNode | undefined {
  return nodes.find((flow) => flow.node && flow.kind !== 'end' && flow.node.startIndex <= node.startIndex && node.endIndex <= flow.node.endIndex);
}

/** Names declared inside the function (locals and parameters shadow globals). */
function localNames(file: SourceFile, fn: FunctionInfo): Set<string> {
  const names = new Set(fn.params.map((param) => param.name));
  for (const declaration of file.within(fn.body!, 'declaration')) {
    for (const declarator of declaration.childrenForFieldName('declarator')) {
      const name = declaratorName(declarator);
      if (name) names.add(name);
    }
  }
  return names;
}

/** Dispatch routines the system serializes or runs once per handle: state changes there are not request races. */
const SERIALIZED_MAJORS = new Set(['IRP_MJ_PNP', 'IRP_MJ_POWER', 'IRP_MJ_CREATE', 'IRP_MJ_CLOSE', 'IRP_MJ_CLEANUP', 'IRP_MJ_SHUTDOWN', 'IRP_MJ_SYSTEM_CONTROL']);

/** Functions that concurrent requests run: request entries (not PnP/power/create/close) and what they call here. */
function concurrentFunctions(file: SourceFile): Set<string> {
  const driver = file.driver;
  const reached = new Set<string>();
  const queue: FunctionInfo[] = [];
  for (const fn of file.functions()) {
    const roles = driver.rolesOf(fn.name).filter((role) => role.role === 'wdm-dispatch' || role.role === 'kmdf-io' || role.role === 'kmdf-in-caller-context');
    if (roles.some((role) => role.role !== 'wdm-dispatch' || !SERIALIZED_MAJORS.has(role.detail ?? ''))) {
      reached.add(fn.name);
      queue.push(fn);
    }
  }
  while (queue.length > 0) {
    const fn = queue.pop()!;
    if (!fn.body) continue;
    for (const call of file.within(fn.body, 'call_expression')) {
      const target = file.functionByName(calleeName(call) ?? '');
      if (target && !reached.has(target.name)) {
        reached.add(target.name);
        queue.push(target);
      }
    }
  }
  return reached;
}

export const rule: Rule = {
  meta: {
    id: 'global-shared-state-unlocked',
    title: 'Global written without a lock',
    type: 'suggestion',
    severity: 'information',
    checklistItem: 'checklist.secure-coding',
    description: 'A file-scope variable is written from code reachable from user-mode requests without holding a lock and without an Interlocked* operation.',
    rationale: 'Dispatch routines and KMDF I/O callbacks run concurrently on several processors, one per request. A global updated there without a spin lock, mutex or Interlocked* operation loses updates and can be seen half-written; when the global is a count, an index or a pointer, the race becomes an out-of-bounds access or a use after free that a user can provoke by sending requests from several threads.',
    cwe: ['CWE-362', 'CWE-567'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/introduction-to-spin-locks',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/synchronization-techniques',
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-checklist',
    ],
    confidence: 'low',
    messages: {
      unlocked: 'Global `{{name}}` is written in {{fn}} (reachable from user-mode requests) without a lock or an Interlocked operation; concurrent requests race on it.',
    },
    examples: {
      bad: 'ULONG g_RequestCount;\nNTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    g_RequestCount++;\n    Irp->IoStatus.Status = STATUS_SUCCESS;\n    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n    return STATUS_SUCCESS;\n}\nVOID Register(PDRIVER_OBJECT DriverObject) {\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n}',
      good: 'LONG g_RequestCount;\nNTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    InterlockedIncrement(&g_RequestCount);\n    Irp->IoStatus.Status = STATUS_SUCCESS;\n    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n    return STATUS_SUCCESS;\n}\nVOID Register(PDRIVER_OBJECT DriverObject) {\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      ...gather('declaration', 'assignment_expression', 'update_expression', 'call_expression'),
      onEnd() {
        const writes = [...file.nodes('assignment_expression'), ...file.nodes('update_expression')];
        if (writes.length === 0) return;
        // KMDF serializes the callbacks of a sequential queue (and of a device or queue synchronization scope).
        if (/\bWdfIoQueueDispatchSequential\b|\bWdfSynchronizationScope(Device|Queue)\b/.test(file.text) && !file.driver.hasWdmDispatchTable) return;
        const globals = globalVariables(file);
        if (globals.size === 0) return;
        const globalPattern = new RegExp(`\\b(${[...globals.keys()].map((name) => name.replace(/\W/g, '')).join('|')})\\b`);
        const globalNames = [...globals.keys()];
        const driver = file.driver;
        const concurrent = concurrentFunctions(file);
        /** Whether some caller in this file calls `fn` with a lock held (or cannot be analysed). */
        const calledUnderLock = new Map<string, boolean>();
        let callsByName: Map<string, Node[]> | undefined;
        const underCallerLock = (fn: FunctionInfo): boolean => {
          let result = calledUnderLock.get(fn.name);
          if (result !== undefined) return result;
          result = false;
          if (!callsByName) {
            callsByName = new Map();
            for (const call of file.nodes('call_expression')) {
              const name = calleeName(call);
              if (name) callsByName.set(name, [...(callsByName.get(name) ?? []), call]);
            }
          }
          for (const call of callsByName.get(fn.name) ?? []) {
            const caller = file.enclosingFunction(call);
            if (!caller?.body) continue;
            if (!file.within(caller.body, 'call_expression').some((candidate) => LOCK_ACQUIRES[calleeName(candidate) ?? ''])) continue;
            const paths = lockPaths(file, caller);
            const flow = paths ? flowNodeOf(paths.result.graph.nodes, call) : undefined;
            if (!paths || !flow || paths.heldAt(flow, call.startIndex).length > 0) {
              result = true;
              break;
            }
          }
          calledUnderLock.set(fn.name, result);
          return result;
        };
        for (const fn of file.functions()) {
          if (!fn.body || !driver.isUserReachable(fn.name) || !concurrent.has(fn.name)) continue;
          if (INIT_NAME.test(fn.name) || /Locked|NoLock|Unsafe/i.test(fn.name)) continue;
          if (driver.rolesOf(fn.name).some((role) => role.role === 'driver-entry' || role.role === 'unload')) continue;
          const header = file.text.slice(Math.max(0, fn.node.startIndex - 300), fn.body.startIndex);
          if (/_Requires_(exclusive_|shared_)?lock_held_|_IRQL_requires_\(DISPATCH_LEVEL\)/.test(header)) continue;
          const bodyText = file.text.slice(fn.body.startIndex, fn.body.endIndex);
          if (!globalPattern.test(bodyText)) continue;
          // A write to a global names it, so its name is in the body's (parsed) text: when no name is, no candidate.
          const parsedBody = fn.body.text;
          if (!globalNames.some((name) => parsedBody.includes(name))) continue;
          const candidates = file.withinAll(fn.body, ['assignment_expression', 'update_expression']).map((write) => ({
            write,
            name: writtenGlobal(write.type === 'assignment_expression' ? write.childForFieldName('left') : write.childForFieldName('argument'), globals),
          })).filter((item): item is { write: Node; name: string } => item.name !== undefined);
          if (candidates.length === 0) continue;
          const locals = localNames(file, fn);
          const takesLocks = file.within(fn.body, 'call_expression').some((call) => LOCK_ACQUIRES[calleeName(call) ?? '']);
          const paths = takesLocks ? lockPaths(file, fn) : undefined;
          if (takesLocks && !paths) continue;
          if (!driver.isUserEntry(fn.name) && underCallerLock(fn)) continue;
          const reported = new Set<string>();
          for (const { write, name } of candidates) {
            if (locals.has(name) || reported.has(name)) continue;
            if (paths) {
              const flow = flowNodeOf(paths.result.graph.nodes, write);
              if (!flow || paths.heldAt(flow, write.startIndex).length > 0) continue;
            }
            reported.add(name);
            context.report({
              node: write,
              messageId: 'unlocked',
              data: { name, fn: fn.name },
              related: [{ node: globals.get(name)!, message: 'declared here' }],
            });
          }
        }
      },
    };
  },
};
