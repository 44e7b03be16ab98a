/**
 * Flags `sizeof` of a pointer used as the length of a copy, fill, comparison, probe or allocation where the pointee
 * was meant: `RtlZeroMemory(ctx, sizeof(ctx))`, `p = ExAllocatePool2(flags, sizeof(PDEVICE_CONTEXT), tag)`. The
 * length is 4 or 8 bytes whatever the structure's size, so the rest stays uninitialized, uncopied or unprobed, or
 * the allocation is too small for the fields written into it.
 */
import { findDeclaration, type VariableDeclaration } from '../analysis/declarations';
import { accessPath, callArguments, calleeName, fieldName, unwrap, type Node } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { fieldShapeAt } from '../analysis/taint';
import { lookupTable } from '../analysis/lookup';

/** Routine → [length argument, buffer arguments the length is meant for]. */
const SIZED_CALLS: Record<string, [number, number[]]> = lookupTable({
  memcpy: [2, [0, 1]],
  memmove: [2, [0, 1]],
  memcmp: [2, [0, 1]],
  memset: [2, [0]],
  RtlCopyMemory: [2, [0, 1]],
  RtlMoveMemory: [2, [0, 1]],
  RtlCopyBytes: [2, [0, 1]],
  RtlCompareMemory: [2, [0, 1]],
  RtlEqualMemory: [2, [0, 1]],
  RtlZeroMemory: [1, [0]],
  RtlSecureZeroMemory: [1, [0]],
  RtlZeroBytes: [1, [0]],
  RtlFillMemory: [1, [0]],
  RtlFillBytes: [1, [0]],
  ProbeForRead: [1, [0]],
  ProbeForWrite: [1, [0]],
});

/** Allocator → index of the size argument; the result is assigned to the pointer the size is meant for. */
const ALLOCATORS: Record<string, number> = lookupTable({
  ExAllocatePool: 1,
  ExAllocatePoolWithTag: 1,
  ExAllocatePoolWithQuotaTag: 1,
  ExAllocatePoolWithTagPriority: 1,
  ExAllocatePoolZero: 1,
  ExAllocatePoolUninitialized: 1,
  ExAllocatePoolQuotaZero: 1,
  ExAllocatePool2: 1,
  ExAllocatePool3: 1,
  ExAllocateNonPagedPoolNx: 1,
  malloc: 0,
});

/** Address-sized integers: a variable of these types holds an address but `sizeof` of it is what the code means. */
const INTEGER_TYPE = /^(U?LONG_PTR|U?INT_PTR|DWORD_PTR|SIZE_T|SSIZE_T|size_t|uintptr_t|intptr_t|PHYSICAL_ADDRESS|POOL_TYPE|POWER_STATE|POWER_STATE_TYPE|PROCESSOR_NUMBER)$/;

/** Types whose pointee has no size: `sizeof(*p)` is not a fix. */
const VOID_POINTER = /^(PVOID|LPVOID|PCVOID|LPCVOID|PVOID64)$/;

/**
 * A void pointer is left alone: what it points to has no declared size, and `sizeof(PVOID)` for a PVOID buffer
 * usually measures the pointer the buffer holds (a probe of a user slot that receives an address).
 */
interface PointerShape {
  /** The pointee is itself a pointer: `sizeof(p)` equals `sizeof(*p)`, so the length is right by accident. */
  toPointer: boolean;
  voidPointee: boolean;
  /** The declared type text without the declarator (`PDEVICE_CONTEXT`, `DEVICE_CONTEXT`). */
  typeText: string;
  /** Number of `*` in the declarator. */
  stars: number;
}

function starsOf(declaration: VariableDeclaration): number {
  let stars = 0;
  for (let node: Node | null = declaration.declarator; node && node.type !== 'identifier'; node = node.childForFieldName('declarator')) {
    if (node.type === 'pointer_declarator') stars++;
  }
  return stars;
}

/**
 * What a plain variable is: a pointer (declared with `*`, or of a P-named type — passing a non-pointer where the
 * routine takes a pointer would not compile, so only address-sized integers are told apart), or undefined.
 */
