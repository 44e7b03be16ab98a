/** Routines that free memory, and which argument they free. Shared by use-after-free and double-free. */
import { callArguments, calleeName, CAST_OR_PARENTHESES, climbWrappers, unwrap, type Node } from './query';
import { lookupTable } from './lookup';

/** Free routines with the index of the freed pointer. */
export const FREES: Record<string, number> = lookupTable({
  ExFreePool: 0,
  ExFreePoolWithTag: 0,
  ExFreePool2: 0,
  IoFreeMdl: 0,
  MmFreeContiguousMemory: 0,
  MmFreeNonCachedMemory: 0,
  ExFreeToNPagedLookasideList: 1,
  ExFreeToPagedLookasideList: 1,
});

/** Routines that end the caller's hold on an object without freeing pool directly (the object may go away). */
export const RELEASES: Record<string, number> = lookupTable({
  ObDereferenceObject: 0,
  ObfDereferenceObject: 0,
  ObDereferenceObjectWithTag: 0,
  WdfObjectDelete: 0,
});

/** The pointer a free or release call gives up (FREES and RELEASES); undefined for other calls. */
export function releasedArgument(call: Node): Node | undefined {
  const name = calleeName(call);
  const index = name ? FREES[name] ?? RELEASES[name] : undefined;
  if (index === undefined) return undefined;
  return unwrap(callArguments(call)[index]) ?? undefined;
}

/** The pointer a free call releases (casts and parentheses dropped); undefined for other calls. */
export function freedArgument(call: Node): Node | undefined {
  const name = calleeName(call);
  const index = name ? FREES[name] : undefined;
  if (index === undefined) return undefined;
  return unwrap(callArguments(call)[index]) ?? undefined;
}

/** The free call when `node` is (a cast of) the pointer argument that call releases. */
export function freeCallOfArgument(node: Node): Node | undefined {
  const { parent } = climbWrappers(node, CAST_OR_PARENTHESES);
  const call = parent?.type === 'argument_list' ? parent.parent : null;
  if (!call || call.type !== 'call_expression') return undefined;
  return freedArgument(call)?.id === node.id ? call : undefined;
}
