/**
 * Flags opening a file, registry key or section by a name that came from user input without OBJ_FORCE_ACCESS_CHECK
 * (error), and OBJ_KERNEL_HANDLE opens on behalf of a request without it (warning): Zw* routines run with kernel
 * access rights, so the caller can read or overwrite what it could never open itself. Each `#if` configuration of
 * the attributes is judged on its own (analysis/conditional.ts `configurationsOf`).
 */
import { configurationsOf, type Configuration } from '../analysis/conditional';
import { isKernelOnlyEntry, isModeChecked } from '../analysis/previous-mode';
import { accessPath, callArguments, calleeName, declaratorName, unwrap, type Node } from '../analysis/query';
import { fixer, type OffsetEdit, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
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
  ZwOpenKeyTransacted: 2,
  ZwOpenKeyTransactedEx: 2,
  ZwCreateKeyTransacted: 2,
  ZwOpenSymbolicLinkObject: 2,
  ZwOpenDirectoryObject: 2,
  ObOpenObjectByName: 0,
  ZwDeleteFile: 0,
  ZwQueryAttributesFile: 0,
  FltCreateFile: 4,
  FltCreateFileEx: 5,
  FltCreateFileEx2: 5,
});

/** Io* creators take IO_FORCE_ACCESS_CHECK in their Options argument (index). */
const IO_OPTIONS: Record<string, number> = lookupTable({ IoCreateFile: 13, IoCreateFileEx: 13, IoCreateFileSpecifyDeviceObjectHint: 13 });

/** ObOpenObjectByName checks access against its AccessMode argument (index): UserMode or the requestor mode is safe. */
const ACCESS_MODE: Record<string, number> = lookupTable({ ObOpenObjectByName: 2 });

/** Flags text made only of OBJ_* constants, numbers and `|`: anything else (a parameter, a call) is not judged. */
const KNOWN_FLAGS = /^[\s()|]*(?:(?:OBJ_[A-Z0-9_]+|0[xX][0-9a-fA-F]+|\d+)[uUlL]*[\s()|]*)*$/;

export const rule: Rule = {
  meta: {
    id: 'kernel-file-access-no-force-check',
    title: 'File, key or section opened for the caller without OBJ_FORCE_ACCESS_CHECK',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.security-model',
    scope: 'function',
    callerLevels: 1,
    description: 'A file, registry key or section is opened on behalf of a request without OBJ_FORCE_ACCESS_CHECK: an error when the name comes from user input, a warning for an OBJ_KERNEL_HANDLE open in a dispatch routine, IOCTL handler or KMDF I/O callback (each `#if` configuration judged on its own).',
    rationale: 'Zw* routines and IoCreateFile called from a driver run with PreviousMode = KernelMode, which skips the access check. If the caller supplies the name, it can make the driver open (and read, overwrite or delete) files and keys it has no right to, such as system binaries or the SAM hive. OBJ_FORCE_ACCESS_CHECK makes the object manager check the caller\'s access as if it had opened the object itself.',
    cwe: ['CWE-22', 'CWE-269'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/ddi/wudfwdm/nf-wudfwdm-initializeobjectattributes', 'https://learn.microsoft.com/windows-hardware/drivers/kernel/using-nt-and-zw-versions-of-the-native-system-services-routines'],
    confidence: 'medium',
    messages: {
      noForceCheck: '{{call}} opens `{{name}}`, a name from user input ({{origin}}), without OBJ_FORCE_ACCESS_CHECK{{configuration}}: the access check against the caller is skipped.',
      kernelHandleForCaller: '{{call}} opens a kernel handle on behalf of the caller (in {{entry}}) with OBJ_KERNEL_HANDLE but without OBJ_FORCE_ACCESS_CHECK{{configuration}}: the object is opened with kernel rights, not the caller\'s.',
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
        if (index === undefined || !name) return;
        const args = callArguments(call);
        const attributesName = objectPath(args[index]);
        const fn = file.enclosingFunction(call);
        if (!attributesName || !fn?.body) return;
        const modeIndex = ACCESS_MODE[name];
        if (modeIndex !== undefined) {
          const mode = args[modeIndex];
          if (!mode || mode.text.trim() !== 'KernelMode') return; // UserMode or the request's mode: the object manager checks
        }
        const optionsIndex = IO_OPTIONS[name];
        const options = optionsIndex === undefined ? undefined : args[optionsIndex];
        if (options && /IO_FORCE_ACCESS_CHECK/.test(options.text)) return;
        const sites = attributeSites(file, fn, call, attributesName);
        if (sites.initializers.length === 0) return;
        const configurations = configurationsOf(file, [call.startIndex, ...sites.initializers.map((node) => node.startIndex), ...sites.changes.map((change) => change.node.startIndex)]);
        if (!configurations) return;
        const modeChecked = isModeChecked(file, fn, call);
        for (const configuration of configurations) {
          if (!configuration.active(call.startIndex)) continue;
          const initializer = sites.initializers.filter((node) => configuration.active(node.startIndex)).at(-1);
          if (!initializer) continue;
          const flags = flagsIn(configuration, initializer, sites.changes);
          if (flags === undefined || /\bOBJ_FORCE_ACCESS_CHECK\b/.test(flags)) continue;
          if (modeChecked || isModeChecked(file, fn, initializer)) return;
          const where = configuration.describe();
          const data = { call: name, configuration: where ? ` ${where}` : '' };
          const fix = fixFor(name, initializer, options);
          const [, objectName] = callArguments(initializer);
          const nameNode = unwrap(objectName);
          const nameVariable = nameNode?.type === 'pointer_expression' ? unwrap(nameNode.childForFieldName('argument')) : nameNode;
          const taint = nameVariable ? file.taint(fn).taintOf(nameVariable, initializer.startIndex) : undefined;
          if (taint && nameVariable) {
            context.report({
              node: call,
              messageId: 'noForceCheck',
              data: { ...data, name: nameVariable.text, origin: taint.origin },
              related: [{ node: initializer, message: 'object attributes set up here' }, { node: taint.source, message: `user-controlled: ${taint.origin}` }],
              fix,
            });
            return;
          }
          // A name the driver chose: a warning when a request runs this code and the handle is a kernel handle.
          if (!/\bOBJ_KERNEL_HANDLE\b/.test(flags) || (nameVariable && isConstantName(file, fn, nameVariable.text, initializer))) continue;
          const entry = requestEntry(file, fn);
          if (!entry) return;
          context.report({
            node: call,
            messageId: 'kernelHandleForCaller',
            severity: 'warning',
            data: { ...data, entry },
            related: [{ node: initializer, message: 'object attributes set up here' }],
            fix,
          });
          return;
        }
      },
    };
  },
};

