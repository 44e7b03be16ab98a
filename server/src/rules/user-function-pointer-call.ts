/**
 * Flags calling a function pointer that was read out of user-controlled memory: user mode picks the kernel's next
 * instruction. Besides pointers read from the request directly (taint), also a function-pointer field of a kernel
 * object that the function last wrote from user data before the call — copied field by field (`obj->Callback =
 * in->Callback`), or through an overlapping union member or a whole copy of the user's buffer into the object — and
 * the same two shapes one helper down: a function of the file that calls `Param->Callback(…)` handed such an object,
 * or handed pool that does not zero (analysis/pool.ts) whose callback field nothing wrote before the call.
 * A call through a freed object (use-after-free) and a direct call through uninitialized pool (uninitialized-pool-use)
 * are those rules' findings.
 */
import { findDeclaration } from '../analysis/declarations';
import { addressTarget, COPIES, isFilledBefore, nonZeroingAllocation } from '../analysis/pool';
import { accessPath, callArguments, calleeName, enclosingStatement, unwrap, typeOf, type Node } from '../analysis/query';
import { gather, lineOf, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

/** A call a function of the file makes through a field of one of its parameters (`Object->Callback(…)`). */
interface CallThrough {
  index: number;
  param: string;
  /** The field path below the parameter (`Callback`, `Hooks.Notify`). */
  field: string;
}

/** Per function name: the calls it makes through its parameters' fields (one level: its own body only). */
function callbackHelpers(file: SourceFile): Map<string, CallThrough[]> {
  const helpers = new Map<string, CallThrough[]>();
  for (const fn of file.functions()) {
    if (!fn.body || fn.params.length === 0 || helpers.has(fn.name)) continue;
    const text = file.textOf(fn.body);
    if (!fn.params.some((param) => param.name && text.includes(`${param.name}->`))) continue;
    const found: CallThrough[] = [];
    for (const call of file.within(fn.body, 'call_expression')) {
      const callee = unwrap(call.childForFieldName('function'));
      if (!callee || typeOf(callee) !== 'field_expression') continue;
      const path = accessPath(callee) ?? '';
      const index = fn.params.findIndex((param) => param.name && path.startsWith(`${param.name}->`));
      if (index < 0) continue;
      const field = path.slice(fn.params[index].name.length + 2);
      if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(field) || found.some((entry) => entry.index === index && entry.field === field)) continue;
      // The parameter itself replaced first: not the caller's object any more.
      if (new RegExp(`(?<![\\w>.])${fn.params[index].name}\\s*=(?!=)`).test(text)) continue;
      found.push({ index, param: fn.params[index].name, field });
    }
    if (found.length > 0) helpers.set(fn.name, found);
  }
  return helpers;
}

/** Member names that overlap: a named union member (`u` of `x.u.A` / `x.u.B`) or the members of an anonymous union. */
interface Unions {
  named: Set<string>;
  anonymous: Set<string>[];
}

