/**
 * Conditional compilation: the arms of `#if`/`#ifdef`/`#elif`/`#else` are alternatives. One build sees one arm of
 * each chain, so a guard, a probe or a flag in one arm says nothing about code in another arm, and it holds after
 * the `#endif` only when every arm (the implicit empty `#else` included) has it. `#if 0` arms are dead (no findings,
 * no guards), `#if 1` is always taken; any other condition counts both ways.
 *
 * Everything is answered from offsets: the chains are read once per file from the gathered preprocessor nodes, so
 * asking whether two nodes can be in one build costs no tree walk. Pure: no editor or I/O imports.
 */
import type { Node } from './query';
import type { SourceFile } from './source-file';

/** Node types of the first arm of a chain. */
export const CHAIN_TYPES = ['preproc_if', 'preproc_ifdef'] as const;
/** Every node type that holds the statements of one arm. */
export const ARM_TYPES = new Set(['preproc_if', 'preproc_ifdef', 'preproc_elif', 'preproc_elifdef', 'preproc_else']);

export type Taken = 'always' | 'never' | 'maybe';

export interface Arm {
  /** The node holding the arm's statements (its children other than the condition and the alternative). */
  node: Node;
  id: number;
  chain: Chain;
  index: number;
  /** The arm's own text: from its directive to the next directive of the chain. */
  start: number;
  end: number;
  taken: Taken;
  /** The configuration the arm is compiled in, for messages: "`DBG` is not defined". */
  when: string;
  /** The arm's own condition as `#if` text, whitespace removed (undefined for `#else`). */
  condition?: string;
}

export interface Chain {
  node: Node;
  id: number;
  start: number;
  end: number;
  arms: Arm[];
  /** When the chain has no `#else`: the configuration of the implicit empty one (undefined otherwise). */
  implicitElse?: { taken: Taken; when: string };
  /** The parent node's span, read on first use (null: no parent). */
  parentSpan?: { start: number; end: number; id: number } | null;
}

interface FileConditionals {
  chains: Chain[];
  /** Every arm, sorted by start. */
  arms: Arm[];
  armsAt: Map<number, Arm[]>;
}

const cache = new WeakMap<SourceFile, FileConditionals>();

const ZERO = /^\(*\s*0+[uUlL]*\s*\)*$/;
const NONZERO = /^\(*\s*(?:[1-9]\d*|0[xX]0*[1-9a-fA-F][0-9a-fA-F]*)[uUlL]*\s*\)*$/;

function constantTaken(condition: string): Taken {
  const text = condition.trim();
  if (ZERO.test(text)) return 'never';
  if (NONZERO.test(text)) return 'always';
  return 'maybe';
}

const DEFINED = /^\(?\s*defined\s*\(?\s*([A-Za-z_]\w*)\s*\)?\s*\)?$/;
const NOT_DEFINED = /^!\s*\(?\s*defined\s*\(?\s*([A-Za-z_]\w*)\s*\)?\s*\)?$/;

/** "`X` is defined" / "`E` is true", and its negation. */
function describe(condition: string): { holds: string; fails: string } {
  const text = condition.replace(/\s+/g, ' ').trim();
  let match = DEFINED.exec(text);
  if (match) return { holds: `\`${match[1]}\` is defined`, fails: `\`${match[1]}\` is not defined` };
  match = NOT_DEFINED.exec(text);
  if (match) return { holds: `\`${match[1]}\` is not defined`, fails: `\`${match[1]}\` is defined` };
  return { holds: `\`${text}\` is true`, fails: `\`${text}\` is false` };
}

/** The directive condition of an arm as `#if` text: `#ifdef X` → `defined(X)`, `#ifndef X` → `!defined(X)`. */
function conditionOf(arm: Node): string | undefined {
  if (arm.type === 'preproc_else') return undefined;
  if (arm.type === 'preproc_ifdef' || arm.type === 'preproc_elifdef') {
    const name = arm.childForFieldName('name')?.text ?? '';
    const negated = /^#\s*(?:el)?ifndef/.test(arm.child(0)?.text ?? '');
    return negated ? `!defined(${name})` : `defined(${name})`;
  }
  return arm.childForFieldName('condition')?.text ?? '';
}