/** `&oa` / `pOa` / `&ctx->Attributes` → its access path. */
function objectPath(argument: Node | undefined): string | undefined {
  const node = unwrap(argument);
  if (!node) return undefined;
  if (node.type === 'pointer_expression' && (node.childForFieldName('operator')?.text ?? node.child(0)?.text) === '&') return accessPath(node.childForFieldName('argument'));
  return accessPath(node);
}

interface FlagChange {
  node: Node;
  /** The flags variable (`attributes`), or `<oa>.Attributes` for a change of the initialized structure. */
  target: string;
  operator: '=' | '|=' | 'other';
  value: string;
}

/**
 * The InitializeObjectAttributes calls for `attributes` before `call`, and every change before the call of a local
 * flags variable one of them passes, or of `attributes.Attributes` itself (in text order).
 */
function attributeSites(file: SourceFile, fn: FunctionInfo, call: Node, attributes: string): { initializers: Node[]; changes: FlagChange[] } {
  const initializers: Node[] = [];
  const variables = new Set<string>([`${attributes}.Attributes`, `${attributes}->Attributes`]);
  for (const candidate of file.within(fn.body!, 'call_expression')) {
    if (candidate.startIndex >= call.startIndex) break;
    if (calleeName(candidate) !== 'InitializeObjectAttributes') continue;
    if (objectPath(callArguments(candidate)[0]) !== attributes) continue;
    initializers.push(candidate);
    const flags = unwrap(callArguments(candidate)[2]);
    if (flags?.type === 'identifier') variables.add(flags.text);
  }
  const changes: FlagChange[] = [];
  for (const node of file.withinAll(fn.body!, ['init_declarator', 'assignment_expression'])) {
    if (node.startIndex >= call.startIndex) break;
    if (node.type === 'init_declarator') {
      const target = declaratorName(node.childForFieldName('declarator'));
      const value = node.childForFieldName('value');
      if (target && variables.has(target) && value) changes.push({ node, target, operator: '=', value: value.text });
      continue;
    }
    const target = accessPath(node.childForFieldName('left'));
    if (!target || !variables.has(target)) continue;
    const operator = node.childForFieldName('operator')?.text ?? '=';
    changes.push({ node, target: target.replace('->', '.'), operator: operator === '=' || operator === '|=' ? operator : 'other', value: node.childForFieldName('right')?.text ?? '' });
  }
  return { initializers, changes };
}

