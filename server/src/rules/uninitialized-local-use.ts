/**
 * Flags a local pointer or structure declared without an initializer, assigned on some paths only, and then used
 * where a path that skipped the assignment reaches: the use reads stack garbage (a stale pointer from an earlier
 * call, often attacker-influenced). A definite-assignment analysis over the function's statements (branches,
 * switch cases, loops run zero or more times, gotos to forward labels, __try/__except).
 */
import { armTaken, hasCorrelatedChain } from '../analysis/conditional';
import { declaratorName, type Node } from '../analysis/query';
import { fixer, gather, lineOf, type Rule } from '../analysis/rule';
import type { SourceFile } from '../analysis/source-file';

interface State {
  /** Assigned on every path here. */
  def: boolean;
  /** Assigned on at least one path here. */
  maybe: boolean;
  /** The "some paths" come from a loop body (a search loop whose exit is checked some other way): not judged. */
  loop?: boolean;
}

type Flow = State | null;

function join(a: Flow, b: Flow): Flow {
  if (!a) return b;
  if (!b) return a;
  return { def: a.def && b.def, maybe: a.maybe || b.maybe, loop: a.loop || b.loop };
}

const UNKNOWN: State = { def: true, maybe: true };

/** Structures the WDK declares that drivers commonly fill on some paths. */
const KNOWN_STRUCTS = new Set([
  'UNICODE_STRING', 'ANSI_STRING', 'OBJECT_ATTRIBUTES', 'IO_STATUS_BLOCK', 'LARGE_INTEGER', 'ULARGE_INTEGER', 'PHYSICAL_ADDRESS',
  'CLIENT_ID', 'KEVENT', 'WDF_OBJECT_ATTRIBUTES', 'WDF_IO_QUEUE_CONFIG', 'WDF_REQUEST_PARAMETERS', 'WDF_MEMORY_DESCRIPTOR', 'GUID',
]);

const NOT_POINTERS = new Set(['PAGED_CODE', 'POOL_TYPE', 'PROCESSINFOCLASS', 'PHYSICAL_ADDRESS', 'POOL_FLAGS']);

type Kind = 'pointer' | 'struct';

