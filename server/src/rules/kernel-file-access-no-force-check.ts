/**
 * Flags opening a file, registry key or section by a name that came from user input without OBJ_FORCE_ACCESS_CHECK:
 * Zw* routines run with kernel access rights, so the caller can read or overwrite what it could never open itself.
 */
import { callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';
import { lookupTable } from '../analysis/lookup';

/** Routines that open a named object, with the index of their OBJECT_ATTRIBUTES argument. */
const OPENERS: Record<string, number> = lookupTable({
  ZwCreateFile: 2,
  ZwOpenFile: 2,
  NtCreateFile: 2,
  IoCreateFile: 2,
  IoCreateFileEx: 2,
  IoCreateFileSpecifyDeviceObjectHint: 2,
  ZwOpenKey: 2,
  ZwOpenKeyEx: 2,
  ZwCreateKey: 2,
  ZwOpenSection: 2,
  ZwCreateSection: 2,
  ZwDeleteFile: 0,
  ZwQueryAttributesFile: 0,
  FltCreateFile: 4,
  FltCreateFileEx: 5,
  FltCreateFileEx2: 5,
});

export const rule: Rule = {
  meta: {
    id: 'kernel-file-access-no-force-check',
    title: 'User-named file or key opened without OBJ_FORCE_ACCESS_CHECK',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.security-model',
    scope: 'function',
    description: 'A file, registry key or section is opened by a name derived from user input, and its object attributes lack OBJ_FORCE_ACCESS_CHECK.',
    rationale: 'Zw* routines and IoCreateFile called from a driver run with PreviousMode = KernelMode, which skips the access check. If the caller supplies the name, it can make the driver open (and read, overwrite or delete) files and keys it has no right to, such as system binaries or the SAM hive. OBJ_FORCE_ACCESS_CHECK makes the object manager check the caller\'s access as if it had opened the object itself.',
    cwe: ['CWE-22', 'CWE-269'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/ddi/wudfwdm/nf-wudfwdm-initializeobjectattributes', 'https://learn.microsoft.com/windows-hardware/drivers/kernel/using-nt-and-zw-versions-of-the-native-system-services-routines'],
    confidence: 'medium',
    messages: {
      noForceCheck: '{{call}} opens `{{name}}`, a name from user input ({{origin}}), without OBJ_FORCE_ACCESS_CHECK: the access check against the caller is skipped.',
    },
    fixable: true,
    examples: {
      bad: 'name.Buffer = (PWCHAR)Irp->AssociatedIrp.SystemBuffer;\nInitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);\nstatus = ZwOpenFile(&file, GENERIC_READ, &attributes, &io, FILE_SHARE_READ, 0);',
      good: 'name.Buffer = (PWCHAR)Irp->AssociatedIrp.SystemBuffer;\nInitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, NULL, NULL);\nstatus = ZwOpenFile(&file, GENERIC_READ, &attributes, &io, FILE_SHARE_READ, 0);',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const name = calleeName(call);
        const index = name ? OPENERS[name] : undefined;
        if (index === undefined) return;
        const attributesArgument = unwrap(callArguments(call)[index]);
        const attributesName = attributesArgument?.type === 'pointer_expression' ? unwrap(attributesArgument.childForFieldName('argument'))?.text : attributesArgument?.text;
        const fn = file.enclosingFunction(call);
        if (!attributesName || !fn?.body) return;
        // The InitializeObjectAttributes that sets up these attributes, last one before the call.
        let initializer: Node | undefined;
        for (const candidate of file.within(fn.body, 'call_expression')) {
          if (candidate.startIndex >= call.startIndex) break;
          if (calleeName(candidate) !== 'InitializeObjectAttributes') continue;
          const target = unwrap(callArguments(candidate)[0]);
          const targetName = target?.type === 'pointer_expression' ? unwrap(target.childForFieldName('argument'))?.text : target?.text;
          if (targetName === attributesName) initializer = candidate;
        }
        if (!initializer) return;
        const [, objectName, flags] = callArguments(initializer);
        if (!objectName || !flags || /OBJ_FORCE_ACCESS_CHECK/.test(flags.text)) return;
        const nameNode = unwrap(objectName);
        const nameVariable = nameNode?.type === 'pointer_expression' ? unwrap(nameNode.childForFieldName('argument')) : nameNode;
        if (!nameVariable) return;
        const taint = file.taint(fn).taintOf(nameVariable, initializer.startIndex);
        if (!taint) return;
        context.report({
          node: call,
          messageId: 'noForceCheck',
          data: { call: name ?? '', name: nameVariable.text, origin: taint.origin },
          related: [{ node: initializer, message: 'object attributes set up here' }, { node: taint.source, message: `user-controlled: ${taint.origin}` }],
          fix: { title: 'Add OBJ_FORCE_ACCESS_CHECK to the object attributes', edits: [fixer.insertAfter(flags, ' | OBJ_FORCE_ACCESS_CHECK')] },
        });
      },
    };
  },
};
