/**
 * Intraprocedural path reasoning: a small control-flow graph of one function (statements, conditions, returns,
 * `goto` labels, loops, `switch` fall-through, `__try`, `#if` branches) and a forward analysis over it whose state
 * is a set of facts the rule defines ("lock L held", "IRP completed") plus the known constant values of local flag
 * variables (`status = STATUS_PENDING`, `completed = TRUE`), so branches on those flags prune impossible paths.
 *
 * States are kept per path shape (not merged), bounded by `maxStates` per node: when a function needs more, the
 * analysis gives up (undefined) and the rule reports nothing. Pure: no editor or I/O imports.
 */
import { calleeName, declaratorName, unwrap, type Node } from './query';
import type { FunctionInfo, SourceFile } from './source-file';

export type FlowKind = 'entry' | 'stmt' | 'cond' | 'return' | 'end' | 'join' | 'exit';

export interface FlowEdge {
  to: number;
  /** For edges leaving a `cond` node of an if/loop: the condition's value on this edge. */
  branch?: boolean;
}

export interface FlowNode {
  id: number;
  kind: FlowKind;
  /** The statement (stmt, return), the condition expression (cond), the function body (end). */
  node?: Node;
  /**
   * For a `cond` node that is a statement (a WPP guard call, `wpp.ts`): the condition it branches on, built from
   * the call's arguments; `node` is the call's statement. Refinements use `test ?? node`.
   */
  test?: Node;
  succ: FlowEdge[];
}

export interface FlowGraph {
  nodes: FlowNode[];
  entry: FlowNode;
  exit: FlowNode;
  /** False when something could not be modelled (ERROR statements, a goto to a missing label, a stray break). */
  complete: boolean;
  /** The function has a `__finally` clause (returns inside `__try` run it; the graph does not model that). */
  hasFinally: boolean;
}

/** Calls after which control does not come back. */
export const NO_RETURN_CALLS = new Set(['ExRaiseStatus', 'ExRaiseAccessViolation', 'ExRaiseDatatypeMisalignment', 'KeBugCheck', 'KeBugCheckEx', '__fastfail', 'RtlFailFast', 'RtlRaiseStatus']);

/** Statement nesting (and condition nesting) beyond which a function is not analysed. */
const MAX_NESTING = 200;

interface Pred {
  from: number;
  branch?: boolean;
}

const PREPROC_CONSTANT = /^\(*\s*(0+|[1-9]\d*)[uUlL]*\s*\)*$/;
const CONSTANT_TRUE = /^\(?\s*(1|TRUE|true)\s*\)?$/;
const CONSTANT_FALSE = /^\(?\s*(0|FALSE|false)\s*\)?$/;

/** Calls that branch: `if (condition) goto label;` (WPP guards, `SourceFile.wppGuardOf`). */
export type GuardOf = (call: Node) => { condition: Node; label: string } | undefined;

class GraphBuilder {
  constructor(private readonly guardOf?: GuardOf) {}

  readonly nodes: FlowNode[] = [];
  complete = true;
  hasFinally = false;
  private readonly labels = new Map<string, FlowNode>();
  private readonly gotos: { preds: Pred[]; label: string }[] = [];
  private readonly breaks: Pred[][] = [];
  private readonly continues: FlowNode[] = [];
  private readonly leaves: Pred[][] = [];
  private readonly switches: { cond: number; hasDefault: boolean }[] = [];

  add(kind: FlowKind, node?: Node): FlowNode {
    const flowNode: FlowNode = { id: this.nodes.length, kind, node, succ: [] };
    this.nodes.push(flowNode);
    return flowNode;
  }

  connect(preds: readonly Pred[], to: FlowNode): void {
    for (const pred of preds) this.nodes[pred.from].succ.push({ to: to.id, branch: pred.branch });
  }

  private node(kind: FlowKind, node: Node | undefined, preds: readonly Pred[]): FlowNode {
    const flowNode = this.add(kind, node);
    this.connect(preds, flowNode);
    return flowNode;
  }

  private join(preds: readonly Pred[]): FlowNode {
    return this.node('join', undefined, preds);
  }

  private sequence(children: readonly (Node | null)[], preds: Pred[]): Pred[] {
    let current = preds;
    for (const child of children) if (child) current = this.statement(child, current);
    return current;
  }

  private depth = 0;

