/**
 * Byte sizes of the types an access through a pointer touches, for comparing an access with the range a probe
 * covered: the SDK's fixed-size scalars, pointers (64-bit builds), and the structures the file defines (natural
 * alignment, no `#pragma pack`). Undefined whenever a part is unknown (a bit field, a type of another file, a
 * packed structure): callers must then stay silent. Pure.
 */
import { declaratorName, type Node } from './query';
import type { FunctionInfo, SourceFile } from './source-file';
import { findDeclaration } from './declarations';
import { fieldTypeAt, isPointerTypeName } from './taint';

const SCALARS: Record<string, number> = {};
for (const name of ['CHAR', 'UCHAR', 'BYTE', 'BOOLEAN', 'char', 'unsigned char', 'signed char', 'INT8', 'UINT8', 'CCHAR', 'uint8_t', 'int8_t']) SCALARS[name] = 1;
for (const name of ['SHORT', 'USHORT', 'WCHAR', 'WORD', 'short', 'unsigned short', 'INT16', 'UINT16', 'CSHORT', 'uint16_t', 'int16_t']) SCALARS[name] = 2;
for (const name of ['LONG', 'ULONG', 'DWORD', 'INT', 'UINT', 'int', 'unsigned int', 'unsigned', 'long', 'unsigned long', 'NTSTATUS', 'ULONG32', 'LONG32', 'INT32', 'UINT32', 'BOOL', 'FLOAT', 'float', 'uint32_t', 'int32_t']) SCALARS[name] = 4;
for (const name of ['LONG64', 'ULONG64', 'LONGLONG', 'ULONGLONG', 'DWORD64', 'QWORD', 'INT64', 'UINT64', 'DOUBLE', 'double', '__int64', 'unsigned __int64', 'LARGE_INTEGER', 'ULARGE_INTEGER', 'PHYSICAL_ADDRESS', 'uint64_t', 'int64_t']) SCALARS[name] = 8;
for (const name of ['PVOID', 'HANDLE', 'ULONG_PTR', 'LONG_PTR', 'SIZE_T', 'SSIZE_T', 'UINT_PTR', 'INT_PTR', 'DWORD_PTR', 'KAFFINITY', 'size_t', 'uintptr_t', 'intptr_t']) SCALARS[name] = 8;

export interface Layout {
  size: number;
  align: number;
  /** For structures: each field's offset and layout, by name. */
  fields?: Map<string, { offset: number; layout: Layout }>;
}

function clean(type: string): string {
  return type.replace(/\b(const|volatile|CONST|UNALIGNED|__unaligned|struct|union|_In_|_Out_|_Inout_)\b/g, ' ').replace(/\s+/g, ' ').trim();
}

interface StructIndex {
  /** Structure definitions by every name they go by (`_T`, `T`). */
  byName: Map<string, Node>;
  /** Pointer typedef name → the structure name it points at (`PT` → `T`). */
  pointers: Map<string, string>;
}

const structCache = new WeakMap<SourceFile, StructIndex>();

function structs(file: SourceFile): StructIndex {
  let index = structCache.get(file);
  if (!index) {
    index = { byName: new Map(), pointers: new Map() };
    // `#pragma pack` changes every layout after it: no sizes for the file's own structures then.
    const packed = /#\s*pragma\s+pack|__declspec\s*\(\s*align|DECLSPEC_ALIGN/.test(file.text);
    for (const definition of file.nodes('type_definition')) {
      const specifier = definition.childForFieldName('type');
      if (specifier?.type !== 'struct_specifier' || !specifier.childForFieldName('body')) continue;
      const tag = specifier.childForFieldName('name')?.text;
      const names: string[] = tag ? [tag] : [];
      for (const declarator of definition.childrenForFieldName('declarator')) {
        if (!declarator) continue;
        let inner: Node | null = declarator;
        while (inner?.type === 'pointer_declarator') inner = inner.childForFieldName('declarator');
        const name = inner?.type === 'type_identifier' ? inner.text : undefined;
        if (!name) continue;
        if (declarator.type === 'pointer_declarator') {
          if (tag) index.pointers.set(name, tag);
        } else if (declarator.type === 'type_identifier') names.push(name);
      }
      if (!packed) for (const name of names) index.byName.set(name, specifier);
    }
    structCache.set(file, index);
  }
  return index;
}

/** The layout of a type named in the source (`ULONG`, `BIG`, `struct _BIG`, `PVOID`, `ULONG *`). */
export function layoutOf(file: SourceFile, type: string, depth = 0): Layout | undefined {
  const name = clean(type);
  if (/\*$/.test(name)) return { size: 8, align: 8 };
  const scalar = SCALARS[name];
  if (scalar !== undefined) return { size: scalar, align: scalar };
  if (depth > 4) return undefined;
  const definition = structs(file).byName.get(name);
  if (definition) return structLayout(file, definition, depth);
  if (isPointerTypeName(file, name)) return { size: 8, align: 8 };
  return undefined;
}

const layoutCache = new WeakMap<Node, Layout | null>();