function build(file: SourceFile): FileConditionals {
  const chains: Chain[] = [];
  const arms: Arm[] = [];
  const starts = CHAIN_TYPES.flatMap((type) => file.nodes(type)).sort((a, b) => a.startIndex - b.startIndex);
  for (const first of starts) {
    const chain: Chain = { node: first, id: first.id, start: first.startIndex, end: first.endIndex, arms: [] };
    const earlier: { holds: string; fails: string }[] = [];
    let anyAlways = false;
    let allNever = true;
    let current: Node | null = first;
    while (current) {
      const alternative: Node | null = current.type === 'preproc_else' ? null : current.childForFieldName('alternative');
      const condition = conditionOf(current);
      let taken: Taken;
      let when: string;
      if (condition === undefined) {
        taken = anyAlways ? 'never' : allNever ? 'always' : 'maybe';
        when = earlier.map((item) => item.fails).join(' and ');
      } else {
        const own = constantTaken(condition);
        taken = anyAlways ? 'never' : own;
        const description = describe(condition);
        when = [...earlier.map((item) => item.fails), description.holds].join(' and ');
        earlier.push(description);
        if (own === 'always') anyAlways = true;
        if (own !== 'never') allNever = false;
      }
      const arm: Arm = { node: current, id: current.id, chain, index: chain.arms.length, start: current.startIndex, end: alternative ? alternative.startIndex : current.endIndex, taken, when, condition: condition?.replace(/\s+/g, '') };
      chain.arms.push(arm);
      arms.push(arm);
      if (current.type === 'preproc_else') break;
      current = alternative;
    }
    if (chain.arms[chain.arms.length - 1].node.type !== 'preproc_else') {
      chain.implicitElse = { taken: anyAlways ? 'never' : allNever ? 'always' : 'maybe', when: earlier.map((item) => item.fails).join(' and ') };
    }
    chains.push(chain);
  }
  arms.sort((a, b) => a.start - b.start);
  return { chains, arms, armsAt: new Map() };
}

function conditionals(file: SourceFile): FileConditionals {
  let found = cache.get(file);
  if (!found) {
    found = build(file);
    cache.set(file, found);
  }
  return found;
}

/** The arms whose text holds the offset, innermost first. */
export function armsAt(file: SourceFile, offset: number): readonly Arm[] {
  const info = conditionals(file);
  if (info.arms.length === 0) return [];
  let found = info.armsAt.get(offset);
  if (!found) {
    found = [];
    for (const arm of info.arms) {
      if (arm.start > offset) break;
      if (offset < arm.end) found.push(arm);
    }
    found.reverse();
    info.armsAt.set(offset, found);
  }
  return found;
}

/** Whether the file has any conditional chain (most answers are then trivial). */
export function hasConditionals(file: SourceFile): boolean {
  return conditionals(file).chains.length > 0;
}

/** In an arm no build compiles (`#if 0`, an `#else` after `#if 1`): no findings, no guards. */
export function isDeadAt(file: SourceFile, offset: number): boolean {
  return armsAt(file, offset).some((arm) => arm.taken === 'never');
}

/** False when the two offsets lie in different arms of one chain: no build compiles both. */
export function sameConfiguration(file: SourceFile, a: number, b: number): boolean {
  if (!hasConditionals(file)) return true;
  const aArms = armsAt(file, a);
  const bArms = armsAt(file, b);
  for (const arm of aArms) {
    if (arm.chain.start <= b && b < arm.chain.end && !(arm.start <= b && b < arm.end)) return false;
  }
  for (const arm of bArms) {
    if (arm.chain.start <= a && a < arm.chain.end && !(arm.start <= a && a < arm.end)) return false;
  }
  return true;
}

