/**
 * Flags __readmsr/__writemsr whose register number (or written value) comes from user input: reading or writing
 * any model-specific register from user mode hands over the machine (LSTAR, SYSENTER, debug controls).
 */
import { calleeName } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import { unguardedUserValue } from '../analysis/user-input';
import { lookupTable } from '../analysis/lookup';

const MSR_CALLS: Record<string, number[]> = lookupTable({ __readmsr: [0], __writemsr: [0, 1] });

export const rule: Rule = {
  meta: {
    id: 'msr-access-exposed',
    title: 'MSR access with a user-controlled register or value',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.vulnerable-driver-blocklist',
    scope: 'function',
    callerLevels: 0,
    description: '__readmsr/__writemsr is called with a register number or value taken from a user request, without an allow-list check.',
    rationale: 'Model-specific registers control the CPU: LSTAR holds the system-call entry point, others control debug and memory features. A driver that lets user mode pick the register turns into a kernel code-execution primitive; such drivers are on Microsoft\'s vulnerable driver blocklist. Allow only the few registers the device needs, compared against constants.',
    cwe: ['CWE-269', 'CWE-782'],
    references: ['https://learn.microsoft.com/windows/security/application-security/application-control/app-control-for-business/design/microsoft-recommended-driver-block-rules'],
    confidence: 'high',
    messages: {
      register: '{{call}} uses a register number from user input (`{{value}}`, from {{origin}}) with no allow-list check: user mode can read or write any MSR.',
      value: '{{call}} writes a value from user input (`{{value}}`, from {{origin}}) to a model-specific register.',
    },
    examples: {
      bad: 'PMSR_REQUEST request = (PMSR_REQUEST)Irp->AssociatedIrp.SystemBuffer;\nrequest->Value = __readmsr(request->Register);',
      good: 'PMSR_REQUEST request = (PMSR_REQUEST)Irp->AssociatedIrp.SystemBuffer;\nif (request->Register != MSR_TSC) {\n    return STATUS_ACCESS_DENIED;\n}\nrequest->Value = __readmsr(MSR_TSC);',
    },
  },
  create(context) {
    return {
      call_expression(call) {
        const name = calleeName(call);
        const positions = name ? MSR_CALLS[name] : undefined;
        if (!positions) return;
        for (const index of positions) {
          const taint = unguardedUserValue(context.file, call, index);
          if (!taint) continue;
          context.report({
            node: call,
            messageId: index === 0 ? 'register' : 'value',
            data: { call: name ?? '', value: taint.source.text, origin: taint.origin },
            related: [{ node: taint.source, message: `user-controlled: ${taint.origin}` }],
          });
          return;
        }
      },
    };
  },
};
