/**
 * Pointer lifetime along the paths of one function, on top of `paths.ts`: where a freed pointer is used again, and
 * which frees leave the pointer set on some path to the function's exit (not cleared with `p = NULL`). Shared by
 * use-after-free (uses on some path after the free, also out of an `if`) and freed-pointer-not-cleared (pointers
 * kept in globals, the device extension or a WDF context that later requests may use).
 *
 * Exclusive branches, early returns and flag checks are respected because the facts travel along the paths of
 * `analyzePaths`: a free on one branch of an `if`/`switch` never meets a use on the other. Pure.
 */
import { analyzePaths, type FlowNode } from './paths';
import { freeCallOfArgument, releasedArgument } from './frees';
import { accessPath, callArguments, calleeName, declaratorName, unwrap, type Node } from './query';
import type { FunctionInfo, SourceFile } from './source-file';

/** Node types the lifetime analysis reads through `file.within` (rules spread them into `gather`). */
export const LIFETIME_NODE_TYPES = ['identifier', 'field_expression', 'call_expression', 'assignment_expression', 'update_expression', 'pointer_expression', 'init_declarator'];

export interface FreedUse {
  /** The expression naming the freed pointer. */
  use: Node;
  /** The free call whose memory it names. */
  free: Node;
  path: string;
  /** `free`: handed to a free routine again (double-free's business). */
  kind: 'use' | 'free';
}

export interface LifetimeResult {
  /** Uses of a pointer on a path after it was freed, in document order (one entry per use and free). */
  uses: FreedUse[];
  /** Free calls (by node id) after which some path reaches the function's exit with the pointer still set. */
  uncleared: Set<number>;
  /** Free and release calls (FREES and RELEASES, by node id) the analysis saw. */
  frees: Map<number, { call: Node; path: string }>;
}

/** A path the analysis follows: an identifier or a chain of fields over one (no subscripts, calls or `*`). */
export function trackablePath(node: Node | null | undefined): string | undefined {
  const path = accessPath(node);
  return path && /^[A-Za-z_]\w*((->|\.)[A-Za-z_]\w*)*$/.test(path) ? path : undefined;
}

/** Whether `other` is `path` or an object `path` lives in (`ctx` for `ctx->Buffer`). */
export function overlaps(path: string, other: string | undefined): boolean {
  return other !== undefined && (other === path || path.startsWith(`${other}->`) || path.startsWith(`${other}.`));
}

function isInsideSizeof(node: Node, limit: Node): boolean {
  for (let current = node.parent; current && current.id !== limit.parent?.id; current = current.parent) {
    if (current.type === 'sizeof_expression') return true;
  }
  return false;
}

const NULL_LITERAL = /^\(?\s*(NULL|0|nullptr|0L|\(\s*\w+\s*\*?\s*\)\s*0)\s*\)?$/;

/** `p`, `!p`, `p == NULL`, `p != NULL`, `NULL == p` as (part of) a condition: reading the value, not the memory. */
export function isNullTest(candidate: Node): boolean {
  const { parent } = climbParentheses(candidate);
  if (!parent) return false;
  if (parent.type === 'unary_expression' && parent.child(0)?.text === '!') return true;
  if (parent.type === 'binary_expression') {
    const operator = parent.childForFieldName('operator')?.text;
    if (operator === '&&' || operator === '||') return true;
    if (operator === '==' || operator === '!=') {
      const left = parent.childForFieldName('left');
      const right = parent.childForFieldName('right');
      const other = left && left.endIndex <= candidate.startIndex ? left : right;
      return other !== null && NULL_LITERAL.test(other.text);
    }
  }
  if (parent.type === 'parenthesized_expression' || parent.type === 'condition_clause') return parent.parent?.type === 'if_statement' || parent.parent?.type === 'while_statement';
  if (parent.type === 'if_statement' || parent.type === 'while_statement' || parent.type === 'for_statement') return true;
  if (parent.type === 'conditional_expression' && parent.childForFieldName('condition')?.id === candidate.id) return true;
  return false;
}

function climbParentheses(node: Node): { holder: Node; parent: Node | null } {
  let holder = node;
  while (holder.parent?.type === 'parenthesized_expression' && holder.parent.parent?.type !== 'if_statement' && holder.parent.parent?.type !== 'while_statement') holder = holder.parent;
  return { holder, parent: holder.parent };
}