function pointerVariable(file: SourceFile, fn: FunctionInfo | undefined, name: string): PointerShape | undefined {
  const declaration = findDeclaration(file, fn, name);
  if (!declaration || declaration.isArray) return undefined;
  const typeText = declaration.typeText.replace(/\b(const|volatile|CONST)\b/g, ' ').replace(/\s+/g, ' ').trim();
  const stars = starsOf(declaration);
  const pointerTypedef = /^(P|LP)[A-Z0-9_]+$/.test(typeText) && !INTEGER_TYPE.test(typeText) && typeText !== 'PAGED_CODE';
  if (stars === 0 && !pointerTypedef) return undefined;
  // A pointer typedef adds one level to the declarator's stars (`PFOO p` is one level, `PFOO *p` two).
  const levels = stars + (pointerTypedef ? 1 : 0);
  return {
    toPointer: levels > 1 || (stars === 0 && /^(PP|LPP)[A-Z]/.test(typeText)),
    voidPointee: (stars === 0 && VOID_POINTER.test(typeText)) || (stars === 1 && /^(VOID|void)$/.test(typeText)),
    typeText,
    stars,
  };
}

/** The operand of `sizeof` as text without spaces (`ctx`, `PDEVICE_CONTEXT`, `FOO*`, `ext->Buffer`). */
function sizeofOperand(expression: Node | null | undefined): { node: Node; text: string } | undefined {
  const node = unwrap(expression);
  if (node?.type !== 'sizeof_expression') return undefined;
  const operand = node.childForFieldName('type') ?? unwrap(node.childForFieldName('value'));
  if (!operand) return undefined;
  return { node: operand, text: operand.text.replace(/\s+/g, '') };
}

interface Mistake {
  /** What the length is the size of (`ctx`, `PDEVICE_CONTEXT`). */
  measured: string;
  /** The pointer whose pointee was meant. */
  pointer: string;
  /** The `sizeof(*pointer)` replacement, when the pointee has a size. */
  replacement?: string;
}

/** `sizeof(x)` where x is the pointer itself (a variable or a pointer field), not an array. */
function sizeofThePointer(file: SourceFile, fn: FunctionInfo | undefined, pointer: Node, measured: string): Mistake | undefined {
  const path = accessPath(pointer);
  if (!path || path.replace(/\s+/g, '') !== measured) return undefined;
  if (pointer.type === 'identifier') {
    const shape = pointerVariable(file, fn, pointer.text);
    if (!shape || shape.toPointer || shape.voidPointee) return undefined;
    return { measured, pointer: pointer.text, replacement: `*${pointer.text}` };
  }
  if (pointer.type === 'field_expression') {
    const field = fieldName(pointer);
    const shape = field ? fieldShapeAt(file, fn, pointer, field) : undefined;
    // The field shape counts address-sized integers as pointers; the routine would not take one without a cast.
    if (!shape?.pointer || shape.array) return undefined;
    return { measured, pointer: pointer.text, replacement: `*${pointer.text}` };
  }
  return undefined;
}

/** `sizeof(T)` where T is the declared pointer type of the variable (`PFOO p` and `sizeof(PFOO)`, `FOO *p` and `sizeof(FOO *)`). */
function sizeofThePointerType(file: SourceFile, fn: FunctionInfo | undefined, pointer: Node, measured: string): Mistake | undefined {
  if (pointer.type !== 'identifier') return undefined;
  const shape = pointerVariable(file, fn, pointer.text);
  if (!shape || shape.toPointer || shape.voidPointee) return undefined;
  const declared = shape.stars === 0 ? shape.typeText.replace(/\s+/g, '') : `${shape.typeText.replace(/\s+/g, '')}*`;
  if (declared !== measured) return undefined;
  return { measured, pointer: pointer.text, replacement: `*${pointer.text}` };
}

function mistakeFor(file: SourceFile, fn: FunctionInfo | undefined, pointer: Node | null, measured: string): Mistake | undefined {
  const target = unwrap(pointer);
  // Only the argument itself: `&p` or a cast (`(PUCHAR)p + 4`) says the code measured what it meant.
  if (!target || pointer?.type === 'cast_expression') return undefined;
  return sizeofThePointer(file, fn, target, measured) ?? sizeofThePointerType(file, fn, target, measured);
}

