/**
 * Kernel lock APIs: which call acquires or releases which lock, identified by its argument text, shared by the
 * rules that reason about held locks (spinlock-not-released, paged-code-at-dispatch, global-shared-state-unlocked).
 */
import { analyzePaths, normalizedText, refineValues, type FlowNode, type PathResult } from './paths';
import { callArguments, calleeName, CAST_OR_PARENTHESES, climbWrappers, enclosingStatement, unwrap, type Node } from './query';
import type { FunctionInfo, SourceFile } from './source-file';
import { lookupTable } from './lookup';

export interface LockApi {
  /** Acquire and release calls of one family pair up. */
  family: string;
  /** The argument that names the lock (-1: the lock has no argument, e.g. critical regions). */
  argument: number;
  /** The lock raises IRQL to DISPATCH_LEVEL (spin locks). */
  spin: boolean;
}

export const LOCK_ACQUIRES: Record<string, LockApi> = lookupTable({
  KeAcquireSpinLock: { family: 'spin lock', argument: 0, spin: true },
  KeAcquireSpinLockRaiseToDpc: { family: 'spin lock', argument: 0, spin: true },
  KeAcquireSpinLockAtDpcLevel: { family: 'spin lock', argument: 0, spin: true },
  KeAcquireInStackQueuedSpinLock: { family: 'queued spin lock', argument: 1, spin: true },
  KeAcquireInStackQueuedSpinLockAtDpcLevel: { family: 'queued spin lock', argument: 1, spin: true },
  ExAcquireFastMutex: { family: 'fast mutex', argument: 0, spin: false },
  ExAcquireFastMutexUnsafe: { family: 'fast mutex', argument: 0, spin: false },
  KeAcquireGuardedMutex: { family: 'guarded mutex', argument: 0, spin: false },
  ExAcquireResourceExclusiveLite: { family: 'resource', argument: 0, spin: false },
  ExAcquireResourceSharedLite: { family: 'resource', argument: 0, spin: false },
  KeEnterCriticalRegion: { family: 'critical region', argument: -1, spin: false },
  KeEnterGuardedRegion: { family: 'guarded region', argument: -1, spin: false },
  WdfSpinLockAcquire: { family: 'WDF spin lock', argument: 0, spin: true },
  WdfWaitLockAcquire: { family: 'WDF wait lock', argument: 0, spin: false },
  WdfObjectAcquireLock: { family: 'WDF object lock', argument: 0, spin: false },
  ExAcquireSpinLockExclusive: { family: 'reader/writer spin lock', argument: 0, spin: true },
  ExAcquireSpinLockShared: { family: 'reader/writer spin lock', argument: 0, spin: true },
  NdisAcquireSpinLock: { family: 'NDIS spin lock', argument: 0, spin: true },
  NdisDprAcquireSpinLock: { family: 'NDIS spin lock', argument: 0, spin: true },
});

export const LOCK_RELEASES: Record<string, { family: string; argument: number }> = lookupTable({
  KeReleaseSpinLock: { family: 'spin lock', argument: 0 },
  KeReleaseSpinLockFromDpcLevel: { family: 'spin lock', argument: 0 },
  KeReleaseInStackQueuedSpinLock: { family: 'queued spin lock', argument: 0 },
  KeReleaseInStackQueuedSpinLockFromDpcLevel: { family: 'queued spin lock', argument: 0 },
  ExReleaseFastMutex: { family: 'fast mutex', argument: 0 },
  ExReleaseFastMutexUnsafe: { family: 'fast mutex', argument: 0 },
  KeReleaseGuardedMutex: { family: 'guarded mutex', argument: 0 },
  ExReleaseResourceLite: { family: 'resource', argument: 0 },
  ExReleaseResourceForThreadLite: { family: 'resource', argument: 0 },
  KeLeaveCriticalRegion: { family: 'critical region', argument: -1 },
  KeLeaveGuardedRegion: { family: 'guarded region', argument: -1 },
  WdfSpinLockRelease: { family: 'WDF spin lock', argument: 0 },
  WdfWaitLockRelease: { family: 'WDF wait lock', argument: 0 },
  WdfObjectReleaseLock: { family: 'WDF object lock', argument: 0 },
  ExReleaseSpinLockExclusive: { family: 'reader/writer spin lock', argument: 0 },
  ExReleaseSpinLockShared: { family: 'reader/writer spin lock', argument: 0 },
  NdisReleaseSpinLock: { family: 'NDIS spin lock', argument: 0 },
  NdisDprReleaseSpinLock: { family: 'NDIS spin lock', argument: 0 },
});