type Event = { at: number; kind: 'free'; call: Node; path: string } | { at: number; kind: 'kill'; path?: string; base?: string; node: Node } | { at: number; kind: 'use'; node: Node; path: string };

/** The events of one flow node in evaluation order (approximated: a write takes effect at the end of its expression). */
function eventsOf(file: SourceFile, node: Node): Event[] {
  const events: Event[] = [];
  // `T *p;` (in a loop: a new variable each turn).
  if (node.type === 'declaration') for (const declarator of node.childrenForFieldName('declarator')) events.push({ at: node.endIndex, kind: 'kill', path: declaratorName(declarator), node });
  for (const item of file.withinAll(node, ['call_expression', 'assignment_expression', 'update_expression', 'pointer_expression', 'init_declarator'])) {
    switch (item.type) {
      case 'call_expression': {
        const freed = releasedArgument(item);
        const path = trackablePath(freed);
        if (freed && path) events.push({ at: item.endIndex, kind: 'free', call: item, path });
        // A routine given the object that holds a field may free or replace the field.
        for (const argument of callArguments(item)) {
          const inner = unwrap(argument);
          const argumentPath = inner ? trackablePath(inner) : undefined;
          if (argumentPath && inner?.id !== freed?.id) events.push({ at: item.endIndex, kind: 'kill', base: argumentPath, node: item });
        }
        break;
      }
      case 'assignment_expression':
        events.push({ at: item.endIndex, kind: 'kill', path: accessPath(item.childForFieldName('left')), node: item });
        break;
      case 'update_expression':
        events.push({ at: item.endIndex, kind: 'kill', path: accessPath(item.childForFieldName('argument')), node: item });
        break;
      case 'pointer_expression': {
        const operator = item.childForFieldName('operator')?.text ?? item.child(0)?.text;
        if (operator === '&') events.push({ at: item.endIndex, kind: 'kill', path: accessPath(item.childForFieldName('argument')), node: item });
        break;
      }
      case 'init_declarator':
        events.push({ at: item.endIndex, kind: 'kill', path: declaratorName(item.childForFieldName('declarator')), node: item });
        break;
    }
  }
  return events;
}

/** Uses of any of `paths` inside `node`. */
function usesOf(file: SourceFile, node: Node, paths: ReadonlySet<string>): Event[] {
  const events: Event[] = [];
  for (const candidate of file.withinAll(node, ['identifier', 'field_expression'])) {
    const path = accessPath(candidate);
    if (!path || !paths.has(path)) continue;
    const parent = candidate.parent;
    if (parent?.type === 'assignment_expression' && parent.childForFieldName('left')?.id === candidate.id) continue;
    if (parent?.type === 'field_expression' && parent.childForFieldName('field')?.id === candidate.id) continue;
    if (parent && (parent.type === 'declaration' || parent.type.endsWith('_declarator') && parent.childForFieldName('declarator')?.id === candidate.id)) continue;
    if (isInsideSizeof(candidate, node)) continue;
    if (isNullTest(candidate)) continue;
    if (freeCallOfArgument(candidate)) continue; // a second free: reported as such
    const wrapper = climbParentheses(candidate).parent;
    if (wrapper?.type === 'pointer_expression' && (wrapper.childForFieldName('operator')?.text ?? wrapper.child(0)?.text) === '&') continue;
    events.push({ at: candidate.startIndex, kind: 'use', node: candidate, path });
  }
  return events;
}

const FACT = '\u0000';
const cache = new WeakMap<SourceFile, Map<number, LifetimeResult | null>>();

/** The lifetime facts of `fn` (cached per file); undefined when its paths cannot be analysed with confidence. */
export function lifetimeOf(file: SourceFile, fn: FunctionInfo): LifetimeResult | undefined {
  let byFunction = cache.get(file);
  if (!byFunction) cache.set(file, (byFunction = new Map()));
  const known = byFunction.get(fn.node.id);
  if (known !== undefined) return known ?? undefined;
  const result = compute(file, fn);
  byFunction.set(fn.node.id, result ?? null);
  return result;
}