function structLayout(file: SourceFile, specifier: Node, depth: number): Layout | undefined {
  const cached = layoutCache.get(specifier);
  if (cached !== undefined) return cached ?? undefined;
  const body = specifier.childForFieldName('body');
  let offset = 0;
  let align = 1;
  const fields = new Map<string, { offset: number; layout: Layout }>();
  let ok = body !== null;
  for (const member of body?.namedChildren ?? []) {
    if (!member || member.type === 'comment') continue;
    if (member.type !== 'field_declaration' || member.children.some((child) => child?.type === 'bitfield_clause')) {
      ok = false;
      break;
    }
    const typeText = member.childForFieldName('type')?.text ?? '';
    const declarators = member.childrenForFieldName('declarator');
    if (declarators.length === 0) {
      ok = false; // an anonymous union or structure member
      break;
    }
    for (const declarator of declarators) {
      const layout = declarator ? declaratorLayout(file, typeText, declarator, depth) : undefined;
      const name = declarator ? declaratorName(declarator) : undefined;
      if (!layout || !name) {
        ok = false;
        break;
      }
      offset = Math.ceil(offset / layout.align) * layout.align;
      fields.set(name, { offset, layout });
      offset += layout.size;
      align = Math.max(align, layout.align);
    }
    if (!ok) break;
  }
  const result = ok && fields.size > 0 ? { size: Math.ceil(offset / align) * align, align, fields } : undefined;
  layoutCache.set(specifier, result ?? null);
  return result;
}

/** A member's layout: `ULONG X`, `PVOID *Slots`, `UCHAR Data[16]`. */
function declaratorLayout(file: SourceFile, type: string, declarator: Node, depth: number): Layout | undefined {
  if (declarator.type === 'field_identifier' || declarator.type === 'identifier') return layoutOf(file, type, depth + 1);
  if (declarator.type === 'pointer_declarator') return { size: 8, align: 8 };
  if (declarator.type === 'array_declarator') {
    const count = Number(declarator.childForFieldName('size')?.text ?? 'x');
    const inner = declarator.childForFieldName('declarator');
    const element = inner ? declaratorLayout(file, type, inner, depth) : undefined;
    if (!element || !Number.isInteger(count) || count <= 0) return undefined;
    return { size: element.size * count, align: element.align };
  }
  return undefined;
}

/** What the pointer expression points at: the type of a cast (`(PULONG64)p`), else of the variable's declaration. */
export function pointeeLayout(file: SourceFile, fn: FunctionInfo | undefined, pointer: Node): Layout | undefined {
  let node: Node | null = pointer;
  while (node?.type === 'parenthesized_expression') node = node.namedChild(0);
  if (!node) return undefined;
  if (node.type === 'cast_expression') {
    const type = clean(node.childForFieldName('type')?.text ?? '');
    return pointedType(file, type);
  }
  if (node.type === 'field_expression') {
    // `in->Target` of `PULONG64 Target`: the member's declared type.
    const type = fieldTypeAt(file, fn, node);
    return type && !type.endsWith('[]') ? pointedType(file, clean(type)) : undefined;
  }
  if (node.type !== 'identifier') return undefined;
  const declaration = findDeclaration(file, fn, node.text);
  if (!declaration || declaration.isArray) return undefined;
  let declarator: Node | null = declaration.declarator.type === 'init_declarator' ? declaration.declarator.childForFieldName('declarator') : declaration.declarator;
  let stars = 0;
  while (declarator?.type === 'pointer_declarator') {
    stars++;
    declarator = declarator.childForFieldName('declarator');
  }
  if (declarator?.type !== 'identifier') return undefined;
  const type = clean(declaration.typeText);
  if (stars === 1) return layoutOf(file, type);
  if (stars > 1) return { size: 8, align: 8 };
  return pointedType(file, type);
}

/** `ULONG *` → ULONG; `PBIG` → BIG (the file's typedef); `PULONG64` → ULONG64. */
function pointedType(file: SourceFile, type: string): Layout | undefined {
  if (/\*$/.test(type)) {
    const inner = type.replace(/\*$/, '').trim();
    return inner === 'VOID' || inner === 'void' ? undefined : layoutOf(file, inner);
  }
  const target = structs(file).pointers.get(type);
  if (target) return layoutOf(file, target);
  if (/^P[A-Z]/.test(type) && type !== 'PVOID' && SCALARS[type.slice(1)] !== undefined) return layoutOf(file, type.slice(1));
  return undefined;
}

/** `sizeof(T)`, `sizeof(local)`, a number: the byte count, else undefined. */
export function constantSize(file: SourceFile, fn: FunctionInfo | undefined, expression: Node | undefined): number | undefined {
  if (!expression) return undefined;
  const text = expression.text.replace(/\s+/g, ' ').trim();
  if (/^\d+[uUlL]*$/.test(text)) return Number(text.replace(/[uUlL]+$/, ''));
  const match = /^sizeof\s*\(\s*([A-Za-z_][\w ]*?\s*\**)\s*\)$/.exec(text) ?? /^sizeof\s+([A-Za-z_]\w*)$/.exec(text);
  if (!match) return undefined;
  const name = match[1].trim();
  if (/^[A-Za-z_]\w*$/.test(name)) {
    const declaration = findDeclaration(file, fn, name);
    if (declaration) {
      if (declaration.isArray || declaration.isPointer) return undefined;
      return layoutOf(file, declaration.typeText)?.size;
    }
  }
  return layoutOf(file, name)?.size;
}