/** The release that matches an acquire, for messages. */
export const RELEASE_FOR: Record<string, string> = lookupTable({
  KeAcquireSpinLock: 'KeReleaseSpinLock',
  KeAcquireSpinLockRaiseToDpc: 'KeReleaseSpinLock',
  KeAcquireSpinLockAtDpcLevel: 'KeReleaseSpinLockFromDpcLevel',
  KeAcquireInStackQueuedSpinLock: 'KeReleaseInStackQueuedSpinLock',
  KeAcquireInStackQueuedSpinLockAtDpcLevel: 'KeReleaseInStackQueuedSpinLockFromDpcLevel',
  ExAcquireFastMutex: 'ExReleaseFastMutex',
  ExAcquireFastMutexUnsafe: 'ExReleaseFastMutexUnsafe',
  KeAcquireGuardedMutex: 'KeReleaseGuardedMutex',
  ExAcquireResourceExclusiveLite: 'ExReleaseResourceLite',
  ExAcquireResourceSharedLite: 'ExReleaseResourceLite',
  KeEnterCriticalRegion: 'KeLeaveCriticalRegion',
  KeEnterGuardedRegion: 'KeLeaveGuardedRegion',
  WdfSpinLockAcquire: 'WdfSpinLockRelease',
  WdfWaitLockAcquire: 'WdfWaitLockRelease',
  WdfObjectAcquireLock: 'WdfObjectReleaseLock',
  ExAcquireSpinLockExclusive: 'ExReleaseSpinLockExclusive',
  ExAcquireSpinLockShared: 'ExReleaseSpinLockShared',
  NdisAcquireSpinLock: 'NdisReleaseSpinLock',
  NdisDprAcquireSpinLock: 'NdisDprReleaseSpinLock',
});

/** `family:argument`: the identity of a lock. */
export function lockKey(call: Node, api: { family: string; argument: number }): string | undefined {
  if (api.argument < 0) return `${api.family}:`;
  const argument = callArguments(call)[api.argument];
  let text = normalizedText(argument);
  if (!text) return undefined;
  // `&Handle` and `Handle` name the same queued-lock handle / lock.
  text = text.replace(/^&/, '');
  return `${api.family}:${text}`;
}

/** Acquires that return whether they got the lock (NTSTATUS or BOOLEAN), and the value that means success. */
const RESULT_OF_ACQUIRE: Record<string, string> = lookupTable({
  WdfWaitLockAcquire: 'STATUS_SUCCESS',
  ExAcquireResourceExclusiveLite: '#1',
  ExAcquireResourceSharedLite: '#1',
});

/**
 * How an acquire takes effect: `always` for a statement of its own (`KeAcquireSpinLock(&l, &irql);`,
 * `irql = KeAcquireSpinLockRaiseToDpc(&l);`); `{ variable, success }` when its result is stored and tested later
 * (`status = WdfWaitLockAcquire(l, NULL); if (!NT_SUCCESS(status)) return status;`): held only where the variable
 * can still mean success; undefined when we cannot tell (a try-acquire inside a condition).
 */
export function acquireEffect(call: Node): 'always' | { variable: string; success: string } | undefined {
  const { holder, parent } = climbWrappers(call, CAST_OR_PARENTHESES);
  if (!parent) return undefined;
  if (parent.type === 'expression_statement') return 'always';
  const name = calleeName(call) ?? '';
  let variable: string | undefined;
  if (parent.type === 'assignment_expression' && parent.childForFieldName('right')?.id === holder.id && parent.parent?.type === 'expression_statement') {
    const left = unwrap(parent.childForFieldName('left'));
    variable = left?.type === 'identifier' ? left.text : undefined;
    if (!variable) return RESULT_OF_ACQUIRE[name] ? undefined : 'always';
  } else if (parent.type === 'init_declarator' && enclosingStatement(parent).type === 'declaration') {
    variable = parent.childForFieldName('declarator')?.text;
  } else {
    return undefined;
  }
  const success = RESULT_OF_ACQUIRE[name];
  if (!success) return 'always';
  return variable && /^\w+$/.test(variable) ? { variable, success } : undefined;
}