/** The variable an allocation's result is stored in: `p = ExAllocatePool2(…)`, `PFOO p = (PFOO)ExAllocatePool2(…)`. */
function allocationTarget(call: Node): Node | undefined {
  let holder = call;
  while (holder.parent && (holder.parent.type === 'cast_expression' || holder.parent.type === 'parenthesized_expression')) holder = holder.parent;
  const parent = holder.parent;
  if (parent?.type === 'assignment_expression' && parent.childForFieldName('right')?.id === holder.id && parent.childForFieldName('operator')?.text === '=') {
    return unwrap(parent.childForFieldName('left')) ?? undefined;
  }
  if (parent?.type === 'init_declarator' && parent.childForFieldName('value')?.id === holder.id) {
    let name = parent.childForFieldName('declarator');
    while (name && name.type !== 'identifier') name = name.childForFieldName('declarator');
    return name ?? undefined;
  }
  return undefined;
}

export const rule: Rule = {
  meta: {
    id: 'sizeof-pointer-length',
    title: 'sizeof of a pointer used as the length of what it points to',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'A copy, fill, comparison, probe or allocation takes `sizeof` of a pointer (or of the pointer type) as its length, where the size of the structure it points to was meant.',
    rationale: '`sizeof(p)` for a pointer is 4 or 8 bytes, whatever p points to. RtlZeroMemory(ctx, sizeof(ctx)) zeroes only the first 8 bytes, so the rest of the structure keeps old pool contents that later reach the caller; a copy moves too little; a probe checks 8 bytes of a larger user buffer; and an allocation of sizeof(PDEVICE_CONTEXT) bytes is too small for the fields the driver then writes — a pool overflow. The compiler accepts all of these silently.',
    cwe: ['CWE-467', 'CWE-131'],
    references: [
      'https://cwe.mitre.org/data/definitions/467.html',
      'https://learn.microsoft.com/cpp/code-quality/c6384',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exallocatepool2',
    ],
    confidence: 'high',
    messages: {
      pointerLength: '`sizeof({{measured}})` is the size of a pointer, not of what `{{pointer}}` points to: {{call}} handles only 4 or 8 bytes of it.',
      pointerAllocation: '`sizeof({{measured}})` allocates the size of a pointer for `{{pointer}}`, not of the structure it points to: writing its fields overflows the pool block.',
    },
    fixable: true,
    examples: {
      bad: 'PDEVICE_CONTEXT context = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(PDEVICE_CONTEXT), \'txcD\');\nif (context == NULL) {\n    return STATUS_INSUFFICIENT_RESOURCES;\n}\nRtlZeroMemory(context, sizeof(context));',
      good: 'PDEVICE_CONTEXT context = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*context), \'txcD\');\nif (context == NULL) {\n    return STATUS_INSUFFICIENT_RESOURCES;\n}\nRtlZeroMemory(context, sizeof(*context));',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const name = calleeName(call);
        if (!name) return;
        const sized = SIZED_CALLS[name];
        const allocator = ALLOCATORS[name];
        if (sized === undefined && allocator === undefined) return;
        const args = callArguments(call);
        const fn = file.enclosingFunction(call);
        const lengthArgument = args[sized ? sized[0] : allocator];
        const operand = sizeofOperand(lengthArgument);
        if (!operand) return;
        let mistake: Mistake | undefined;
        if (sized) {
          for (const index of sized[1]) {
            mistake = mistakeFor(file, fn, args[index] ?? null, operand.text);
            if (mistake) break;
          }
        } else {
          const target = allocationTarget(call);
          if (target) mistake = mistakeFor(file, fn, target, operand.text);
        }
        if (!mistake) return;
        const sizeofNode = unwrap(lengthArgument)!;
        context.report({
          node: sizeofNode,
          messageId: sized ? 'pointerLength' : 'pointerAllocation',
          data: { measured: operand.node.text, pointer: mistake.pointer, call: name },
          fix: mistake.replacement ? { title: `Use sizeof(${mistake.replacement})`, edits: [fixer.replace(sizeofNode, `sizeof(${mistake.replacement})`)] } : undefined,
        });
      },
    };
  },
};
