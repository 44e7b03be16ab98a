/**
 * Flags IRQL changes that break the kernel's or the function's own contract: KeRaiseIrql to a lower level or
 * KeLowerIrql to a higher one (both bug-check), lowering below the IRQL the function was called at, returning
 * raised after KeRaiseIrql, an `_IRQL_raises_(X)` promise the exit does not keep, an IRQL value no processor has,
 * and `_IRQL_saves_` / `_IRQL_restores_` parameters the function never writes or never uses.
 */
import { irqlContractOf, irqlFileFacts, irqlName, irqlPaths, irqlValue, parseState, type IrqlContract, type IrqlState } from '../analysis/irql';
import { callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { gather, lineOf, type Rule, type RuleContext } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

/** The highest IRQL of any Windows processor (x86: 31; x64 and ARM64: 15). */
const MAX_IRQL = 31;

const RAISERS = new Set(['KeRaiseIrql', 'KeRaiseIrqlToDpcLevel', 'KeRaiseIrqlToSynchLevel']);

function levelText(state: IrqlState): string {
  return state.low === state.high ? irqlName(state.low) : `between ${irqlName(state.low)} and ${irqlName(state.high)}`;
}

/** A numeric IRQL literal (`0x40`, `32`), for the "no such IRQL" check; names are checked by irqlValue. */
function numericLevel(node: Node | null): number | undefined {
  const text = unwrap(node)?.text ?? '';
  if (!/^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.test(text)) return undefined;
  return Number.parseInt(text.replace(/[uUlL]+$/, ''), /^0[xX]/.test(text) ? 16 : 10);
}

/** Parameters annotated with `annotation` in the original text (the parse sees the annotations blanked). */
function annotatedParameters(file: SourceFile, fn: FunctionInfo, annotation: RegExp): string[] {
  // The blanked annotations sit before the parameter's node: read from the previous parameter (or the `(`) on.
  const list = file.text.indexOf('(', fn.node.startIndex);
  return fn.params.filter((param, index) => {
    const from = index === 0 ? list : fn.params[index - 1].node.endIndex;
    return annotation.test(file.text.slice(from, param.node.endIndex));
  }).map((param) => param.name);
}

/** `_IRQL_saves_` parameters must receive the IRQL, `_IRQL_restores_` parameters must be restored from. */
function checkSavedParameters(context: RuleContext, fn: FunctionInfo, calls: Node[]): void {
  const { file } = context;
  if (!/_IRQL_(saves|restores)_/.test(file.text.slice(fn.node.startIndex, fn.body!.startIndex))) return;
  const body = file.text.slice(fn.body!.startIndex, fn.body!.endIndex);
  for (const param of annotatedParameters(file, fn, /\b_IRQL_saves_\b/)) {
    const written = new RegExp(`\\*\\s*${param}\\s*=[^=]|\\b${param}\\s*\\[\\s*0\\s*\\]\\s*=[^=]`).test(body)
      || calls.some((call) => callArguments(call).some((argument) => new RegExp(`^\\s*${param}\\s*$`).test(argument.text)));
    if (!written) context.report({ node: fn.params.find((candidate) => candidate.name === param)!.node, messageId: 'savesNotWritten', data: { param, fn: fn.name } });
  }
  for (const param of annotatedParameters(file, fn, /\b_IRQL_restores_\b/)) {
    const used = calls.some((call) => callArguments(call).some((argument) => new RegExp(`\\b${param}\\b`).test(argument.text)));
    if (!used) context.report({ node: fn.params.find((candidate) => candidate.name === param)!.node, messageId: 'restoresNotUsed', data: { param, fn: fn.name } });
  }
}

export const rule: Rule = {
  meta: {
    id: 'irql-contract-broken',
    title: 'IRQL raised, lowered or returned against the contract',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.technology-practices',
    scope: 'function-local',
    description: 'KeRaiseIrql to a lower IRQL or KeLowerIrql to a higher one, lowering below the IRQL the function was called at, returning raised after KeRaiseIrql, breaking an _IRQL_raises_ promise, an IRQL value above 31, or an _IRQL_saves_ / _IRQL_restores_ parameter that is never written or never used.',
    rationale: 'The IRQL is the processor\'s interrupt mask: KeRaiseIrql requires a new level at or above the current one and KeLowerIrql one at or below it, or the system bug-checks (IRQL_NOT_GREATER_OR_EQUAL / IRQL_NOT_LESS_OR_EQUAL). A routine that lowers below the level it was called at (a DPC lowering to PASSIVE_LEVEL) lets the thread be preempted while the caller holds a spin lock, and one that returns raised leaves its caller running at an IRQL where paging and waits bug-check. `_IRQL_saves_` promises the caller a saved IRQL to restore, `_IRQL_restores_` promises to restore one: code that does neither leaves the caller at the wrong IRQL. Each of these is a crash any caller who reaches the path can trigger.',
    cwe: ['CWE-667', 'CWE-662'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keraiseirql',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kelowerirql',
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/irql-annotations-for-drivers',
    ],
    confidence: 'high',
    messages: {
      raiseToLower: 'KeRaiseIrql({{to}}) runs at {{level}} here: raising to a lower IRQL bug-checks (IRQL_NOT_GREATER_OR_EQUAL).',
      lowerToHigher: 'KeLowerIrql({{to}}) runs at {{level}} here: lowering to a higher IRQL bug-checks (IRQL_NOT_LESS_OR_EQUAL).',
      belowEntry: 'KeLowerIrql({{to}}) lowers below the IRQL {{fn}} is called at ({{entry}}: {{reason}}).',
      leavesRaised: '{{fn}} returns at {{level}} here: {{raiser}} on line {{line}} raised it and no path back lowers it. Lower it with KeLowerIrql before returning, or annotate _IRQL_raises_.',
      raisesBroken: '{{fn}} promises _IRQL_raises_({{promised}}) but returns at {{level}} here.',
      noSuchIrql: '{{call}}({{value}}): no processor has an IRQL above {{max}}.',
      savesNotWritten: '`{{param}}` is annotated _IRQL_saves_, but {{fn}} never stores the IRQL in it: the caller restores garbage.',
      restoresNotUsed: '`{{param}}` is annotated _IRQL_restores_, but {{fn}} never restores the IRQL from it: the caller stays raised.',
    },
    examples: {
      bad: '_IRQL_requires_(DISPATCH_LEVEL)\nVOID DrainQueue(PDEVICE_EXTENSION ext) {\n    KeLowerIrql(PASSIVE_LEVEL);\n    ProcessEntries(ext);\n    KeRaiseIrqlToDpcLevel();\n}',
      good: '_IRQL_requires_(DISPATCH_LEVEL)\nVOID DrainQueue(PDEVICE_EXTENSION ext) {\n    IoQueueWorkItem(ext->DrainWorkItem, DrainWorker, DelayedWorkQueue, ext);\n}',
    },
  },
  // A function's findings depend on its own text and on what the file says of every function's IRQL (entry IRQL from
  // roles and annotations, callees' `_IRQL_raises_`).
  fileFacts: irqlFileFacts,
  create(context) {
    const { file } = context;
    // With `scope: 'function-local'` the engine hands over only the definitions of the functions it re-analyzes.
    const visited = new Set<FunctionInfo>();
    return {
      ...gather('call_expression'),
      function_definition(node) {
        const fn = file.enclosingFunction(node);
        if (fn && fn.node.id === node.id) visited.add(fn);
      },
      onEnd() {
        if (!/\bKe(Raise|Lower)Irql|_IRQL_(saves|restores|raises)_/.test(file.text)) return;
        const mayRaise = file.text.includes('_IRQL_raises_');
        const mayNameSaved = /_IRQL_(saves|restores)_/.test(file.text);
        for (const fn of file.functions()) {
          if (!fn.body || !visited.has(fn)) continue;
          const calls = file.within(fn.body, 'call_expression');
          const irqlCalls = calls.filter((call) => /^Ke(Raise|Lower)Irql/.test(calleeName(call) ?? '') && file.enclosingFunction(call) === fn);
          for (const call of irqlCalls) {
            const value = numericLevel(callArguments(call)[0] ?? null);
            if (value !== undefined && value > MAX_IRQL) context.report({ node: call, messageId: 'noSuchIrql', data: { call: calleeName(call)!, value: String(value), max: String(MAX_IRQL) } });
          }
          if (mayNameSaved) checkSavedParameters(context, fn, calls);
          const contract: IrqlContract = mayRaise ? irqlContractOf(file, fn) : {};
          if (irqlCalls.length === 0 && contract.raises === undefined) continue;
          const paths = irqlPaths(file, fn);
          if (!paths) continue;
          for (const call of irqlCalls) {
            const name = calleeName(call)!;
            if (name !== 'KeRaiseIrql' && name !== 'KeLowerIrql') continue;
            const argument = unwrap(callArguments(call)[0]);
            const to = irqlValue(argument?.text);
            const flowNode = paths.flowNodeOf(call);
            if (to === undefined || !flowNode || !argument) continue;
            const states = paths.statesAt(flowNode, call.startIndex);
            if (name === 'KeRaiseIrql') {
              const above = states.find((state) => state.low > to);
              if (above) context.report({ node: call, messageId: 'raiseToLower', data: { to: argument.text, level: levelText(above) } });
              continue;
            }
            const below = states.find((state) => state.high < to);
            if (below) context.report({ node: call, messageId: 'lowerToHigher', data: { to: argument.text, level: levelText(below) } });
            else if (paths.entry.reason && to < paths.entry.low) context.report({ node: call, messageId: 'belowEntry', data: { to: argument.text, fn: fn.name, entry: irqlName(paths.entry.low), reason: paths.entry.reason } });
          }
          const reported = new Set<number>();
          for (const exit of paths.result.exits) {
            for (const state of paths.result.after(exit).map((after) => parseState(after.facts))) {
              const at = exit.node ?? fn.body;
              if (reported.has(at.startIndex)) continue;
              if (contract.raises !== undefined) {
                if (state.high < contract.raises || state.low > contract.raises) {
                  reported.add(at.startIndex);
                  context.report({ node: exit.kind === 'return' ? at : fn.node, messageId: 'raisesBroken', data: { fn: fn.name, promised: irqlName(contract.raises), level: levelText(state) } });
                }
                continue;
              }
              // Raised by KeRaiseIrql and never lowered (locks left raised are spinlock-not-released's).
              const raiser = state.source >= 0 ? calls.find((call) => call.startIndex === state.source) : undefined;
              if (!raiser || !RAISERS.has(calleeName(raiser) ?? '')) continue;
              // Raising to the level the function is always called at changes nothing.
              if (paths.entry.low === paths.entry.high && state.low === paths.entry.low && state.high === paths.entry.high) continue;
              reported.add(at.startIndex);
              context.report({ node: exit.kind === 'return' ? at : fn.node, messageId: 'leavesRaised', data: { fn: fn.name, level: levelText(state), raiser: calleeName(raiser)!, line: lineOf(raiser) } });
            }
          }
        }
      },
    };
  },
};