  /** Builds the graph of one statement; very deep nesting gives up (the graph is marked incomplete) instead of overflowing. */
  statement(statement: Node, preds: Pred[]): Pred[] {
    if (this.depth >= MAX_NESTING) {
      this.complete = false;
      return preds;
    }
    this.depth++;
    try {
      return this.statementInner(statement, preds);
    } finally {
      this.depth--;
    }
  }

  private statementInner(statement: Node, preds: Pred[]): Pred[] {
    switch (statement.type) {
      case 'comment':
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_call':
      case 'preproc_include':
      case ';':
        return preds;
      case 'compound_statement':
        return this.sequence(statement.namedChildren, preds);
      case 'expression_statement': {
        const expression = statement.namedChild(0);
        if (!expression) return preds;
        const guard = expression.type === 'call_expression' ? this.guardOf?.(expression) : undefined;
        if (guard) {
          // `CHK_NT_MSG(status, "…");` expands to `if (!NT_SUCCESS(status)) { …; goto End; }`.
          const cond = this.node('cond', statement, preds);
          cond.test = guard.condition;
          this.gotos.push({ preds: [{ from: cond.id, branch: true }], label: guard.label });
          return [{ from: cond.id, branch: false }];
        }
        const flowNode = this.node('stmt', statement, preds);
        if (expression.type === 'call_expression' && NO_RETURN_CALLS.has(calleeName(expression) ?? '')) return [];
        return [{ from: flowNode.id }];
      }
      case 'if_statement': {
        const condition = statement.childForFieldName('condition');
        const cond = this.node('cond', condition ?? statement, preds);
        const consequence = statement.childForFieldName('consequence');
        const whenTrue = consequence ? this.statement(consequence, [{ from: cond.id, branch: true }]) : [{ from: cond.id, branch: true }];
        const alternative = statement.childForFieldName('alternative');
        const whenFalse = alternative ? this.statement(alternative, [{ from: cond.id, branch: false }]) : [{ from: cond.id, branch: false }];
        return [...whenTrue, ...whenFalse];
      }
      case 'else_clause':
        return this.sequence(statement.namedChildren, preds);
      case 'while_statement': {
        const head = this.join(preds);
        const condition = statement.childForFieldName('condition');
        const cond = this.node('cond', condition ?? statement, [{ from: head.id }]);
        const always = condition !== null && CONSTANT_TRUE.test(condition.text);
        const body = statement.childForFieldName('body');
        this.breaks.push([]);
        this.continues.push(head);
        const out = body ? this.statement(body, [{ from: cond.id, branch: true }]) : [{ from: cond.id, branch: true }];
        this.connect(out, head);
        this.continues.pop();
        const broken = this.breaks.pop() ?? [];
        return always ? broken : [{ from: cond.id, branch: false }, ...broken];
      }
      case 'do_statement': {
        const head = this.join(preds);
        const continueTarget = this.add('join');
        const body = statement.childForFieldName('body');
        this.breaks.push([]);
        this.continues.push(continueTarget);
        const out = body ? this.statement(body, [{ from: head.id }]) : [{ from: head.id }];
        this.connect(out, continueTarget);
        this.continues.pop();
        const broken = this.breaks.pop() ?? [];
        const condition = statement.childForFieldName('condition');
        const cond = this.node('cond', condition ?? statement, [{ from: continueTarget.id }]);
        const never = condition !== null && CONSTANT_FALSE.test(condition.text);
        const always = condition !== null && CONSTANT_TRUE.test(condition.text);
        if (!never) this.connect([{ from: cond.id, branch: true }], head);
        return always ? broken : [{ from: cond.id, branch: false }, ...broken];
      }
      case 'for_statement': {
        const initializer = statement.childForFieldName('initializer');
        let current = preds;
        if (initializer) current = [{ from: this.node('stmt', initializer, current).id }];
        const head = this.join(current);
        const condition = statement.childForFieldName('condition');
        let enter: Pred[] = [{ from: head.id }];
        let leave: Pred[] = [];
        if (condition) {
          const cond = this.node('cond', condition, enter);
          enter = [{ from: cond.id, branch: true }];
          leave = [{ from: cond.id, branch: false }];
        }
        const continueTarget = this.add('join');
        const body = statement.childForFieldName('body');
        this.breaks.push([]);
        this.continues.push(continueTarget);
        const out = body ? this.statement(body, enter) : enter;
        this.connect(out, continueTarget);
        this.continues.pop();
        const broken = this.breaks.pop() ?? [];
        const update = statement.childForFieldName('update');
        const back = update ? this.node('stmt', update, [{ from: continueTarget.id }]) : continueTarget;
        this.connect([{ from: back.id }], head);
        return [...leave, ...broken];
      }
      case 'switch_statement': {
        const condition = statement.childForFieldName('condition');
        const cond = this.node('cond', condition ?? statement, preds);
        const body = statement.childForFieldName('body');
        this.breaks.push([]);
        this.switches.push({ cond: cond.id, hasDefault: false });
        let fall: Pred[] = [];
        for (const child of body?.namedChildren ?? []) {
          if (!child) continue;
          fall = this.statement(child, fall);
        }
        const broken = this.breaks.pop() ?? [];
        const { hasDefault } = this.switches.pop()!;
        return hasDefault ? [...fall, ...broken] : [...fall, ...broken, { from: cond.id }];
      }
      case 'case_statement': {
        // A `case` label directly in the switch body or inside an `#if` arm there: entered from the condition too.
        const target = this.switches[this.switches.length - 1];
        const value = statement.childForFieldName('value');
        if (!target) {
          this.complete = false;
          return preds;
        }
        // A `default:` inside an `#if` arm is absent in the other configuration: the switch may still fall out.
        if (!value && statement.parent?.type === 'compound_statement') target.hasDefault = true;
        const start = this.join([{ from: target.cond }, ...preds]);
        return this.sequence(statement.namedChildren.filter((item) => item !== null && item.id !== value?.id), [{ from: start.id }]);
      }
      case 'for_range_loop': {
        // C++ `for (auto x : list)`: the body runs zero or more times.
        const head = this.join(preds);
        const body = statement.childForFieldName('body');
        this.breaks.push([]);
        this.continues.push(head);
        const out = body ? this.statement(body, [{ from: head.id }]) : [{ from: head.id }];
        this.connect(out, head);
        this.continues.pop();
        const broken = this.breaks.pop() ?? [];
        return [{ from: head.id }, ...broken];
      }
      case 'try_statement': {
        // C++ try/catch: a handler is entered with the states at `try`, like `__except`.
        const body = statement.childForFieldName('body');
        let result = body ? this.statement(body, preds) : preds;
        for (const clause of statement.namedChildren) {
          if (clause?.type !== 'catch_clause') continue;
          const handler = clause.childForFieldName('body');
          result = [...result, ...(handler ? this.statement(handler, preds) : preds)];
        }
        return result;
      }
      case 'break_statement': {
        const target = this.breaks[this.breaks.length - 1];
        if (target) target.push(...preds);
        else this.complete = false;
        return [];
      }
      case 'continue_statement': {
        const target = this.continues[this.continues.length - 1];
        if (target) this.connect(preds, target);
        else this.complete = false;
        return [];
      }
      case 'return_statement':
        this.node('return', statement, preds);
        return [];
      case 'goto_statement': {
        const label = statement.childForFieldName('label')?.text;
        if (label) this.gotos.push({ preds, label });
        else this.complete = false;
        return [];
      }
      case 'labeled_statement': {
        const label = statement.childForFieldName('label');
        const target = this.join(preds);
        if (label) this.labels.set(label.text, target);
        return this.sequence(statement.namedChildren.filter((child) => child !== null && child.id !== label?.id), [{ from: target.id }]);
      }
      case 'seh_try_statement': {
        const body = statement.childForFieldName('body');
        this.leaves.push([]);
        const out = body ? this.statement(body, preds) : preds;
        const left = this.leaves.pop() ?? [];
        const normal = [...out, ...left];
        let result = normal;
        for (const clause of statement.namedChildren) {
          if (clause?.type === 'seh_except_clause') {
            // The exception may come from anywhere in the body; the handler is entered with the states at `__try`
            // (probes and user-buffer accesses come first: completing or releasing inside the body and then
            // faulting is rare, and assuming it would flag correct handlers).
            const handler = clause.childForFieldName('body');
            const handled = handler ? this.statement(handler, preds) : preds;
            result = [...normal, ...handled];
          } else if (clause?.type === 'seh_finally_clause') {
            this.hasFinally = true;
            const handler = clause.childForFieldName('body');
            result = handler ? this.statement(handler, normal) : normal;
          }
        }
        return result;
      }
      case 'seh_leave_statement': {
        const target = this.leaves[this.leaves.length - 1];
        if (target) target.push(...preds);
        else this.complete = false;
        return [];
      }
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_elif':
      case 'preproc_elifdef':
      case 'preproc_else': {
        // Both configurations are possible: each branch is a path of its own.
        const condition = statement.childForFieldName('condition') ?? statement.childForFieldName('name');
        const alternative = statement.childForFieldName('alternative');
        const body = statement.namedChildren.filter((child) => child !== null && child.id !== condition?.id && child.id !== alternative?.id);
        // `#if 0` arms are dead, `#if 1` is always taken (its `#else` is dead).
        const constant = statement.type === 'preproc_if' || statement.type === 'preproc_elif' ? PREPROC_CONSTANT.exec(condition?.text.trim() ?? '') : null;
        const never = constant !== null && /^0+$/.test(constant[1]);
        const always = constant !== null && !never;
        const taken = never ? [] : this.sequence(body, preds);
        if (statement.type === 'preproc_else' || always) return taken;
        const other = alternative ? this.statement(alternative, preds) : preds;
        return [...taken, ...other];
      }
      case 'attributed_statement': {
        const inner = statement.namedChildren.filter((child) => child !== null && child.type !== 'attribute_declaration');
        return this.sequence(inner, preds);
      }
      case 'ERROR':
        this.complete = false;
        return [{ from: this.node('stmt', statement, preds).id }];
      default:
        return [{ from: this.node('stmt', statement, preds).id }];
    }
  }