/** The arm that `node` is a direct child of (its statement sits at the top level of that arm), if any. */
export function armOfChild(file: SourceFile, node: Node, parent: Node | null): Arm | undefined {
  if (!parent || !ARM_TYPES.has(parent.type)) return undefined;
  return armsAt(file, node.startIndex).find((arm) => arm.id === parent.id);
}

/** The chain's parent span (the block the whole `#if … #endif` sits in). */
export function chainParentSpan(chain: Chain): { start: number; end: number; id: number } | null {
  if (chain.parentSpan === undefined) {
    const parent = chain.node.parent;
    chain.parentSpan = parent ? { start: parent.startIndex, end: parent.endIndex, id: parent.id } : null;
  }
  return chain.parentSpan;
}

/**
 * A statement at the top level of an arm, ending before `useStart`: does it hold at the use after the `#endif`?
 * Only when every arm a build may take (the implicit empty `#else` included) has an equivalent statement
 * (`armHasIt(arm)`), and the chain sits in a block that holds the use.
 */
export function holdsAfterChain(file: SourceFile, arm: Arm, useStart: number, useEnd: number, armHasIt: (arm: Arm) => boolean): boolean {
  const chain = arm.chain;
  if (chain.end > useStart) return false;
  const parent = chainParentSpan(chain);
  if (!parent || parent.start > useStart || useEnd > parent.end) return false;
  if (chain.implicitElse && chain.implicitElse.taken !== 'never') return false;
  return chain.arms.every((other) => other.taken === 'never' || armHasIt(other));
}

// ---------------------------------------------------------------------------------------------------------------
// Configurations: a rule that needs a flag set in some arm asks, for each combination of the arms around the nodes
// it reads, which of those nodes one build sees.

export interface Configuration {
  /** The arm taken in each chain that matters (by chain id; -1: the implicit `#else`). */
  choices: ReadonlyMap<number, number>;
  /** Whether a node at this offset is compiled in this configuration. */
  active(offset: number): boolean;
  /** "when `X` is not defined" (empty when no chain matters). */
  describe(): string;
}

/**
 * The configurations that tell the given offsets apart: every combination of the live arms of the chains that hold
 * any of them, deduplicated by which offsets each one compiles. At most `limit` (undefined beyond: the caller
 * should not guess). Dead arms never appear; with no chain around the offsets, one configuration that has them all.
 */
export function configurationsOf(file: SourceFile, offsets: readonly number[], limit = 16): Configuration[] | undefined {
  const chains = new Map<number, Chain>();
  for (const offset of offsets) for (const arm of armsAt(file, offset)) chains.set(arm.chain.id, arm.chain);
  const ordered = [...chains.values()].sort((a, b) => a.start - b.start);
  let combos: Map<number, number>[] = [new Map()];
  const optionCount = new Map<number, number>();
  for (const chain of ordered) {
    const options = chain.arms.filter((arm) => arm.taken !== 'never').map((arm) => arm.index);
    if (chain.implicitElse && chain.implicitElse.taken !== 'never') options.push(-1);
    optionCount.set(chain.id, options.length);
    const next: Map<number, number>[] = [];
    for (const combo of combos) for (const option of options) next.push(new Map(combo).set(chain.id, option));
    combos = next;
    if (combos.length > limit * 8) return undefined;
  }
  const seen = new Set<string>();
  const result: Configuration[] = [];
  for (const choices of combos) {
    const active = (offset: number) => armsAt(file, offset).every((arm) => arm.taken !== 'never' && (!choices.has(arm.chain.id) || choices.get(arm.chain.id) === arm.index));
    const key = offsets.map((offset) => (active(offset) ? '1' : '0')).join('');
    if (seen.has(key)) continue;
    seen.add(key);
    // Name the chains this build compiles (a chain nested in an arm not taken does not matter).
    const compiled = (chain: Chain) => armsAt(file, chain.start).every((arm) => arm.chain === chain || (arm.taken !== 'never' && (!choices.has(arm.chain.id) || choices.get(arm.chain.id) === arm.index)));
    const describeChoices = () => {
      const parts: string[] = [];
      for (const chain of ordered) {
        if (!compiled(chain) || optionCount.get(chain.id)! < 2) continue; // `#if 0`, `#if 1`: no choice to name
        const index = choices.get(chain.id)!;
        const when = index === -1 ? chain.implicitElse!.when : chain.arms[index].when;
        if (when && !parts.includes(when)) parts.push(when);
      }
      return parts.length > 0 ? `when ${parts.join(' and ')}` : '';
    };
    result.push({ choices, active, describe: describeChoices });
    if (result.length > limit) return undefined;
  }
  return result;
}

