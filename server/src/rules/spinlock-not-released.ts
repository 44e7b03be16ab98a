/**
 * Flags a function that returns with a lock it took still held on some path (an early return, a `goto` past the
 * release, a missing release in one branch): the next acquire deadlocks, and a spin lock left held keeps the CPU at
 * DISPATCH_LEVEL.
 */
import { LOCK_ACQUIRES, LOCK_RELEASES, RELEASE_FOR, lockKey, lockPaths, parseHeld, type HeldLock } from '../analysis/locks';
import { callArguments, calleeName, type Node } from '../analysis/query';
import { lineOf, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

/** Functions that take a lock for their caller by design (lock wrappers). */
function isLockWrapper(file: SourceFile, fn: FunctionInfo): boolean {
  if (/Lock|Acquire|Enter|Begin/i.test(fn.name)) return true;
  const annotated = new RegExp(`_Acquires_\\w*\\([^;{}]*?\\b${fn.name}\\s*\\(`, 's');
  return file.text.includes('_Acquires_') && annotated.test(file.text);
}

/**
 * The locks a function is annotated to be called with and to return with (`_Requires_lock_held_(X)`, its
 * exclusive/shared spellings) on its definition or a prototype in this file, as normalized lock texts (no
 * white space, parentheses or leading `&`/`*`).
 */
function requiredLocks(file: SourceFile, fn: FunctionInfo): Set<string> {
  const locks = new Set<string>();
  if (!file.text.includes('_lock_held_')) return locks;
  const annotated = new RegExp(`_Requires_(?:exclusive_|shared_)?lock_held_\\s*\\(((?:[^()]|\\([^()]*\\))*)\\)(?=[^;{}]*?\\b${fn.name}\\s*\\()`, 'g');
  for (const match of file.text.matchAll(annotated)) locks.add(normalizedLock(match[1]));
  return locks;
}

function normalizedLock(text: string): string {
  return text.replace(/\s+/g, '').replace(/[()]/g, '').replace(/^[&*]+/, '');
}

/**
 * The conditions (normalized text) a node sits under inside the function: `if` conditions and preprocessor
 * conditions (`#if DBG` around both the acquire and the release is one configuration, not two paths).
 */
function guardingConditions(node: Node, fn: FunctionInfo): string[] {
  const conditions: string[] = [];
  let child: Node = node;
  for (let current = node.parent; current && current.id !== fn.node.id; child = current, current = current.parent) {
    if (current.type === 'if_statement') {
      const condition = current.childForFieldName('condition');
      if (condition) conditions.push(condition.text.replace(/\s+/g, ''));
    } else if (current.type === 'preproc_if' || current.type === 'preproc_ifdef' || current.type === 'preproc_elif') {
      if (current.childForFieldName('alternative')?.id === child.id) continue; // the #else side is handled below
      const condition = current.childForFieldName('condition') ?? current.childForFieldName('name');
      if (condition) conditions.push(`#${current.child(0)?.text ?? ''} ${condition.text.replace(/\s+/g, '')}`);
    } else if (current.type === 'preproc_else') {
      const owner = current.parent;
      const condition = owner?.childForFieldName('condition') ?? owner?.childForFieldName('name');
      if (condition) conditions.push(`#else ${owner?.child(0)?.text ?? ''} ${condition.text.replace(/\s+/g, '')}`);
    }
  }
  return conditions;
}

/**
 * Locks taken and released under the same condition (`if (Ctx->UseLock) Acquire … if (Ctx->UseLock) Release`):
 * the path analysis cannot see that the two tests agree, so these locks are left alone.
 */
function conditionallyPaired(fn: FunctionInfo, calls: Node[]): Set<string> {
  const skipped = new Set<string>();
  const acquireConditions = new Map<string, string[]>();
  for (const call of calls) {
    const api = LOCK_ACQUIRES[calleeName(call) ?? ''];
    const key = api ? lockKey(call, api) : undefined;
    if (key) acquireConditions.set(key, [...(acquireConditions.get(key) ?? []), ...guardingConditions(call, fn)]);
  }
  for (const call of calls) {
    const api = LOCK_RELEASES[calleeName(call) ?? ''];
    const key = api ? lockKey(call, api) : undefined;
    const taken = key ? acquireConditions.get(key) : undefined;
    if (!key || !taken || taken.length === 0) continue;
    if (guardingConditions(call, fn).some((condition) => taken.includes(condition))) skipped.add(key);
  }
  return skipped;
}

export const rule: Rule = {
  meta: {
    id: 'spinlock-not-released',
    title: 'Lock not released on every path',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    description: 'A spin lock, fast mutex, resource, critical region or WDF lock acquired in a function is still held on some path that returns from it.',
    scope: 'function-local',
    rationale: 'A lock left held by an early return or a goto past the release deadlocks the next thread that asks for it, and a spin lock left held keeps the processor at DISPATCH_LEVEL, where the next page fault or wait bug-checks the machine (IRQL_NOT_LESS_OR_EQUAL). When the path is an error path a caller can trigger (a bad IOCTL input), any user can hang or crash the system. Release the lock on every path, typically through a single cleanup label.',
    cwe: ['CWE-667', 'CWE-833'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/introduction-to-spin-locks',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereleasespinlock',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/fast-mutexes-and-guarded-mutexes',
    ],
    confidence: 'medium',
    messages: {
      notReleased: '`{{lock}}` ({{family}} taken by {{api}} on line {{line}}) is still held when the function returns here; call {{release}} on this path first.',
      notReleasedAtEnd: '`{{lock}}` ({{family}} taken by {{api}} on line {{line}}) is still held when the function ends; call {{release}} on every path.',
    },
    examples: {
      bad: 'KeAcquireSpinLock(&ext->Lock, &oldIrql);\nif (ext->Pending == NULL) {\n    return STATUS_INVALID_DEVICE_STATE;\n}\nProcess(ext->Pending);\nKeReleaseSpinLock(&ext->Lock, oldIrql);\nreturn STATUS_SUCCESS;',
      good: 'KeAcquireSpinLock(&ext->Lock, &oldIrql);\nif (ext->Pending == NULL) {\n    KeReleaseSpinLock(&ext->Lock, oldIrql);\n    return STATUS_INVALID_DEVICE_STATE;\n}\nProcess(ext->Pending);\nKeReleaseSpinLock(&ext->Lock, oldIrql);\nreturn STATUS_SUCCESS;',
    },
  },
  // A call of a helper of this file that releases a lock ends the caller's hold (releasesForCaller reads the
  // helper's body): which helpers call a release API is the file fact the function-scoped analysis depends on.
  fileFacts(file) {
    const releasing = new Set<string>();
    for (const call of file.nodes('call_expression')) {
      if (LOCK_RELEASES[calleeName(call) ?? ''] === undefined) continue;
      const fn = file.enclosingFunction(call);
      if (fn) releasing.add(fn.name);
    }
    return [...releasing].sort().join(' ');
  },
  create(context) {
    const { file } = context;
    // With `scope: 'function-local'` the engine hands over only the calls of the functions it re-analyzes.
    const visited = new Set<FunctionInfo>();
    return {
      call_expression(call) {
        const fn = file.enclosingFunction(call);
        if (fn) visited.add(fn);
      },
      onEnd() {
        for (const fn of file.functions()) {
          if (!fn.body || !visited.has(fn)) continue;
          const calls = file.within(fn.body, 'call_expression');
          if (!calls.some((call) => LOCK_ACQUIRES[calleeName(call) ?? ''])) continue;
          if (isLockWrapper(file, fn)) continue;
          const paths = lockPaths(file, fn);
          if (!paths || paths.result.graph.hasFinally) continue; // __finally releases are not modelled
          const skipped = conditionallyPaired(fn, calls);
          // Entered holding the lock and meant to return holding it (it may drop and re-take it in between).
          const required = requiredLocks(file, fn);
          if (required.size > 0) {
            for (const call of calls) {
              const api = LOCK_ACQUIRES[calleeName(call) ?? ''];
              const key = api ? lockKey(call, api) : undefined;
              if (key && required.has(normalizedLock(key.slice(key.indexOf(':') + 1)))) skipped.add(key);
            }
          }
          const reported = new Set<string>();
          for (const exit of paths.result.exits) {
            const held = new Map<string, HeldLock>();
            for (const state of paths.result.after(exit)) {
              for (const fact of state.facts) {
                const lock = parseHeld(fact);
                if (!lock || skipped.has(lock.key) || held.has(lock.key)) continue;
                held.set(lock.key, lock);
              }
            }
            for (const lock of held.values()) {
              const acquire = calls.find((call) => call.startIndex === lock.offset);
              if (!acquire) continue;
              const atEnd = exit.kind === 'end';
              const node = atEnd ? (fn.body.lastChild ?? acquire) : exit.node!;
              const id = `${node.startIndex}|${lock.key}`;
              if (reported.has(id)) continue;
              reported.add(id);
              const family = lock.key.slice(0, lock.key.indexOf(':'));
              const api = LOCK_ACQUIRES[lock.api];
              // The lock as written (for in-stack queued locks the lock, not the handle that identifies the acquisition).
              const shown = api ? callArguments(acquire)[family === 'queued spin lock' ? 0 : api.argument] : undefined;
              const lockText = api && api.argument >= 0 ? (shown?.text.replace(/^&\s*/, '').replace(/\s+/g, ' ') ?? lock.key.slice(family.length + 1)) : `${lock.api}()`;
              context.report({
                node,
                messageId: atEnd ? 'notReleasedAtEnd' : 'notReleased',
                data: { lock: lockText, family, api: lock.api, line: lineOf(acquire), release: RELEASE_FOR[lock.api] ?? 'the release' },
                related: [{ node: acquire, message: 'acquired here' }],
              });
            }
          }
        }
      },
    };
  },
};