  finish(): void {
    for (const jump of this.gotos) {
      const target = this.labels.get(jump.label);
      if (target) this.connect(jump.preds, target);
      else this.complete = false;
    }
  }
}

const graphs = new WeakMap<FunctionInfo, FlowGraph | null>();

/** The control-flow graph of a function (cached); undefined without a body. With `file`, WPP guard calls branch. */
export function flowGraph(fn: FunctionInfo, file?: SourceFile): FlowGraph | undefined {
  const cached = graphs.get(fn);
  if (cached !== undefined) return cached ?? undefined;
  const graph = fn.body ? buildGraph(fn.body, file ? (call) => file.wppGuardOf(call) : undefined) : undefined;
  graphs.set(fn, graph ?? null);
  return graph;
}

function buildGraph(body: Node, guardOf?: GuardOf): FlowGraph {
  const builder = new GraphBuilder(guardOf);
  const entry = builder.add('entry');
  const exit = builder.add('exit');
  const out = builder.statement(body, [{ from: entry.id }]);
  const end = builder.add('end', body);
  builder.connect(out, end);
  builder.finish();
  end.succ.push({ to: exit.id });
  for (const node of builder.nodes) if (node.kind === 'return') node.succ.push({ to: exit.id });
  return { nodes: builder.nodes, entry, exit, complete: builder.complete, hasFinally: builder.hasFinally };
}

