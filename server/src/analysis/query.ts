/** Small helpers over tree-sitter nodes shared by the engine, the driver model and the rules. */
import type { SyntaxNode } from './syntax-tree';

/** The analyzer's syntax node: the JavaScript copy of tree-sitter's tree (see syntax-tree.ts). */
export type Node = SyntaxNode;

/**
 * Visits every node below `root` (and `root` itself) in document order; returning false from `visit` skips the
 * node's descendants. Nodes are indexed in document order, so the walk is a loop over a range of indices.
 */
export function walk(root: Node, visit: (node: Node) => boolean | void): void {
  const { tree } = root;
  const end = tree.subtreeEnds[root.index];
  for (let index = root.index; index < end;) {
    if (visit(tree.node(index)!) === false) index = tree.subtreeEnds[index];
    else index++;
  }
}

/** All descendants (and `root` itself) of the given types, in document order. */
export function descendantsOfType(root: Node, types: string | readonly string[]): Node[] {
  return root.descendantsOfType(types);
}

/** Drops parentheses, casts and `&`/`*`-free wrappers that do not change which object an expression names. */
export function unwrap(node: Node | null | undefined): Node | null {
  let current = node ?? null;
  while (current) {
    const type = current.type;
    if (type === 'cast_expression') current = current.childForFieldName('value');
    else if (type === 'parenthesized_expression') current = current.namedChild(0);
    else return current;
  }
  return null;
}

/** `node.type` (a leftover of the time node reads crossed into WASM, when this saved a read after `unwrap`). */
export function typeOf(node: Node): string {
  return node.type;
}

/** The called function's name: `foo(…)` → foo, `obj->fn(…)` → fn; undefined for computed callees. Memoized per node. */
export function calleeName(call: Node): string | undefined {
  const known = call.calleeMemo;
  if (known !== undefined) return known ?? undefined;
  const name = computeCalleeName(call);
  call.calleeMemo = name ?? null;
  return name;
}

function computeCalleeName(call: Node): string | undefined {
  const fn = unwrap(call.childForFieldName('function'));
  if (!fn) return undefined;
  const type = typeOf(fn);
  if (type === 'identifier') return fn.text;
  if (type === 'field_expression') return fn.childForFieldName('field')?.text;
  if (type === 'qualified_identifier') return fn.childForFieldName('name')?.text;
  return undefined;
}

/**
 * The argument expressions of a call (comments left out). Memoized per node object: most calls are asked about by
 * several rules, through the same objects of the engine's walk. The array is frozen: callers share it.
 */
export function callArguments(call: Node): readonly Node[] {
  let args = call.argumentsMemo;
  if (!args) {
    const list = call.childForFieldName('arguments');
    args = Object.freeze(list ? list.namedChildren.filter((child): child is Node => child !== null && child.type !== 'comment') : []);
    call.argumentsMemo = args;
  }
  return args;
}

/** The nearest ancestor (or the node itself) of one of the given types. */
export function ancestorOfType(node: Node, types: string | readonly string[]): Node | null {
  const wanted = typeof types === 'string' ? [types] : types;
  let current: Node | null = node;
  while (current) {
    if (wanted.includes(current.type)) return current;
    current = current.parent;
  }
  return null;
}

export function isAncestor(ancestor: Node, node: Node): boolean {
  return ancestor.startIndex <= node.startIndex && node.endIndex <= ancestor.endIndex && ancestor.id !== node.id
    ? hasAncestor(node, ancestor)
    : false;
}

function hasAncestor(node: Node, ancestor: Node): boolean {
  let current = node.parent;
  while (current) {
    if (current.id === ancestor.id) return true;
    if (current.startIndex < ancestor.startIndex) return false;
    current = current.parent;
  }
  return false;
}

/** True when `inner` lies inside `outer` by offsets (cheap; no parent walk). */
export function contains(outer: Node, inner: Node): boolean {
  return outer.startIndex <= inner.startIndex && inner.endIndex <= outer.endIndex;
}

/** The statement that holds a node: the child of the nearest compound statement (or case) on the way up. */
export function enclosingStatement(node: Node): Node {
  let current: Node = node;
  let parent = current.parent;
  while (parent) {
    const parentType = parent.type;
    if (parentType === 'compound_statement' || parentType === 'case_statement' || parentType === 'translation_unit'
      || parentType === 'seh_try_statement' || parentType === 'preproc_if' || parentType === 'preproc_ifdef'
      || parentType === 'preproc_else' || parentType === 'preproc_elif') {
      if (current.type !== 'comment' && current.type !== 'compound_statement') return current;
    }
    current = parent;
    parent = current.parent;
  }
  return current;
}

/** Casts and parentheses: wrappers that `unwrap` looks through, climbed the other way by `climbWrappers`. */
export const CAST_OR_PARENTHESES: ReadonlySet<string> = new Set(['cast_expression', 'parenthesized_expression']);

/**
 * From `node` up through ancestors whose type is in `wrappers`: the outermost of them (or the node itself) and its
 * parent. The same as `while (holder.parent && wrappers.has(holder.parent.type)) holder = holder.parent;`.
 */
