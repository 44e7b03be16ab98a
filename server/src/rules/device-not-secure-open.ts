/**
 * Flags IoCreateDevice/IoCreateDeviceSecure of a named device without FILE_DEVICE_SECURE_OPEN: the device's
 * security descriptor then does not apply to opens of `\Device\Name\anything`, so anyone can get a handle.
 */
import { callArguments, calleeName, unwrap } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';

const CONSTANT_FLAGS = /^[\s()|]*(?:(?:FILE_[A-Z0-9_]+|0[xX][0-9a-fA-F]+|\d+)[uUlL]*[\s()|]*)+$/;

export const rule: Rule = {
  meta: {
    id: 'device-not-secure-open',
    title: 'Named device without FILE_DEVICE_SECURE_OPEN',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.access-control',
    scope: 'function',
    callerLevels: 0,
    description: 'A named device object is created without FILE_DEVICE_SECURE_OPEN in its characteristics.',
    rationale: 'Without FILE_DEVICE_SECURE_OPEN the I/O manager checks the device\'s security descriptor only for opens of the device itself. An open of a path below it (\\Device\\Name\\x) goes to the driver unchecked unless the driver checks it, so any user can get a handle and send IOCTLs. Setting the flag makes the device ACL apply to its whole namespace.',
    cwe: ['CWE-732', 'CWE-284'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/controlling-device-namespace-access', 'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocreatedevice'],
    confidence: 'high',
    messages: {
      missing: '{{call}} creates named device `{{name}}` without FILE_DEVICE_SECURE_OPEN: opens below the device name bypass its security descriptor.',
    },
    fixable: true,
    examples: {
      bad: 'status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &device);',
      good: 'status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &device);',
    },
  },
  create(context) {
    return {
      call_expression(call) {
        const name = calleeName(call);
        if (name !== 'IoCreateDevice' && name !== 'IoCreateDeviceSecure') return;
        const args = callArguments(call);
        const deviceName = unwrap(args[2]);
        const characteristics = args[4];
        if (!deviceName || !characteristics || /^(NULL|0|nullptr)$/.test(deviceName.text)) return;
        const text = characteristics.text;
        if (text.includes('FILE_DEVICE_SECURE_OPEN')) return;
        // A variable may carry the flag: only numbers and FILE_* constants OR-ed together are judged.
        if (!CONSTANT_FLAGS.test(text)) return;
        const replacement = /^0+[uUlL]*$/.test(text.trim()) ? 'FILE_DEVICE_SECURE_OPEN' : `${text} | FILE_DEVICE_SECURE_OPEN`;
        context.report({
          node: call,
          messageId: 'missing',
          data: { call: name, name: deviceName.text.replace(/^&/, '') },
          fix: { title: 'Add FILE_DEVICE_SECURE_OPEN', edits: [fixer.replace(characteristics, replacement)] },
        });
      },
    };
  },
};