function compute(file: SourceFile, fn: FunctionInfo): LifetimeResult | undefined {
  if (!fn.body) return undefined;
  const frees = new Map<number, { call: Node; path: string }>();
  for (const call of file.within(fn.body, 'call_expression')) {
    const path = trackablePath(releasedArgument(call));
    if (path) frees.set(call.id, { call, path });
  }
  if (frees.size === 0) return { uses: [], uncleared: new Set(), frees };
  const freeIds = new Map([...frees.values()].map(({ call }) => [`${call.startIndex}`, call]));
  const seen = new Set<string>();
  const uses: FreedUse[] = [];
  const eventCache = new Map<number, Event[]>();
  const analysis = analyzePaths(file, fn, {
    step(flow: FlowNode, state) {
      const node = flow.node;
      if (!node || state.facts.length === 0 && !containsFree(flow)) return state.facts;
      let facts = [...state.facts];
      let events = eventCache.get(flow.id);
      if (!events) eventCache.set(flow.id, (events = eventsOf(file, node)));
      const freedPaths = new Set(facts.map((fact) => fact.slice(0, fact.indexOf(FACT))));
      const all = freedPaths.size > 0 ? [...events, ...usesOf(file, node, freedPaths)] : events;
      all.sort((a, b) => a.at - b.at || (a.kind === 'use' ? -1 : b.kind === 'use' ? 1 : 0));
      for (const event of all) {
        if (event.kind === 'use') {
          for (const fact of facts) {
            if (!fact.startsWith(`${event.path}${FACT}`)) continue;
            const free = freeIds.get(fact.slice(fact.indexOf(FACT) + 1));
            if (!free || free.startIndex <= event.node.startIndex && event.node.endIndex <= free.endIndex) continue;
            const key = `${event.node.id}:${free.id}`;
            if (seen.has(key)) continue;
            seen.add(key);
            uses.push({ use: event.node, free, path: event.path, kind: 'use' });
          }
        } else if (event.kind === 'free') {
          for (const fact of facts) {
            if (!fact.startsWith(`${event.path}${FACT}`)) continue;
            const free = freeIds.get(fact.slice(fact.indexOf(FACT) + 1));
            if (!free || free.id === event.call.id) continue;
            const key = `${event.call.id}:${free.id}`;
            if (seen.has(key)) continue;
            seen.add(key);
            uses.push({ use: event.call, free, path: event.path, kind: 'free' });
          }
          facts = facts.filter((fact) => !fact.startsWith(`${event.path}${FACT}`));
          facts.push(`${event.path}${FACT}${event.call.startIndex}`);
        } else {
          facts = facts.filter((fact) => {
            const path = fact.slice(0, fact.indexOf(FACT));
            if (event.path !== undefined && overlaps(path, event.path)) return false;
            // A call handed `ctx` may replace `ctx->Buffer` (not `ctx` itself).
            return !(event.base !== undefined && event.base !== path && overlaps(path, event.base));
          });
        }
      }
      return facts;
    },
  });
  if (!analysis) return undefined;
  const uncleared = new Set<number>();
  for (const exit of analysis.exits) {
    for (const state of analysis.after(exit)) {
      for (const fact of state.facts) {
        const free = freeIds.get(fact.slice(fact.indexOf(FACT) + 1));
        if (free) uncleared.add(free.id);
      }
    }
  }
  uses.sort((a, b) => a.use.startIndex - b.use.startIndex);
  return { uses, uncleared, frees };

  function containsFree(flow: FlowNode): boolean {
    const node = flow.node;
    if (!node) return false;
    for (const { call } of frees.values()) if (node.startIndex <= call.startIndex && call.endIndex <= node.endIndex) return true;
    return false;
  }
}

/** The free routine's name for a call (for messages). */
export function freeName(call: Node): string {
  return calleeName(call) ?? 'the free';
}

/** The edit that sets `path` to NULL right after the statement `holder` (braces added when it is a lone branch). */
export function nullAfterEdit(file: SourceFile, holder: Node, path: string): { start: number; end: number; text: string } {
  const inList = holder.parent?.type === 'compound_statement' || holder.parent?.type === 'case_statement';
  return inList
    ? { start: holder.endIndex, end: holder.endIndex, text: `${file.eol}${file.indentationOf(holder)}${path} = NULL;` }
    : { start: holder.startIndex, end: holder.endIndex, text: `{ ${file.textOf(holder)} ${path} = NULL; }` };
}
