/**
 * Checks that callers in the same file perform before calling a helper: a handler often validates the request
 * (`if (outLen < sizeof(INFO)) break;`) and then calls a helper that does the work.
 */
import { accessPath, callArguments, calleeName, contains, unwrap, type Node } from './query';
import type { FunctionInfo, SourceFile } from './source-file';

const callIndex = new WeakMap<SourceFile, Map<string, Node[]>>();

/** Every call in the file by callee name (built once per file). */
export function callsByCallee(file: SourceFile): Map<string, Node[]> {
  let index = callIndex.get(file);
  if (!index) {
    index = new Map();
    for (const call of file.nodes('call_expression')) {
      const name = calleeName(call);
      if (!name) continue;
      const list = index.get(name);
      if (list) list.push(call);
      else index.set(name, [call]);
    }
    callIndex.set(file, index);
  }
  return index;
}

/** Whether a call in the file names `name`: which functions are called at all, not what their callers do. */
export function isCalledInFile(file: SourceFile, name: string): boolean {
  return callsByCallee(file).has(name);
}

/** The calls of `fn` from other functions of the file. */
export function callsOf(file: SourceFile, fn: FunctionInfo): Node[] {
  return (callsByCallee(file).get(fn.name) ?? []).filter((call) => !contains(fn.node, call));
}

/**
 * True when `fn` has callers in this file and every call is dominated by a comparison that mentions one of the
 * names `namesAt(caller, call)` gives for that call site.
 */
export function everyCallGuarded(file: SourceFile, fn: FunctionInfo, namesAt: (caller: FunctionInfo, call: Node) => string[]): boolean {
  const calls = callsOf(file, fn);
  if (calls.length === 0) return false;
  return calls.every((call) => {
    const caller = file.enclosingFunction(call);
    if (!caller) return false;
    const names = namesAt(caller, call);
    return names.length > 0 && file.taint(caller).isGuardedBy(call, names);
  });
}

/**
 * Rewrites names of the callee's parameters into the caller's argument expressions: with `Helper(query)` for
 * `Helper(PQUERY req)`, `req->Index` becomes `query->Index`.
 */
export function translateToCaller(fn: FunctionInfo, call: Node, names: readonly string[]): string[] {
  const args = callArguments(call);
  const result: string[] = [];
  for (const name of names) {
    fn.params.forEach((param, index) => {
      const argument = unwrap(args[index]);
      if (!argument) return;
      const argumentPath = accessPath(argument) ?? argument.text;
      if (name === param.name) result.push(argumentPath);
      else if (name.startsWith(`${param.name}->`) || name.startsWith(`${param.name}.`)) result.push(argumentPath + name.slice(param.name.length));
    });
  }
  return result;
}