/** Whether an acquire surely takes the lock where it runs (kept for callers that need a yes/no). */
export function isUnconditionalAcquire(call: Node): boolean {
  return acquireEffect(call) === 'always';
}

/** A call of a helper that (probably) releases a lock for its caller: named like Release or Unlock, or a function of this file that calls a release API. */
export function releasesForCaller(file: SourceFile, name: string): boolean {
  if (LOCK_RELEASES[name] || LOCK_ACQUIRES[name]) return false;
  if (/Release|Unlock|Leave/i.test(name) && !/Remove|Reference/i.test(name)) return true;
  const target = file.functionByName(name);
  if (!target?.body) return false;
  return file.within(target.body, 'call_expression').some((call) => LOCK_RELEASES[calleeName(call) ?? ''] !== undefined);
}

/** System routine names: passing them the saved IRQL does not release the lock (KeLowerIrql, tracing). */
const SYSTEM_ROUTINE = /^(Ke|Ex|Io|Rtl|Mm|Ob|Ps|Zw|Nt|Se|Po|Wdf|Dbg|Kd|Hal|Ndis|Interlocked|WPP|Trace)/;

/** `KeAcquireSpinLock(l, &irql)` → irql; `irql = KeAcquireSpinLockRaiseToDpc(l)` → irql; queued: the handle. */
function savedStateOf(call: Node, name: string): string | undefined {
  if (name === 'KeAcquireSpinLock' || name === 'KeAcquireInStackQueuedSpinLock' || name === 'KeAcquireInStackQueuedSpinLockAtDpcLevel') {
    return normalizedText(callArguments(call)[1])?.replace(/^&/, '');
  }
  if (name === 'KeAcquireSpinLockRaiseToDpc' || name === 'ExAcquireSpinLockExclusive' || name === 'ExAcquireSpinLockShared') {
    const { parent } = climbWrappers(call, CAST_OR_PARENTHESES);
    if (parent?.type === 'assignment_expression') return normalizedText(parent.childForFieldName('left'));
    if (parent?.type === 'init_declarator') return parent.childForFieldName('declarator')?.text;
  }
  return undefined;
}

/** Lock state fact: `held|<key>|<acquire offset>|<acquire call name>[|<result variable>|<success value>]`. */
export interface HeldLock {
  key: string;
  offset: number;
  api: string;
  /** For acquires whose result is stored: the variable and its success value (held where it can be that). */
  variable?: string;
  success?: string;
}

export function parseHeld(fact: string): HeldLock | undefined {
  if (!fact.startsWith('held|')) return undefined;
  const [, key, offset, api, variable, success] = fact.split('|');
  return { key, offset: Number(offset), api, variable, success };
}

export interface LockPaths {
  result: PathResult;
  /** Locks held before a flow node runs, on any path. */
  heldBefore(node: FlowNode): HeldLock[];
  /** Locks held at a point inside a flow node (after the calls before `offset` in that node ran). */
  heldAt(node: FlowNode, offset: number): HeldLock[];
  /** The locks held at that point on each path (state) reaching the node: "held on every path" checks. */
  heldAtEach(node: FlowNode, offset: number): HeldLock[][];
}

const lockPathCache = new WeakMap<FunctionInfo, LockPaths | null>();

/**
 * Which locks are held where in a function. Undefined when the function takes no lock or cannot be analysed.
 * Releases whose argument matches no acquire of the family (an alias: `PKSPIN_LOCK l = &x->Lock`) release every
 * lock of the family, and calls of release helpers release everything: the state errs towards "not held".
 */
export function lockPaths(file: SourceFile, fn: FunctionInfo): LockPaths | undefined {
  const cached = lockPathCache.get(fn);
  if (cached !== undefined) return cached ?? undefined;
  const computed = computeLockPaths(file, fn);
  lockPathCache.set(fn, computed ?? null);
  return computed;
}

