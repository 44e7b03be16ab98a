/**
 * Flags IOCTL codes defined with FILE_ANY_ACCESS (or FILE_SPECIAL_ACCESS, the same value). Any process that can
 * open the device — even with no read or write access — may send them. A warning when the handler in this file
 * changes state; information otherwise.
 */
import type { IoctlDefinition } from '../analysis/driver-model';
import { calleeName, unwrap, type Node } from '../analysis/query';
import { fixer, type FixDescriptor, type Rule } from '../analysis/rule';
import type { SourceFile } from '../analysis/source-file';

/** Calls that change state, memory or hardware. */
const WRITING_CALL = /Write|Set|Delete|Remove|Terminate|Kill|Map|Copy|Move|Create|Reset|Register|Load|Unload|Protect|Allocate|Free|Zero|Fill|__write|WRITE_|__out/;

/**
 * The statements of the switch cases that handle each IOCTL in this file, by label (switches and cases in
 * document order): each label's text is read once instead of once per definition.
 */
function handlerCasesByLabel(file: SourceFile): Map<string, Node[]> {
  const byLabel = new Map<string, Node[]>();
  for (const ioctlSwitch of file.driver.ioctlSwitches()) {
    for (const ioctlCase of ioctlSwitch.cases) {
      const label = ioctlCase.label.text;
      const cases = byLabel.get(label);
      if (cases) cases.push(ioctlCase.caseNode);
      else byLabel.set(label, [ioctlCase.caseNode]);
    }
  }
  return byLabel;
}

/** Whether code changes state: a write through a pointer or to a non-local, or a state-changing call (one level into local callees). */
function changesState(file: SourceFile, root: Node, depth = 0): boolean {
  for (const assignment of file.within(root, 'assignment_expression')) {
    const left = unwrap(assignment.childForFieldName('left'));
    if (left && left.type !== 'identifier') {
      if (/IoStatus/.test(left.text)) continue; // completing the request is not a state change
      return true;
    }
  }
  for (const call of file.within(root, 'call_expression')) {
    const name = calleeName(call) ?? '';
    if (WRITING_CALL.test(name) && name !== 'WdfRequestSetInformation') return true;
    const callee = depth === 0 ? file.functionByName(name) : undefined;
    if (callee?.body && changesState(file, callee.body, depth + 1)) return true;
  }
  return false;
}

/** How the code spells its zero access: FILE_SPECIAL_ACCESS is defined as FILE_ANY_ACCESS. */
function writtenAccess(definition: IoctlDefinition): string {
  return /\bFILE_SPECIAL_ACCESS\b/.test(definition.node.childForFieldName('value')?.text ?? '') ? 'FILE_SPECIAL_ACCESS' : 'FILE_ANY_ACCESS';
}

function narrowAccess(definition: IoctlDefinition, access: string, title: string): FixDescriptor[] {
  const value = definition.node.childForFieldName('value');
  const written = writtenAccess(definition);
  const at = value?.text.search(new RegExp(`\\b${written}\\b`)) ?? -1;
  if (!value || at < 0) return [];
  return [{ title, edits: [fixer.replaceRange(value.startIndex + at, value.startIndex + at + written.length, access)] }];
}

export const rule: Rule = {
  meta: {
    id: 'ioctl-file-any-access',
    title: 'IOCTL defined with FILE_ANY_ACCESS',
    type: 'suggestion',
    severity: 'warning',
    checklistItem: 'checklist.access-control',
    description: 'An IOCTL code uses FILE_ANY_ACCESS, so callers need no read or write access to the device to send it.',
    rationale: 'The access bits of an IOCTL code are checked by the I/O manager against the handle\'s granted access. FILE_ANY_ACCESS skips that check: a process that opened the device with no rights at all (which the device ACL may allow) can still send the request. Use FILE_READ_ACCESS for queries and FILE_WRITE_ACCESS (or both) for anything that changes state, memory or hardware.',
    cwe: ['CWE-732', 'CWE-285'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/defining-i-o-control-codes', 'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-checklist#manage-driver-access-control'],
    confidence: 'medium',
    messages: {
      writes: '{{name}} uses {{access}} but its handler changes state: any caller with a handle can send it. Require FILE_WRITE_ACCESS.',
      readOnly: '{{name}} uses {{access}}: any caller with a handle can send it. Prefer FILE_READ_ACCESS.',
      unknownHandler: '{{name}} uses {{access}}: any caller with a handle can send it. Require the narrowest access the handler needs.',
    },
    hasSuggestions: true,
    examples: {
      bad: '#define IOCTL_RESET_DEVICE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)',
      good: '#define IOCTL_RESET_DEVICE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_WRITE_ACCESS)',
    },
  },
  create(context) {
    const { file } = context;
    return {
      onEnd() {
        let casesByLabel: Map<string, Node[]> | undefined;
        for (const definition of file.driver.ioctlDefinitions()) {
          if (definition.code.access !== 0) continue;
          casesByLabel ??= handlerCasesByLabel(file);
          const cases = casesByLabel.get(definition.name) ?? [];
          const writes = cases.some((caseNode) => changesState(file, caseNode));
          const messageId = cases.length === 0 ? 'unknownHandler' : writes ? 'writes' : 'readOnly';
          context.report({
            node: definition.node.childForFieldName('name') ?? definition.node,
            messageId,
            severity: writes ? 'warning' : 'information',
            data: { name: definition.name, access: writtenAccess(definition) === 'FILE_SPECIAL_ACCESS' ? 'FILE_SPECIAL_ACCESS (the same as FILE_ANY_ACCESS)' : 'FILE_ANY_ACCESS' },
            suggestions: writes
              ? narrowAccess(definition, 'FILE_WRITE_ACCESS', 'Require FILE_WRITE_ACCESS')
              : [...narrowAccess(definition, 'FILE_READ_ACCESS', 'Require FILE_READ_ACCESS'), ...narrowAccess(definition, 'FILE_WRITE_ACCESS', 'Require FILE_WRITE_ACCESS')],
          });
        }
      },
    };
  },
};
