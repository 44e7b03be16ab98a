/**
 * Flags an early `return <failure>` after a pool allocation that neither frees the block nor hands it to anyone:
 * every failing request leaks pool, and a caller that can make the request fail at will exhausts it.
 */
import { freedArgument } from '../analysis/frees';
import { accessPath, binaryOperator, callArguments, calleeName, CAST_OR_PARENTHESES, climbWrappers, contains, declaratorName, enclosingStatement, unwrap, type Node } from '../analysis/query';
import { gather, lineOf, type Rule } from '../analysis/rule';
import type { SourceFile } from '../analysis/source-file';

const POOL_ALLOCATORS = new Set([
  'ExAllocatePool2', 'ExAllocatePool3', 'ExAllocatePoolWithTag', 'ExAllocatePool', 'ExAllocatePoolZero', 'ExAllocatePoolUninitialized',
  'ExAllocatePoolWithTagPriority', 'ExAllocatePoolPriorityZero', 'ExAllocatePoolQuotaZero', 'ExAllocatePoolWithQuotaTag', 'ExAllocatePoolWithQuota',
  'ExAllocatePoolQuotaUninitialized', 'ExAllocatePoolPriorityUninitialized',
]);

/** Routines that use a buffer without keeping it. */
const BORROWERS = new Set([
  'RtlCopyMemory', 'RtlMoveMemory', 'RtlZeroMemory', 'RtlFillMemory', 'RtlSecureZeroMemory', 'RtlCopyBytes', 'RtlZeroBytes', 'memcpy', 'memmove',
  'memset', 'RtlCompareMemory', 'DbgPrint', 'DbgPrintEx', 'KdPrint', 'KdPrintEx', 'ProbeForRead', 'ProbeForWrite', 'RtlStringCbCopyW',
  'RtlStringCbCopyA', 'RtlStringCchCopyW', 'RtlStringCchCopyA', 'RtlStringCbPrintfW', 'RtlStringCbPrintfA', 'RtlStringCchPrintfW', 'RtlStringCchPrintfA',
]);

/** System routines use the buffers they are given; those that keep a pointer (lists, queues, DPCs, contexts) do not. */
const SYSTEM_ROUTINE = /^(Zw|Nt|Rtl|Mm|Se|Ps|Ob|Io|Ke|Ex|Wdf|Flt|Cm)[A-Z]/;
const KEEPS_POINTER = /Preallocated|Insert|Push|Queue|Enqueue|Set(Completion|Cancel)Routine|Initialize(Dpc|WorkItem|Timer|Event)|Context|Store|Add|Register|Complete|Transfer|Attach|Reference|Assign|Callback/;

function isBorrower(callee: string): boolean {
  return BORROWERS.has(callee) || (SYSTEM_ROUTINE.test(callee) && !KEEPS_POINTER.test(callee) && !/^ExFree/.test(callee));
}

const LOOPS = new Set(['for_statement', 'while_statement', 'do_statement']);

/** `return STATUS_X;` with a failure status, or `return status;` under `if (!NT_SUCCESS(status))`. */
function failureStatus(ret: Node): string | undefined {
  const value = unwrap(ret.namedChild(0));
  if (!value) return undefined;
  if (value.type === 'identifier' && /^STATUS_/.test(value.text)) {
    return /^STATUS_(SUCCESS|PENDING|REPARSE|MORE_PROCESSING_REQUIRED|TIMEOUT|ALERTED|USER_APC|WAIT_\w+|BUFFER_OVERFLOW)$/.test(value.text) ? undefined : value.text;
  }
  if (value.type !== 'identifier') return undefined;
  for (let current = ret.parent; current && current.type !== 'function_definition'; current = current.parent) {
    if (current.type !== 'if_statement') continue;
    const condition = current.childForFieldName('condition')?.text.replace(/\s+/g, '') ?? '';
    const name = value.text;
    const tested = condition.includes(`!NT_SUCCESS(${name})`) || condition.includes(`NT_ERROR(${name})`) || condition.includes(`${name}!=STATUS_SUCCESS`) || condition.includes(`STATUS_SUCCESS!=${name}`);
    if (!tested) continue;
    // Only the consequence of that test fails.
    const consequence = current.childForFieldName('consequence');
    return consequence && contains(consequence, ret) ? name : undefined;
  }
  return undefined;
}

/** `if (p == NULL) return …;` (the allocation failed: nothing to free). */
function isNullCheckExit(ret: Node, name: string): boolean {
  for (let current = ret.parent; current && current.type !== 'function_definition'; current = current.parent) {
    if (current.type !== 'if_statement') continue;
    const condition = unwrap(current.childForFieldName('condition'));
    const text = condition?.text.replace(/\s+/g, '') ?? '';
    if (text === `!${name}` || text === `${name}==NULL` || text === `NULL==${name}` || text === `(!${name})` || new RegExp(`(^|[(|&!])(${name}==NULL|NULL==${name}|!${name})($|[)|&])`).test(text)) return true;
  }
  return false;
}