// ---------------------------------------------------------------------------------------------------------------
// Constant values of local flag variables

/** A literal value as a comparable key: numbers (and TRUE/FALSE/NULL) as numbers, macro names as themselves. */
function literalKey(file: SourceFile, expression: Node | null): string | undefined {
  const node = unwrap(expression);
  if (!node || !LITERAL_NODE_TYPES.has(node.type)) return undefined;
  return literalKeyOfText(file, node.text);
}

const LITERAL_NODE_TYPES = new Set(['identifier', 'number_literal', 'char_literal', 'true', 'false', 'null', 'nullptr']);

/** The same key from text (`TRUE`, `0x10`, `STATUS_PENDING`), for scans that do not visit the tree. */
function literalKeyOfText(file: SourceFile, raw: string): string | undefined {
  const text = raw.trim();
  if (/^(TRUE|true)$/.test(text)) return '#1';
  if (/^(FALSE|false|NULL|nullptr)$/.test(text)) return '#0';
  if (/^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.test(text) || /^'(\\.|[^'\\])'$/.test(text)) {
    const value = file.macros.evaluate(text);
    return value === undefined ? undefined : `#${value}`;
  }
  if (/^[A-Z][A-Z0-9_]*$/.test(text)) {
    const value = file.macros.evaluate(text);
    return value === undefined ? text : `#${value}`;
  }
  return undefined;
}

