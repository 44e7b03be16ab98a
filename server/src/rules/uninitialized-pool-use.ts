/**
 * Flags memory from an allocator that does not zero (ExAllocatePoolWithTag, ExAllocatePool2 with
 * POOL_FLAG_UNINITIALIZED, …) whose fields are read, called through or copied to the caller's output on a path
 * where they were not written: the pool still holds what its previous owner left there (kernel pointers, another
 * process's data, an attacker-sprayed function pointer).
 *
 * A forward analysis over the paths of the function (analysis/paths.ts). Facts: the allocation a path holds in
 * `p` (not yet zeroed) and the fields of it written on that path. Precision first: handing `p`, `&p->Field` or
 * `p->Field` to any call, storing `p` anywhere, or writing `*p` counts as initializing; a NULL check's NULL branch
 * holds no memory; a field written inside a loop counts as written when the loop is reached.
 */
import { armsAt, hasConditionals } from '../analysis/conditional';
import { findDeclaration } from '../analysis/declarations';
import { releasedArgument } from '../analysis/frees';
import { isNullTest, trackablePath } from '../analysis/lifetime';
import { analyzePaths, type FlowNode } from '../analysis/paths';
import { allocationTarget, COPIES, isNonZeroingAllocation, isOutput, isWholePoolCopyOut, LOOKASIDE_ALLOCATORS } from '../analysis/pool';
import { accessPath, callArguments, calleeName, CAST_OR_PARENTHESES, climbWrappers, declaratorName, enclosingStatement, exitsBlock, unwrap, type Node } from '../analysis/query';
import { fixer, gather, lineOf, type FixDescriptor, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

const SEP = '\u0000';
const PARENTHESES: ReadonlySet<string> = new Set(['parenthesized_expression']);

type Category = 'call' | 'output' | 'read';

interface Allocation {
  call: Node;
  path: string;
  /** The allocator named in messages (`ExAllocatePoolWithTag`, or `Helper (returns ExAllocatePoolWithTag memory)`). */
  allocator: string;
  /** Why its memory is not zeroed (message text). */
  why: string;
  helper: boolean;
}

type Event =
  | { at: number; kind: 'alloc'; path: string; index: number }
  | { at: number; kind: 'kill'; path: string }
  | { at: number; kind: 'full'; path: string }
  | { at: number; kind: 'write'; path: string; field: string }
  | { at: number; kind: 'read'; path: string; field: string; node: Node; category: Category }
  | { at: number; kind: 'copy'; path: string; node: Node };

interface Candidate {
  node: Node;
  category: Category | 'copy';
  allocation: Allocation;
  field: string;
}

const RANK: Record<Candidate['category'], number> = { call: 3, output: 2, copy: 2, read: 1 };

/** Functions of this file that return non-zeroed pool (`return ExAllocatePoolWithTag(…);`, or a local allocated so and returned untouched). */
function allocatingHelpers(file: SourceFile): Map<string, string> {
  const helpers = new Map<string, string>();
  for (const call of file.nodes('call_expression')) {
    if (!isNonZeroingAllocation(call)) continue;
    const fn = file.enclosingFunction(call);
    if (!fn?.body || helpers.has(fn.name)) continue;
    const { parent } = climbWrappers(call, CAST_OR_PARENTHESES);
    if (parent?.type === 'return_statement') {
      helpers.set(fn.name, calleeName(call) ?? '');
      continue;
    }
    const local = allocationTarget(call);
    if (!local || !/^[A-Za-z_]\w*$/.test(local) || fn.params.some((param) => param.name === local)) continue;
    // Every other mention of the local is a NULL test or `return local;`.
    let returned = false;
    let untouched = true;
    for (const identifier of file.within(fn.body, 'identifier')) {
      if (identifier.text !== local || (call.parent && identifier.startIndex >= call.parent.startIndex && identifier.endIndex <= call.parent.endIndex)) continue;
      const holder = climbWrappers(identifier, CAST_OR_PARENTHESES);
      if (holder.parent?.type === 'return_statement') returned = true;
      else if (holder.parent && (holder.parent.type === 'declaration' || holder.parent.type.endsWith('_declarator'))) continue;
      else if (!isNullTest(identifier)) untouched = false;
    }
    if (returned && untouched) helpers.set(fn.name, calleeName(call) ?? '');
  }
  return helpers;
}

function isInsideSizeof(node: Node, limit: Node): boolean {
  for (let current = node.parent; current && current.id !== limit.parent?.id; current = current.parent) {
    if (current.type === 'sizeof_expression' || current.type === 'alignof_expression') return true;
  }
  return false;
}

function operatorOf(node: Node): string | undefined {
  return node.childForFieldName('operator')?.text ?? node.child(node.type === 'pointer_expression' ? 0 : 1)?.text;
}

/** For `RtlCopyMemory(dst, src, n)` / `WdfMemoryCopyFromBuffer(memory, offset, src, n)`: the source index and the destination. */
function copyShape(call: Node): { source: number; destination: Node | undefined } | undefined {
  const name = calleeName(call) ?? '';
  const args = callArguments(call);
  if (COPIES.has(name)) return { source: 1, destination: args[0] };
  if (name === 'WdfMemoryCopyFromBuffer') return { source: 2, destination: args[0] };
  return undefined;
}

/** The base object of an lvalue or address (`out->A.B[2]`, `*out`, `&out->A` → out); the expression itself for other shapes. */
function lvalueBase(node: Node): Node {
  let current: Node = unwrap(node) ?? node;
  for (;;) {
    if (current.type === 'field_expression' || current.type === 'subscript_expression' || current.type === 'pointer_expression') {
      const inner = unwrap(current.childForFieldName('argument'));
      if (!inner) return current;
      current = inner;
    } else return current;
  }
}

class PoolAnalysis {
  readonly candidates = new Map<string, Candidate>();
  private readonly eventCache = new Map<number, Event[]>();
  private readonly loopCache = new Map<number, Event[]>();
  private readonly paths: Set<string>;
  private readonly prefixes = new Set<string>();
  private readonly outputMemories = new Set<string>();

  constructor(private readonly file: SourceFile, private readonly fn: FunctionInfo, readonly allocations: Allocation[]) {
    this.paths = new Set(allocations.map((allocation) => allocation.path));
    for (const path of this.paths) {
      const parts = path.split(/(?=->|\.)/);
      for (let index = 1; index < parts.length; index++) this.prefixes.add(parts.slice(0, index).join('').replace(/^(->|\.)/, ''));
    }
    for (const call of file.within(fn.body!, 'call_expression')) {
      if (calleeName(call) === 'WdfRequestRetrieveOutputMemory') {
        const target = unwrap(callArguments(call)[1]);
        const inner = target?.type === 'pointer_expression' ? accessPath(target.childForFieldName('argument')) : undefined;
        if (inner) this.outputMemories.add(inner);
      }
    }
  }

  run(): boolean {
    const allocationIds = new Set(this.allocations.map((allocation) => allocation.call.id));
    const holdsAllocation = (flow: FlowNode) => {
      const node = flow.node;
      if (!node) return false;
      return this.allocations.some(({ call }) => node.startIndex <= call.startIndex && call.endIndex <= node.endIndex && allocationIds.has(call.id));
    };
    const result = analyzePaths(this.file, this.fn, {
      step: (flow, state) => {
        if (!flow.node || state.facts.length === 0 && !holdsAllocation(flow)) return state.facts;
        let events = this.eventCache.get(flow.id);
        if (!events) this.eventCache.set(flow.id, (events = this.eventsOf(flow.node)));
        let facts = this.apply(events, [...state.facts]);
        // A loop's condition: count what the body writes as written (the loop is assumed to run).
        const loop = flow.kind === 'cond' ? flow.node.parent : null;
        if (facts.length > 0 && loop && (loop.type === 'while_statement' || loop.type === 'for_statement' || loop.type === 'do_statement')) {
          let writes = this.loopCache.get(loop.id);
          if (!writes) this.loopCache.set(loop.id, (writes = this.eventsOf(loop, true).filter((event) => event.kind === 'write' || event.kind === 'full')));
          facts = this.apply(writes, facts, false);
        }
        return facts;
      },
      refine: (condition, outcome, state) => {
        if (state.facts.length === 0) return state.facts;
        const nulls = new Set<string>();
        nullPaths(condition, outcome, nulls);
        if (nulls.size === 0) return state.facts;
        return state.facts.filter((fact) => !nulls.has(fact.split(SEP)[1]));
      },
    });
    return result !== undefined;
  }

  private apply(events: readonly Event[], facts: string[], report = true): string[] {
    for (const event of events) {
      const { path } = event;
      switch (event.kind) {
        case 'alloc':
          facts = facts.filter((fact) => fact.split(SEP)[1] !== path);
          facts.push(`A${SEP}${path}${SEP}${event.index}`);
          break;
        case 'kill':
          facts = facts.filter((fact) => {
            const factPath = fact.split(SEP)[1];
            return factPath !== path && !factPath.startsWith(`${path}->`) && !factPath.startsWith(`${path}.`);
          });
          break;
        case 'full':
          facts = facts.filter((fact) => fact.split(SEP)[1] !== path);
          break;
        case 'write':
          if (facts.some((fact) => fact.startsWith(`A${SEP}${path}${SEP}`))) facts.push(`W${SEP}${path}${SEP}${event.field}`);
          break;
        case 'read':
        case 'copy': {
          if (!report) break;
          const held = facts.find((fact) => fact.startsWith(`A${SEP}${path}${SEP}`));
          if (!held) break;
          const allocation = this.allocations[Number(held.split(SEP)[2])];
          if (!allocation) break;
          const written = (field: string) => facts.includes(`W${SEP}${path}${SEP}${field}`);
          const anyWritten = facts.some((fact) => fact.startsWith(`W${SEP}${path}${SEP}`));
          let field = '';
          let category: Candidate['category'];
          if (event.kind === 'copy') {
            category = 'copy';
          } else {
            field = event.field;
            category = event.category;
            if (field === '*' || field === '[]') {
              if (category !== 'output' && anyWritten) break;
            } else if (written(field)) break;
          }
          const key = `${allocation.call.id}:${field}`;
          const known = this.candidates.get(key);
          if (!known || RANK[category] > RANK[known.category] || RANK[category] === RANK[known.category] && event.node.startIndex < known.node.startIndex) {
            this.candidates.set(key, { node: event.node, category, allocation, field });
          }
          break;
        }
      }
    }
    return facts;
  }

  /** The events of a flow node (or, with `deep`, of a whole loop statement) in evaluation order. */
  eventsOf(node: Node, deep = false): Event[] {
    const events: Event[] = [];
    if (!deep) {
      this.allocations.forEach((allocation, index) => {
        const { call } = allocation;
        if (call.startIndex < node.startIndex || call.endIndex > node.endIndex) return;
        const { parent } = climbWrappers(call, CAST_OR_PARENTHESES);
        events.push({ at: parent ? parent.endIndex : call.endIndex, kind: 'alloc', path: allocation.path, index });
      });
      if (node.type === 'declaration') {
        for (const declarator of node.childrenForFieldName('declarator')) {
          const name = !declarator || declarator.type === 'init_declarator' ? undefined : declaratorName(declarator);
          if (name && this.paths.has(name)) events.push({ at: node.startIndex, kind: 'kill', path: name });
        }
      }
    }
    for (const occurrence of this.file.withinAll(node, ['identifier', 'field_expression'])) {
      const path = trackablePath(occurrence);
      if (!path) continue;
      if (this.paths.has(path)) {
        if (isInsideSizeof(occurrence, node)) continue;
        const event = this.classify(occurrence, path);
        if (event) events.push(event);
      } else if (this.prefixes.has(path)) {
        const event = this.classifyPrefix(occurrence, path);
        if (event) events.push(event);
      }
    }
    events.sort((a, b) => a.at - b.at || (a.kind === 'read' || a.kind === 'copy' ? -1 : b.kind === 'read' || b.kind === 'copy' ? 1 : 0));
    return events;
  }

  /** An object holding a tracked field (`ctx` for `ctx->Buffer`) assigned or handed to a call: stop following. */
  private classifyPrefix(occurrence: Node, path: string): Event | undefined {
    const { holder, parent } = climbWrappers(occurrence, CAST_OR_PARENTHESES);
    if (!parent) return undefined;
    if (parent.type === 'assignment_expression' && parent.childForFieldName('left')?.id === holder.id) return { at: parent.endIndex, kind: 'kill', path };
    if (parent.type === 'argument_list' && !releasedArgument(parent.parent!)) return { at: parent.endIndex, kind: 'kill', path };
    if (parent.type === 'pointer_expression' && operatorOf(parent) === '&') return { at: parent.endIndex, kind: 'kill', path };
    if (parent.type === 'init_declarator' || parent.type.endsWith('_declarator') || parent.type === 'declaration') return { at: occurrence.startIndex, kind: 'kill', path };
    return undefined;
  }

  private classify(occurrence: Node, path: string): Event | undefined {
    const { holder, parent } = climbWrappers(occurrence, CAST_OR_PARENTHESES);
    if (!parent) return undefined;
    // `p->Field…`
    if (parent.type === 'field_expression' && parent.childForFieldName('argument')?.id === holder.id && operatorOf(parent) === '->') {
      const field = parent.childForFieldName('field')?.text;
      return field ? this.classifyField(parent, path, field) : undefined;
    }
    // `p[i]`
    if (parent.type === 'subscript_expression' && parent.childForFieldName('argument')?.id === holder.id) return this.classifyWhole(parent, path, '[]');
    // `*p`
    if (parent.type === 'pointer_expression' && parent.childForFieldName('argument')?.id === holder.id) {
      if (operatorOf(parent) === '&') return { at: parent.endIndex, kind: 'kill', path };
      return this.classifyWhole(parent, path, '*');
    }
    if (parent.type === 'assignment_expression' && parent.childForFieldName('left')?.id === holder.id) {
      const right = unwrap(parent.childForFieldName('right'));
      if (right?.type === 'call_expression' && this.allocations.some(({ call }) => call.id === right.id)) return undefined; // the alloc event
      return { at: parent.endIndex, kind: 'kill', path };
    }
    if (parent.type === 'init_declarator' || parent.type.endsWith('_declarator') || parent.type === 'declaration') {
      return { at: occurrence.startIndex, kind: 'kill', path };
    }
    // `p` itself: a NULL test or comparison reads the value only.
    if (isNullTest(occurrence)) return undefined;
    if (parent.type === 'binary_expression' && /^(==|!=|<|<=|>|>=)$/.test(parent.childForFieldName('operator')?.text ?? '')) return undefined;
    if (parent.type === 'argument_list') {
      const call = parent.parent!;
      if (releasedArgument(call)) return { at: call.endIndex, kind: 'kill', path };
      const shape = copyShape(call);
      const index = callArguments(call).findIndex((argument) => argument.id === holder.id);
      if (shape && index === shape.source) {
        if (shape.destination && this.isOutputTarget(shape.destination, call.startIndex) && !isWholePoolCopyOut(this.file, this.fn, call)) return { at: occurrence.startIndex, kind: 'copy', path, node: call };
        return undefined;
      }
      return { at: call.endIndex, kind: 'full', path };
    }
    // Stored, returned, offset, incremented: another name may write it; stop judging.
    return { at: parent.endIndex, kind: 'full', path };
  }

  /** `p[i]` / `*p`: a whole-object write, or a read of the object. */
  private classifyWhole(access: Node, path: string, field: '*' | '[]'): Event | undefined {
    const lvalue = climbLvalue(access);
    const { holder, parent } = climbWrappers(lvalue, CAST_OR_PARENTHESES);
    if (!parent) return undefined;
    if (parent.type === 'assignment_expression' && parent.childForFieldName('left')?.id === holder.id && operatorOf(parent) === '=') return { at: parent.endIndex, kind: 'full', path };
    if (parent.type === 'pointer_expression' && operatorOf(parent) === '&' || parent.type === 'argument_list') {
      const read = this.copySourceRead(parent.type === 'argument_list' ? holder : parent, access, path, field);
      return read ?? { at: parent.endIndex, kind: 'full', path };
    }
    if (parent.type === 'update_expression') return { at: parent.endIndex, kind: 'full', path };
    return { at: access.startIndex, kind: 'read', path, field, node: access, category: this.readCategory(access) };
  }

  private classifyField(access: Node, path: string, field: string): Event | undefined {
    const lvalue = climbLvalue(access);
    const { holder, parent } = climbWrappers(lvalue, CAST_OR_PARENTHESES);
    if (!parent) return undefined;
    const read = (category: Category = this.readCategory(access)): Event => ({ at: access.startIndex, kind: 'read', path, field, node: access, category });
    switch (parent.type) {
      case 'field_expression':
        // `p->Next->Prev`: reads the pointer `p->Next`.
        return read();
      case 'assignment_expression':
        if (parent.childForFieldName('left')?.id !== holder.id) return this.valueRead(lvalue, access, path, field);
        return operatorOf(parent) === '=' ? { at: parent.endIndex, kind: 'write', path, field } : read();
      case 'update_expression':
        return read();
      case 'pointer_expression':
        if (operatorOf(parent) === '&') return this.copySourceRead(parent, access, path, field) ?? { at: parent.endIndex, kind: 'write', path, field };
        return read();
      case 'argument_list': {
        const call = parent.parent!;
        if (releasedArgument(call)) return read();
        return this.copySourceRead(holder, access, path, field) ?? { at: call.endIndex, kind: 'write', path, field };
      }
      case 'call_expression':
        if (parent.childForFieldName('function')?.id === holder.id) return read('call');
        return read();
      default:
        return this.valueRead(lvalue, access, path, field);
    }
  }

  private valueRead(lvalue: Node, access: Node, path: string, field: string): Event {
    const category = this.readCategory(access);
    // `cdb = (PCDB)srb->Cdb;`: an array field decays to its address, which another name then writes through.
    if (category === 'read' && this.storedAsPointer(lvalue)) return { at: access.startIndex, kind: 'write', path, field };
    return { at: access.startIndex, kind: 'read', path, field, node: access, category };
  }

  /** The value is stored into a pointer (a pointer cast, a pointer-typed variable): may be an array field's address. */
  private storedAsPointer(lvalue: Node): boolean {
    let pointerCast = false;
    let current = lvalue;
    while (current.parent && CAST_OR_PARENTHESES.has(current.parent.type)) {
      current = current.parent;
      if (current.type === 'cast_expression' && /\*|^\(?\s*P[A-Z0-9_]|^\(?\s*PVOID/.test(current.childForFieldName('type')?.text ?? '')) pointerCast = true;
    }
    const parent = current.parent;
    if (!parent) return false;
    let target: Node | null = null;
    if (parent.type === 'assignment_expression' && parent.childForFieldName('right')?.id === current.id && operatorOf(parent) === '=') target = unwrap(parent.childForFieldName('left'));
    else if (parent.type === 'init_declarator' && parent.childForFieldName('value')?.id === current.id) {
      if (parent.childForFieldName('declarator')?.type === 'pointer_declarator') return true;
      const type = parent.parent?.childForFieldName('type')?.text ?? '';
      return pointerCast || /^(P[A-Z0-9_]\w*|PVOID|LP\w+)$/.test(type);
    } else return false;
    if (pointerCast) return true;
    if (target?.type !== 'identifier') return false;
    const declaration = findDeclaration(this.file, this.fn, target.text);
    return Boolean(declaration && (declaration.isPointer || /^(P[A-Z0-9_]\w*|PVOID|LP\w+)$/.test(declaration.typeText.trim())));
  }

  /** `argument` (holding `access`) as the source of a copy: a read of `field`, sent to the output when the destination is. */
  private copySourceRead(argument: Node, access: Node, path: string, field: string): Event | undefined {
    const { holder, parent } = climbWrappers(argument, CAST_OR_PARENTHESES);
    if (parent?.type !== 'argument_list') return undefined;
    const call = parent.parent!;
    const shape = copyShape(call);
    if (!shape) return undefined;
    const index = callArguments(call).findIndex((candidate) => candidate.id === holder.id);
    if (index !== shape.source) return undefined;
    const output = shape.destination !== undefined && this.isOutputTarget(shape.destination, call.startIndex);
    return { at: access.startIndex, kind: 'read', path, field, node: access, category: output ? 'output' : 'read' };
  }

  private isOutputTarget(destination: Node, at: number): boolean {
    const base = lvalueBase(destination);
    if (isOutput(this.file, this.fn, base, at) || isOutput(this.file, this.fn, destination, at)) return true;
    const path = accessPath(base);
    return path !== undefined && this.outputMemories.has(path);
  }

  /** A read whose value is stored into the output buffer (`out->Key = p->Key;`, `*out = *p;`) reaches the caller. */
  private readCategory(access: Node): Category {
    for (let current: Node | null = access; current?.parent; current = current.parent) {
      const parent: Node = current.parent;
      if (parent.type === 'expression_statement' || parent.type === 'compound_statement' || parent.type === 'function_definition') break;
      if (parent.type === 'call_expression' && parent.childForFieldName('arguments')?.id === current.id) break; // the value goes into a call
      if (parent.type === 'assignment_expression' && parent.childForFieldName('right')?.id === current.id) {
        const left = parent.childForFieldName('left');
        return left && this.isOutputTarget(left, parent.startIndex) ? 'output' : 'read';
      }
    }
    return 'read';
  }
}

/** `p->F.G[i]` climbs to the outermost `.`/`[]` access (which writes or reads inside the field F). */
function climbLvalue(access: Node): Node {
  let current = access;
  for (;;) {
    const { holder, parent } = climbWrappers(current, PARENTHESES);
    if (parent?.type === 'field_expression' && parent.childForFieldName('argument')?.id === holder.id && operatorOf(parent) === '.') current = parent;
    else if (parent?.type === 'subscript_expression' && parent.childForFieldName('argument')?.id === holder.id) current = parent;
    else return current;
  }
}

const NULL_LITERAL = /^\(?\s*(NULL|0|nullptr)\s*\)?$/;

/** The paths a condition's outcome proves NULL (`!p` true, `p == NULL` true, `p` false, `p != NULL && …` false is not enough). */
function nullPaths(condition: Node, outcome: boolean, into: Set<string>, depth = 0): void {
  let node = unwrap(condition);
  if (node?.type === 'condition_clause') node = unwrap(node.childForFieldName('value'));
  if (!node || depth > 20) return;
  if (node.type === 'unary_expression' && operatorOf(node) === '!') {
    const argument = node.childForFieldName('argument');
    if (argument) nullPaths(argument, !outcome, into, depth + 1);
    return;
  }
  if (node.type === 'identifier' || node.type === 'field_expression') {
    const path = trackablePath(node);
    if (path && !outcome) into.add(path);
    return;
  }
  if (node.type === 'binary_expression') {
    const operator = node.childForFieldName('operator')?.text;
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (!left || !right) return;
    if (operator === '&&' && outcome || operator === '||' && !outcome) {
      nullPaths(left, outcome, into, depth + 1);
      nullPaths(right, outcome, into, depth + 1);
      return;
    }
    if (operator === '==' || operator === '!=') {
      const [value, other] = NULL_LITERAL.test(right.text) ? [left, right] : NULL_LITERAL.test(left.text) ? [right, left] : [undefined, undefined];
      if (!value || !other) return;
      const path = trackablePath(unwrap(value));
      if (path && (operator === '==') === outcome) into.add(path);
    }
  }
}

/** A size expression safe to repeat after the NULL check: no calls (but macros in capitals), assignments or increments. */
function repeatableSize(size: Node | undefined): string | undefined {
  if (!size) return undefined;
  const text = size.text;
  if (/[=]/.test(text.replace(/[=!<>]=/g, '')) || /\+\+|--/.test(text)) return undefined;
  for (const match of text.matchAll(/([A-Za-z_]\w*)\s*\(/g)) if (!/^(sizeof|[A-Z][A-Z0-9_]*)$/.test(match[1])) return undefined;
  return text.replace(/\s+/g, ' ');
}

/** The `if (p == NULL) { …exit… }` right after the allocation's statement. */
function nullCheckAfter(statement: Node, path: string): Node | undefined {
  let next = statement.nextNamedSibling;
  while (next?.type === 'comment') next = next.nextNamedSibling;
  if (next?.type !== 'if_statement') return undefined;
  const condition = next.childForFieldName('condition');
  if (!condition) return undefined;
  const nulls = new Set<string>();
  nullPaths(condition, true, nulls);
  if (!nulls.has(path) || !exitsBlock(next.childForFieldName('consequence')) || next.childForFieldName('alternative')) return undefined;
  return next;
}

const POOL_FLAGS: Record<string, string> = { NonPagedPoolNx: 'POOL_FLAG_NON_PAGED', NonPagedPool: 'POOL_FLAG_NON_PAGED', PagedPool: 'POOL_FLAG_PAGED' };

function fixesFor(file: SourceFile, allocation: Allocation): { fix?: FixDescriptor; suggestions?: FixDescriptor[] } {
  if (allocation.helper) return {};
  const { call, path } = allocation;
  const args = callArguments(call);
  const result: { fix?: FixDescriptor; suggestions?: FixDescriptor[] } = {};
  const statement = enclosingStatement(call);
  const size = repeatableSize(args[1]);
  const check = size && statement.type !== 'if_statement' ? nullCheckAfter(statement, path) : undefined;
  if (check && size) {
    result.fix = { title: `Zero ${path} after the NULL check`, edits: [fixer.insertAfter(check, `${file.eol}${file.indentationOf(check)}RtlZeroMemory(${path}, ${size});`)] };
  }
  const name = calleeName(call) ?? '';
  const poolType = args[0]?.text.trim() ?? '';
  const fn = call.childForFieldName('function');
  if (name === 'ExAllocatePoolWithTag' && args.length === 3 && POOL_FLAGS[poolType] && fn) {
    result.suggestions = [{ title: 'Allocate with ExAllocatePool2 (zeroes the memory)', edits: [fixer.replace(fn, 'ExAllocatePool2'), fixer.replace(args[0], POOL_FLAGS[poolType])] }];
  } else if ((name === 'ExAllocatePool2' || name === 'ExAllocatePool3') && args[0]) {
    const flags = args[0].text.replace(/\s*\|\s*POOL_FLAG_UNINITIALIZED\b|\bPOOL_FLAG_UNINITIALIZED\s*\|\s*/, '');
    if (flags !== args[0].text && !/POOL_FLAG_UNINITIALIZED/.test(flags)) result.suggestions = [{ title: 'Drop POOL_FLAG_UNINITIALIZED (ExAllocatePool2 then zeroes the memory)', edits: [fixer.replace(args[0], flags)] }];
  }
  return result;
}

export const rule: Rule = {
  meta: {
    id: 'uninitialized-pool-use',
    title: 'Uninitialized pool memory read, called through or returned',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function-local',
    description: 'Memory from an allocator that does not zero it (ExAllocatePoolWithTag, ExAllocatePool2 with POOL_FLAG_UNINITIALIZED, …) has a field read, called through or copied to the caller\'s output on a path where that field was not written.',
    rationale: 'Pool memory that is not zeroed holds whatever its previous owner left: kernel pointers, another process\'s data, or contents an attacker sprayed into the pool. Calling a function pointer nobody wrote jumps to an address the attacker may choose; copying the memory to the caller\'s output discloses kernel memory (defeating KASLR); other reads make decisions on garbage. Zero the allocation (RtlZeroMemory after the NULL check), allocate with ExAllocatePool2 (which zeroes unless POOL_FLAG_UNINITIALIZED is given), or write every field on every path before it is used.',
    cwe: ['CWE-908', 'CWE-457', 'CWE-200'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/updating-deprecated-exallocatepool-calls',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exallocatepool2',
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-dev-best-practices',
    ],
    confidence: 'medium',
    messages: {
      call: '`{{name}}->{{field}}` is called, but `{{name}}` comes from {{allocator}} (line {{line}}), {{why}}, and `{{field}}` is not written on every path before the call: the call jumps to whatever the pool held.',
      output: '`{{name}}->{{field}}` reaches the caller\'s output, but `{{name}}` comes from {{allocator}} (line {{line}}), {{why}}, and `{{field}}` is not written on every path before: stale kernel memory goes to user mode.',
      copy: '`{{name}}` is copied to the caller\'s output, but it comes from {{allocator}} (line {{line}}), {{why}}, and it is not zeroed or overwritten as a whole on every path before: stale kernel memory (unwritten fields, padding) goes to user mode.',
      read: '`{{name}}->{{field}}` is read, but `{{name}}` comes from {{allocator}} (line {{line}}), {{why}}, and `{{field}}` is not written on every path before: the value is whatever the pool held.',
      readWhole: '`{{name}}` is read before anything is written to it, but it comes from {{allocator}} (line {{line}}), which does not zero memory: the value is whatever the pool held.',
    },
    fixable: true,
    hasSuggestions: true,
    examples: {
      bad: "session = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(SESSION), 'sseS');\nif (session == NULL) {\n    return STATUS_INSUFFICIENT_RESOURCES;\n}\nif (request->Flags & SESSION_NOTIFY) {\n    session->Notify = SessionNotify;\n}\nsession->Notify(session);",
      good: "session = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(SESSION), 'sseS');\nif (session == NULL) {\n    return STATUS_INSUFFICIENT_RESOURCES;\n}\nRtlZeroMemory(session, sizeof(SESSION));\nsession->Notify = (request->Flags & SESSION_NOTIFY) ? SessionNotify : SessionIgnore;\nsession->Notify(session);",
    },
  },
  fileFacts(file) {
    return [...allocatingHelpers(file).keys()].sort().join(' ');
  },
  create(context) {
    const { file } = context;
    let helpers: Map<string, string> | undefined;
    return {
      ...gather('identifier', 'field_expression', 'call_expression', 'declaration', 'assignment_expression', 'update_expression', 'init_declarator', 'return_statement'),
      function_definition(node) {
        const fn = file.enclosingFunction(node);
        if (!fn?.body || fn.node.id !== node.id || fn.body.hasError) return;
        const allocations: Allocation[] = [];
        for (const call of file.within(fn.body, 'call_expression')) {
          const name = calleeName(call) ?? '';
          let allocator: string | undefined;
          let helper = false;
          let why = 'which does not zero memory';
          if (isNonZeroingAllocation(call) || LOOKASIDE_ALLOCATORS.has(name)) allocator = allocatorText(name);
          else if (/^[A-Za-z_]\w*$/.test(name) && name !== fn.name && file.functionByName(name)) {
            helpers ??= allocatingHelpers(file);
            const inner = helpers.get(name);
            if (inner) {
              allocator = name;
              why = `which returns ${allocatorText(inner)} memory without zeroing it`;
              helper = true;
            }
          }
          if (!allocator) continue;
          const path = allocationTarget(call);
          if (!path || !/^[A-Za-z_]\w*((->|\.)[A-Za-z_]\w*)*$/.test(path)) continue;
          allocations.push({ call, path, allocator, why, helper });
        }
        if (allocations.length === 0) return;
        const analysis = new PoolAnalysis(file, fn, allocations);
        if (!analysis.run()) return;
        const conditional = hasConditionals(file);
        for (const candidate of [...analysis.candidates.values()].sort((a, b) => a.node.startIndex - b.node.startIndex)) {
          const { allocation, field } = candidate;
          // A read inside an `#if` arm, with the field written inside an arm too: the arms may be taken together.
          if (conditional && armsAt(file, candidate.node.startIndex).length > 0 && field && writtenInArm(file, fn, allocation.path, field)) continue;
          const messageId = candidate.category === 'copy' ? 'copy' : (field === '*' || field === '[]') && candidate.category === 'read' ? 'readWhole' : candidate.category;
          const display = field === '*' || field === '[]' ? '' : field;
          context.report({
            node: candidate.node,
            messageId,
            severity: candidate.category === 'read' ? 'warning' : 'error',
            data: { name: allocation.path, field: display, allocator: allocation.allocator, why: allocation.why, line: lineOf(allocation.call) },
            related: [{ node: allocation.call, message: 'allocated here without zeroing' }],
            ...fixesFor(file, allocation),
          });
        }
      },
    };
  },
};

/** `ExAllocatePool2 with POOL_FLAG_UNINITIALIZED` for the flagged allocators, the name otherwise. */
function allocatorText(name: string): string {
  return name === 'ExAllocatePool2' || name === 'ExAllocatePool3' ? `${name} with POOL_FLAG_UNINITIALIZED` : name;
}

function writtenInArm(file: SourceFile, fn: FunctionInfo, path: string, field: string): boolean {
  for (const access of file.within(fn.body!, 'field_expression')) {
    if (access.childForFieldName('field')?.text !== field || trackablePath(access.childForFieldName('argument')) !== path) continue;
    if (armsAt(file, access.startIndex).length > 0) return true;
  }
  return false;
}