function variableKind(file: SourceFile, typeNode: Node | null, declarator: Node, structs: ReadonlySet<string>): Kind | undefined {
  if (declarator.type === 'pointer_declarator') return 'pointer';
  if (declarator.type !== 'identifier' || !typeNode) return undefined;
  const type = typeNode.text.trim();
  if (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier') return 'struct';
  if (KNOWN_STRUCTS.has(type) || structs.has(type)) return 'struct';
  if (NOT_POINTERS.has(type)) return undefined;
  if (type === 'HANDLE' || type === 'PVOID' || /^P[A-Z][A-Z0-9_]*$/.test(type) || /^PFN_?[A-Z]/.test(type)) return 'pointer';
  return undefined;
}

/** Struct types this file defines (`typedef struct _X { … } X, *PX;` gives X). */
function fileStructs(file: SourceFile): Set<string> {
  const names = new Set<string>();
  for (const definition of file.nodes('type_definition')) {
    const type = definition.childForFieldName('type');
    if (type?.type !== 'struct_specifier' && type?.type !== 'union_specifier') continue;
    for (const declarator of definition.childrenForFieldName('declarator')) {
      if (declarator?.type === 'type_identifier') names.add(declarator.text);
    }
  }
  return names;
}

/**
 * The children and fields of one function's nodes, filtered once and shared by the walks of all its locals (each
 * local walks the whole body).
 */
class NodeCache {
  private readonly childLists = new Map<number, Node[]>();
  private readonly fields = new Map<string, Node | null>();

  children(node: Node): Node[] {
    let list = this.childLists.get(node.id);
    if (!list) {
      list = node.namedChildren.filter((child): child is Node => child !== null);
      this.childLists.set(node.id, list);
    }
    return list;
  }

  field(node: Node, name: string): Node | null {
    const key = `${node.id}:${name}`;
    let value = this.fields.get(key);
    if (value === undefined) {
      value = node.childForFieldName(name);
      this.fields.set(key, value);
    }
    return value;
  }
}

class DefiniteAssignment {
  found?: Node;
  firstAssignment?: Node;
  aborted = false;
  private readonly labels = new Map<string, State[]>();
  private readonly breaks: State[][] = [];
  private readonly leaves: State[][] = [];
  private readonly assignmentGuards = new Map<string, number[]>();
  private readonly sequentialArms = new Set<number>();

  constructor(
    private readonly file: SourceFile,
    private readonly name: string,
    private readonly kind: Kind,
    private readonly declaration: Node,
    private readonly backwardLabels: ReadonlySet<string>,
    private readonly tree: NodeCache,
    /** Sorted offsets where the name is written in the function's text (in code, comments or strings alike). */
    private readonly mentions: readonly number[],
  ) {}

  /** Whether the name is written somewhere in [start, end): where it is not, an expression holds no event. */
  private mentioned(start: number, end: number): boolean {
    let low = 0;
    let high = this.mentions.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.mentions[middle] < start) low = middle + 1;
      else high = middle;
    }
    return low < this.mentions.length && this.mentions[low] < end;
  }

  statement(node: Node, state: Flow): Flow {
    if (this.aborted || this.found) return state;
    switch (node.type) {
      case 'compound_statement':
        return this.sequence(this.tree.children(node).filter((child) => isStatementLike(child, node, this.tree)), state);
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_else':
      case 'preproc_elif':
      case 'preproc_elifdef': {
        // `#if` arms are alternatives (analysis/conditional.ts): a build runs one arm; `#if 0` none, `#if 1` only its own.
        // A chain whose condition another chain of the function tests again (`#if defined(PERFCNT)` around the
        // declaration, the assignment and the use) is taken together with it: this walk cannot pair them, so such a
        // chain keeps the earlier, optimistic reading (its arms in sequence).
        if ((node.type === 'preproc_if' || node.type === 'preproc_ifdef') && this.isCorrelated(node)) {
          for (let arm: Node | null = node; arm; arm = arm.type === 'preproc_else' ? null : this.tree.field(arm, 'alternative')) this.sequentialArms.add(arm.id);
        }
        if (this.sequentialArms.has(node.id)) return this.sequence(this.tree.children(node).filter((child) => isStatementLike(child, node, this.tree)), state);
        const alternative = node.type === 'preproc_else' ? null : this.tree.field(node, 'alternative');
        const body = this.tree.children(node).filter((child) => child.id !== alternative?.id && isStatementLike(child, node, this.tree));
        const taken = armTaken(this.file, node);
        const own = taken === 'never' ? null : this.sequence(body, state);
        if (node.type === 'preproc_else' || taken === 'always') return own;
        const other = alternative ? this.statement(alternative, state) : state;
        return taken === 'never' ? other : join(own, other);
      }
      case 'comment':
        return state;
      case 'declaration':
        if (node.id === this.declaration.id) return { def: false, maybe: false };
        return state ? this.expression(node, state) : null;
      case 'if_statement': {
        const afterCondition = state ? this.expression(this.tree.field(node, 'condition')!, state) : null;
        const consequence = this.tree.field(node, 'consequence');
        const alternative = this.tree.field(node, 'alternative');
        const then = consequence ? this.statement(consequence, afterCondition) : afterCondition;
        const otherwise = alternative ? this.statement(alternative, afterCondition) : afterCondition;
        return join(then, otherwise);
      }
      case 'else_clause':
        return this.sequence(this.tree.children(node).filter((child) => child.type !== 'comment'), state);
      case 'while_statement':
      case 'for_statement': {
        let entry = state;
        if (node.type === 'for_statement') {
          const initializer = this.tree.field(node, 'initializer');
          if (initializer && entry) entry = this.expression(initializer, entry);
        }
        const condition = this.tree.field(node, 'condition');
        const afterCondition = condition && entry ? this.expression(condition, entry) : entry;
        this.breaks.push([]);
        const body = this.tree.field(node, 'body');
        let afterBody = body ? this.statement(body, afterCondition) : afterCondition;
        const update = this.tree.field(node, 'update');
        if (update && afterBody) afterBody = this.expression(update, afterBody);
        const broken = (this.breaks.pop() ?? []).map((s) => ({ ...s, loop: true }));
        // `while (TRUE)` / `for (;;)`: only a break leaves the loop.
        const endless = !condition || /^\(?\s*(TRUE|1|true)\s*\)?$/.test(condition.text);
        // Loop-carried assignments are not followed: a later turn may see the assignment, the first does not.
        const exit: Flow = endless ? null : join(afterCondition, afterBody ? { def: afterCondition?.def ?? false, maybe: afterBody.maybe, loop: afterBody.maybe || afterCondition?.loop } : null);
        return broken.reduce<Flow>((acc, s) => join(acc, s), exit);
      }
      case 'do_statement': {
        this.breaks.push([]);
        const body = this.tree.field(node, 'body');
        let afterBody = body ? this.statement(body, state) : state;
        const condition = this.tree.field(node, 'condition');
        if (condition && afterBody) afterBody = this.expression(condition, afterBody);
        const broken = this.breaks.pop() ?? [];
        return broken.reduce<Flow>((acc, s) => join(acc, s), afterBody);
      }
      case 'switch_statement': {
        const afterCondition = state ? this.expression(this.tree.field(node, 'condition')!, state) : null;
        const body = this.tree.field(node, 'body');
        this.breaks.push([]);
        let fallthrough: Flow = null;
        let hasDefault = false;
        for (const child of body ? this.tree.children(body) : []) {
          if (child.type === 'comment') continue;
          if (child.type !== 'case_statement') {
            fallthrough = this.statement(child, fallthrough);
            continue;
          }
          if (!this.tree.field(child, 'value')) hasDefault = true;
          let current = join(afterCondition, fallthrough);
          for (const inner of this.tree.children(child)) {
            if (inner.id === this.tree.field(child, 'value')?.id || inner.type === 'comment') continue;
            current = this.statement(inner, current);
          }
          fallthrough = current;
        }
        const broken = this.breaks.pop() ?? [];
        let out = broken.reduce<Flow>((acc, s) => join(acc, s), fallthrough);
        if (!hasDefault) out = join(out, afterCondition);
        return out;
      }
      case 'return_statement':
        if (state) this.expression(node, state);
        return null;
      case 'break_statement':
        if (state) this.breaks[this.breaks.length - 1]?.push(state);
        return null;
      case 'continue_statement':
        return null;
      case 'seh_leave_statement':
        if (state) this.leaves[this.leaves.length - 1]?.push(state);
        return null;
      case 'goto_statement': {
        const label = this.tree.field(node, 'label')?.text;
        if (label && state) {
          const list = this.labels.get(label) ?? [];
          list.push(state);
          this.labels.set(label, list);
        }
        return null;
      }
      case 'labeled_statement': {
        const label = this.tree.field(node, 'label')?.text ?? '';
        let entry: Flow = (this.labels.get(label) ?? []).reduce<Flow>((acc, s) => join(acc, s), state);
        if (this.backwardLabels.has(label)) entry = UNKNOWN;
        const inner = this.tree.children(node).filter((child) => child.type !== 'statement_identifier' && child.type !== 'comment');
        return this.sequence(inner, entry);
      }
      case 'seh_try_statement': {
        this.leaves.push([]);
        const body = this.tree.field(node, 'body');
        const afterBody = body ? this.statement(body, state) : state;
        const left = this.leaves.pop() ?? [];
        const normal = left.reduce<Flow>((acc, s) => join(acc, s), afterBody);
        let out = normal;
        for (const clause of this.tree.children(node)) {
          if ((clause.type !== 'seh_except_clause' && clause.type !== 'seh_finally_clause')) continue;
          // A fault may come before or after the assignments in the body.
          const entry: Flow = state ? { def: state.def, maybe: state.maybe || Boolean(normal?.maybe) } : normal;
          const handlerBody = this.tree.field(clause, 'body');
          const handled = handlerBody ? this.statement(handlerBody, entry) : entry;
          out = clause.type === 'seh_except_clause' ? join(normal, handled) : handled && normal ? { def: normal.def || handled.def, maybe: handled.maybe || normal.maybe } : null;
        }
        return out;
      }
      case 'ERROR':
        this.aborted = true;
        return state;
      case 'expression_statement': {
        const after = state ? this.expression(node, state) : null;
        const call = this.tree.children(node)[0];
        // KeBugCheckEx, ExRaiseStatus, __fastfail: the path ends here.
        if (call?.type === 'call_expression' && /^(KeBugCheck(Ex)?|ExRaiseStatus|ExRaiseAccessViolation|ExRaiseDatatypeMisalignment|__fastfail)$/.test(this.tree.field(call, 'function')?.text ?? '')) return null;
        return after;
      }
      default:
        return state ? this.expression(node, state) : null;
    }
  }

  private sequence(children: Node[], state: Flow): Flow {
    let current = state;
    for (const child of children) {
      if (this.aborted || this.found) return current;
      current = this.statement(child, current);
    }
    return current;
  }

  /** Uses and assignments of the variable inside an expression (or a simple statement), in evaluation order. */
  expression(node: Node, state: State): State {
    if (!this.mentioned(node.startIndex, node.endIndex)) return state;
    const events: { offset: number; kind: 'use' | 'def' | 'maybe'; node: Node }[] = [];
    for (const identifier of this.file.within(node, 'identifier')) {
      if (identifier.text !== this.name) continue;
      const event = this.classify(identifier, node);
      if (event) events.push(event);
    }
    if (events.length === 0) return state;
    events.sort((a, b) => a.offset - b.offset);
    let current = state;
    for (const event of events) {
      if (event.kind === 'use') {
        if (!current.def && current.maybe && !current.loop && !this.found && !this.sharesGuard(event.node)) this.found = event.node;
        if (!current.def && !current.maybe) return UNKNOWN; // never assigned before: not this rule's pattern; stop following
      } else {
        this.firstAssignment ??= event.node;
        for (const guard of guardsOf(event.node)) this.assignmentGuards.set(guard.text, [...(this.assignmentGuards.get(guard.text) ?? []), guard.id]);
        current = event.kind === 'def' ? { def: true, maybe: true } : { def: current.def, maybe: true };
      }
    }
    return current;
  }

  /** The use sits under the same condition as an assignment (`if (flag) p = …; … if (flag) use(p);`). */
  private sharesGuard(use: Node): boolean {
    // A different statement with the same condition: the same decision, taken again.
    return this.assignmentGuards.size > 0 && guardsOf(use).some((guard) => (this.assignmentGuards.get(guard.text) ?? []).some((id) => id !== guard.id));
  }

  private classify(identifier: Node, limit: Node): { offset: number; kind: 'use' | 'def' | 'maybe'; node: Node } | undefined {
    let holder: Node = identifier;
    while (holder.parent && holder.parent.type === 'parenthesized_expression') holder = holder.parent;
    const parent = holder.parent;
    if (!parent) return undefined;
    if (DECLARATOR_PARENTS.has(parent.type) && parent.childForFieldName('value')?.id !== holder.id) {
      // A declaration of another variable with the same name (shadowing): stop following.
      return { offset: identifier.startIndex, kind: 'def', node: identifier };
    }
    for (let current: Node | null = parent; current && current.id !== limit.parent?.id; current = current.parent) {
      if (current.type === 'sizeof_expression' || current.type === 'alignof_expression') return undefined;
    }
    const kind: 'def' | 'maybe' = this.isConditionallyEvaluated(identifier, limit) ? 'maybe' : 'def';
    // `v = …`
    if (parent.type === 'assignment_expression' && parent.childForFieldName('left')?.id === holder.id) {
      const operator = parent.childForFieldName('operator')?.text ?? parent.child(1)?.text;
      if (operator === '=') return { offset: parent.endIndex, kind, node: parent };
      return { offset: identifier.startIndex, kind: 'use', node: identifier };
    }
    // `&v` (an out parameter, or an alias that may be written through): treated as an assignment.
    if (parent.type === 'pointer_expression' && (parent.childForFieldName('operator')?.text ?? parent.child(0)?.text) === '&') {
      return { offset: parent.endIndex, kind, node: parent };
    }
    if (this.kind === 'struct' && parent.type === 'field_expression' && parent.childForFieldName('argument')?.id === holder.id) {
      // `v.f = …` or `&v.f`: a partial initialization, counted as one.
      let field: Node = parent;
      while (field.parent?.type === 'field_expression' || field.parent?.type === 'subscript_expression') field = field.parent;
      const above = field.parent;
      if (above?.type === 'assignment_expression' && above.childForFieldName('left')?.id === field.id) return { offset: above.endIndex, kind, node: above };
      if (above?.type === 'pointer_expression' && (above.childForFieldName('operator')?.text ?? above.child(0)?.text) === '&') return { offset: above.endIndex, kind, node: above };
    }
    return { offset: identifier.startIndex, kind: 'use', node: identifier };
  }

  private isCorrelated(chain: Node): boolean {
    const fn = this.file.enclosingFunction(this.declaration);
    return hasCorrelatedChain(this.file, chain, fn ? fn.node.startIndex : 0, fn ? fn.node.endIndex : this.file.text.length);
  }

  /** Inside the right operand of `&&`/`||` or a branch of `?:`, below `limit`. */
  private isConditionallyEvaluated(node: Node, limit: Node): boolean {
    for (let current: Node = node; current.parent && current.id !== limit.id; current = current.parent) {
      const parent: Node = current.parent;
      if (parent.type === 'binary_expression') {
        const operator = parent.childForFieldName('operator')?.text;
        if ((operator === '&&' || operator === '||') && parent.childForFieldName('right')?.id === current.id) return true;
      }
      if (parent.type === 'conditional_expression' && parent.childForFieldName('condition')?.id !== current.id) return true;
    }
    return false;
  }
}