/**
 * For checks found anywhere textually before a use (not by block structure): a check at `at` reaches `useStart`
 * when they can be in one build, the check is not dead, and for each chain the check is in and the use is not,
 * every arm a build takes has an equivalent check (`armHasIt(arm)`; the implicit empty `#else` never has one).
 */
export function reachesUse(file: SourceFile, at: number, useStart: number, armHasIt: (arm: Arm) => boolean): boolean {
  if (!hasConditionals(file)) return true;
  if (isDeadAt(file, at) || !sameConfiguration(file, at, useStart)) return false;
  for (const arm of armsAt(file, at)) {
    if (arm.chain.start <= useStart && useStart < arm.chain.end) continue;
    if (arm.chain.implicitElse && arm.chain.implicitElse.taken !== 'never') return false;
    if (!arm.chain.arms.every((other) => other.taken === 'never' || other.id === arm.id || armHasIt(other))) return false;
  }
  return true;
}

/** Whether code at `a` and code at `b` can be compiled in one build: neither is dead, and no chain puts them in different arms. */
export function inOneBuild(file: SourceFile, a: number, b: number): boolean {
  if (!hasConditionals(file)) return true;
  return !isDeadAt(file, a) && !isDeadAt(file, b) && sameConfiguration(file, a, b);
}

/**
 * The shared answer for a rule that searches text order for an earlier check (a validator call, a comparison, a
 * zeroing call): of `checks` (each before the use and enough on its own), whether one holds at `useStart`. A check
 * in a dead arm or in another arm does not; one inside an arm the use is not in holds only when every arm a build
 * takes has one of `checks` directly in it (the implicit empty `#else` has none).
 */
export function anyCheckReaches(file: SourceFile, checks: readonly Node[], useStart: number): boolean {
  if (checks.length === 0) return false;
  if (!hasConditionals(file)) return true;
  const armHasIt = (arm: Arm) => checks.some((other) => armsAt(file, other.startIndex)[0]?.id === arm.id);
  return checks.some((check) => reachesUse(file, check.startIndex, useStart, armHasIt));
}

/** How builds take the arm held by `node` (a `preproc_if`/`ifdef`/`elif`/`else` node); 'maybe' when it is no arm. */
export function armTaken(file: SourceFile, node: Node): Taken {
  return armsAt(file, node.startIndex).find((arm) => arm.id === node.id)?.taken ?? 'maybe';
}

/**
 * Whether another chain in [start, end) tests one of the conditions of the chain whose first arm is `node`
 * (`#if defined(PERFCNT)` around a declaration, its assignment and its use): such chains are taken together, not
 * independently, and a rule that weighs arms as alternative paths should not combine them freely.
 */
export function hasCorrelatedChain(file: SourceFile, node: Node, start: number, end: number): boolean {
  const info = conditionals(file);
  const chain = info.chains.find((candidate) => candidate.id === node.id);
  if (!chain) return false;
  const own = new Set(chain.arms.map((arm) => arm.condition).filter((condition): condition is string => condition !== undefined));
  return info.chains.some((other) => other !== chain && other.start >= start && other.end <= end && other.arms.some((arm) => arm.condition !== undefined && own.has(arm.condition)));
}
