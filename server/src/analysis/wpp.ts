/**
 * WPP tracing functions that change control flow. A `begin_wpp config` comment block declares trace functions
 * (`FUNC CHK_NT_MSG{CHK=DUMMY,LEVEL=TRACE_LEVEL_ERROR}(STATUS, MSG, ...);`) and the WPP preprocessor wraps each
 * call in the PRE and POST macros named after the function's keys and condition arguments
 * (`WPP_CHK_LEVEL_STATUS_PRE(DUMMY, TRACE_LEVEL_ERROR, Status) <trace> WPP_CHK_LEVEL_STATUS_POST(…)`). When they
 * amount to `if (<condition>) { …; goto <label>; }`, the call is a guard: the path analysis (`paths.ts`) branches
 * on the condition, with the call's arguments in place of the parameters. Nothing else of WPP is modelled.
 */
import type { Node } from './query';
import type { MacroLookup } from './macros';
import { lookupTable } from './lookup';

/** One `FUNC` declaration of a WPP config block. */
export interface WppFunction {
  name: string;
  /** `{KEY=VALUE,…}`: fixed condition arguments. */
  keys: [string, string][];
  /** The condition arguments the call passes, before the format string (MSG) and its `...`. */
  params: string[];
  fileName?: string;
}

const WPP_BLOCK = /begin_wpp\s+config([\s\S]*?)end_wpp/g;
const FUNC = /\bFUNC\s+([A-Za-z_]\w*)\s*(?:\{([^}]*)\})?\s*\(([^)]*)\)/g;

/** The `FUNC` declarations of the WPP config blocks of a text (in comments, as WPP reads them). */
export function wppFunctions(text: string, fileName?: string): WppFunction[] {
  if (!text.includes('begin_wpp')) return [];
  const functions: WppFunction[] = [];
  for (const block of text.matchAll(WPP_BLOCK)) {
    const body = block[1].replace(/^[ \t]*(\/\/|\*|\/\*)/gm, ' ');
    for (const match of body.matchAll(FUNC)) {
      const keys: [string, string][] = [];
      for (const pair of (match[2] ?? '').split(',')) {
        const key = /^\s*([A-Za-z_]\w*)\s*=\s*(.*?)\s*$/.exec(pair);
        if (key) keys.push([key[1], key[2]]);
      }
      const params: string[] = [];
      for (const raw of match[3].split(',')) {
        const param = raw.trim();
        if (param === 'MSG' || param === '...') break;
        if (!/^[A-Za-z_]\w*$/.test(param)) break;
        params.push(param);
      }
      functions.push({ name: match[1], keys, params, ...(fileName ? { fileName } : {}) });
    }
  }
  return functions;
}

/** A WPP call that is a guard: the condition (parameters as placeholders) and the label it jumps to when it holds. */
export interface WppGuard {
  condition: Token[];
  label: string;
}

type Token = { kind: 'id' | 'num' | 'op' | 'str'; text: string };

const TOKEN = /\s*(?:([A-Za-z_]\w*)|(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")|(<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!(),<>?:;{}=]))/y;

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    TOKEN.lastIndex = index;
    const match = TOKEN.exec(text);
    if (!match) {
      if (/^\s*$/.test(text.slice(index))) break;
      return undefined;
    }
    index = TOKEN.lastIndex;
    if (match[1]) tokens.push({ kind: 'id', text: match[1] });
    else if (match[2]) tokens.push({ kind: 'num', text: match[2] });
    else if (match[3]) tokens.push({ kind: 'str', text: match[3] });
    else tokens.push({ kind: 'op', text: match[4] });
  }
  return tokens;
}

const PLACEHOLDER = '__driver_guard_wpp_argument_';
const CONTROL = new Set(['if', 'else', 'while', 'for', 'do', 'switch', 'case', 'return', 'break', 'continue', 'goto', '__leave']);

/**
 * The guard a WPP function's PRE and POST macros make of its calls: PRE `{… if (COND) {` and POST `; … goto L; } …}`
 * with nothing else that changes control flow. Undefined for every other shape (plain tracing, conditional logging).
 */
export function wppGuard(fn: WppFunction, macros: MacroLookup): WppGuard | undefined {
  const stem = `WPP_${[...fn.keys.map(([key]) => key), ...fn.params].join('_')}`;
  const args = [...fn.keys.map(([, value]) => value), ...fn.params.map((_, index) => `${PLACEHOLDER}${index}`)];
  // One level of substitution: the PRE/POST bodies as written (`NT_SUCCESS(STATUS)` stays a call even where a
  // header defines NT_SUCCESS).
  const body = (name: string): Token[] | undefined => {
    const definition = macros.get(name);
    if (!definition?.params || definition.params.length !== args.length) return undefined;
    const tokens = tokenize(definition.body);
    if (!tokens) return undefined;
    const params = definition.params;
    return tokens.flatMap((token) => {
      const index = token.kind === 'id' ? params.indexOf(token.text) : -1;
      return index >= 0 ? tokenize(args[index]) ?? [] : [token];
    });
  };
  const pre = body(`${stem}_PRE`);
  const post = body(`${stem}_POST`);
  if (!pre || !post) return undefined;
  let open = 0;
  while (pre[open]?.text === '{') open++;
  if (pre[open]?.text !== 'if' || pre[open + 1]?.text !== '(') return undefined;
  let depth = 0;
  let close = -1;
  for (let index = open + 1; index < pre.length; index++) {
    if (pre[index].text === '(') depth++;
    else if (pre[index].text === ')' && --depth === 0) {
      close = index;
      break;
    }
  }
  if (close < 0 || pre.length !== close + 2 || pre[close + 1].text !== '{') return undefined;
  const condition = pre.slice(open + 2, close);
  // POST: statements of the block up to its `}`, the last one `goto L;`, then only the closing braces.
  const end = post.findIndex((token) => token.text === '}' || token.text === '{');
  if (end < 3 || post[end].text !== '}') return undefined;
  const statements = post.slice(0, end);
  const n = statements.length;
  if (statements[n - 3].text !== 'goto' || statements[n - 2].kind !== 'id' || statements[n - 1].text !== ';') return undefined;
  if (statements.slice(0, n - 3).some((token) => token.kind === 'id' && CONTROL.has(token.text))) return undefined;
  const rest = post.slice(end + 1).filter((token) => token.text !== ';');
  if (rest.length !== open || rest.some((token) => token.text !== '}')) return undefined;
  if (condition.some((token) => token.text === '{' || token.text === '}' || token.text === ';')) return undefined;
  return { condition, label: statements[n - 2].text };
}

