/**
 * Flags InitializeObjectAttributes without OBJ_KERNEL_HANDLE in kernel code, when the attributes open a handle the
 * driver keeps for itself: without the flag the handle lands in the handle table of whatever process the driver
 * runs in (the calling application, for a dispatch routine), where user mode can use, duplicate or close it.
 */
import { accessPath, callArguments, calleeName, CAST_OR_PARENTHESES, climbWrappers, contains, enclosingStatement, unwrap, type Node } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

/** Only numbers and OBJ_* constants OR-ed together are judged: a variable may carry the flag. */
const CONSTANT_ATTRIBUTES = /^[\s()|]*(?:(?:OBJ_[A-Z0-9_]+|0[xX][0-9a-fA-F]+|\d+)[uUlL]*[\s()|]*)+$/;

const KNOWN_ATTRIBUTES = new Set(['OBJ_INHERIT', 'OBJ_PERMANENT', 'OBJ_EXCLUSIVE', 'OBJ_CASE_INSENSITIVE', 'OBJ_OPENIF', 'OBJ_OPENLINK',
  'OBJ_FORCE_ACCESS_CHECK', 'OBJ_IGNORE_IMPERSONATED_DEVICEMAP', 'OBJ_DONT_REPARSE']);

/** Kernel routines that create a handle from object attributes. */
const OPENER = /^(Zw|Io|Flt|Ps)[A-Z]\w*$/;

/** System routines that may take a handle's address without handing it to user mode. */
const KERNEL_HANDLE_USERS = /^(Zw|Nt|Ob|Flt|Ps|Ke|Se|Cm)[A-Z]\w*$/;

const KERNEL_HEADERS = /#\s*include\s*[<"](?:[\w/\\]*[/\\])?(ntddk|wdm|ntifs|wdf|fltkernel|ndis|ntosp|wdmsec|ntstrsafe)\.h[>"]/i;
const USER_HEADERS = /#\s*include\s*[<"](?:[\w/\\]*[/\\])?(windows|winternl|phnt|wdfuser|wudfddi)\.h[>"]/i;

const kernelFiles = new WeakMap<SourceFile, boolean>();

/** A kernel-mode source: no user-mode headers, and a driver role or a kernel header. */
function isKernelSource(file: SourceFile): boolean {
  let kernel = kernelFiles.get(file);
  if (kernel === undefined) {
    kernel = !USER_HEADERS.test(file.text) && (KERNEL_HEADERS.test(file.text) || file.driver.roles.length > 0);
    kernelFiles.set(file, kernel);
  }
  return kernel;
}

/** `&oa` / `pOa` → the attributes' name. */
function objectName(argument: Node | undefined): string | undefined {
  const node = unwrap(argument);
  if (!node) return undefined;
  if (node.type === 'pointer_expression' && (node.childForFieldName('operator')?.text ?? node.child(0)?.text) === '&') return accessPath(node.childForFieldName('argument'));
  return accessPath(node);
}

function isAddressOf(node: Node | null): boolean {
  return node?.type === 'pointer_expression' && (node.childForFieldName('operator')?.text ?? node.child(0)?.text) === '&';
}

/** Whether the handle in `path` is handed on after `after`: copied to memory, returned, or given to a non-system routine. */
function handleEscapes(file: SourceFile, fn: FunctionInfo, path: string, after: Node): boolean {
  if (!fn.body) return true;
  for (const candidate of file.withinAll(fn.body, ['identifier', 'field_expression'])) {
    if (candidate.startIndex < after.endIndex) continue;
    if ((accessPath(candidate) ?? candidate.text) !== path) continue;
    const { holder, parent } = climbWrappers(candidate, CAST_OR_PARENTHESES);
    if (!parent) continue;
    if (parent.type === 'return_statement') return true;
    if (parent.type === 'init_declarator' && parent.childForFieldName('value')?.id === holder.id) return true;
    if (parent.type === 'assignment_expression') {
      if (parent.childForFieldName('right')?.id === holder.id) return true;
      continue;
    }
    if (parent.type === 'initializer_list') return true;
    let argument: Node = holder;
    if (isAddressOf(parent)) {
      argument = parent;
      while (argument.parent && (argument.parent.type === 'parenthesized_expression' || argument.parent.type === 'cast_expression')) argument = argument.parent;
    }
    if (argument.parent?.type === 'argument_list') {
      const call = argument.parent.parent;
      const callee = call ? calleeName(call) : undefined;
      if (!callee) return true;
      // `&h` given away (copied out, stored by a helper): only kernel routines may take its address. Passed by
      // value, the handle is used, not handed on.
      if (argument.id !== holder.id && !KERNEL_HANDLE_USERS.test(callee)) return true;
    } else if (isAddressOf(parent)) {
      return true;
    }
  }
  return false;
}