function computeLockPaths(file: SourceFile, fn: FunctionInfo): LockPaths | undefined {
  if (!fn.body) return undefined;
  const calls = file.within(fn.body, 'call_expression');
  const acquired = new Set<string>();
  for (const call of calls) {
    const api = LOCK_ACQUIRES[calleeName(call) ?? ''];
    const key = api ? lockKey(call, api) : undefined;
    if (key) acquired.add(key);
  }
  if (acquired.size === 0) return undefined;
  const aliasFamilies = new Set<string>();
  for (const call of calls) {
    const api = LOCK_RELEASES[calleeName(call) ?? ''];
    if (!api) continue;
    const key = lockKey(call, api);
    if (!key || !acquired.has(key)) aliasFamilies.add(api.family);
  }
  // The saved IRQL (or queued-lock handle) of each acquire: a helper that receives it releases the lock for us.
  const savedState = new Map<number, string>();
  for (const call of calls) {
    const name = calleeName(call) ?? '';
    const api = LOCK_ACQUIRES[name];
    if (!api) continue;
    const saved = savedStateOf(call, name);
    if (saved) savedState.set(call.startIndex, saved);
  }
  const apply = (facts: string[], call: Node): string[] => {
    const name = calleeName(call) ?? '';
    const acquire = LOCK_ACQUIRES[name];
    if (acquire) {
      const key = lockKey(call, acquire);
      const effect = key ? acquireEffect(call) : undefined;
      if (effect === 'always') return [...facts, `held|${key}|${call.startIndex}|${name}`];
      if (effect) return [...facts, `held|${key}|${call.startIndex}|${name}|${effect.variable}|${effect.success}`];
      return facts;
    }
    const release = LOCK_RELEASES[name];
    if (release) {
      const key = lockKey(call, release);
      return facts.filter((fact) => {
        const held = parseHeld(fact);
        if (!held) return true;
        if (aliasFamilies.has(release.family)) return !held.key.startsWith(`${release.family}:`);
        return held.key !== key;
      });
    }
    if (facts.length === 0) return facts;
    if (releasesForCaller(file, name)) return facts.filter((fact) => !fact.startsWith('held|'));
    if (savedState.size > 0 && !SYSTEM_ROUTINE.test(name)) {
      const passed = new Set(callArguments(call).map((argument) => normalizedText(argument)?.replace(/^&/, '')));
      return facts.filter((fact) => {
        const held = parseHeld(fact);
        const saved = held ? savedState.get(held.offset) : undefined;
        return !saved || !passed.has(saved);
      });
    }
    return facts;
  };
  const result = analyzePaths(file, fn, {
    step(node, state) {
      let facts = [...state.facts];
      if (!node.node) return facts;
      for (const call of file.within(node.node, 'call_expression')) facts = apply(facts, call);
      return facts;
    },
    refine(condition, outcome, state) {
      // `if (!NT_SUCCESS(status))` after `status = WdfWaitLockAcquire(…)`: on the failure edge the lock is not held.
      return state.facts.filter((fact) => {
        const held = parseHeld(fact);
        if (!held?.variable || !held.success) return true;
        return refineValues(file, condition, outcome, new Map([[held.variable, held.success]])) !== undefined;
      });
    },
  });
  if (!result) return undefined;
  const heldOf = (facts: readonly string[]) => facts.map(parseHeld).filter((held): held is HeldLock => held !== undefined);
  return {
    result,
    heldBefore: (node) => uniqueHeld(result.before(node).flatMap((state) => heldOf(state.facts))),
    heldAtEach: (node, offset) => result.before(node).map((state) => {
      let facts = [...state.facts];
      if (node.node) for (const call of file.within(node.node, 'call_expression')) if (call.endIndex <= offset) facts = apply(facts, call);
      return heldOf(facts);
    }),
    heldAt(node, offset) {
      return uniqueHeld(this.heldAtEach(node, offset).flat());
    },
  };
}

function uniqueHeld(list: HeldLock[]): HeldLock[] {
  const seen = new Map<string, HeldLock>();
  for (const held of list) if (!seen.has(`${held.key}|${held.offset}`)) seen.set(`${held.key}|${held.offset}`, held);
  return [...seen.values()];
}

/** The lock argument as written, for messages (`&DeviceExtension->Lock`). */
export function lockArgumentText(call: Node, api: { argument: number }): string {
  return api.argument < 0 ? '' : (unwrap(callArguments(call)[api.argument])?.text ?? '');
}