function unionsOf(file: SourceFile): Unions {
  const unions: Unions = { named: new Set(), anonymous: [] };
  const text = file.text;
  for (const match of text.matchAll(/\bunion\b[^;{}()]*\{/g)) {
    let depth = 0;
    let end = -1;
    const start = (match.index ?? 0) + match[0].length - 1;
    for (let index = start; index < text.length; index++) {
      if (text[index] === '{') depth++;
      else if (text[index] === '}' && --depth === 0) {
        end = index;
        break;
      }
    }
    if (end < 0) continue;
    const name = /^\s*([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)?;/.exec(text.slice(end + 1, end + 200));
    if (name) {
      unions.named.add(name[1]);
      continue;
    }
    // Anonymous: the members at the union's own level (nested braces dropped).
    let body = text.slice(start + 1, end);
    for (let previous = ''; previous !== body;) {
      previous = body;
      body = body.replace(/\{[^{}]*\}/g, ' ');
    }
    const members = new Set<string>();
    for (const declaration of body.split(';')) {
      const member = /([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)*$/.exec(declaration.trim());
      if (member) members.add(member[1]);
    }
    if (members.size > 1) unions.anonymous.push(members);
  }
  return unions;
}

const parts = (path: string) => path.split(/->|\./);

/** Whether a write to `written` changes what `path` reads: the same path, an object holding it, or an overlapping union member. */
function covers(unions: Unions, written: string, path: string): boolean {
  if (written === path || path.startsWith(`${written}->`) || path.startsWith(`${written}.`)) return true;
  const a = parts(written);
  const b = parts(path);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  if (common === 0 || common >= a.length || common >= b.length) return false;
  if (unions.named.has(a[common - 1])) return true;
  return unions.anonymous.some((members) => members.has(a[common]) && members.has(b[common]));
}

interface UserWrite {
  /** The statement or call that wrote the field. */
  node: Node;
  origin: string;
}

/**
 * The last write before `at` (in document order, in a block that holds the call) that changes what `path` reads,
 * when it stores user data: `path = <value from user memory>`, an overlapping member assigned from it, or a copy
 * from the user's buffer into the object. Undefined when the last such write stores something else.
 */
function lastUserWrite(file: SourceFile, fn: FunctionInfo, unions: Unions, path: string, call: Node): UserWrite | undefined {
  const taint = file.taint(fn);
  let last: { node: Node; user?: UserWrite } | undefined;
  const encloses = (write: Node) => {
    const block = enclosingStatement(write).parent;
    return block !== null && block.startIndex <= call.startIndex && call.endIndex <= block.endIndex;
  };
  for (const node of file.withinAll(fn.body!, ['assignment_expression', 'call_expression'])) {
    if (node.startIndex >= call.startIndex) break;
    if (node.type === 'assignment_expression') {
      const left = accessPath(node.childForFieldName('left'));
      if (!left || !covers(unions, left, path)) continue;
      if (!encloses(node)) {
        last = { node }; // a write on some path only: unknown
        continue;
      }
      const right = unwrap(node.childForFieldName('right'));
      const value = right ? taint.taintOf(right, node.startIndex) : undefined;
      last = { node, user: value && value.kind === 'value' && value.fromUserMemory ? { node, origin: value.origin } : undefined };
    } else if (COPIES.has(calleeName(node) ?? '')) {
      const [destination, source] = callArguments(node);
      const written = addressTarget(destination);
      if (!written || !source || !covers(unions, written, path)) continue;
      // The user's buffer, or an array embedded in it (`in->Words`): the bytes copied are user data.
      let value = taint.taintOf(source, node.startIndex);
      const inner = unwrap(source);
      if ((!value || value.kind === 'value' && !value.fromUserMemory) && inner && (inner.type === 'field_expression' || inner.type === 'subscript_expression')) {
        const holder = unwrap(inner.childForFieldName('argument'));
        const outer = holder ? taint.taintOf(holder, node.startIndex) : undefined;
        if (outer && (outer.kind === 'buffer' || outer.kind === 'pointer')) value = outer;
      }
      const user = value && (value.kind === 'buffer' || value.kind === 'pointer' || value.kind === 'value' && value.fromUserMemory) && encloses(node);
      last = { node, user: user && value ? { node, origin: value.origin } : undefined };
    }
  }
  return last?.user;
}

export const rule: Rule = {
  meta: {
    id: 'user-function-pointer-call',
    title: 'Call through a function pointer from a user buffer',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'A function pointer read from a user buffer (or from an object the user controls: a field copied from the request, an overlapping union member, pool nobody initialized) is called, here or in a helper handed the object.',
    rationale: 'Calling a pointer the caller supplied executes code at an address of the caller\'s choosing in kernel mode: direct code execution, or a jump into a ROP chain when SMEP blocks user pages. Type-confusion bugs usually end here: the driver trusts an object type field from the request and calls the object\'s callback; copying the request into a kernel object field by field or through a union does not make the pointer the driver\'s own. Never take code pointers from user input; dispatch on a validated type tag to functions of the driver itself, and initialize every callback field of a new object.',
    cwe: ['CWE-822', 'CWE-843', 'CWE-908'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-dev-best-practices'],
    confidence: 'high',
    messages: {
      call: '`{{callee}}` calls a function pointer taken from user-controlled memory ({{origin}}): user mode chooses the code the kernel runs.',
      copied: '`{{callee}}` calls a function pointer the driver stored from user-controlled memory on line {{line}} ({{origin}}): user mode chooses the code the kernel runs.',
      helperCopied: '`{{helper}}` calls `{{param}}->{{field}}` of `{{argument}}`, whose `{{field}}` was stored from user-controlled memory on line {{line}} ({{origin}}): user mode chooses the code the kernel runs.',
      helperPool: '`{{helper}}` calls `{{param}}->{{field}}` of `{{argument}}`, which comes from {{allocator}} (line {{line}}, not zeroed) with `{{field}}` never written before: the call jumps to whatever the pool held.',
    },
    examples: {
      bad: 'PUSER_OBJECT object = (PUSER_OBJECT)Irp->AssociatedIrp.SystemBuffer;\nobject->Callback(object->Context);',
      good: 'PUSER_OBJECT object = (PUSER_OBJECT)Irp->AssociatedIrp.SystemBuffer;\nif (object->ObjectType != OBJECT_TYPE_COUNTER) {\n    return STATUS_INVALID_PARAMETER;\n}\nCounterCallback(object->Context);',
    },
  },
  fileFacts(file) {
    return [...callbackHelpers(file)].map(([name, calls]) => `${name}:${calls.map((entry) => `${entry.index}.${entry.field}`).join(',')}`).sort().join(' ');
  },
  create(context) {
    const { file } = context;
    let helpers: Map<string, CallThrough[]> | undefined;
    let unions: Unions | undefined;
    return {
      ...gather('assignment_expression'),
      call_expression(call) {
        const callee = unwrap(call.childForFieldName('function'));
        const calleeType = callee && typeOf(callee);
        if (!callee || (calleeType !== 'field_expression' && calleeType !== 'identifier')) return;
        const fn = file.enclosingFunction(call);
        if (!fn?.body) return;
        const taint = file.taint(fn);
        if (calleeType === 'identifier' && file.functionByName(callee.text)) {
          helperCall(fn, call, callee.text);
          return;
        }
        // An identifier's taint is a variable's: without a variable ever holding a value from user memory, none is.
        if (calleeType === 'identifier' && !taint.holdsUserMemoryValue()) return;
        const value = taint.taintOf(callee, call.startIndex);
        if (value && value.kind === 'value' && value.fromUserMemory) {
          context.report({ node: call, messageId: 'call', data: { callee: callee.text, origin: value.origin }, related: [{ node: value.source, message: `read from user memory: ${value.origin}` }] });
          return;
        }
        if (calleeType !== 'field_expression') return;
        const path = accessPath(callee);
        if (!path || !/^[A-Za-z_]\w*((->|\.)[A-Za-z_]\w*)+$/.test(path)) return;
        unions ??= unionsOf(file);
        const write = lastUserWrite(file, fn, unions, path, call);
        if (!write) return;
        context.report({ node: call, messageId: 'copied', data: { callee: path, origin: write.origin, line: lineOf(write.node) }, related: [{ node: write.node, message: `stored from user memory: ${write.origin}` }] });
      },
    };

    /** `Helper(obj)` where Helper calls `Param->Field(…)`: the object's field written from user data, or uninitialized pool. */
    function helperCall(fn: FunctionInfo, call: Node, name: string): void {
      if (name === fn.name) return;
      helpers ??= callbackHelpers(file);
      const calls = helpers.get(name);
      if (!calls) return;
      const args = callArguments(call);
      const taint = file.taint(fn);
      for (const entry of calls) {
        const argument = unwrap(args[entry.index]);
        if (!argument) continue;
        // `&local` hands the structure itself; a pointer hands what it points to.
        const isAddress = argument.type === 'pointer_expression' && argument.child(0)?.text === '&';
        const base = isAddress ? addressTarget(argument) : accessPath(argument);
        if (!base || !/^[A-Za-z_]\w*((->|\.)[A-Za-z_]\w*)*$/.test(base)) continue;
        // A pointer to the user's buffer itself: the helper's own call is reported there (taint passes in).
        const value = taint.taintOf(argument, call.startIndex);
        if (value && (value.kind === 'buffer' || value.kind === 'pointer')) continue;
        const target = `${base}${isAddress ? '.' : '->'}${entry.field}`;
        unions ??= unionsOf(file);
        const write = lastUserWrite(file, fn, unions, target, call);
        const data = { helper: name, param: entry.param, field: entry.field, argument: base };
        if (write) {
          context.report({ node: call, messageId: 'helperCopied', data: { ...data, origin: write.origin, line: lineOf(write.node) }, related: [{ node: write.node, message: `stored from user memory: ${write.origin}` }] });
          return;
        }
        if (isAddress || /[.>]/.test(base)) continue;
        const allocation = uninitializedFieldAt(fn, base, entry.field, call);
        if (allocation) {
          context.report({ node: call, messageId: 'helperPool', data: { ...data, allocator: calleeName(allocation) ?? '', line: lineOf(allocation) }, related: [{ node: allocation, message: 'allocated here without zeroing' }] });
          return;
        }
      }
    }

    /**
     * The non-zeroing allocation `name` holds at `call`, when between it and the call nothing writes `name->field`
     * (or `*name`), zeroes or fills it, or hands `name` to another call (which may initialize it).
     */
    function uninitializedFieldAt(fn: FunctionInfo, name: string, field: string, call: Node): Node | undefined {
      const declaration = findDeclaration(file, fn, name);
      if (!declaration?.isLocal || declaration.isParameter) return undefined;
      const allocation = nonZeroingAllocation(file, fn, name, call.startIndex);
      if (!allocation || isFilledBefore(file, fn, name, call.startIndex)) return undefined;
      const between = file.text.slice(enclosingStatement(allocation).endIndex, call.startIndex);
      const first = field.split('.')[0];
      if (new RegExp(`(?<![\\w>.])${name}\\s*->\\s*${first}\\b[^;=]*=(?!=)|\\*\\s*${name}\\s*=(?!=)|[(,]\\s*(?:\\([^()]*\\)\\s*)?&?\\s*${name}\\b\\s*[,)]|(?<![\\w>.])${name}\\s*=(?!=)`).test(between)) return undefined;
      return allocation;
    }
  },
};