const SUCCESS_STATUSES = new Set(['STATUS_SUCCESS', 'STATUS_PENDING', 'STATUS_TIMEOUT', 'STATUS_REPARSE', 'STATUS_ALERTED', 'STATUS_USER_APC', 'STATUS_WAIT_0', 'STATUS_ABANDONED', 'STATUS_MORE_ENTRIES']);

/**
 * The values a function's conditions can tell apart: a variable keeps a literal exactly when some condition compares
 * it with that literal (or the rule asks for it); any other literal becomes its class `~<success><truth>` (s/e/?,
 * t/f/?), so a switch that sets `status` to forty different error codes yields one state, not forty.
 */
interface ValueDomain {
  tracked: ReadonlySet<string>;
  exact: ReadonlyMap<string, ReadonlySet<string>>;
  keep: ReadonlySet<string>;
}

const WORD = /[A-Za-z_]\w*/g;
const COMPARISON = /([A-Za-z_]\w*|0[xX][0-9a-fA-F]+|\d+)\s*[!=]=\s*([A-Za-z_]\w*|0[xX][0-9a-fA-F]+|\d+)/g;

/**
 * Built from the text of the conditions and returns (no extra tree walk). Missing a comparison here is harmless:
 * refineValues only concludes "different" for a collapsed value when the literal is in `exact`.
 */
const domainsByGraph = new WeakMap<FlowGraph, Map<string, ValueDomain>>();

/** The value domain of a function's graph (never changed once made, so every path analysis of the function shares it). */
function valueDomain(file: SourceFile, fn: FunctionInfo, graph: FlowGraph, keep: readonly string[]): ValueDomain {
  let domains = domainsByGraph.get(graph);
  if (!domains) domainsByGraph.set(graph, (domains = new Map()));
  const key = keep.join('\u0000');
  let domain = domains.get(key);
  if (!domain) domains.set(key, (domain = computeValueDomain(file, fn, graph, keep)));
  return domain;
}

function computeValueDomain(file: SourceFile, fn: FunctionInfo, graph: FlowGraph, keep: readonly string[]): ValueDomain {
  const trackable = trackableVariables(file, fn);
  const used = new Set<string>();
  const exact = new Map<string, Set<string>>();
  const remember = (variable: string, literal: string) => {
    if (!trackable.has(variable)) return;
    const key = literalKeyOfText(file, literal);
    if (key === undefined) return;
    let set = exact.get(variable);
    if (!set) exact.set(variable, (set = new Set()));
    set.add(key);
  };
  for (const node of graph.nodes) {
    if (!node.node || (node.kind !== 'cond' && node.kind !== 'return')) continue;
    const text = node.test ? node.test.text : file.text.slice(node.node.startIndex, node.node.endIndex);
    for (const word of text.match(WORD) ?? []) if (trackable.has(word)) used.add(word);
    if (node.kind !== 'cond') continue;
    for (const match of text.matchAll(COMPARISON)) {
      remember(match[1], match[2]);
      remember(match[2], match[1]);
    }
  }
  return { tracked: used, exact, keep: new Set(keep) };
}

function abstractValue(domain: ValueDomain, variable: string, literal: string | undefined): string | undefined {
  if (literal === undefined || domain.keep.has(literal) || domain.exact.get(variable)?.has(literal)) return literal;
  const success = successOf(literal);
  const truth = truthOf(literal);
  return `~${success === undefined ? '?' : success ? 's' : 'e'}${truth === undefined ? '?' : truth ? 't' : 'f'}`;
}

/**
 * Abstract values: `~<success><truth>` a literal collapsed into its class (s/e/?, t/f/?); `?<success><truth>` a value
 * the conditions taught only the class of (`NT_SUCCESS(status)` held: `?s?`, failed: `?et`).
 */
function truthOf(value: string): boolean | undefined {
  if (value.startsWith('~') || value.startsWith('?')) return value[2] === '?' ? undefined : value[2] === 't';
  if (value.startsWith('#')) return Number(value.slice(1)) !== 0;
  if (value === 'STATUS_SUCCESS' || value === 'STATUS_WAIT_0') return false;
  return undefined;
}

function successOf(value: string): boolean | undefined {
  if (value.startsWith('~') || value.startsWith('?')) return value[1] === '?' ? undefined : value[1] === 's';
  if (SUCCESS_STATUSES.has(value)) return true;
  if (/^STATUS_/.test(value)) return false;
  if (value.startsWith('#')) return Number(value.slice(1)) >= 0 && Number(value.slice(1)) < 0x80000000;
  return undefined;
}

