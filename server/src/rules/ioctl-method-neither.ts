/**
 * Flags IOCTL codes defined with METHOD_NEITHER: the I/O manager passes raw user-mode addresses, so every access
 * needs ProbeForRead/ProbeForWrite inside __try/__except and must guard against the user changing the memory.
 */
import { METHOD_NAMES } from '../analysis/macros';
import { fixer, type Rule } from '../analysis/rule';

export const rule: Rule = {
  meta: {
    id: 'ioctl-method-neither',
    title: 'IOCTL uses METHOD_NEITHER',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.access-control',
    description: 'An IOCTL code is defined with METHOD_NEITHER, so its handler receives raw user-mode pointers.',
    rationale: 'With METHOD_NEITHER the I/O manager neither copies nor maps the buffers: the driver gets user-mode addresses that it must probe inside __try/__except, at the right IRQL, in the calling process, and the user can change or free the memory at any time. Most arbitrary read/write bugs in vulnerable drivers come from this transfer type. METHOD_BUFFERED (or the DIRECT methods for large transfers) lets the I/O manager validate the buffers.',
    cwe: ['CWE-781', 'CWE-822'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/using-neither-buffered-nor-direct-i-o'],
    confidence: 'high',
    messages: {
      defined: '{{name}} is defined with METHOD_NEITHER: its handler gets raw user-mode pointers that must be probed. Prefer METHOD_BUFFERED or a DIRECT method.',
      literal: 'IOCTL code {{code}} uses METHOD_NEITHER (low bits 3): its handler gets raw user-mode pointers that must be probed.',
    },
    hasSuggestions: true,
    examples: {
      bad: '#define IOCTL_READ_DATA CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_READ_ACCESS)',
      good: '#define IOCTL_READ_DATA CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_READ_ACCESS)',
    },
  },
  create(context) {
    const { file } = context;
    return {
      onEnd() {
        const definedHere = new Set<string>();
        for (const definition of file.driver.ioctlDefinitions()) {
          definedHere.add(definition.name);
          if (definition.code.method !== 3) continue;
          const value = definition.node.childForFieldName('value');
          const at = value?.text.indexOf('METHOD_NEITHER') ?? -1;
          context.report({
            node: definition.node.childForFieldName('name') ?? definition.node,
            messageId: 'defined',
            data: { name: definition.name },
            suggestions: value && at >= 0
              ? [{ title: 'Use METHOD_BUFFERED (update the handler to use SystemBuffer)', edits: [fixer.replaceRange(value.startIndex + at, value.startIndex + at + 'METHOD_NEITHER'.length, METHOD_NAMES[0])] }]
              : [],
          });
        }
        for (const ioctlSwitch of file.driver.ioctlSwitches()) {
          for (const ioctlCase of ioctlSwitch.cases) {
            if (ioctlCase.code?.method !== 3 || ioctlCase.code.via.length > 0) continue;
            if (ioctlCase.label.type !== 'number_literal') continue;
            context.report({ node: ioctlCase.label, messageId: 'literal', data: { code: ioctlCase.label.text } });
          }
        }
      },
    };
  },
};
