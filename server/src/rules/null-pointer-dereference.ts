/**
 * Flags a pointer dereferenced (`p->f`, `*p`, `p[i]`, a call through it, a copy/zero routine or a helper of the file
 * that dereferences its parameter) on a path of the function where it is NULL: set to NULL (also right after a
 * free), the result of an allocation or of a lookup that can return NULL with no NULL check on that path, or found
 * NULL by a check whose NULL branch goes on to use it.
 *
 * A forward analysis over the paths of the function (analysis/paths.ts). Facts: the paths (`p`, `ctx->Buffer`) that
 * are NULL, or may be, on this path, each with where that came from. A NULL check's non-NULL branch, any other
 * assignment, `&p` handed out, or (for a field or a global) a call that may change it ends the fact; `p && p->f`,
 * `p ? p->f : 0` and assertions are respected. Allocation results that alloc-result-unchecked reports (the first
 * mention after the allocation dereferences it) are left to that rule.
 */
import { findDeclaration } from '../analysis/declarations';
import { failureExit } from '../analysis/fix-helpers';
import { freedArgument } from '../analysis/frees';
import { trackablePath } from '../analysis/lifetime';
import { CHECKED_ALLOCATORS, DEREFERENCING_CALLS, NULLABLE_LOOKUPS, NULLABLE_TEXT, nullableCall, uncheckedFirstUse } from '../analysis/nullable';
import { analyzePaths, normalizedText, type FlowNode } from '../analysis/paths';
import { accessPath, callArguments, calleeName, CAST_OR_PARENTHESES, climbWrappers, declaratorName, enclosingStatement, exitsBlock, nodeAtPlace, placeIn, unwrap, type Node, type NodePlace } from '../analysis/query';
import { isNameCharAt, isNameStartAt, isSpaceAt, matchesAt, pathEndAt, pathStartsBefore } from '../analysis/lookup';
import { gather, lineOf, type FixDescriptor, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

const SEP = '\u0000';
const NULL_LITERAL = /^\(?\s*(NULL|0|0L|nullptr|\(\s*\w+\s*\*?\s*\)\s*(0|NULL))\s*\)?$/;
/** ASSERT, NT_ASSERT, NT_ASSERTMSG, NT_VERIFY, a driver's own TD_ASSERT, PREfast's assumptions. */
const ASSERTIONS = /^([A-Z][A-Z0-9]*_)*(ASSERT|VERIFY)[A-Z0-9_]*$|^(__analysis_assume|_Analysis_assume_)$/;
/** `#pragma prefast(suppress: 6011 …)` / `#pragma warning(suppress: 6011)`: the author reviewed a NULL dereference there (C6011, C28182). */
const PREFAST_SUPPRESSION = /#\s*pragma\s+(prefast|warning)\s*\(\s*suppress\s*:\s*[\d\s]*\b(6011|28182)\b/;
const FALSE_ASSERTION = /^\(?\s*(FALSE|false|0|!\s*"[^"]*"|!\s*L"[^"]*")\s*\)?$/;
const COPIES = new Set(['RtlCopyMemory', 'memcpy', 'memmove', 'RtlMoveMemory', 'RtlCopyBytes', 'RtlZeroMemory', 'RtlSecureZeroMemory', 'memset', 'RtlFillMemory', 'RtlZeroBytes', 'RtlFillBytes', 'RtlCompareMemory', 'RtlEqualMemory', 'memcmp']);
/** Calls that change no memory a field or global could live in (the copy routines are the uses this rule looks for). */
const HARMLESS = /^(Dbg\w*|Kd\w*|Trace\w*|DoTraceMessage|WPP_\w*|UNREFERENCED_PARAMETER|PAGED_CODE|NT_SUCCESS|FIELD_OFFSET|CONTAINING_RECORD|KeQuery\w*|KeGetCurrent\w*|IoGetCurrentIrpStackLocation|IoGetNextIrpStackLocation|MmGetMdl\w*|Interlocked(Increment|Decrement)\w*|RtlInit(Unicode|Ansi)String|\w*Get\w*Context|WdfObjectGetTypedContext\w*)$/;
const LOOPS = new Set(['for_statement', 'while_statement', 'do_statement']);
/** Path states per flow node before the analysis gives up (silent): a function that needs more is not judged. */
const MAX_STATES = 32;

type SourceKind = 'assigned' | 'cleared' | 'allocation' | 'lookup' | 'tested';

interface NullSource {
  kind: SourceKind;
  path: string;
  /** The assignment, the nullable call, or the condition. */
  node: Node;
  call?: Node;
}

interface Use {
  node: Node;
  /** Message text for the dereference. */
  text: string;
}

type Event =
  | { at: number; kind: 'gen'; path: string; source: NullSource }
  | { at: number; kind: 'kill'; path: string; sub: boolean }
  | { at: number; kind: 'shared' }
  | { at: number; kind: 'use'; path: string; use: Use }
  | { at: number; kind: 'assert'; paths: ReadonlySet<string> | 'all' };

function operatorOf(node: Node): string | undefined {
  return node.childForFieldName('operator')?.text ?? node.child(node.type === 'pointer_expression' || node.type === 'unary_expression' ? 0 : 1)?.text;
}

/** The value a path is given, through chained assignments (`a = b = NULL`). */
function assignedValue(value: Node | null): Node | null {
  let right = unwrap(value);
  while (right?.type === 'assignment_expression' && (right.childForFieldName('operator')?.text ?? '=') === '=') right = unwrap(right.childForFieldName('right'));
  return right;
}

/** The path a condition operand names (`p`, `(p = Lookup())`). */
function testedPath(node: Node | null): string | undefined {
  const inner = unwrap(node);
  if (!inner) return undefined;
  if (inner.type === 'assignment_expression') return trackablePath(inner.childForFieldName('left'));
  if (inner.type === 'identifier' || inner.type === 'field_expression') return trackablePath(inner);
  return undefined;
}

/** The paths a condition's outcome proves NULL and not NULL. */
function nullness(condition: Node | null, outcome: boolean, nulls: Set<string>, nonNulls: Set<string>, depth = 0): void {
  let node = unwrap(condition);
  if (node?.type === 'condition_clause') node = unwrap(node.childForFieldName('value'));
  if (!node || depth > 20) return;
  if (node.type === 'unary_expression' && operatorOf(node) === '!') {
    nullness(node.childForFieldName('argument'), !outcome, nulls, nonNulls, depth + 1);
    return;
  }
  if (node.type === 'identifier' || node.type === 'field_expression' || node.type === 'assignment_expression') {
    const path = testedPath(node);
    if (path) (outcome ? nonNulls : nulls).add(path);
    return;
  }
  if (node.type === 'binary_expression') {
    const operator = node.childForFieldName('operator')?.text;
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (!left || !right) return;
    if (operator === '&&' && outcome || operator === '||' && !outcome) {
      nullness(left, outcome, nulls, nonNulls, depth + 1);
      nullness(right, outcome, nulls, nonNulls, depth + 1);
      return;
    }
    if (operator === '==' || operator === '!=') {
      const value = NULL_LITERAL.test(right.text) ? left : NULL_LITERAL.test(left.text) ? right : undefined;
      const path = value ? testedPath(value) : undefined;
      if (path) ((operator === '==') === outcome ? nulls : nonNulls).add(path);
    }
  }
}

function nonNullPaths(condition: Node | null, outcome: boolean): Set<string> {
  const nonNulls = new Set<string>();
  nullness(condition, outcome, new Set(), nonNulls);
  return nonNulls;
}

/** `p && p->f`, `!p || p->f`, `p ? p->f : 0`: the use is evaluated only when the expression around it proved `path` not NULL. */
function guardedInExpression(use: Node, path: string, limit: Node): boolean {
  let current = use;
  for (let parent = current.parent; parent && current.id !== limit.id; current = parent, parent = parent.parent) {
    if (parent.type === 'binary_expression') {
      const operator = parent.childForFieldName('operator')?.text;
      const left = parent.childForFieldName('left');
      if (left && left.id !== current.id) {
        if (operator === '&&' && nonNullPaths(left, true).has(path)) return true;
        if (operator === '||' && nonNullPaths(left, false).has(path)) return true;
      }
    } else if (parent.type === 'conditional_expression') {
      const condition = parent.childForFieldName('condition');
      if (condition && condition.id !== current.id && nonNullPaths(condition, parent.childForFieldName('consequence')?.id === current.id).has(path)) return true;
    }
    if (parent.id === limit.id) break;
  }
  return false;
}

function isInside(node: Node, limit: Node, types: ReadonlySet<string>): boolean {
  for (let current = node.parent; current && current.id !== limit.id; current = current.parent) {
    if (types.has(current.type)) return true;
    if (current.type === 'expression_statement' || current.type === 'compound_statement') return false;
  }
  return false;
}

const SIZEOF = new Set(['sizeof_expression', 'alignof_expression', 'offsetof_expression']);

function isAssertionArgument(node: Node, limit: Node): boolean {
  for (let current = node.parent; current && current.id !== limit.parent?.id; current = current.parent) {
    if (current.type === 'call_expression' && ASSERTIONS.test(calleeName(current) ?? '')) return true;
    if (current.type === 'expression_statement' || current.type === 'compound_statement') return false;
  }
  return false;
}

/** The parameters a function of this file dereferences without ever testing them for NULL (one level: its own body only). */
type HelperSummary = Map<string, Map<number, Node>>;

function helperSummaries(file: SourceFile): HelperSummary {
  const summaries: HelperSummary = new Map();
  const wanted = wantedHelperArguments(file);
  for (const fn of file.functions()) {
    const indexes = wanted.get(fn.name);
    if (!fn.body || !indexes || summaries.has(fn.name)) continue;
    const key = [...indexes].sort((x, y) => x - y).join(',');
    const carried = file.summaryBefore<{ key: string; first: [number, NodePlace][] }>(HELPER_SUMMARY, fn);
    let first: Map<number, Node> | undefined;
    if (carried?.key === key) {
      first = new Map();
      for (const [index, place] of carried.first) {
        const node = nodeAtPlace(fn.node, place);
        if (!node) {
          first = undefined;
          break;
        }
        first.set(index, node);
      }
    }
    first ??= dereferencedWithoutTest(file, fn, fn.body, indexes);
    const places = [...first].map(([index, node]) => [index, placeIn(fn.node, node)!] as [number, NodePlace]);
    file.keepSummary(HELPER_SUMMARY, fn, { key, first: places });
    if (first.size > 0) summaries.set(fn.name, first);
  }
  return summaries;
}

/** Summaries kept between versions of a file (`SourceFile.keepSummary`): they depend on the function's text alone, and on the argument indexes asked. */
const HELPER_SUMMARY = 'null-pointer-dereference:helper';
const WANTED_ARGUMENTS = 'null-pointer-dereference:wanted';

/** The pointer parameters among `indexes` that the body dereferences on every call before any NULL test of them. */
function dereferencedWithoutTest(file: SourceFile, fn: FunctionInfo, body: Node, indexes: ReadonlySet<number>): Map<number, Node> {
  const first = new Map<number, Node>();
  const text = file.textOf(body);
  const pointers = fn.params.map((param, index) => ({ param, index })).filter(({ param, index }) => indexes.has(index) && param.name && (param.isPointer || /^(P[A-Z0-9_]\w*|PVOID|LP\w+)$/.test(param.type.trim())) && text.includes(param.name));
  if (pointers.length === 0) return first;
  const names = new Map(pointers.map(({ param, index }) => [param.name, index]));
  const spoiled = new Set<number>();
  for (const identifier of file.within(body, 'identifier')) {
    const index = names.get(identifier.text);
    if (index === undefined || spoiled.has(index)) continue;
    const { holder, parent } = climbWrappers(identifier, CAST_OR_PARENTHESES);
    if (!parent) continue;
    if (isNullTestOperand(holder, parent) || isAssertionArgument(identifier, body)
      || parent.type === 'assignment_expression' && parent.childForFieldName('left')?.id === holder.id
      || parent.type === 'pointer_expression' && operatorOf(parent) === '&') {
      spoiled.add(index);
      continue;
    }
    if (first.has(index) || isInside(identifier, body, SIZEOF)) continue;
    const use = directUse(holder, parent);
    // Only a dereference every call makes: a statement of the body itself, with no return before it.
    if (use && enclosingStatement(use.node).parent?.id === body.id && !returnsBefore(file, body, use.node.startIndex)) first.set(index, use.node);
    else if (use) spoiled.add(index);
  }
  for (const index of spoiled) first.delete(index);
  return first;
}

function returnsBefore(file: SourceFile, body: Node, at: number): boolean {
  return file.within(body, 'return_statement').some((statement) => statement.startIndex < at) || file.within(body, 'goto_statement').some((statement) => statement.startIndex < at);
}

/**
 * The (function, argument index) pairs worth a summary: a call of a function of this file hands it a path that the
 * calling function sets to NULL, to a result that can be NULL, or tests for NULL (by text). Keeps the summaries, and
 * so the rule's file facts, to the few helpers that matter (handlers called from a dispatch switch with `Irp` do not).
 */
function wantedHelperArguments(file: SourceFile): Map<string, Set<number>> {
  const wanted = new Map<string, Set<number>>();
  for (const caller of file.functions()) {
    if (!caller.body) continue;
    const pairs = file.summaryBefore<[string, number][]>(WANTED_ARGUMENTS, caller) ?? wantedBy(file, caller);
    file.keepSummary(WANTED_ARGUMENTS, caller, pairs);
    for (const [callee, index] of pairs) {
      let set = wanted.get(callee);
      if (!set) wanted.set(callee, (set = new Set()));
      set.add(index);
    }
  }
  return wanted;
}

/** The (callee, argument index) pairs of one function's calls that `wantedHelperArguments` collects, in call order. */
function wantedBy(file: SourceFile, caller: FunctionInfo): [string, number][] {
  const pairs: [string, number][] = [];
  const calls: { call: Node; callee: string }[] = [];
  for (const call of file.within(caller.node, 'call_expression')) {
    const callee = unwrap(call.childForFieldName('function'));
    if (callee?.type !== 'identifier' || !file.functionByName(callee.text) || caller.name === callee.text) continue;
    if (file.enclosingFunction(call) === caller) calls.push({ call, callee: callee.text });
  }
  if (calls.length === 0) return pairs;
  // A caller whose text names no path hands none of them over: no argument needs a look.
  const named = namedPaths(file, caller);
  if (named.size === 0) return pairs;
  for (const { call, callee } of calls) {
    callArguments(call).forEach((argument, index) => {
      const path = trackablePath(argument);
      if (path && named.has(path)) pairs.push([callee, index]);
    });
  }
  return pairs;
}

/** `p` read as a truth value or compared (`!p`, `p == NULL`, `if (p)`, `p && …`, `p ? …`). */
function isNullTestOperand(holder: Node, parent: Node): boolean {
  if (parent.type === 'unary_expression' && operatorOf(parent) === '!') return true;
  if (parent.type === 'binary_expression') return /^(&&|\|\||==|!=)$/.test(parent.childForFieldName('operator')?.text ?? '');
  if (parent.type === 'condition_clause' || parent.type === 'if_statement' || parent.type === 'while_statement') return true;
  if (parent.type === 'parenthesized_expression') return true;
  if (parent.type === 'conditional_expression') return parent.childForFieldName('condition')?.id === holder.id;
  return false;
}

/** `p->f`, `p[i]`, `*p`, `p(…)`, or `p` handed to a routine that reads or writes through it. */
function directUse(holder: Node, parent: Node): Use | undefined {
  if (parent.type === 'field_expression' && parent.childForFieldName('argument')?.id === holder.id && operatorOf(parent) === '->') return { node: parent, text: `\`${oneLine(parent.text)}\`` };
  if (parent.type === 'subscript_expression' && parent.childForFieldName('argument')?.id === holder.id) return { node: parent, text: `\`${oneLine(parent.text)}\`` };
  if (parent.type === 'pointer_expression' && operatorOf(parent) === '*' && parent.childForFieldName('argument')?.id === holder.id) return { node: parent, text: `\`${oneLine(parent.text)}\`` };
  if (parent.type === 'call_expression' && parent.childForFieldName('function')?.id === holder.id) return { node: parent, text: `a call through \`${oneLine(holder.text)}\`` };
  if (parent.type === 'argument_list' && parent.parent?.type === 'call_expression') {
    const call = parent.parent;
    const name = calleeName(call) ?? '';
    const positions = Object.prototype.hasOwnProperty.call(DEREFERENCING_CALLS, name) ? DEREFERENCING_CALLS[name] : undefined;
    if (!positions) return undefined;
    const args = callArguments(call);
    const index = args.findIndex((argument) => argument.id === holder.id);
    if (!positions.includes(index)) return undefined;
    // A copy of zero bytes reads nothing.
    if (COPIES.has(name) && /^\(?\s*0\s*\)?$/.test(args[args.length - 1]?.text ?? '')) return undefined;
    return { node: call, text: `\`${name}\` (which dereferences it)` };
  }
  return undefined;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

interface Tracked {
  paths: Set<string>;
  prefixes: Set<string>;
  shared: Set<string>;
}

class NullAnalysis {
  /** The first use each source reaches, by source key. */
  readonly found = new Map<string, { source: NullSource; use: Use; length?: string }>();
  private readonly sources = new Map<string, NullSource>();
  private readonly eventCache = new Map<number, Event[]>();
  private readonly nullnessCache = new Map<number, { nulls: Set<string>; nonNulls: Set<string> }>();
  /** Locals given the literal 0 somewhere (a copy length that may be zero together with a NULL buffer). */
  private readonly zeroed = new Set<string>();

  constructor(private readonly file: SourceFile, private readonly fn: FunctionInfo, private readonly tracked: Tracked, private readonly helpers: () => HelperSummary, private readonly sourceNodes: readonly Node[]) {}

  run(): boolean {
    for (const assignment of this.file.within(this.fn.body!, 'assignment_expression')) {
      const left = unwrap(assignment.childForFieldName('left'));
      if (left?.type === 'identifier' && /^\s*0[uUlL]*\s*$/.test(assignedValue(assignment.childForFieldName('right'))?.text ?? '')) this.zeroed.add(left.text);
    }
    for (const declarator of this.file.within(this.fn.body!, 'init_declarator')) {
      const name = declaratorName(declarator.childForFieldName('declarator'));
      if (name && /^\s*0[uUlL]*\s*$/.test(declarator.childForFieldName('value')?.text ?? '')) this.zeroed.add(name);
    }
    const result = analyzePaths(this.file, this.fn, {
      step: (flow, state) => {
        const node = flow.node;
        if (!node || state.facts.length === 0 && !this.sourceNodes.some((source) => node.startIndex <= source.startIndex && source.endIndex <= node.endIndex)) return state.facts;
        let events = this.eventCache.get(flow.id);
        if (!events) this.eventCache.set(flow.id, (events = this.eventsOf(flow)));
        return this.apply(events, state.facts, state.values);
      },
      refine: (condition, outcome, state) => {
        // The same condition is refined once per state reaching it: its verdict depends on the node alone.
        const cacheKey = outcome ? condition.id : -condition.id - 1;
        let verdict = this.nullnessCache.get(cacheKey);
        if (!verdict) {
          verdict = { nulls: new Set<string>(), nonNulls: new Set<string>() };
          nullness(condition, outcome, verdict.nulls, verdict.nonNulls);
          this.nullnessCache.set(cacheKey, verdict);
        }
        const { nulls, nonNulls } = verdict;
        let facts = nonNulls.size === 0 ? state.facts : state.facts.filter((fact) => !nonNulls.has(fact.slice(0, fact.indexOf(SEP))));
        for (const path of nulls) {
          if (!this.tracked.paths.has(path) || facts.some((fact) => fact.startsWith(`${path}${SEP}`))) continue;
          facts = [...facts, this.fact({ kind: 'tested', path, node: condition })];
        }
        return facts;
      },
    }, MAX_STATES);
    return result !== undefined;
  }

  private fact(source: NullSource): string {
    const key = `${source.kind}:${source.node.startIndex}:${source.path}`;
    if (!this.sources.has(key)) this.sources.set(key, source);
    return `${source.path}${SEP}${key}`;
  }

  private apply(events: readonly Event[], input: readonly string[], values: ReadonlyMap<string, string>): string[] {
    let facts = [...input];
    for (const event of events) {
      switch (event.kind) {
        case 'gen':
          facts = facts.filter((fact) => !fact.startsWith(`${event.path}${SEP}`));
          facts.push(this.fact(event.source));
          break;
        case 'kill':
          facts = facts.filter((fact) => {
            const path = fact.slice(0, fact.indexOf(SEP));
            if (!event.sub && path === event.path) return false;
            return !(path.startsWith(`${event.path}->`) || path.startsWith(`${event.path}.`));
          });
          break;
        case 'shared':
          facts = facts.filter((fact) => !this.tracked.shared.has(fact.slice(0, fact.indexOf(SEP))));
          break;
        case 'assert':
          facts = facts.filter((fact) => {
            const key = fact.slice(fact.indexOf(SEP) + 1);
            if (this.sources.get(key)?.kind === 'allocation') return true; // an assertion is no check of an allocation in a release build
            return event.paths !== 'all' && !event.paths.has(fact.slice(0, fact.indexOf(SEP)));
          });
          break;
        case 'use':
          for (const fact of facts) {
            if (!fact.startsWith(`${event.path}${SEP}`)) continue;
            const key = fact.slice(fact.indexOf(SEP) + 1);
            const source = this.sources.get(key);
            if (!source) continue;
            // A copy whose length is zero on this path (`length = 0` with the pointer) reads nothing.
            if (event.use.node.type === 'call_expression' && COPIES.has(calleeName(event.use.node) ?? '')) {
              const args = callArguments(event.use.node);
              const length = unwrap(args[args.length - 1]);
              if (length?.type === 'identifier' && (values.get(length.text) === '#0' || this.zeroed.has(length.text))) continue;
            }
            const known = this.found.get(key);
            if (!known || event.use.node.startIndex < known.use.node.startIndex) this.found.set(key, { source, use: event.use });
          }
          break;
      }
    }
    return facts;
  }

  private eventsOf(flow: FlowNode): Event[] {
    const node = flow.node!;
    const events: Event[] = [];
    const { file } = this;
    if (node.type === 'declaration') {
      for (const declarator of node.childrenForFieldName('declarator')) {
        if (!declarator) continue;
        const name = declaratorName(declarator);
        if (!name || !this.tracked.paths.has(name) && !this.tracked.prefixes.has(name)) continue;
        if (declarator.type !== 'init_declarator') {
          events.push({ at: declarator.endIndex, kind: 'kill', path: name, sub: false });
          continue;
        }
        const value = assignedValue(declarator.childForFieldName('value'));
        const source = this.tracked.paths.has(name) && value ? this.sourceOf(name, value, declarator) : undefined;
        events.push(source ? { at: declarator.endIndex, kind: 'gen', path: name, source } : { at: declarator.endIndex, kind: 'kill', path: name, sub: false });
      }
    }
    for (const occurrence of file.withinAll(node, ['identifier', 'field_expression'])) {
      const path = trackablePath(occurrence);
      if (!path) continue;
      const isPath = this.tracked.paths.has(path);
      if (!isPath && !this.tracked.prefixes.has(path)) continue;
      const { holder, parent } = climbWrappers(occurrence, CAST_OR_PARENTHESES);
      if (!parent) continue;
      if (parent.type === 'init_declarator' || parent.type === 'declaration' || parent.type.endsWith('_declarator')) continue; // the declaration's events
      if (parent.type === 'field_expression' && parent.childForFieldName('field')?.id === occurrence.id) continue;
      if (parent.type === 'assignment_expression' && parent.childForFieldName('left')?.id === holder.id) {
        const operator = parent.childForFieldName('operator')?.text ?? '=';
        const value = operator === '=' ? assignedValue(parent.childForFieldName('right')) : null;
        const source = isPath && value ? this.sourceOf(path, value, parent) : undefined;
        events.push(source ? { at: parent.endIndex, kind: 'gen', path, source } : { at: parent.endIndex, kind: 'kill', path, sub: false });
        continue;
      }
      if (parent.type === 'update_expression' || parent.type === 'pointer_expression' && operatorOf(parent) === '&') {
        events.push({ at: parent.endIndex, kind: 'kill', path, sub: false });
        continue;
      }
      if (!isPath) {
        // `ctx` handed to a routine that may replace `ctx->Buffer`.
        if (parent.type === 'argument_list' && parent.parent?.type === 'call_expression' && !this.isHarmless(parent.parent)) events.push({ at: parent.endIndex, kind: 'kill', path, sub: true });
        continue;
      }
      if (isInside(occurrence, node, SIZEOF) || isAssertionArgument(occurrence, node)) continue;
      const use = directUse(holder, parent) ?? this.helperUse(holder, parent);
      if (!use || guardedInExpression(use.node, path, node)) continue;
      events.push({ at: occurrence.startIndex, kind: 'use', path, use });
    }
    for (const call of file.within(node, 'call_expression')) {
      const name = calleeName(call) ?? '';
      if (ASSERTIONS.test(name)) {
        const args = callArguments(call);
        const argument = /MSG/.test(name) ? args[args.length - 1] : args[0];
        if (!argument) continue;
        events.push({ at: call.endIndex, kind: 'assert', paths: FALSE_ASSERTION.test(argument.text) ? 'all' : nonNullPaths(argument, true) });
      } else if (!this.isHarmless(call) && !nullableCall(call)) {
        events.push({ at: call.endIndex, kind: 'shared' });
      }
    }
    // At one offset: uses (evaluated first), then what the calls change, then what the assignment stores.
    const order = { use: 0, shared: 1, kill: 1, assert: 1, gen: 2 };
    events.sort((a, b) => a.at - b.at || order[a.kind] - order[b.kind]);
    return events;
  }

  private isHarmless(call: Node): boolean {
    const name = calleeName(call) ?? '';
    return HARMLESS.test(name) || COPIES.has(name) || ASSERTIONS.test(name);
  }

  /** The source a value makes of `path`: NULL (after a free: freed and cleared), or a call that can return NULL. */
  private sourceOf(path: string, value: Node, assignment: Node): NullSource | undefined {
    if (NULL_LITERAL.test(value.text)) return { kind: this.freedJustBefore(path, assignment) ? 'cleared' : 'assigned', path, node: assignment };
    if (value.type === 'call_expression') {
      const kind = nullableCall(value);
      if (kind) return { kind, path, node: assignment, call: value };
    }
    return undefined;
  }

  /** `ExFreePool(p); p = NULL;`: the statement before the assignment frees the same path. */
  private freedJustBefore(path: string, assignment: Node): boolean {
    const statement = enclosingStatement(assignment);
    let previous = statement.previousNamedSibling;
    while (previous?.type === 'comment') previous = previous.previousNamedSibling;
    if (previous?.type !== 'expression_statement') return false;
    const call = unwrap(previous.namedChild(0));
    if (call?.type !== 'call_expression') return false;
    const freed = freedArgument(call);
    return freed !== undefined && accessPath(freed) === path;
  }

  /** `Helper(p)` where Helper, a function of this file, dereferences that parameter without testing it. */
  private helperUse(holder: Node, parent: Node): Use | undefined {
    if (parent.type !== 'argument_list' || parent.parent?.type !== 'call_expression') return undefined;
    const call = parent.parent;
    const name = calleeName(call);
    if (!name || name === this.fn.name || unwrap(call.childForFieldName('function'))?.type !== 'identifier') return undefined;
    const summary = this.helpers().get(name);
    if (!summary) return undefined;
    const index = callArguments(call).findIndex((argument) => argument.id === holder.id);
    const inner = summary.get(index);
    if (!inner) return undefined;
    const helper = this.file.functionByName(name);
    const param = helper?.params[index]?.name ?? `parameter ${index + 1}`;
    return { node: call, text: `\`${name}\` (which dereferences its parameter \`${param}\`: \`${oneLine(inner.text)}\`)` };
  }
}

/** What a condition's outcome says term by term: `a && b` true → a, b true; `a || b` false → a, b false; `!a` flips. */
function conjuncts(condition: Node, outcome: boolean, depth = 0): [string, boolean][] {
  let node = unwrap(condition);
  if (node?.type === 'condition_clause') node = unwrap(node.childForFieldName('value'));
  if (!node) return [];
  if (depth < 8 && node.type === 'unary_expression' && operatorOf(node) === '!') {
    const argument = node.childForFieldName('argument');
    return argument ? conjuncts(argument, !outcome, depth + 1) : [];
  }
  const operator = node.type === 'binary_expression' ? node.childForFieldName('operator')?.text : undefined;
  if (depth < 8 && (operator === '&&' && outcome || operator === '||' && !outcome)) {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    return [...(left ? conjuncts(left, outcome, depth + 1) : []), ...(right ? conjuncts(right, outcome, depth + 1) : [])];
  }
  return [[normalizedText(node) ?? '', outcome]];
}

/** The condition keys that hold around a node (`text|branch`, switch cases), innermost first, up to the function body. */
function conditionsAround(node: Node, body: Node): string[] {
  const keys: string[] = [];
  let current = node;
  for (let parent = current.parent; parent && current.id !== body.id; current = parent, parent = parent.parent) {
    if (parent.type === 'if_statement') {
      const condition = parent.childForFieldName('condition');
      if (!condition || condition.id === current.id) continue;
      const branch = parent.childForFieldName('consequence')?.id === current.id;
      for (const [text, holds] of conjuncts(condition, branch)) keys.push(`if:${text}|${holds}:${parent.id}`);
    } else if (parent.type === 'else_clause') {
      continue;
    } else if (parent.type === 'case_statement') {
      const switchNode = parent.parent?.parent;
      const value = parent.childForFieldName('value');
      if (switchNode?.type === 'switch_statement') keys.push(`case:${normalizedText(switchNode.childForFieldName('condition')) ?? ''}|${value ? normalizedText(value) : 'default'}:${switchNode.id}`);
    }
  }
  return keys;
}

/** The texts of the conditions a use is evaluated under: enclosing if/loop conditions, `a && use`, `c ? use : …`. */
function guardTexts(use: Node, body: Node): string[] {
  const texts: string[] = [];
  let current = use;
  for (let parent = current.parent; parent && current.id !== body.id; current = parent, parent = parent.parent) {
    let guard: Node | null = null;
    if (parent.type === 'binary_expression' && /^(&&|\|\|)$/.test(parent.childForFieldName('operator')?.text ?? '')) guard = parent.childForFieldName('left');
    else if (parent.type === 'conditional_expression' || parent.type === 'if_statement' || parent.type === 'while_statement' || parent.type === 'for_statement' || parent.type === 'do_statement') guard = parent.childForFieldName('condition');
    if (guard && guard.id !== current.id) texts.push(guard.text);
  }
  return texts;
}

/** The innermost `if` branch or `case` holding `node`, below the function body. */
function innermostBranch(node: Node, body: Node): Node | undefined {
  let current = node;
  for (let parent = current.parent; parent && current.id !== body.id; current = parent, parent = parent.parent) {
    if (parent.type === 'if_statement' && parent.childForFieldName('condition')?.id !== current.id) return current;
    if (parent.type === 'case_statement') return parent;
  }
  return undefined;
}

/**
 * A NULL that reaches a use only through a pairing the paths cannot see: the pointer is set under the same condition
 * (or in the same switch case) as the use in another `if`/`switch` (`if (flags & X) p = A; … if (flags & X) p->f`);
 * set together with a companion variable that a condition of the use tests (`p = A; count = n;` … `for (i < count) p[i]`,
 * `end = p + n;` … `p < end && p->f`); or set inside a loop between the NULL and the use that the analysis let run
 * zero times.
 */
function correlated(file: SourceFile, fn: FunctionInfo, source: NullSource, use: Node): boolean {
  const body = fn.body!;
  const around = conditionsAround(use, body);
  const useKeys = around.map((key) => key.slice(0, key.lastIndexOf(':')));
  const useIds = new Set(around.map((key) => key.slice(key.lastIndexOf(':') + 1)));
  let guards: string[] | undefined;
  for (const assignment of file.within(body, 'assignment_expression')) {
    if (trackablePath(assignment.childForFieldName('left')) !== source.path) continue;
    const value = assignedValue(assignment.childForFieldName('right'));
    if (!value || NULL_LITERAL.test(value.text)) continue;
    for (let current = assignment.parent; current && current.id !== body.id; current = current.parent) {
      if (LOOPS.has(current.type) && current.startIndex > source.node.startIndex && current.endIndex <= use.startIndex) return true;
    }
    for (const key of conditionsAround(assignment, body)) {
      const id = key.slice(key.lastIndexOf(':') + 1);
      if (!useIds.has(id) && useKeys.includes(key.slice(0, key.lastIndexOf(':')))) return true;
    }
    const branch = innermostBranch(assignment, body);
    if (!branch || branch.startIndex <= use.startIndex && use.endIndex <= branch.endIndex) continue;
    const companions = new Set<string>();
    for (const other of file.within(branch, 'assignment_expression')) {
      const left = unwrap(other.childForFieldName('left'));
      if (left?.type === 'identifier' && left.text !== source.path) companions.add(left.text);
    }
    for (const update of file.within(branch, 'update_expression')) {
      const target = unwrap(update.childForFieldName('argument'));
      if (target?.type === 'identifier' && target.text !== source.path) companions.add(target.text);
    }
    if (companions.size === 0) continue;
    guards ??= guardTexts(use, body);
    for (const text of guards) {
      for (const word of text.match(/[A-Za-z_]\w*/g) ?? []) if (companions.has(word)) return true;
    }
  }
  return false;
}

/** A PREfast suppression of the NULL-dereference warning on one of the two lines above the use. */
function suppressedByPrefast(file: SourceFile, use: Node): boolean {
  const lineStart = file.text.lastIndexOf('\n', use.startIndex - 1);
  if (lineStart < 0) return false;
  let from = lineStart;
  for (let count = 0; count < 2 && from > 0; count++) from = file.text.lastIndexOf('\n', from - 1);
  return PREFAST_SUPPRESSION.test(file.text.slice(Math.max(0, from), lineStart));
}

const STATUS_OF: Record<string, string> = { MmGetSystemRoutineAddress: 'STATUS_NOT_SUPPORTED' };

/** `if (p == NULL) { …exit… }` after the statement that stored the allocation or lookup result. */
function nullCheckFix(file: SourceFile, fn: FunctionInfo, source: NullSource): FixDescriptor | undefined {
  const call = source.call;
  if (!call) return undefined;
  const statement = enclosingStatement(call);
  if (statement.type !== 'expression_statement' && statement.type !== 'declaration') return undefined;
  if (statement.parent?.type !== 'compound_statement' && statement.parent?.type !== 'case_statement') return undefined;
  const name = calleeName(call) ?? '';
  const status = source.kind === 'allocation' ? 'STATUS_INSUFFICIENT_RESOURCES' : STATUS_OF[name] ?? 'STATUS_NOT_FOUND';
  const indent = file.indentationOf(statement);
  const inner = `${indent}    `;
  let exit: string | undefined;
  for (let current: Node | null = statement.parent; current && current.id !== fn.body!.id; current = current.parent) {
    if (current.type === 'switch_statement') break;
    if (LOOPS.has(current.type)) {
      exit = 'break;';
      break;
    }
  }
  if (!exit) exit = failurePath(file, fn, statement, status, inner) ?? failureExit(fn, status);
  return {
    title: `Check ${source.path} for NULL after ${name}`,
    edits: [{ start: statement.endIndex, end: statement.endIndex, text: `${file.eol}${indent}if (${source.path} == NULL) {${file.eol}${inner}${exit}${file.eol}${indent}}` }],
  };
}

/** `status = STATUS_X; goto Label;` when the function leaves through a label after the statement and keeps its status in a local. */
function failurePath(file: SourceFile, fn: FunctionInfo, statement: Node, status: string, indent: string): string | undefined {
  const labels = new Map<string, number>();
  for (const jump of file.within(fn.body!, 'goto_statement')) {
    const label = jump.childForFieldName('label')?.text;
    if (label && jump.startIndex > statement.endIndex) labels.set(label, (labels.get(label) ?? 0) + 1);
  }
  const label = [...labels].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!label) return undefined;
  const variable = file.within(fn.body!, 'declaration').find((declaration) => declaration.childForFieldName('type')?.text === 'NTSTATUS');
  const name = variable ? declaratorName(variable.childForFieldName('declarator')) : undefined;
  return name ? `${name} = ${status};${file.eol}${indent}goto ${label};` : undefined;
}

export const rule: Rule = {
  meta: {
    id: 'null-pointer-dereference',
    title: 'Pointer dereferenced on a path where it is NULL',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function-local',
    description: 'A pointer that is NULL on some path of the function — set to NULL (also after a free), returned by an allocation or a lookup that can return NULL and not checked, or found NULL by a check that goes on — is dereferenced, called through or handed to a routine that dereferences it on that path.',
    rationale: 'A NULL dereference in kernel mode is a bug check: any caller who can steer the driver onto that path (a request in the wrong order, a failed allocation under memory pressure or Driver Verifier\'s fault injection, a lookup that finds nothing) crashes the machine. On systems that still let user mode map page zero it is a write to memory the attacker controls. Check the pointer on every path before using it, or fail the request when it is NULL. The first use right after an allocation is alloc-result-unchecked\'s finding; this rule covers the other paths and the other sources. An assertion (ASSERT, NT_ASSERT, a driver\'s own *_ASSERT) is no check of an allocation result (it is compiled out of release builds, where allocations still fail), but for other pointers it is taken as the author\'s statement that the path cannot happen, as is a PREfast suppression of C6011 on the line before.',
    cwe: ['CWE-476', 'CWE-690'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-dev-best-practices',
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/low-resources-simulation',
    ],
    confidence: 'medium',
    messages: {
      assigned: '`{{path}}` is set to NULL on line {{line}} and reaches {{use}} on a path with no other assignment and no NULL check in between.',
      cleared: '`{{path}}` is freed and set to NULL on line {{line}}, and reaches {{use}} on a path with no new assignment and no NULL check in between.',
      allocation: '`{{path}}` from {{call}} (line {{line}}) reaches {{use}} on a path that never checks it for NULL; the allocation can fail.',
      lookup: '`{{path}}` from {{call}} (line {{line}}) is NULL when {{why}}, and reaches {{use}} on a path that never checks it.',
      tested: '`{{path}}` is found NULL by the check on line {{line}}, and that branch goes on to {{use}}.',
    },
    hasSuggestions: true,
    examples: {
      bad: "entry = RtlLookupElementGenericTable(&ext->Table, &key);\nentry->Hits++;",
      good: "entry = RtlLookupElementGenericTable(&ext->Table, &key);\nif (entry == NULL) {\n    return STATUS_NOT_FOUND;\n}\nentry->Hits++;",
    },
  },
  fileFacts(file) {
    return [...helperSummaries(file)].map(([name, indexes]) => `${name}:${[...indexes.keys()].join(',')}`).sort().join(' ');
  },
  create(context) {
    const { file } = context;
    let helpers: HelperSummary | undefined;
    const summaries = () => (helpers ??= helperSummaries(file));
    return {
      ...gather('identifier', 'field_expression', 'call_expression', 'assignment_expression', 'init_declarator', 'pointer_expression', 'declaration', 'goto_statement', 'return_statement', 'update_expression'),
      function_definition(node) {
        const fn = file.enclosingFunction(node);
        if (!fn?.body || fn.node.id !== node.id || fn.body.hasError) return;
        const body = fn.body;
        // Cheap pre-check: a NULL assignment, a nullable call or a NULL test somewhere in the body.
        const text = file.textOf(body);
        if (!/\bNULL\b|=\s*0\s*;|!|nullptr/.test(text) && !NULLABLE_TEXT.test(text)) return;
        const tracked = trackedPaths(file, fn, summaries);
        if (!tracked) return;
        const analysis = new NullAnalysis(file, fn, tracked.tracked, summaries, tracked.sources);
        if (!analysis.run()) return;
        const reported = new Set<number>();
        for (const { source, use } of [...analysis.found.values()].sort((a, b) => a.use.node.startIndex - b.use.node.startIndex)) {
          if (reported.has(use.node.id)) continue;
          if (source.call && CHECKED_ALLOCATORS.has(calleeName(source.call) ?? '') && uncheckedFirstUse(file, source.call)) continue; // alloc-result-unchecked's
          if ((source.kind === 'assigned' || source.kind === 'cleared' || source.kind === 'tested') && correlated(file, fn, source, use.node)) continue;
          if (suppressedByPrefast(file, use.node)) continue;
          reported.add(use.node.id);
          const callName = source.call ? calleeName(source.call) ?? '' : '';
          const fix = source.kind === 'allocation' || source.kind === 'lookup' ? nullCheckFix(file, fn, source) : undefined;
          context.report({
            node: use.node,
            messageId: source.kind,
            data: { path: source.path, use: use.text, line: lineOf(source.node), call: callName, why: NULLABLE_LOOKUPS[callName] ?? '' },
            related: [{ node: source.call ?? source.node, message: source.kind === 'tested' ? 'found NULL here' : source.kind === 'allocation' || source.kind === 'lookup' ? 'may return NULL' : 'set to NULL here' }],
            suggestions: fix ? [fix] : undefined,
          });
        }
      },
    };
  },
};

/**
 * The paths worth following in a function: dereferenced somewhere, and given NULL, a nullable result or a NULL test
 * somewhere; never a local whose address is taken (a callee may set it). Undefined when there is none.
 */
const PATH_TEXT = '[A-Za-z_]\\w*(?:\\s*(?:->|\\.)\\s*[A-Za-z_]\\w*)*';
/** `p = NULL`, `p = 0;`, `p = (T)Alloc(…)` in text. */
const SOURCE_TEXT = new RegExp(`(?<![\\w>.])(${PATH_TEXT})\\s*=(?!=)\\s*(?:\\(\\s*[A-Za-z_]\\w*\\s*\\*?\\s*\\)\\s*)?(?:NULL\\b|0\\s*[;,)]|nullptr\\b|${NULLABLE_TEXT.source})`, 'y');
/** `!p`, `p == NULL`, `p &&`, `NULL != p`, `if (p)`, `|| p)` in text. */
const TEST_TEXT = new RegExp(`!\\s*(${PATH_TEXT})(?!\\s*[(\\[\\w])|(?<![\\w>.])(${PATH_TEXT})\\s*(?:[!=]=\\s*NULL\\b|(?=&&|\\|\\|))|\\bNULL\\s*[!=]=\\s*(${PATH_TEXT})|\\b(?:if|while)\\s*\\(\\s*(${PATH_TEXT})\\s*\\)|(?:&&|\\|\\|)\\s*(${PATH_TEXT})\\s*(?=\\)|&&|\\|\\|)`, 'y');
/** What every match of SOURCE_TEXT / TEST_TEXT holds right after its path, or starts with (sticky patterns: tried at `pathStartsBefore`). */
const SOURCE_ANCHORS = /=/g;
const TEST_ANCHORS = /!|==|&&|\|\||\b(?:NULL|if|while)\b/g;
/** For tests: each scan must find what a global scan of its pattern finds. */
export const NAMED_PATH_SCANS = [{ pattern: SOURCE_TEXT, anchors: SOURCE_ANCHORS }, { pattern: TEST_TEXT, anchors: TEST_ANCHORS }];

const namedCache = new WeakMap<FunctionInfo, Set<string>>();

/** The paths a function's text sets to NULL or to a nullable result, or tests for NULL (whitespace removed). Cached. */
function namedPaths(file: SourceFile, fn: FunctionInfo): Set<string> {
  let named = namedCache.get(fn);
  if (named) return named;
  named = file.fromText('null-pointer-dereference:named-paths', fn.body ? file.textOf(fn.body) : '', namedPathsIn);
  namedCache.set(fn, named);
  return named;
}

function namedPathsIn(text: string): Set<string> {
  const named = new Set<string>();
  for (const match of matchesAt(text, SOURCE_TEXT, pathStartsBefore(text, SOURCE_ANCHORS))) named.add(match[1].replace(/\s+/g, ''));
  for (const match of matchesAt(text, TEST_TEXT, pathStartsBefore(text, TEST_ANCHORS))) {
    const path = match[1] ?? match[2] ?? match[3] ?? match[4] ?? match[5];
    if (path && !/^(NULL|TRUE|FALSE)$/.test(path)) named.add(path.replace(/\s+/g, ''));
  }
  return named;
}
/** A name right after `&` (what `PathText.addressed` needs before its path). */
const ADDRESSED_NAME = /&\s*\(?\s*([A-Za-z_]\w*)/g;

/**
 * One path's forms in text, read in place: a pattern compiled per path (thousands in a scan, most used once) was
 * most of this rule's cold time. Each method answers what its pattern in the comment answers, `P` standing for the
 * path with whitespace allowed around its `->` and `.`; text[from, to) reads as a string of its own. Exported for tests.
 */
export class PathText {
  private readonly parts: string[];

  constructor(path: string) {
    this.parts = path.split(/(->|\.)/);
  }

  /**
   * The offsets of the mentions a global scan of `(?<![\w>.])P\b` finds: [start, end) pairs. With `roots` (made for
   * the same text and range), the path's first name is looked up there instead of searched for again.
   */
  mentions(text: string, from: number, to: number, roots?: RootOccurrences): [number, number][] {
    const found: [number, number][] = [];
    const root = this.parts[0];
    let next = from;
    for (const at of roots ? roots.of(root) : rootOccurrences(text, from, to, root)) {
      if (at < next) continue;
      const end = this.endAt(text, at, to);
      if (end < 0 || end < to && isNameCharAt(text, end)) continue;
      found.push([at, end]);
      next = end;
    }
    return found;
  }

  /**
   * Whether a mention is dereferenced or handed to a call as the text shows it: followed by `->`, `[` or `(`; after
   * `*` (or `*(`); or between `(` / `,` / a cast's `)` and `,` / `)`. This only picks the paths the tree is asked
   * about, so it may say yes more often than the tree does, never less: it accepts every path a scan of
   * `(?<![\w>.])(P…)\s*(?=->|\[|\()|\*\s*\(?\s*(P…)|[(,]\s*(?:\([^()]*\)\s*)?(P…)\s*(?=[,)])` shows, or that
   * has as a prefix before `->` (test/unit/cross-file-helpers.test.ts compares the two).
   */
  shownUsed(text: string, from: number, to: number, roots?: RootOccurrences): boolean {
    for (const [start, end] of this.mentions(text, from, to, roots)) {
      let after = end;
      while (after < to && isSpaceAt(text, after)) after++;
      const next = after < to ? text[after] : '';
      if (next === '[' || next === '(' || next === '-' && text[after + 1] === '>') return true;
      let before = start - 1;
      while (before >= from && isSpaceAt(text, before)) before--;
      const previous = before >= from ? text[before] : '';
      // `*p.a` dereferences `p.a`, not `p`.
      let member = after + 1;
      while (next === '.' && member < to && isSpaceAt(text, member)) member++;
      const extended = next === '.' && member < to && isNameStartAt(text, member);
      if (previous === '*' && !extended) return true;
      if (previous === '(' && !extended) {
        let star = before - 1;
        while (star >= from && isSpaceAt(text, star)) star--;
        if (star >= from && text[star] === '*') return true;
      }
      if ((previous === '(' || previous === ',' || previous === ')') && (next === ',' || next === ')')) return true;
    }
    return false;
  }

  /** `(?<!&)&\s*\(?\s*P\b(?!\s*(?:->|\.|\[))`: its address handed out (not `&p->f`, `&p[i]`). */
  addressed(text: string, from: number, to: number, roots?: RootOccurrences): boolean {
    for (const at of roots ? roots.of(this.parts[0]) : rootOccurrences(text, from, to, this.parts[0])) {
      const end = this.endAt(text, at, to);
      if (end < 0 || end < to && isNameCharAt(text, end)) continue;
      let after = end;
      while (after < to && isSpaceAt(text, after)) after++;
      if (after < to && (text.startsWith('->', after) || text[after] === '.' || text[after] === '[')) continue;
      let before = at - 1;
      while (before >= from && isSpaceAt(text, before)) before--;
      if (before >= from && text[before] === '(') for (before--; before >= from && isSpaceAt(text, before); before--);
      if (before >= from && text[before] === '&' && (before === from || text[before - 1] !== '&')) return true;
    }
    return false;
  }

  /** `(?<![\w>.])P\s*=(?!=)`: assigned. */
  assigned(text: string, from: number, to: number): boolean {
    for (const at of rootOccurrences(text, from, to, this.parts[0])) {
      let end = this.endAt(text, at, to);
      if (end < 0) continue;
      while (end < to && isSpaceAt(text, end)) end++;
      if (end < to && text[end] === '=' && (end + 1 >= to || text[end + 1] !== '=')) return true;
    }
    return false;
  }

  private endAt(text: string, at: number, to: number): number {
    return pathEndAt(text, at, this.parts, to);
  }
}

/** A character a path cannot follow: the end of a name, or of `->` / `.` before another part. */
const PATH_BEFORE = /[\w>.]/;

/**
 * Where a path with this first name can start in text[from, to): the name as a whole word, not after `>` or `.`
 * (then it is a member, not the start of a path).
 */
function rootOccurrences(text: string, from: number, to: number, root: string, window = text.slice(from, to)): number[] {
  // Searched in the range's own string: in the whole text, the search after the last occurrence would read on to
  // the end of the file, once per path and function.
  const found: number[] = [];
  for (let inside = window.indexOf(root); inside !== -1; inside = window.indexOf(root, inside + 1)) {
    const at = from + inside;
    if (at > from && PATH_BEFORE.test(text[at - 1])) continue;
    const after = at + root.length;
    if (after < to && isNameCharAt(text, after)) continue;
    found.push(at);
  }
  return found;
}

/** `rootOccurrences` of one text range, each name searched for once: many paths of a function share a first name. */
export class RootOccurrences {
  private readonly found = new Map<string, number[]>();
  private readonly window: string;

  constructor(private readonly text: string, private readonly from: number, private readonly to: number) {
    this.window = text.slice(from, to);
  }

  of(root: string): number[] {
    let offsets = this.found.get(root);
    if (!offsets) this.found.set(root, (offsets = rootOccurrences(this.text, this.from, this.to, root, this.window)));
    return offsets;
  }
}

/**
 * The paths worth following in a function: dereferenced somewhere, and given NULL, a nullable result or a NULL test
 * somewhere; never a local whose address is taken (a callee may set it). Undefined when there is none. The text is
 * searched first: only paths it shows both ways are looked up in the tree.
 */
function trackedPaths(file: SourceFile, fn: FunctionInfo, helpers: () => HelperSummary): { tracked: Tracked; sources: Node[] } | undefined {
  const body = fn.body!;
  const text = file.textOf(body);
  const named = namedPaths(file, fn);
  if (named.size === 0) return undefined;
  // Paths the text shows dereferenced (`p->`, `p[`, `p(`, `*p`) or handed to a call, and never given out by address.
  const plausible = new Map<string, PathText>();
  let addressedRoots: Set<string> | undefined;
  const roots = new RootOccurrences(file.text, body.startIndex, body.endIndex);
  for (const path of named) {
    const forms = new PathText(path);
    if (!forms.shownUsed(file.text, body.startIndex, body.endIndex, roots)) continue;
    // `&p…` needs the path's first name right after an `&`: one pass over the body instead of one per path.
    addressedRoots ??= new Set(Array.from(text.matchAll(ADDRESSED_NAME), (match) => match[1]));
    if (!addressedRoots.has(path.split(/->|\./)[0]) || !forms.addressed(file.text, body.startIndex, body.endIndex, roots)) plausible.set(path, forms);
  }
  if (plausible.size === 0) return undefined;
  const candidates = new Set<string>();
  const sources: Node[] = [];
  const consider = (path: string | undefined, value: Node | null, node: Node) => {
    if (!path || !plausible.has(path)) return;
    const inner = assignedValue(value);
    if (!inner) return;
    if (NULL_LITERAL.test(inner.text) || inner.type === 'call_expression' && nullableCall(inner)) {
      candidates.add(path);
      sources.push(node);
    }
  };
  const names = new Set([...plausible.keys()].map((path) => path.split(/->|\./)[0]));
  for (const assignment of file.within(body, 'assignment_expression')) {
    const left = assignment.childForFieldName('left');
    if (!left || !names.has(file.text.slice(left.startIndex, left.endIndex).split(/\s*(?:->|\.)/)[0].replace(/^[(\s]+/, ''))) continue;
    if ((assignment.childForFieldName('operator')?.text ?? '=') === '=') consider(trackablePath(left), assignment.childForFieldName('right'), assignment);
  }
  for (const declarator of file.within(body, 'init_declarator')) {
    const name = declaratorName(declarator.childForFieldName('declarator'));
    if (name && plausible.has(name)) consider(name, declarator.childForFieldName('value'), declarator);
  }
  // Dereferenced paths, and NULL tests of the others: the occurrences the text search finds, looked up in the tree.
  const dereferenced = new Set<string>();
  const testedOnly = new Set<string>();
  for (const [path, forms] of plausible) {
    for (const [start, end] of forms.mentions(file.text, body.startIndex, body.endIndex, roots)) {
      const occurrence = body.descendantForIndex(start, end);
      if (!occurrence || occurrence.startIndex !== start || occurrence.endIndex !== end || trackablePath(occurrence) !== path) continue;
      const { holder, parent } = climbWrappers(occurrence, CAST_OR_PARENTHESES);
      if (!parent) continue;
      if (parent.type === 'field_expression' && parent.childForFieldName('field')?.id === occurrence.id) continue;
      if (directUse(holder, parent) || parent.type === 'argument_list' && isHelperArgument(file, fn, holder, parent, helpers)) {
        // A dereference under `if (p)` or after `if (!p) return;` (no assignment of p in between) needs no path analysis.
        if (!dereferenced.has(path) && !syntacticallyGuarded(file, occurrence, path, body, forms)) dereferenced.add(path);
      }
      else if (!testedOnly.has(path) && isNullTestOperand(holder, parent) && !nullBranchExits(occurrence, path)) testedOnly.add(path);
      if (dereferenced.has(path) && (candidates.has(path) || testedOnly.has(path))) break;
    }
  }
  const paths = new Set<string>();
  for (const path of dereferenced) if (candidates.has(path) || testedOnly.has(path)) paths.add(path);
  if (paths.size === 0) return undefined;
  const prefixes = new Set<string>();
  const shared = new Set<string>();
  for (const path of paths) {
    const parts = path.split(/(?=->|\.)/);
    for (let index = 1; index < parts.length; index++) prefixes.add(parts.slice(0, index).join(''));
    if (parts.length > 1) shared.add(path);
    else {
      const declaration = findDeclaration(file, fn, path);
      if (!declaration?.isLocal) shared.add(path);
    }
  }
  for (const path of paths) prefixes.delete(path);
  return { tracked: { paths, prefixes, shared }, sources: sources.filter((node) => paths.has(node.type === 'init_declarator' ? declaratorName(node.childForFieldName('declarator')) ?? '' : trackablePath(node.childForFieldName('left')) ?? '')) };
}

/**
 * Whether the syntax alone shows `path` is not NULL at `use`: inside `if (p)` / `while (p)` / the `else` of `if (!p)`,
 * or after an earlier statement of an enclosing block `if (!p) { …exit… }` (no label in between), with no assignment
 * of the path between the test and the use (nor anywhere in a loop around the use that starts after the test).
 */
function syntacticallyGuarded(file: SourceFile, use: Node, path: string, body: Node, forms: PathText): boolean {
  const loops: Node[] = [];
  let labelled = false;
  const assignedBetween = (from: number) => {
    if (forms.assigned(file.text, from, use.startIndex)) return true;
    return loops.some((loop) => loop.startIndex >= from && forms.assigned(file.text, loop.startIndex, loop.endIndex));
  };
  let current = use;
  for (let parent = current.parent; parent && current.id !== body.id; current = parent, parent = parent.parent) {
    const type = parent.type;
    if (type === 'if_statement') {
      const condition = parent.childForFieldName('condition');
      if (condition && condition.id !== current.id && nonNullPaths(condition, parent.childForFieldName('consequence')?.id === current.id).has(path) && !assignedBetween(condition.endIndex)) return true;
    } else if (type === 'else_clause') {
      continue;
    } else if (type === 'while_statement' || type === 'for_statement' || type === 'do_statement') {
      const condition = parent.childForFieldName('condition');
      if (type !== 'do_statement' && condition && parent.childForFieldName('body')?.id === current.id && nonNullPaths(condition, true).has(path)) {
        loops.push(parent);
        if (!assignedBetween(condition.endIndex)) return true;
      } else loops.push(parent);
    } else if (type === 'labeled_statement') {
      labelled = true; // a jump to the label skips the earlier tests
    } else if ((type === 'compound_statement' || type === 'case_statement') && !labelled) {
      for (let previous = current.previousNamedSibling; previous; previous = previous.previousNamedSibling) {
        if (previous.type === 'labeled_statement' || previous.type === 'case_statement') break; // a jump may land in between
        if (previous.type !== 'if_statement') continue;
        const condition = previous.childForFieldName('condition');
        if (!condition) continue;
        const alternative = previous.childForFieldName('alternative');
        const whenTrue = new Set<string>();
        nullness(condition, true, whenTrue, new Set());
        const whenFalse = new Set<string>();
        nullness(condition, false, whenFalse, new Set());
        const exits = whenTrue.has(path) ? exitsBlock(previous.childForFieldName('consequence')) && (!alternative || !whenFalse.has(path))
          : whenFalse.has(path) && alternative !== null && exitsBlock(alternative.type === 'else_clause' ? alternative.namedChild(0) : alternative);
        if (exits && !assignedBetween(previous.endIndex)) return true;
      }
    }
  }
  return false;
}

/** A branch that ends in `return` (a `goto`, `break` or `continue` may lead to a use). */
function returns(statement: Node | null): boolean {
  if (!statement) return false;
  if (statement.type === 'return_statement') return true;
  if (statement.type !== 'compound_statement') return false;
  const last = statement.namedChildren.filter((child) => child && child.type !== 'comment').pop();
  return last?.type === 'return_statement';
}

/** A NULL test that is (part of) an `if` condition whose NULL branch leaves the block (`if (!p) return …;`). */
function nullBranchExits(occurrence: Node, path: string): boolean {
  let condition: Node = occurrence;
  for (let parent = condition.parent; parent; condition = parent, parent = parent.parent) {
    if (parent.type === 'if_statement') {
      if (parent.childForFieldName('condition')?.id !== condition.id) return false;
      const whenTrue = new Set<string>();
      nullness(condition, true, whenTrue, new Set());
      if (whenTrue.has(path)) return returns(parent.childForFieldName('consequence'));
      const whenFalse = new Set<string>();
      nullness(condition, false, whenFalse, new Set());
      if (!whenFalse.has(path)) return true; // this outcome never proves it NULL: no NULL branch here
      const alternative = parent.childForFieldName('alternative');
      return alternative !== null && returns(alternative.type === 'else_clause' ? alternative.namedChild(0) : alternative);
    }
    if (!/^(parenthesized_expression|condition_clause|binary_expression|unary_expression|cast_expression)$/.test(parent.type)) return false;
  }
  return false;
}

function isHelperArgument(file: SourceFile, fn: FunctionInfo, holder: Node, parent: Node, helpers: () => HelperSummary): boolean {
  const call = parent.parent;
  if (call?.type !== 'call_expression') return false;
  const name = calleeName(call);
  if (!name || name === fn.name || !file.functionByName(name)) return false;
  const summary = helpers().get(name);
  if (!summary) return false;
  return summary.has(callArguments(call).findIndex((argument) => argument.id === holder.id));
}