const ADDRESS_OF = /(?<![&\w\]]\s*)&\s*([A-Za-z_]\w*)\b(?!\s*(?:->|\.|\[|\())/g;

/** Locals (and parameters) whose address is never taken: only assignments in the function change them. */
function trackableVariables(file: SourceFile, fn: FunctionInfo): Set<string> {
  const names = new Set<string>(fn.params.map((param) => param.name));
  if (!fn.body) return names;
  for (const declaration of file.within(fn.body, 'declaration')) {
    for (const declarator of declaration.childrenForFieldName('declarator')) {
      const name = declaratorName(declarator);
      if (name) names.add(name);
    }
  }
  // `&name` (address taken, not `a & name` or `a && name`): a callee may change it behind our back.
  const body = file.text.slice(fn.body.startIndex, fn.body.endIndex);
  for (const match of body.matchAll(ADDRESS_OF)) names.delete(match[1]);
  return names;
}

export type Values = ReadonlyMap<string, string>;

/** Applies the assignments of one flow node (in document order) to the known values. */
function assignValues(file: SourceFile, domain: ValueDomain, node: Node, values: Values): Values {
  let result: Map<string, string> | undefined;
  const set = (name: string, literal: string | undefined) => {
    if (!domain.tracked.has(name)) return;
    const value = abstractValue(domain, name, literal);
    if (values.get(name) === value && !result) return;
    result ??= new Map(values);
    if (value === undefined) result.delete(name);
    else result.set(name, value);
  };
  const changes = [...file.within(node, 'assignment_expression'), ...file.within(node, 'update_expression'), ...file.within(node, 'init_declarator')]
    .sort((a, b) => a.endIndex - b.endIndex);
  for (const change of changes) {
    if (change.type === 'assignment_expression') {
      const left = unwrap(change.childForFieldName('left'));
      if (left?.type !== 'identifier') continue;
      const operator = change.childForFieldName('operator')?.text ?? '=';
      // `status = Irp->IoStatus.Status = STATUS_X;`: the value of the inner assignment.
      let right = unwrap(change.childForFieldName('right'));
      while (right?.type === 'assignment_expression' && (right.childForFieldName('operator')?.text ?? '=') === '=') right = unwrap(right.childForFieldName('right'));
      set(left.text, operator === '=' ? literalKey(file, right) : undefined);
    } else if (change.type === 'update_expression') {
      const target = unwrap(change.childForFieldName('argument'));
      if (target?.type === 'identifier') set(target.text, undefined);
    } else {
      const name = declaratorName(change.childForFieldName('declarator'));
      if (name) set(name, literalKey(file, change.childForFieldName('value')));
    }
  }
  if (node.type === 'declaration') {
    // `T x;` without an initializer: unknown.
    for (const declarator of node.childrenForFieldName('declarator')) {
      if (declarator && declarator.type !== 'init_declarator') {
        const name = declaratorName(declarator);
        if (name) set(name, undefined);
      }
    }
  }
  return result ?? values;
}

/** Narrows the known values by a condition's outcome; undefined when the outcome is impossible. */
export function refineValues(file: SourceFile, condition: Node, outcome: boolean, values: Values, domain?: Pick<ValueDomain, 'tracked' | 'exact'>, depth = 0, learn = true): Values | undefined {
  let node = unwrap(condition);
  if (node?.type === 'condition_clause') node = unwrap(node.childForFieldName('value')); // C++: `if (x)` wraps its condition
  if (!node || depth > MAX_NESTING) return values;
  if (node.type === 'unary_expression' && (node.childForFieldName('operator')?.text ?? node.child(0)?.text) === '!') {
    const argument = node.childForFieldName('argument');
    return argument ? refineValues(file, argument, !outcome, values, domain, depth + 1, learn) : values;
  }
  if (node.type === 'identifier') {
    const value = values.get(node.text);
    const truth = value === undefined ? undefined : truthOf(value);
    return truth === undefined || truth === outcome ? values : undefined;
  }
  if (node.type === 'binary_expression') {
    const operator = node.childForFieldName('operator')?.text;
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (!left || !right) return values;
    if ((operator === '&&' && outcome) || (operator === '||' && !outcome)) {
      const first = refineValues(file, left, outcome, values, domain, depth + 1, learn);
      return first === undefined ? undefined : refineValues(file, right, outcome, first, domain, depth + 1, learn);
    }
    if ((operator === '&&' || operator === '||') && depth > 3) return values; // keep the two-way split from growing exponentially
    if (operator === '&&' || operator === '||') {
      // `a && b` false: a false, or a true and b false. Impossible only when both ways are.
      const leftFails = refineValues(file, left, outcome, values, domain, depth + 1, false);
      const leftHolds = refineValues(file, left, !outcome, values, domain, depth + 1, false);
      const viaRight = leftHolds === undefined ? undefined : refineValues(file, right, outcome, leftHolds, domain, depth + 1, false);
      if (leftFails === undefined && viaRight === undefined) return undefined;
      return values;
    }
    if (operator === '==' || operator === '!=') {
      let variable = unwrap(left);
      let literal = literalKey(file, right);
      if (variable?.type !== 'identifier' || literal === undefined) {
        variable = unwrap(right);
        literal = literalKey(file, left);
      }
      if (variable?.type !== 'identifier' || literal === undefined) {
        // `NT_SUCCESS(s) != TRUE`, `!x == FALSE`, `f(x) == 0`: the truth of the other side.
        const [other, constant] = literalKey(file, right) !== undefined ? [left, literalKey(file, right)] : [right, literalKey(file, left)];
        if (constant === '#0') return refineValues(file, other, (operator === '!=') === outcome, values, domain, depth + 1, learn);
        if (constant === '#1' && isBoolean(other)) return refineValues(file, other, (operator === '==') === outcome, values, domain, depth + 1, learn);
        return values;
      }
      const value = values.get(variable.text);
      if (value === undefined) {
        // `if (status == STATUS_PENDING)` teaches the value on the equal side.
        if (!learn || (operator === '==') !== outcome || !domain?.tracked.has(variable.text)) return values;
        return new Map(values).set(variable.text, literal);
      }
      if (value.startsWith('?')) {
        // Only the success class is known (learned from NT_SUCCESS): a literal of the other class is not it.
        const success = successOf(literal);
        return success !== undefined && success !== successOf(value) && (operator === '==') === outcome ? undefined : values;
      }
      if (value.startsWith('~')) {
        // A collapsed value differs from every literal the conditions name; about others we know nothing.
        if (!domain?.exact.get(variable.text)?.has(literal)) return values;
        return (operator === '==') === outcome ? undefined : values;
      }
      if (value.startsWith('#') !== literal.startsWith('#')) return values; // a macro we could not evaluate against a number
      const equal = value === literal;
      return (operator === '==') === outcome ? (equal ? values : undefined) : (equal ? undefined : values);
    }
    return values;
  }
  if (node.type === 'call_expression' && calleeName(node) === 'NT_SUCCESS') {
    const argument = unwrap(node.childForFieldName('arguments')?.namedChild(0));
    if (argument?.type !== 'identifier') return values;
    const value = values.get(argument.text);
    if (value === undefined || value === '~??') {
      // `if (!NT_SUCCESS(status)) goto End;`: past it, status is a success status; in the branch, an error (non-zero).
      if (!learn || !domain?.tracked.has(argument.text)) return values;
      return new Map(values).set(argument.text, outcome ? '?s?' : '?et');
    }
    const success = successOf(value);
    return success === undefined || success === outcome ? values : undefined;
  }
  return values;
}

/** An expression whose value is 0 or 1 (a comparison, `!x`, `&&`/`||`, NT_SUCCESS): `== TRUE` is its truth. */
function isBoolean(expression: Node): boolean {
  const node = unwrap(expression);
  if (!node) return false;
  if (node.type === 'call_expression') return calleeName(node) === 'NT_SUCCESS';
  if (node.type === 'unary_expression') return (node.childForFieldName('operator')?.text ?? node.child(0)?.text) === '!';
  if (node.type === 'binary_expression') return /^(==|!=|<|>|<=|>=|&&|\|\|)$/.test(node.childForFieldName('operator')?.text ?? '');
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// The forward analysis

export interface PathState {
  /** The rule's facts on this path, sorted and unique. */
  facts: readonly string[];
  /** Known literal values of local variables (`#0`, `#1`, `STATUS_PENDING`, …). */
  values: Values;
}

export interface PathAnalysis {
  /** The facts at the function's entry. */
  initial?: readonly string[];
  /** Literals whose exact value the rule reads from `state.values` (others collapse into classes). */
  keepLiterals?: readonly string[];
  /**
   * The facts after a flow node, given the facts before it (the state's values are those before the node).
   * Called once per distinct state reaching the node: every state it sees is reachable, so a rule may report
   * from here (deduplicate by node).
   */
  step(node: FlowNode, state: PathState): readonly string[];
  /** The facts on a branch of a condition (after the values were narrowed): drop what the outcome rules out. */
  refine?(condition: Node, outcome: boolean, state: PathState): readonly string[];
}

export interface PathResult {
  graph: FlowGraph;
  /** States reaching a node (before it runs). */
  before(node: FlowNode): PathState[];
  /** States after a node ran (for return nodes: the states the function returns with). */
  after(node: FlowNode): PathState[];
  /** Return statements and the end of the body (falling off the end). */
  exits: FlowNode[];
}

/** The key text of a values map; maps are never changed once made, and many states share one. */
const valuesKeys = new WeakMap<Values, string>();

function stateKey(state: PathState): string {
  let key = state.facts.join('\u0001');
  if (state.values.size > 0) {
    let values = valuesKeys.get(state.values);
    if (values === undefined) valuesKeys.set(state.values, (values = `\u0002${[...state.values].map(([name, value]) => `${name}=${value}`).sort().join(',')}`));
    key += values;
  }
  return key;
}

function normalizeFacts(facts: readonly string[]): readonly string[] {
  return [...new Set(facts)].sort();
}

/**
 * Runs a forward analysis over the paths of a function. Undefined when the function cannot be analysed with
 * confidence (no body, parse errors, unmodelled control flow, more than `maxStates` states at a node).
 */
export function analyzePaths(file: SourceFile, fn: FunctionInfo, analysis: PathAnalysis, maxStates = 64): PathResult | undefined {
  const graph = flowGraph(fn, file);
  if (!graph || !graph.complete || !fn.body || fn.body.hasError) return undefined;
  const domain = valueDomain(file, fn, graph, analysis.keepLiterals ?? []);
  const before = new Map<number, Map<string, PathState>>();
  const after = new Map<number, Map<string, PathState>>();
  const work: [FlowNode, PathState][] = [];
  const enqueue = (node: FlowNode, state: PathState): boolean => {
    let states = before.get(node.id);
    if (!states) before.set(node.id, (states = new Map()));
    const key = stateKey(state);
    if (states.has(key)) return true;
    if (states.size >= maxStates) return false;
    states.set(key, state);
    work.push([node, state]);
    return true;
  };
  enqueue(graph.entry, { facts: normalizeFacts(analysis.initial ?? []), values: new Map() });
  let budget = graph.nodes.length * maxStates * 4;
  while (work.length > 0) {
    if (--budget < 0) return undefined;
    const [node, state] = work.pop()!;
    let out = state;
    if (node.node && node.kind !== 'end' && node.kind !== 'join') {
      const facts = normalizeFacts(analysis.step(node, state));
      const values = assignValues(file, domain, node.node, state.values);
      out = { facts, values };
    }
    let outStates = after.get(node.id);
    if (!outStates) after.set(node.id, (outStates = new Map()));
    outStates.set(stateKey(out), out);
    for (const edge of node.succ) {
      let next: PathState | undefined = out;
      if (edge.branch !== undefined && node.kind === 'cond' && node.node) {
        const condition = node.test ?? node.node;
        const values = refineValues(file, condition, edge.branch, out.values, domain);
        next = values === undefined ? undefined : values === out.values ? out : { facts: out.facts, values };
        if (next && analysis.refine) {
          const facts = normalizeFacts(analysis.refine(condition, edge.branch, next));
          if (facts.join('\u0001') !== next.facts.join('\u0001')) next = { facts, values: next.values };
        }
      }
      if (next && !enqueue(graph.nodes[edge.to], next)) return undefined;
    }
  }
  return {
    graph,
    before: (node) => [...(before.get(node.id)?.values() ?? [])],
    after: (node) => [...(after.get(node.id)?.values() ?? [])],
    exits: graph.nodes.filter((node) => node.kind === 'return' || node.kind === 'end'),
  };
}

/** Expression text normalized for comparing lock/IRP arguments: no whitespace, casts or redundant parentheses. */
export function normalizedText(expression: Node | null | undefined): string | undefined {
  const node = unwrap(expression);
  if (!node) return undefined;
  return node.text.replace(/\s+/g, '').replace(/[()]/g, '');
}