/** The attributes' flags after `initializer` in this configuration (before the open), or undefined when not known. */
function flagsIn(configuration: Configuration, initializer: Node, changes: readonly FlagChange[]): string | undefined {
  const flagsNode = unwrap(callArguments(initializer)[2]);
  if (!flagsNode) return undefined;
  const apply = (current: string | undefined, change: FlagChange): string | undefined => {
    if (change.operator === '=') return change.value;
    if (change.operator === '|=') return current === undefined ? undefined : `${current} | ${change.value}`;
    return /\bOBJ_FORCE_ACCESS_CHECK\b/.test(change.value) ? undefined : current; // `&= ~X`: keeps what it does not name
  };
  let flags: string | undefined = flagsNode.text;
  if (flagsNode.type === 'identifier' && !/^OBJ_/.test(flagsNode.text)) {
    flags = undefined;
    for (const change of changes) {
      if (change.node.startIndex >= initializer.startIndex) break;
      if (change.target === flagsNode.text && configuration.active(change.node.startIndex)) flags = apply(flags, change);
    }
  }
  if (flags === undefined || !KNOWN_FLAGS.test(flags)) return undefined;
  for (const change of changes) {
    if (change.node.startIndex <= initializer.startIndex || !change.target.endsWith('.Attributes') || !configuration.active(change.node.startIndex)) continue;
    flags = apply(flags, change);
    if (flags === undefined || !KNOWN_FLAGS.test(flags)) return undefined;
  }
  return flags;
}

/** The request entry whose code this is: a dispatch routine, IOCTL handler or KMDF I/O callback (or a helper only they call). */
function requestEntry(file: SourceFile, fn: FunctionInfo): string | undefined {
  if (fn.name === 'DriverEntry' || file.driver.hasRole(fn.name, 'driver-entry') || isKernelOnlyEntry(file, fn)) return undefined;
  if (!file.driver.isUserReachable(fn.name)) return undefined;
  const roles = file.driver.rolesOf(fn.name).filter((role) => role.role === 'wdm-dispatch' || role.role === 'kmdf-io' || role.role === 'kmdf-in-caller-context');
  if (roles.length > 0) return `\`${fn.name}\`, ${roles[0].detail && roles[0].detail !== '*' ? roles[0].detail : roles[0].role === 'wdm-dispatch' ? 'a dispatch routine' : 'a KMDF I/O callback'}`;
  // A helper: every caller in the file must itself be request code (not DriverEntry).
  const callers = file.functions().filter((other) => other.body !== null && other.name !== fn.name && file.within(other.body, 'call_expression').some((node) => calleeName(node) === fn.name));
  if (callers.length === 0 || callers.some((caller) => caller.name === 'DriverEntry' || file.driver.hasRole(caller.name, 'driver-entry') || !file.driver.isUserReachable(caller.name))) return undefined;
  return `\`${fn.name}\`, called from \`${callers[0].name}\``;
}

function fixFor(name: string, initializer: Node, options: Node | undefined): { title: string; edits: OffsetEdit[] } | undefined {
  if (options) {
    const edit = /^\s*0\s*$/.test(options.text) ? fixer.replace(options, 'IO_FORCE_ACCESS_CHECK') : fixer.insertAfter(options, ' | IO_FORCE_ACCESS_CHECK');
    return { title: `Add IO_FORCE_ACCESS_CHECK to the options of ${name}`, edits: [edit] };
  }
  const flags = callArguments(initializer)[2];
  if (!flags) return undefined;
  return { title: 'Add OBJ_FORCE_ACCESS_CHECK to the object attributes', edits: [fixer.insertAfter(flags, ' | OBJ_FORCE_ACCESS_CHECK')] };
}

const CONSTANT_STRING = /^\s*(?:RTL_CONSTANT_STRING\s*\(\s*L?"|\{)/;

/**
 * A name the source spells out (`RTL_CONSTANT_STRING(L"…")`, `RtlInitUnicodeString(&name, L"…")`, a constant
 * initializer): the driver's own registry key or log file, not something the request can steer.
 */
function isConstantName(file: SourceFile, fn: FunctionInfo, name: string, before: Node): boolean {
  for (const node of file.withinAll(fn.body!, ['init_declarator', 'call_expression'])) {
    if (node.startIndex >= before.startIndex) break;
    if (node.type === 'init_declarator') {
      if (declaratorName(node.childForFieldName('declarator')) === name && CONSTANT_STRING.test(node.childForFieldName('value')?.text ?? '')) return true;
    } else if (/^Rtl(Init|InitConst)UnicodeString(Ex)?$/.test(calleeName(node) ?? '')) {
      const [target, source] = callArguments(node);
      if (objectPath(target) === name && /^\s*L?"/.test(source?.text ?? '')) return true;
    }
  }
  return false;
}