// ---------------------------------------------------------------------------------------------------------------
// The guard's condition as a small expression tree: the call's arguments are the real nodes, the rest is built
// from the macro's tokens with the fields the path analysis reads (type, text, fields, children).

const BINARY: Record<string, number> = lookupTable({
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '>': 7, '<=': 7, '>=': 7, '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
});

class ConditionNode {
  readonly namedChildren: Node[];
  constructor(
    readonly type: string,
    readonly text: string,
    private readonly fields: Record<string, Node | undefined>,
    private readonly at: Node,
    children: (Node | undefined)[] = [],
  ) {
    this.namedChildren = children.filter((child): child is Node => child !== undefined);
  }

  get id(): number {
    return -1;
  }

  get startIndex(): number {
    return this.at.startIndex;
  }

  get endIndex(): number {
    return this.at.endIndex;
  }

  get startPosition(): Node['startPosition'] {
    return this.at.startPosition;
  }

  get endPosition(): Node['endPosition'] {
    return this.at.endPosition;
  }

  get parent(): Node | null {
    return this.at.parent;
  }

  get hasError(): boolean {
    return false;
  }

  get namedChildCount(): number {
    return this.namedChildren.length;
  }

  childForFieldName(name: string): Node | null {
    return this.fields[name] ?? null;
  }

  childrenForFieldName(name: string): Node[] {
    const child = this.fields[name];
    return child ? [child] : [];
  }

  namedChild(index: number): Node | null {
    return this.namedChildren[index] ?? null;
  }

  child(index: number): Node | null {
    return index === 0 ? this.fields.operator ?? this.namedChildren[0] ?? null : this.namedChildren[index] ?? null;
  }
}

function leaf(type: string, text: string, at: Node): Node {
  return new ConditionNode(type, text, {}, at) as unknown as Node;
}

/**
 * The condition of a guard for one call: its parameters replaced by the call's arguments. Undefined when the
 * tokens are not an expression this reader knows (then the call stays a plain call).
 */
export function guardCondition(guard: WppGuard, call: Node, args: readonly Node[]): Node | undefined {
  const tokens = guard.condition;
  let position = 0;
  let failed = false;
  const fail = (): Node => {
    failed = true;
    return leaf('identifier', '', call);
  };
  const primary = (): Node => {
    const token = tokens[position++];
    if (!token) return fail();
    if (token.kind === 'id' && token.text.startsWith(PLACEHOLDER)) {
      const argument = args[Number(token.text.slice(PLACEHOLDER.length))];
      return argument ?? fail();
    }
    if (token.text === '!' || token.text === '~' || token.text === '-') {
      const argument = primary();
      return new ConditionNode('unary_expression', `${token.text}${argument.text}`, { operator: leaf(token.text, token.text, call), argument }, call, [argument]) as unknown as Node;
    }
    if (token.text === '(') {
      const inner = expression(0);
      if (tokens[position++]?.text !== ')') return fail();
      return new ConditionNode('parenthesized_expression', `(${inner.text})`, {}, call, [inner]) as unknown as Node;
    }
    if (token.kind === 'num') return leaf('number_literal', token.text, call);
    if (token.kind === 'id') {
      const name = token.text === 'TRUE' || token.text === 'FALSE' || token.text === 'NULL' ? leaf('identifier', token.text, call) : leaf(token.text === 'true' ? 'true' : token.text === 'false' ? 'false' : 'identifier', token.text, call);
      if (tokens[position]?.text !== '(') return name;
      position++;
      const list: Node[] = [];
      if (tokens[position]?.text === ')') position++;
      else {
        for (;;) {
          list.push(expression(0));
          const next = tokens[position++]?.text;
          if (next === ')') break;
          if (next !== ',') return fail();
        }
      }
      const argumentList = new ConditionNode('argument_list', `(${list.map((item) => item.text).join(', ')})`, {}, call, list) as unknown as Node;
      return new ConditionNode('call_expression', `${token.text}${argumentList.text}`, { function: name, arguments: argumentList }, call, [name, argumentList]) as unknown as Node;
    }
    return fail();
  };
  const expression = (minimum: number): Node => {
    let left = primary();
    for (;;) {
      const operator = tokens[position]?.text;
      const precedence = operator === undefined ? undefined : BINARY[operator];
      if (precedence === undefined || precedence < minimum || failed) return left;
      position++;
      const right = expression(precedence + 1);
      left = new ConditionNode('binary_expression', `${left.text} ${operator} ${right.text}`, { left, operator: leaf(operator!, operator!, call), right }, call, [left, right]) as unknown as Node;
    }
  };
  const condition = expression(0);
  return failed || position !== tokens.length ? undefined : condition;
}