/** Whether `name` is freed, stored, passed on, returned or reassigned between `from` and `to` (document order). */
function ownershipChanges(file: SourceFile, body: Node, name: string, from: number, to: number): boolean {
  for (const identifier of file.within(body, 'identifier')) {
    if (identifier.startIndex <= from || identifier.startIndex >= to || identifier.text !== name) continue;
    const { holder, parent } = climbWrappers(identifier, CAST_OR_PARENTHESES);
    if (!parent) continue;
    if (parent.type === 'assignment_expression') return true; // stored somewhere, or reassigned
    if (parent.type === 'init_declarator' || parent.type === 'initializer_list' || parent.type === 'return_statement') return true;
    if (parent.type === 'pointer_expression' && (parent.childForFieldName('operator')?.text ?? parent.child(0)?.text) === '&') return true;
    if (parent.type === 'conditional_expression' && parent.childForFieldName('condition')?.id !== holder.id) return true;
    // An argument: freed, or given to a routine that may keep it (lists, queues, contexts).
    let argument: Node = holder;
    while (argument.parent && (argument.parent.type === 'field_expression' || argument.parent.type === 'pointer_expression' || argument.parent.type === 'subscript_expression' || argument.parent.type === 'parenthesized_expression' || argument.parent.type === 'cast_expression')) {
      argument = argument.parent;
    }
    if (argument.parent?.type === 'argument_list') {
      const call = argument.parent.parent;
      if (!call) return true;
      if (freedArgument(call) && accessPath(freedArgument(call)) === name) return true;
      const callee = calleeName(call);
      if (!callee || !isBorrower(callee)) {
        // `&p->Entry` into a list, `p` to a helper: ownership may move. A plain field read passed by value does not.
        const passesPointer = argument.id === holder.id || (argument.type === 'pointer_expression' && (argument.childForFieldName('operator')?.text ?? argument.child(0)?.text) === '&');
        if (passesPointer) return true;
      }
    }
  }
  return false;
}

export const rule: Rule = {
  meta: {
    id: 'memory-leak-on-error-path',
    title: 'Pool allocation leaked on an error path',
    type: 'suggestion',
    severity: 'information',
    checklistItem: 'checklist.secure-coding',
    scope: 'function-local',
    description: 'A function returns a failure status after a pool allocation without freeing the allocation or handing it to anyone.',
    rationale: 'Every time the error path runs, the block stays allocated until reboot. When a user request can trigger the failure (a bad length, an invalid handle), any caller can exhaust pool by repeating it, and the machine slows down or bug-checks. Free the allocation on every failure path, typically through a single cleanup label.',
    cwe: ['CWE-401', 'CWE-772'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/memory-pool-monitoring',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exfreepoolwithtag',
    ],
    confidence: 'medium',
    messages: {
      leaked: '`{{name}}` allocated by {{allocator}} on line {{line}} is not freed before `return {{status}}`: the pool block leaks on this error path.',
    },
    examples: {
      bad: "PKEY_VALUE_PARTIAL_INFORMATION info = ExAllocatePool2(POOL_FLAG_PAGED, length, 'lVeK');\nif (info == NULL) {\n    return STATUS_INSUFFICIENT_RESOURCES;\n}\nstatus = ZwQueryValueKey(key, &valueName, KeyValuePartialInformation, info, length, &resultLength);\nif (!NT_SUCCESS(status)) {\n    return status;\n}\nUseValue(info);\nExFreePoolWithTag(info, 'lVeK');\nreturn STATUS_SUCCESS;",
      good: "PKEY_VALUE_PARTIAL_INFORMATION info = ExAllocatePool2(POOL_FLAG_PAGED, length, 'lVeK');\nif (info == NULL) {\n    return STATUS_INSUFFICIENT_RESOURCES;\n}\nstatus = ZwQueryValueKey(key, &valueName, KeyValuePartialInformation, info, length, &resultLength);\nif (!NT_SUCCESS(status)) {\n    ExFreePoolWithTag(info, 'lVeK');\n    return status;\n}\nUseValue(info);\nExFreePoolWithTag(info, 'lVeK');\nreturn STATUS_SUCCESS;",
    },
  },
  create(context) {
    const { file } = context;
    return {
      ...gather('return_statement'),
      call_expression(call) {
        const allocator = calleeName(call);
        if (!allocator || !POOL_ALLOCATORS.has(allocator)) return;
        const { holder, parent } = climbWrappers(call, CAST_OR_PARENTHESES);
        let name: string | undefined;
        if (parent?.type === 'assignment_expression' && parent.childForFieldName('right')?.id === holder.id && binaryOperator(parent) !== undefined) {
          const left = unwrap(parent.childForFieldName('left'));
          if (left?.type === 'identifier') name = left.text;
        } else if (parent?.type === 'init_declarator') {
          name = declaratorName(parent.childForFieldName('declarator'));
        }
        const fn = file.enclosingFunction(call);
        if (!name || !fn?.body || fn.body.hasError) return;
        // Only locals: a global or a parameter's target outlives the function.
        const statement = enclosingStatement(call);
        const block = statement.parent;
        if (!block || block.type !== 'compound_statement') return;
        for (let current: Node | null = block; current && current.id !== fn.body.id; current = current.parent) {
          if (LOOPS.has(current.type)) return;
        }
        if (!isLocal(file, fn.body, name)) return;
        for (const ret of file.within(block, 'return_statement')) {
          if (ret.startIndex < statement.endIndex) continue;
          const status = failureStatus(ret);
          if (!status || isNullCheckExit(ret, name)) continue;
          if (ownershipChanges(file, fn.body, name, statement.endIndex - 1, ret.startIndex)) return;
          context.report({
            node: ret,
            messageId: 'leaked',
            data: { name, allocator, line: lineOf(call), status },
            related: [{ node: call, message: 'allocated here' }],
          });
        }
      },
    };
  },
};

/** Declared in the function body (not a parameter, not a global). */
function isLocal(file: SourceFile, body: Node, name: string): boolean {
  return file.within(body, 'declaration').some((declaration) => !/^\s*static\b/.test(declaration.text)
    && declaration.childrenForFieldName('declarator').some((declarator) => declarator !== null && declaratorName(declarator) === name));
}