export function climbWrappers(node: Node, wrappers: ReadonlySet<string>): { holder: Node; parent: Node | null } {
  let holder = node;
  let parent = holder.parent;
  while (parent && wrappers.has(parent.type)) {
    holder = parent;
    parent = holder.parent;
  }
  return { holder, parent };
}

/** Identifiers (not field names) used inside an expression. */
export function identifiersIn(node: Node): string[] {
  if (node.type === 'identifier') return [node.text];
  return descendantsOfType(node, 'identifier').map((id) => id.text);
}

/**
 * A readable path for an lvalue-ish expression: `Irp->AssociatedIrp.SystemBuffer`, `s->Size`, `buf[i]`.
 * Casts and parentheses are dropped so `((PFOO)p)->x` and `p->x` compare equal.
 */
export function accessPath(node: Node | null | undefined): string | undefined {
  const current = unwrap(node);
  if (!current) return undefined;
  switch (typeOf(current)) {
    case 'identifier':
    case 'field_identifier':
      return current.text;
    case 'field_expression': {
      const base = accessPath(current.childForFieldName('argument'));
      const field = current.childForFieldName('field')?.text;
      const operator = current.childForFieldName('operator')?.text ?? current.child(1)?.text ?? '.';
      return base && field ? `${base}${operator}${field}` : undefined;
    }
    case 'pointer_expression': {
      const inner = accessPath(current.childForFieldName('argument'));
      const operator = current.childForFieldName('operator')?.text ?? current.child(0)?.text;
      return inner ? `${operator}${inner}` : undefined;
    }
    case 'subscript_expression': {
      const base = accessPath(current.childForFieldName('argument'));
      const index = current.childForFieldName('index') ?? current.childForFieldName('indices');
      return base && index ? `${base}[${index.text}]` : undefined;
    }
    default:
      return undefined;
  }
}

/** The base variable name of an access path: `s->a.b[3]` → s. */
export function baseIdentifier(node: Node | null | undefined): string | undefined {
  let current = unwrap(node);
  while (current) {
    switch (typeOf(current)) {
      case 'identifier':
        return current.text;
      case 'field_expression':
      case 'subscript_expression':
      case 'pointer_expression':
        current = unwrap(current.childForFieldName('argument'));
        break;
      case 'binary_expression':
        current = unwrap(current.childForFieldName('left'));
        break;
      default:
        return undefined;
    }
  }
  return undefined;
}

/** The last field name of a field expression chain (`a->b.c` → c). */
export function fieldName(node: Node | null | undefined): string | undefined {
  const current = unwrap(node);
  if (current && typeOf(current) === 'field_expression') return current.childForFieldName('field')?.text;
  return undefined;
}

/** Name declared by a declarator (`*p`, `buf[10]`, `x = 3`, `(*fn)(int)`). */
export function declaratorName(declarator: Node | null | undefined): string | undefined {
  let current = declarator ?? null;
  while (current) {
    if (current.type === 'identifier' || current.type === 'field_identifier') return current.text;
    const next = current.childForFieldName('declarator');
    if (!next) return undefined;
    current = next;
  }
  return undefined;
}

export const RELATIONAL_OPERATORS = new Set(['<', '<=', '>', '>=', '==', '!=']);

export function binaryOperator(node: Node): string | undefined {
  return node.childForFieldName('operator')?.text;
}

/** Whether a statement ends control flow for the rest of its block (`return`, `goto`, `break`, `continue`, `__leave`, ExRaise…). */
export function exitsBlock(statement: Node | null): boolean {
  if (!statement) return false;
  switch (statement.type) {
    case 'return_statement':
    case 'goto_statement':
    case 'break_statement':
    case 'continue_statement':
    case 'seh_leave_statement':
    case 'throw_statement':
      return true;
    case 'compound_statement': {
      const children = statement.namedChildren.filter((child) => child && child.type !== 'comment');
      return children.some((child) => exitsBlock(child));
    }
    case 'expression_statement': {
      const call = statement.namedChild(0);
      if (call?.type === 'call_expression') {
        const name = calleeName(call);
        return name === 'ExRaiseStatus' || name === 'ExRaiseAccessViolation' || name === 'KeBugCheckEx' || name === 'KeBugCheck';
      }
      return false;
    }
    default:
      return false;
  }
}

/** A node named by its offset from the start of a node around it, its length and type (`placeIn`). */
export interface NodePlace {
  offset: number;
  length: number;
  type: string;
}

/**
 * Where `node` lies in `container`, or undefined when outside it. In a later version of the file where the
 * container has the same text and parse, `nodeAtPlace` finds the same node again.
 */
export function placeIn(container: Node, node: Node): NodePlace | undefined {
  const start = container.startIndex;
  if (node.startIndex < start || node.endIndex > container.endIndex) return undefined;
  return { offset: node.startIndex - start, length: node.endIndex - node.startIndex, type: node.type };
}

/** The node `place` names in `container`, or undefined when there is none. */
export function nodeAtPlace(container: Node, place: NodePlace): Node | undefined {
  const start = container.startIndex + place.offset;
  const end = start + place.length;
  for (let node: Node | null = container.descendantForIndex(start, end); node && node.startIndex === start && node.endIndex === end; node = node.parent) {
    if (node.type === place.type) return node;
  }
  return undefined;
}
