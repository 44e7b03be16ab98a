/**
 * Flags DriverEntry keeping the RegistryPath it was given — the pointer, a copy of the UNICODE_STRING (which shares
 * its Buffer) or the Buffer itself — in a global or another object that outlives DriverEntry. The I/O manager frees
 * that buffer when DriverEntry returns, so every later use reads freed pool.
 */
import { findDeclaration } from '../analysis/declarations';
import { baseIdentifier, callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { gather, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

/** Calls that make their first argument point at the buffer of the second (no copy). */
const ALIASING_INITS = new Set(['RtlInitUnicodeString', 'RtlInitUnicodeStringEx']);

/** What of the registry path an expression hands on: the pointer, the structure (sharing Buffer) or the Buffer. */
function sharedPart(expression: Node | null | undefined, registryPath: string): string | undefined {
  const node = unwrap(expression);
  if (!node) return undefined;
  const text = node.text.replace(/\s+/g, '');
  if (text === registryPath) return registryPath;
  if (text === `*${registryPath}`) return `*${registryPath}`;
  if (text === `${registryPath}->Buffer` || text === `(*${registryPath}).Buffer`) return `${registryPath}->Buffer`;
  return undefined;
}

/**
 * Whether a store target outlives DriverEntry: a file-scope variable (or a field of one), or anything reached
 * through a pointer (a device or driver extension, an allocated context). Locals of DriverEntry die with it.
 */
function outlivesEntry(file: SourceFile, fn: FunctionInfo, target: Node): boolean {
  const node = unwrap(target);
  if (!node) return false;
  if (/->/.test(node.text) || node.type === 'pointer_expression' || node.type === 'subscript_expression') return true;
  const base = node.type === 'identifier' ? node.text : baseIdentifier(node);
  if (!base) return false;
  const declaration = findDeclaration(file, fn, base);
  if (declaration) return !declaration.isLocal;
  // Not declared in this file: a global of another file (locals and parameters are always in sight).
  return true;
}

export const rule: Rule = {
  meta: {
    id: 'registry-path-kept',
    title: 'RegistryPath kept after DriverEntry returns',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    description: 'DriverEntry stores its RegistryPath pointer, a copy of the UNICODE_STRING or its Buffer in a global or in an object that outlives DriverEntry, instead of a copy of the string.',
    rationale: 'The RegistryPath string belongs to the I/O manager and is freed as soon as DriverEntry returns. A copy of the UNICODE_STRING structure still points at the same Buffer, and RtlInitUnicodeString does not copy either. Code that later reads the saved path (in AddDevice, a WMI or power callback) reads freed pool: garbage registry paths at best, a use after free an attacker can groom at worst. Allocate MaximumLength bytes and copy the string with RtlCopyUnicodeString (or RtlDuplicateUnicodeString), and free the copy in Unload.',
    cwe: ['CWE-416', 'CWE-825'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/wdf/driverentry-for-kmdf-drivers',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nc-wdm-driver_initialize',
    ],
    confidence: 'high',
    messages: {
      kept: '{{fn}} keeps `{{shared}}` in `{{target}}`, but the I/O manager frees the registry path buffer when {{fn}} returns: allocate a buffer and copy the string (RtlCopyUnicodeString) instead.',
    },
    examples: {
      bad: 'UNICODE_STRING g_RegistryPath;\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    g_RegistryPath = *RegistryPath;\n    return STATUS_SUCCESS;\n}',
      good: 'UNICODE_STRING g_RegistryPath;\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    g_RegistryPath.Buffer = ExAllocatePool2(POOL_FLAG_PAGED, RegistryPath->MaximumLength, \'gerD\');\n    if (g_RegistryPath.Buffer == NULL) {\n        return STATUS_INSUFFICIENT_RESOURCES;\n    }\n    g_RegistryPath.Length = 0;\n    g_RegistryPath.MaximumLength = RegistryPath->MaximumLength;\n    RtlCopyUnicodeString(&g_RegistryPath, RegistryPath);\n    return STATUS_SUCCESS;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      ...gather('assignment_expression', 'call_expression'),
      onEnd() {
        const fn = file.functionByName('DriverEntry');
        const registryPath = fn?.params[1]?.name;
        if (!fn?.body || !registryPath) return;
        const report = (node: Node, shared: string, target: Node) => context.report({ node, messageId: 'kept', data: { fn: fn.name, shared, target: target.text } });
        const assignments = file.within(fn.body, 'assignment_expression').filter((assignment) => assignment.childForFieldName('operator')?.text === '=');
        // `saved = *RegistryPath; saved.Buffer = ExAllocatePool2(…);` takes the lengths and replaces the shared buffer.
        const bufferReplaced = (target: Node, after: number) => assignments.some((assignment) => assignment.startIndex > after
          && (assignment.childForFieldName('left')?.text.replace(/\s+/g, '') ?? '').replace(/->|\./g, '.') === `${target.text.replace(/\s+/g, '')}.Buffer`.replace(/->|\./g, '.'));
        for (const assignment of assignments) {
          const shared = sharedPart(assignment.childForFieldName('right'), registryPath);
          const target = assignment.childForFieldName('left');
          if (!shared || !target || !outlivesEntry(file, fn, target)) continue;
          if (shared.startsWith('*') && bufferReplaced(target, assignment.endIndex)) continue;
          report(assignment, shared, target);
        }
        for (const call of file.within(fn.body, 'call_expression')) {
          if (!ALIASING_INITS.has(calleeName(call) ?? '')) continue;
          const [destination, source] = callArguments(call);
          const shared = sharedPart(source, registryPath);
          const target = unwrap(destination);
          if (!shared || target?.type !== 'pointer_expression' || !target.text.startsWith('&')) continue;
          const stored = target.childForFieldName('argument');
          if (stored && outlivesEntry(file, fn, stored)) report(call, shared, stored);
        }
      },
    };
  },
};