const DECLARATOR_PARENTS = new Set(['declaration', 'init_declarator', 'pointer_declarator', 'array_declarator', 'function_declarator', 'parameter_declaration']);

/** Condition texts (whitespace-normalized) of the `if`/`switch` statements that hold a node. */
function guardsOf(node: Node): { text: string; id: number }[] {
  const conditions: { text: string; id: number }[] = [];
  for (let current: Node | null = node.parent; current && current.type !== 'function_definition'; current = current.parent) {
    if (current.type === 'if_statement' || current.type === 'switch_statement') {
      const condition = current.childForFieldName('condition');
      if (condition && !(condition.startIndex <= node.startIndex && node.endIndex <= condition.endIndex)) conditions.push({ text: condition.text.replace(/\s+/g, ''), id: current.id });
    }
  }
  return conditions;
}

function isStatementLike(child: Node, parent: Node, tree: NodeCache): boolean {
  if (child.type === 'comment') return false;
  if (parent.type.startsWith('preproc_')) {
    const skip = [tree.field(parent, 'condition')?.id, tree.field(parent, 'name')?.id];
    return !skip.includes(child.id) && !child.type.startsWith('preproc_arg');
  }
  return true;
}

export const rule: Rule = {
  meta: {
    id: 'uninitialized-local-use',
    title: 'Local used when it is initialized only on some paths',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function-local',
    description: 'A local pointer or structure declared without an initializer is assigned on some paths only and then used on a path that may have skipped the assignment.',
    rationale: 'An uninitialized local holds whatever the stack held before: often a pointer left by an earlier call, which a caller can influence by steering which kernel code ran before. Calling through it, dereferencing it or copying it out gives an attacker control over the driver or leaks kernel addresses. Initialize pointers to NULL and structures with `= { 0 }` where they are declared, and check before use.',
    cwe: ['CWE-457', 'CWE-908'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-dev-best-practices',
      'https://learn.microsoft.com/cpp/error-messages/compiler-warnings/compiler-warning-level-4-c4701',
    ],
    confidence: 'medium',
    messages: {
      maybeUninitialized: '`{{name}}` may be used uninitialized: it is assigned only on some paths (line {{line}}) and declared without an initializer. Initialize it with `{{initializer}}`.',
    },
    fixable: true,
    examples: {
      bad: 'PFN_HANDLER handler;\nswitch (request->Operation) {\ncase OPERATION_READ:\n    handler = HandleRead;\n    break;\ncase OPERATION_WRITE:\n    handler = HandleWrite;\n    break;\n}\nstatus = handler(request);',
      good: 'PFN_HANDLER handler = NULL;\nswitch (request->Operation) {\ncase OPERATION_READ:\n    handler = HandleRead;\n    break;\ncase OPERATION_WRITE:\n    handler = HandleWrite;\n    break;\n}\nif (handler == NULL) {\n    return STATUS_INVALID_PARAMETER;\n}\nstatus = handler(request);',
    },
  },
  create(context) {
    const { file } = context;
    let structs: Set<string> | undefined;
    return {
      ...gather('labeled_statement', 'goto_statement'),
      function_definition(node) {
        const body = node.childForFieldName('body');
        if (!body || body.hasError) return;
        const declarations = file.within(body, 'declaration');
        if (declarations.length === 0) return;
        let backwardLabels: Set<string> | undefined;
        let tree: NodeCache | undefined;
        for (const declaration of declarations) {
          if (/^\s*(static|extern)\b/.test(declaration.text)) continue;
          if (declaration.parent?.type === 'for_statement') continue;
          for (const declarator of declaration.childrenForFieldName('declarator')) {
            if (!declarator || declarator.type === 'init_declarator') continue;
            structs ??= fileStructs(file);
            const kind = variableKind(file, declaration.childForFieldName('type'), declarator, structs);
            const name = declaratorName(declarator);
            if (!kind || !name) continue;
            if (declarator.type === 'pointer_declarator' && declarator.childForFieldName('declarator')?.type !== 'identifier') continue;
            backwardLabels ??= findBackwardLabels(file, body);
            tree ??= new NodeCache();
            const analysis = new DefiniteAssignment(file, name, kind, declaration, backwardLabels, tree, mentionsOf(file.text, body, name));
            analysis.statement(body, UNKNOWN);
            if (analysis.aborted || !analysis.found || !analysis.firstAssignment) continue;
            const initializer = kind === 'struct' ? '= { 0 }' : '= NULL';
            context.report({
              node: analysis.found,
              messageId: 'maybeUninitialized',
              data: { name, line: lineOf(analysis.firstAssignment), initializer },
              related: [{ node: declaration, message: 'declared without an initializer' }, { node: analysis.firstAssignment, message: 'assigned only on some paths' }],
              fix: { title: `Initialize ${name} with ${initializer.slice(2)}`, edits: [fixer.insertAfter(declarator, ` ${initializer}`)] },
            });
          }
        }
      },
    };
  },
};

function mentionsOf(text: string, body: Node, name: string): number[] {
  const offsets: number[] = [];
  const start = body.startIndex;
  const end = body.endIndex;
  for (let at = text.indexOf(name, start); at >= 0 && at < end; at = text.indexOf(name, at + name.length)) {
    const before = text.charCodeAt(at - 1);
    const after = text.charCodeAt(at + name.length);
    if (!isIdentifierChar(before) && !isIdentifierChar(after)) offsets.push(at);
  }
  return offsets;
}

function isIdentifierChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code > 127;
}

/** Labels that a goto later in the function jumps back to (loops the analysis does not follow). */
function findBackwardLabels(file: SourceFile, body: Node): Set<string> {
  const result = new Set<string>();
  const labels = new Map<string, number>();
  for (const label of file.within(body, 'labeled_statement')) {
    const name = label.childForFieldName('label')?.text;
    if (name) labels.set(name, label.startIndex);
  }
  if (labels.size === 0) return result;
  for (const jump of file.within(body, 'goto_statement')) {
    const name = jump.childForFieldName('label')?.text;
    const at = name ? labels.get(name) : undefined;
    if (name && at !== undefined && at < jump.startIndex) result.add(name);
  }
  return result;
}
