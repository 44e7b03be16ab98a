import { lookupTable } from './lookup';
/**
 * A small preprocessor for the few things rules need from macros: IOCTL codes (`CTL_CODE` and wrapper macros),
 * buffer sizes (`#define BUFFER_SIZE 512`) and flag values. Definitions come from the file and from the
 * workspace header index; nothing is read from the WDK, so well-known WDK constants are built in.
 */

export interface MacroDefinition {
  name: string;
  /** Parameter names of a function-like macro; undefined for object-like macros. */
  params?: string[];
  body: string;
  fileName?: string;
  /** 0-based line of the #define. */
  line?: number;
}

/** WDK constants the analyzer must know without the WDK headers. */
const BUILTIN_CONSTANTS: Record<string, number> = lookupTable({
  METHOD_BUFFERED: 0,
  METHOD_IN_DIRECT: 1,
  METHOD_OUT_DIRECT: 2,
  METHOD_NEITHER: 3,
  METHOD_DIRECT_TO_HARDWARE: 1,
  METHOD_DIRECT_FROM_HARDWARE: 2,
  FILE_ANY_ACCESS: 0,
  FILE_SPECIAL_ACCESS: 0,
  FILE_READ_ACCESS: 1,
  FILE_WRITE_ACCESS: 2,
  FILE_READ_DATA: 1,
  FILE_WRITE_DATA: 2,
  FILE_DEVICE_UNKNOWN: 0x22,
  FILE_DEVICE_KS: 0x2f,
  FILE_DEVICE_NETWORK: 0x12,
  FILE_DEVICE_DISK: 0x07,
  FILE_DEVICE_KEYBOARD: 0x0b,
  FILE_DEVICE_MOUSE: 0x0f,
  FILE_DEVICE_FILE_SYSTEM: 0x09,
  FILE_DEVICE_BUS_EXTENDER: 0x2a,
  FILE_DEVICE_SECURE_OPEN: 0x100,
  FILE_DEVICE_MASS_STORAGE: 0x2d,
  FILE_DEVICE_NETWORK_FILE_SYSTEM: 0x14,
  FILE_DEVICE_STORAGE: 0x2d,
  FILE_DEVICE_SERIAL_PORT: 0x1b,
  FILE_DEVICE_PARALLEL_PORT: 0x16,
  FILE_DEVICE_CONTROLLER: 0x04,
  FILE_DEVICE_TRANSPORT: 0x21,
  FILE_DEVICE_BATTERY: 0x29,
  FILE_DEVICE_ACPI: 0x32,
  FILE_DEVICE_BIOMETRIC: 0x44,
  FILE_DEVICE_PMI: 0x45,
  IOCTL_USB_BASE: 0x22,
  FILE_DEVICE_USB: 0x22,
});

export interface IoctlCode {
  deviceType: number;
  function: number;
  method: number;
  access: number;
  /** The macro chain that led here, e.g. ['IOCTL_FOO', 'MY_CTL'] (empty for a literal). */
  via: string[];
  /** Where the outermost macro is defined, when known. */
  definition?: { fileName?: string; line?: number };
}

export const METHOD_NAMES = ['METHOD_BUFFERED', 'METHOD_IN_DIRECT', 'METHOD_OUT_DIRECT', 'METHOD_NEITHER'];
export const ACCESS_NAMES = ['FILE_ANY_ACCESS', 'FILE_READ_ACCESS', 'FILE_WRITE_ACCESS', 'FILE_READ_ACCESS | FILE_WRITE_ACCESS'];

type Token = { kind: 'id' | 'num' | 'op' | 'str'; text: string };

