/**
 * Flags port I/O (READ_PORT_*, WRITE_PORT_*, __inbyte/__outbyte …) on a port number taken from user input:
 * user mode could then program any device (disk controllers, PCI configuration, the keyboard controller).
 */
import { calleeName } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import { unguardedUserValue } from '../analysis/user-input';

const PORT_CALL = /^(READ_PORT_(UCHAR|USHORT|ULONG|BUFFER_UCHAR|BUFFER_USHORT|BUFFER_ULONG)|WRITE_PORT_(UCHAR|USHORT|ULONG|BUFFER_UCHAR|BUFFER_USHORT|BUFFER_ULONG)|__(in|out)(byte|word|dword)(string)?)$/;

export const rule: Rule = {
  meta: {
    id: 'port-io-exposed',
    title: 'Port I/O on a user-controlled port',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.vulnerable-driver-blocklist',
    scope: 'function',
    callerLevels: 0,
    description: 'An I/O port read or write uses a port number taken from a user request without checking it against the device\'s own ports.',
    rationale: 'Raw port I/O reaches every legacy device in the machine. A driver that forwards a user-chosen port number lets any caller reprogram hardware, bypass the OS and read or corrupt memory through DMA-capable devices. Use the port range from the device\'s assigned resources and reject anything outside it.',
    cwe: ['CWE-782', 'CWE-269'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/reading-and-writing-to-device-registers'],
    confidence: 'high',
    messages: {
      port: '{{call}} accesses a port number from user input (`{{port}}`, from {{origin}}) without a range check against the device\'s ports.',
    },
    examples: {
      bad: 'PPORT_REQUEST request = (PPORT_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n__outbyte(request->Port, request->Value);',
      good: 'PPORT_REQUEST request = (PPORT_REQUEST)Irp->AssociatedIrp.SystemBuffer;\nUSHORT port = request->Port;\nif (port < DEVICE_PORT_BASE || port >= DEVICE_PORT_BASE + DEVICE_PORT_COUNT) {\n    return STATUS_ACCESS_DENIED;\n}\n__outbyte(port, request->Value);',
    },
  },
  create(context) {
    return {
      call_expression(call) {
        const name = calleeName(call);
        if (!name || !PORT_CALL.test(name)) return;
        const taint = unguardedUserValue(context.file, call, 0);
        if (!taint) return;
        context.report({
          node: call,
          messageId: 'port',
          data: { call: name, port: taint.source.text, origin: taint.origin },
          related: [{ node: taint.source, message: `user-controlled: ${taint.origin}` }],
        });
      },
    };
  },
};