export const rule: Rule = {
  meta: {
    id: 'kernel-handle-not-kernel-only',
    title: 'Driver handle opened without OBJ_KERNEL_HANDLE',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.security-model',
    scope: 'function',
    callerLevels: 0,
    description: 'InitializeObjectAttributes sets up attributes without OBJ_KERNEL_HANDLE for a handle the driver keeps for itself.',
    rationale: 'A handle created without OBJ_KERNEL_HANDLE goes into the handle table of the current process. In a dispatch routine that is the calling application, which can then use the handle with the access the driver obtained (often far more than its own), duplicate it, or close it and make the driver use a recycled handle value. Kernel handles live in the system handle table and are reachable only from kernel mode.',
    cwe: ['CWE-403', 'CWE-269'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/object-handles',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wudfwdm/nf-wudfwdm-initializeobjectattributes',
    ],
    confidence: 'medium',
    messages: {
      missing: 'The object attributes `{{attributes}}` ({{flags}}) lack OBJ_KERNEL_HANDLE: the handle {{opener}} creates goes into the current process\'s handle table, where user mode can use or close it.',
    },
    fixable: true,
    examples: {
      bad: '#include <ntddk.h>\n\nNTSTATUS OpenParameters(PUNICODE_STRING keyName, PHANDLE key) {\n    OBJECT_ATTRIBUTES attributes;\n    HANDLE handle;\n    InitializeObjectAttributes(&attributes, keyName, OBJ_CASE_INSENSITIVE, NULL, NULL);\n    NTSTATUS status = ZwOpenKey(&handle, KEY_READ, &attributes);\n    if (NT_SUCCESS(status)) {\n        status = ObReferenceObjectByHandle(handle, KEY_READ, NULL, KernelMode, &g_KeyObject, NULL);\n        ZwClose(handle);\n    }\n    return status;\n}',
      good: '#include <ntddk.h>\n\nNTSTATUS OpenParameters(PUNICODE_STRING keyName, PHANDLE key) {\n    OBJECT_ATTRIBUTES attributes;\n    HANDLE handle;\n    InitializeObjectAttributes(&attributes, keyName, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);\n    NTSTATUS status = ZwOpenKey(&handle, KEY_READ, &attributes);\n    if (NT_SUCCESS(status)) {\n        status = ObReferenceObjectByHandle(handle, KEY_READ, NULL, KernelMode, &g_KeyObject, NULL);\n        ZwClose(handle);\n    }\n    return status;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        if (calleeName(call) !== 'InitializeObjectAttributes') return;
        const args = callArguments(call);
        const attributes = objectName(args[0]);
        const flags = args[2];
        if (!attributes || !flags) return;
        const text = flags.text;
        if (text.includes('OBJ_KERNEL_HANDLE') || !CONSTANT_ATTRIBUTES.test(text)) return;
        // A project macro named OBJ_* may carry the flag: judge only the documented constants, or macros that expand.
        for (const token of text.match(/OBJ_[A-Z0-9_]+/g) ?? []) {
          if (KNOWN_ATTRIBUTES.has(token)) continue;
          const expanded = file.macros.expand(token);
          if (expanded === token || expanded.includes('OBJ_KERNEL_HANDLE')) return;
        }
        const fn = file.enclosingFunction(call);
        if (!fn?.body || !isKernelSource(file)) return;
        // The routine that consumes these attributes: the next kernel opener in this function that names them.
        let opener: Node | undefined;
        let attributesIndex = -1;
        for (const candidate of file.within(fn.body, 'call_expression')) {
          if (candidate.startIndex <= call.startIndex) continue;
          const candidateArgs = callArguments(candidate);
          const index = candidateArgs.findIndex((arg) => objectName(arg) === attributes);
          if (index < 0) continue;
          if (calleeName(candidate) === 'InitializeObjectAttributes') return; // re-initialized before use
          opener = candidate;
          attributesIndex = index;
          break;
        }
        const openerName = opener ? calleeName(opener) : undefined;
        if (!opener || !openerName || !OPENER.test(openerName)) return;
        // The handle out parameter: the first `&x` before the attributes. A handle written straight into a
        // caller's buffer or out parameter may be meant for user mode: not judged.
        const handleArgument = callArguments(opener).slice(0, attributesIndex).map((arg) => unwrap(arg)).find((arg) => isAddressOf(arg));
        const handlePath = handleArgument ? accessPath(handleArgument.childForFieldName('argument')) : undefined;
        if (!handleArgument || !handlePath) return;
        const handleTaint = file.taint(fn).taintOf(handleArgument, opener.startIndex);
        if (handleTaint) return;
        if (handleEscapes(file, fn, handlePath, enclosingStatement(opener))) return;
        if (!contains(fn.body, opener)) return;
        const replacement = /^0+[uUlL]*$/.test(text.trim()) ? 'OBJ_KERNEL_HANDLE' : `${text} | OBJ_KERNEL_HANDLE`;
        context.report({
          node: call,
          messageId: 'missing',
          data: { attributes, flags: text, opener: openerName },
          related: [{ node: opener, message: `the handle \`${handlePath}\` is created here` }],
          fix: { title: 'Add OBJ_KERNEL_HANDLE', edits: [fixer.replace(flags, replacement)] },
        });
      },
    };
  },
};