const TOKEN_PATTERN = /\s*(?:([A-Za-z_]\w*)|(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")|(<<|>>|<=|>=|==|!=|&&|\|\||##|[-+*/%&|^~!(),<>?:#]))/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN_PATTERN.lastIndex = 0;
  let index = 0;
  while (index < text.length) {
    TOKEN_PATTERN.lastIndex = index;
    const match = TOKEN_PATTERN.exec(text);
    if (!match) {
      if (/^\s*$/.test(text.slice(index))) break;
      tokens.push({ kind: 'op', text: text[index] });
      index++;
      continue;
    }
    index = TOKEN_PATTERN.lastIndex;
    if (match[1]) tokens.push({ kind: 'id', text: match[1] });
    else if (match[2]) tokens.push({ kind: 'num', text: match[2] });
    else if (match[3]) tokens.push({ kind: 'str', text: match[3] });
    else if (match[4]) tokens.push({ kind: 'op', text: match[4] });
  }
  return tokens;
}

/** Tokens of each definition's body, tokenized once (tokens and these arrays are only read, never changed). */
const bodyTokens = new WeakMap<MacroDefinition, readonly Token[]>();

function tokensOfBody(definition: MacroDefinition): readonly Token[] {
  let tokens = bodyTokens.get(definition);
  if (!tokens) {
    tokens = tokenize(definition.body);
    bodyTokens.set(definition, tokens);
  }
  return tokens;
}

function join(tokens: Token[]): string {
  return tokens.map((token) => token.text).join(' ');
}

/** Splits `( a, (b, c), d )` starting at tokens[open] into argument token lists; returns the index after `)`. */
function readArguments(tokens: readonly Token[], open: number): { args: Token[][]; end: number } | undefined {
  let depth = 0;
  const args: Token[][] = [[]];
  for (let i = open; i < tokens.length; i++) {
    const text = tokens[i].text;
    if (text === '(') {
      depth++;
      if (depth === 1) continue;
    } else if (text === ')') {
      depth--;
      if (depth === 0) return { args: args.length === 1 && args[0].length === 0 ? [] : args, end: i + 1 };
    } else if (text === ',' && depth === 1) {
      args.push([]);
      continue;
    }
    args[args.length - 1].push(tokens[i]);
  }
  return undefined;
}

const MAX_EXPANSION_DEPTH = 16;

/** Where a table looks up the names it does not define itself (the workspace's definitions as one file sees them). */
export interface MacroLookup {
  get(name: string): MacroDefinition | undefined;
}

function sameDefinition(a: MacroDefinition | undefined, b: MacroDefinition | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.name === b.name && a.body === b.body && a.fileName === b.fileName && a.line === b.line && a.params?.join(',') === b.params?.join(',');
}

export class MacroTable implements MacroLookup {
  private readonly definitions = new Map<string, MacroDefinition>();
  private readonly local: readonly MacroDefinition[];
  private ioctlCache = new Map<string, IoctlCode | undefined>();
  private valueCache = new Map<string, number | undefined>();
  private expandCache = new Map<string, string>();
  /** The fallback's answers, kept so that a later table can tell whether it would get the same ones. */
  private fallbackAnswers = new Map<string, MacroDefinition | undefined>();

  constructor(definitions: Iterable<MacroDefinition> = [], private readonly fallback?: MacroLookup) {
    this.local = [...definitions];
    for (const definition of this.local) {
      if (!this.definitions.has(definition.name)) this.definitions.set(definition.name, definition);
    }
  }

  /**
   * A table of `definitions` over `fallback` that takes over what `previous` worked out when it would work out the
   * same: the same definitions in the same places, and the same fallback answers for every name it asked (asked
   * again here, so a recording fallback sees the questions). Expanding and resolving the IOCTL codes of a file costs
   * milliseconds per keystroke that rarely touches a #define.
   */
  static reusing(definitions: readonly MacroDefinition[], fallback: MacroLookup | undefined, previous: MacroTable | undefined): MacroTable {
    const table = new MacroTable(definitions, fallback);
    if (!previous || (previous.fallback === undefined) !== (fallback === undefined) || previous.local.length !== definitions.length) return table;
    for (let index = 0; index < definitions.length; index++) if (!sameDefinition(definitions[index], previous.local[index])) return table;
    const answers = new Map<string, MacroDefinition | undefined>();
    for (const [name, answer] of previous.fallbackAnswers) {
      const now = fallback!.get(name);
      if (!sameDefinition(now, answer)) return table;
      answers.set(name, now);
    }
    table.fallbackAnswers = answers;
    table.ioctlCache = previous.ioctlCache;
    table.valueCache = previous.valueCache;
    table.expandCache = previous.expandCache;
    return table;
  }

  get(name: string): MacroDefinition | undefined {
    const local = this.definitions.get(name);
    if (local || !this.fallback) return local;
    if (this.fallbackAnswers.has(name)) return this.fallbackAnswers.get(name);
    const answer = this.fallback.get(name);
    this.fallbackAnswers.set(name, answer);
    return answer;
  }

  get size(): number {
    return this.definitions.size;
  }

  names(): IterableIterator<string> {
    return this.definitions.keys();
  }

  /** Expands macros in `text` until nothing changes (bounded); CTL_CODE and unknown names stay as they are. */
  expand(text: string): string {
    let expanded = this.expandCache.get(text);
    if (expanded === undefined) {
      expanded = join(this.expandTokens(tokenize(text), new Set(), 0));
      this.expandCache.set(text, expanded);
    }
    return expanded;
  }

  private expandTokens(tokens: readonly Token[], active: Set<string>, depth: number): Token[] {
    if (depth > MAX_EXPANSION_DEPTH) return [...tokens];
    const out: Token[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      const definition = token.kind === 'id' && !active.has(token.text) ? this.get(token.text) : undefined;
      if (!definition) {
        out.push(token);
        continue;
      }
      const nextActive = new Set(active).add(token.text);
      if (!definition.params) {
        out.push(...this.expandTokens(tokensOfBody(definition), nextActive, depth + 1));
        continue;
      }
      if (tokens[i + 1]?.text !== '(') {
        out.push(token);
        continue;
      }
      const call = readArguments(tokens, i + 1);
      if (!call) {
        out.push(token);
        continue;
      }
      const params = definition.params;
      const body = tokensOfBody(definition).flatMap((bodyToken) => {
        const index = bodyToken.kind === 'id' ? params.indexOf(bodyToken.text) : -1;
        return index >= 0 ? (call.args[index] ?? []) : [bodyToken];
      });
      out.push(...this.expandTokens(body, nextActive, depth + 1));
      i = call.end - 1;
    }
    return out;
  }

  /** Evaluates an integer constant expression after macro expansion; undefined when it is not constant. */
  evaluate(text: string): number | undefined {
    if (this.valueCache.has(text)) return this.valueCache.get(text);
    const value = this.evaluateUncached(text);
    this.valueCache.set(text, value);
    return value;
  }

  private evaluateUncached(text: string): number | undefined {
    const tokens = this.expandTokens(tokenize(text), new Set(), 0);
    return evaluateTokens(tokens);
  }

  /**
   * Resolves an IOCTL code written as a macro name, a wrapper-macro call, a `CTL_CODE(...)` or a literal number.
   * Returns undefined when any part is unknown (precision over guesses).
   */
  resolveIoctl(text: string): IoctlCode | undefined {
    if (this.ioctlCache.has(text)) return this.ioctlCache.get(text);
    const code = this.resolveIoctlUncached(text);
    this.ioctlCache.set(text, code);
    return code;
  }

  private resolveIoctlUncached(text: string): IoctlCode | undefined {
    const via: string[] = [];
    let definition: IoctlCode['definition'];
    const first = tokenize(text)[0];
    if (first?.kind === 'id') {
      const macro = this.get(first.text);
      if (macro) {
        via.push(macro.name);
        definition = { fileName: macro.fileName, line: macro.line };
      }
    }
    const tokens = this.expandTokens(tokenize(text), new Set(), 0);
    const ctl = tokens.findIndex((token) => token.text === 'CTL_CODE');
    if (ctl >= 0 && tokens[ctl + 1]?.text === '(') {
      const call = readArguments(tokens, ctl + 1);
      if (!call || call.args.length !== 4) return undefined;
      const [deviceType, fn, method, access] = call.args.map((arg) => evaluateTokens(arg));
      if (deviceType === undefined || fn === undefined || method === undefined || access === undefined) return undefined;
      return { deviceType, function: fn, method: method & 3, access: access & 3, via, definition };
    }
    const value = evaluateTokens(tokens);
    if (value === undefined || value < 0x10000) return undefined; // a plain small number is not an IOCTL code
    return {
      deviceType: (value >>> 16) & 0xffff,
      function: (value >>> 2) & 0xfff,
      method: value & 3,
      access: (value >>> 14) & 3,
      via,
      definition,
    };
  }
}

/** Integer constant expression evaluation over tokens (unsigned 32-bit like the WDK macros). */
function evaluateTokens(tokens: Token[]): number | undefined {
  let position = 0;
  const peek = () => tokens[position]?.text;
  const BINARY: Record<string, [number, (a: number, b: number) => number]> = {
    '|': [1, (a, b) => a | b],
    '^': [2, (a, b) => a ^ b],
    '&': [3, (a, b) => a & b],
    '<<': [4, (a, b) => a << b],
    '>>': [4, (a, b) => a >>> b],
    '+': [5, (a, b) => a + b],
    '-': [5, (a, b) => a - b],
    '*': [6, (a, b) => a * b],
    '/': [6, (a, b) => (b === 0 ? NaN : Math.trunc(a / b))],
    '%': [6, (a, b) => (b === 0 ? NaN : a % b)],
  };
  const primary = (): number => {
    const token = tokens[position++];
    if (!token) return NaN;
    if (token.kind === 'num') return Number(token.text.replace(/[uUlL]+$/, ''));
    if (token.kind === 'str' && token.text.startsWith("'")) {
      const chars = token.text.slice(1, -1);
      let value = 0;
      for (const ch of chars) value = (value * 256 + ch.charCodeAt(0)) >>> 0;
      return value;
    }
    if (token.kind === 'id') {
      if (token.text in BUILTIN_CONSTANTS) return BUILTIN_CONSTANTS[token.text];
      if (/^(ULONG|LONG|DWORD|USHORT|UCHAR|unsigned|int|long|short|char|NTSTATUS|SIZE_T|size_t)$/.test(token.text)) return NaN;
      return NaN;
    }
    if (token.text === '(') {
      // A cast like (ULONG) is skipped; otherwise a parenthesised expression.
      if (tokens[position]?.kind === 'id' && tokens[position + 1]?.text === ')' && /^(ULONG|LONG|DWORD|USHORT|UCHAR|unsigned|int|long|short|char|SIZE_T|size_t|ULONG_PTR|NTSTATUS)$/.test(tokens[position].text)) {
        position += 2;
        return primary();
      }
      const value = expression(0);
      if (peek() !== ')') return NaN;
      position++;
      return value;
    }
    if (token.text === '-') return -primary();
    if (token.text === '~') return ~primary() >>> 0;
    if (token.text === '+') return primary();
    if (token.text === '!') return primary() ? 0 : 1;
    return NaN;
  };
  const expression = (minPrecedence: number): number => {
    let left = primary();
    for (;;) {
      const operator = peek();
      const entry = operator === undefined ? undefined : BINARY[operator];
      if (!entry || entry[0] < minPrecedence) return left;
      position++;
      const right = expression(entry[0] + 1);
      left = entry[1](left, right);
    }
  };
  if (tokens.length === 0) return undefined;
  const value = expression(0);
  if (position !== tokens.length || !Number.isFinite(value)) return undefined;
  return value >>> 0 === value || value >= 0 ? value >>> 0 : value;
}
