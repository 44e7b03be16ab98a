/**
 * Flags kernel code that computes with floating point without saving the processor's floating-point state
 * (KeSaveExtendedProcessorState / KeSaveFloatingPointState) around it. On 32-bit x86 the kernel does not save the
 * FPU state for kernel code: the driver's arithmetic overwrites the registers of whatever thread it interrupted.
 */
import { callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { irqlFileFacts, irqlName, irqlPaths } from '../analysis/irql';
import { annotatedFunctions } from '../analysis/sal';
import { gather, lineOf, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

const SAVES = new Set(['KeSaveExtendedProcessorState', 'KeSaveFloatingPointState']);

/** Restore routine → its save routine; the state argument is the first of the restore and the last of the save. */
const RESTORES: Record<string, string> = { KeRestoreExtendedProcessorState: 'KeSaveExtendedProcessorState', KeRestoreFloatingPointState: 'KeSaveFloatingPointState' };

/** Functions annotated to use the float state (their callers must save it), and to save it for their caller. */
const FLOAT_USED = '_Kernel_float_used_';
const FLOAT_SAVED = '_Kernel_float_saved_';

const FLOAT_TYPE = /^(float|double|long double|FLOAT|DOUBLE|PFLOAT)$/;

/** A floating literal: `1.0`, `.5`, `2e3`, `0.5f` (not hex, not an integer). */
const FLOAT_LITERAL = /^(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)[fFlL]?$|^\d+\.?\d*[fF]$/;

/** Kernel routines a user-mode (UMDF) file does not call: the file runs in the kernel. */
const KERNEL_CALL = /\b(Ke|Ex|Io|Mm|Ob|Ps|Zw|Rtl)[A-Z]\w*\s*\(|\bWdfDriverCreate\b.*\bPDRIVER_OBJECT\b|#\s*include\s*[<"](ntddk|wdm|ntifs|ndis|portcls|ks)\.h[>"]/;

/** Preprocessor arms that build only for 64-bit targets, where the kernel saves the SSE state for the driver. */
const WIDE_ONLY = /\b(_WIN64|_AMD64_|_M_X64|_M_AMD64|_ARM64_|_M_ARM64|_IA64_)\b/;

function inWideOnlyArm(node: Node): boolean {
  for (let current: Node | null = node.parent; current; current = current.parent) {
    if (current.type !== 'preproc_if' && current.type !== 'preproc_ifdef' && current.type !== 'preproc_elif') continue;
    const condition = current.childForFieldName('condition')?.text ?? current.childForFieldName('name')?.text ?? '';
    const negated = /^\s*!/.test(condition) || current.text.startsWith('#ifndef');
    if (!negated && WIDE_ONLY.test(condition)) return true;
  }
  return false;
}

/** The first floating-point use in a function: a float/double variable or parameter, a floating literal or a cast. */
function firstFloatUse(file: SourceFile, fn: FunctionInfo): Node | undefined {
  const parameter = fn.params.find((param) => FLOAT_TYPE.test(param.type.trim()));
  if (parameter) return parameter.node;
  const candidates: Node[] = [];
  for (const declaration of file.within(fn.body!, 'declaration')) {
    if (FLOAT_TYPE.test(declaration.childForFieldName('type')?.text.trim() ?? '')) candidates.push(declaration);
  }
  for (const literal of file.within(fn.body!, 'number_literal')) if (FLOAT_LITERAL.test(literal.text)) candidates.push(literal);
  for (const cast of file.within(fn.body!, 'cast_expression')) {
    if (FLOAT_TYPE.test(cast.childForFieldName('type')?.text.trim() ?? '')) candidates.push(cast);
  }
  return candidates.filter((node) => !inWideOnlyArm(node)).sort((a, b) => a.startIndex - b.startIndex)[0];
}

/** Whether the file can hold a finding: float code (or its annotations and restores) and kernel calls. */
function analyzed(file: SourceFile): boolean {
  return /\b(float|double|FLOAT|DOUBLE|_Kernel_float_\w+_|KeRestore\w*State)\b|\d\.\d|\d[eE][+-]?\d/.test(file.text) && KERNEL_CALL.test(file.text);
}

function savesState(file: SourceFile, fn: FunctionInfo): boolean {
  const savers = annotatedFunctions(file, FLOAT_SAVED);
  return file.within(fn.body!, 'call_expression').some((call) => SAVES.has(calleeName(call) ?? '') || savers.has(calleeName(call) ?? ''));
}

/** The state variable a save or restore call names (`&save` → save). */
function stateKey(call: Node, index: number): string | undefined {
  const args = callArguments(call);
  const argument = unwrap(args[index < 0 ? args.length + index : index]);
  return argument?.text.replace(/^&\s*/, '').replace(/\s+/g, '');
}

/** A restore whose save ran at a different IRQL (both known exactly on the paths): the state is restored on the wrong level. */
function restoreAtOtherIrql(file: SourceFile, fn: FunctionInfo, calls: readonly Node[]): { restore: Node; save: Node; saved: number; restored: number } | undefined {
  const restores = calls.filter((call) => RESTORES[calleeName(call) ?? ''] !== undefined);
  if (restores.length === 0) return undefined;
  const paths = irqlPaths(file, fn);
  if (!paths) return undefined;
  const levelAt = (call: Node): number | undefined => {
    const flowNode = paths.flowNodeOf(call);
    const states = flowNode ? paths.statesAt(flowNode, call.startIndex) : [];
    if (states.length === 0 || states.some((state) => state.low !== state.high || state.low !== states[0].low)) return undefined;
    return states[0].low;
  };
  for (const restore of restores) {
    const key = stateKey(restore, 0);
    const save = calls.find((call) => call.startIndex < restore.startIndex && calleeName(call) === RESTORES[calleeName(restore)!] && stateKey(call, -1) === key);
    if (!save) continue;
    const saved = levelAt(save);
    const restored = levelAt(restore);
    if (saved !== undefined && restored !== undefined && saved !== restored) return { restore, save, saved, restored };
  }
  return undefined;
}

export const rule: Rule = {
  meta: {
    id: 'float-without-state-save',
    title: 'Floating point in kernel code without saving the FPU state',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.technology-practices',
    scope: 'function',
    callerLevels: 1,
    description: 'A kernel-mode function declares float/double variables, uses floating literals or casts to a floating type (or calls a `_Kernel_float_used_` function) without calling KeSaveExtendedProcessorState (or KeSaveFloatingPointState, or a `_Kernel_float_saved_` function) first, and no caller in the file saves the state for it; or restores the state at another IRQL than it saved it.',
    rationale: 'On 32-bit x86 the kernel does not save the x87/MMX/SSE registers when it enters kernel code. A driver that computes with floating point there silently overwrites the registers of the user thread it interrupted — wrong results in an unrelated process, or a bug check when the state is inconsistent. Call KeSaveExtendedProcessorState (KeSaveFloatingPointState on older targets), check its status, compute, and restore with the matching routine at the same IRQL. 64-bit kernels save the SSE state for drivers; code built only for them is left alone.',
    cwe: ['CWE-665'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/using-floating-point-in-a-wdm-driver',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kesaveextendedprocessorstate',
    ],
    confidence: 'medium',
    messages: {
      unsaved: '{{fn}} uses floating point here without saving the processor state (KeSaveExtendedProcessorState): on 32-bit x86 it overwrites the FPU registers of the thread it interrupted.',
      unsavedCall: '{{fn}} calls {{callee}}, which is annotated _Kernel_float_used_, without saving the processor state first (KeSaveExtendedProcessorState).',
      otherIrql: '{{restore}} runs at {{restored}}, but {{save}} on line {{line}} saved the state at {{saved}}: save and restore must run at the same IRQL.',
    },
    examples: {
      bad: '#include <ntddk.h>\nULONG ScaleReading(ULONG raw) {\n    double scaled = raw * 0.125;\n    return (ULONG)scaled;\n}',
      good: '#include <ntddk.h>\nNTSTATUS ScaleReading(ULONG raw, PULONG result) {\n    XSTATE_SAVE save;\n    NTSTATUS status = KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, &save);\n    if (!NT_SUCCESS(status)) {\n        return status;\n    }\n    *result = (ULONG)(raw * 0.125);\n    KeRestoreExtendedProcessorState(&save);\n    return STATUS_SUCCESS;\n}',
    },
  },
  // Besides a function's own code and its callers' (callerLevels 1), its findings read file-wide: whether the file
  // holds float code and kernel calls at all, the `_Kernel_float_used_`/`_Kernel_float_saved_` functions, and the
  // IRQL the file gives each function (for a restore at another IRQL).
  fileFacts(file) {
    return [analyzed(file), [...annotatedFunctions(file, FLOAT_USED).keys()].join(','), [...annotatedFunctions(file, FLOAT_SAVED).keys()].join(','), irqlFileFacts(file)].join('\n');
  },
  create(context) {
    const { file } = context;
    // With `scope: 'function'` the engine hands over only the nodes of the functions it analyzes again.
    const visited = new Set<number>();
    return {
      ...gather('declaration', 'number_literal', 'cast_expression', 'call_expression'),
      function_definition(node) {
        visited.add(node.id);
      },
      onEnd() {
        if (!analyzed(file)) return;
        const functions = file.functions().filter((fn) => fn.body);
        const usesFloat = annotatedFunctions(file, FLOAT_USED);
        for (const fn of functions) {
          if (!visited.has(fn.node.id)) continue;
          const calls = file.within(fn.body!, 'call_expression');
          const mismatch = restoreAtOtherIrql(file, fn, calls);
          if (mismatch) {
            context.report({ node: mismatch.restore, messageId: 'otherIrql', data: { restore: calleeName(mismatch.restore)!, restored: irqlName(mismatch.restored), save: calleeName(mismatch.save)!, saved: irqlName(mismatch.saved), line: lineOf(mismatch.save) } });
          }
          // `_Kernel_float_used_` hands the duty to save the state to the callers: a call to such a function is a use.
          if (usesFloat.has(fn.name)) continue;
          const floatCall = calls.find((call) => usesFloat.has(calleeName(call) ?? ''));
          if (floatCall && !savesState(file, fn)) {
            context.report({ node: floatCall, messageId: 'unsavedCall', data: { fn: fn.name, callee: calleeName(floatCall)! } });
            continue;
          }
          const use = firstFloatUse(file, fn);
          if (!use || savesState(file, fn)) continue;
          // A helper every caller of this file calls with the state saved.
          const callers = functions.filter((other) => other !== fn && file.within(other.body!, 'call_expression').some((call) => calleeName(call) === fn.name));
          if (callers.length > 0 && callers.every((caller) => savesState(file, caller))) continue;
          context.report({ node: use, messageId: 'unsaved', data: { fn: fn.name } });
        }
      },
    };
  },
};
