/**
 * User-controlled data inside one function: which variables hold a user value (a length, a field read from a
 * user buffer), a kernel copy of user data (SystemBuffer, a WDF input buffer) or a raw user-mode address
 * (Type3InputBuffer, Irp->UserBuffer). Flow-lite: the value of a variable at a use is its last assignment before
 * the use in text order. Guards are comparisons that dominate the use (an enclosing `if`, or an `if` earlier in
 * an enclosing block). Callers in the same file pass taint into callee parameters (one-level summaries).
 */
import { armOfChild, armsAt, hasConditionals, holdsAfterChain, isDeadAt, reachesUse, sameConfiguration } from './conditional';
import {
  accessPath,
  binaryOperator,
  calleeName,
  callArguments,
  contains,
  declaratorName,
  descendantsOfType,
  nodeAtPlace,
  placeIn,
  type NodePlace,
  RELATIONAL_OPERATORS,
  typeOf,
  unwrap,
  type Node,
} from './query';
import type { FunctionInfo, SourceFile } from './source-file';
import { firstAbove, lookupTable } from './lookup';
import { POINTER_TYPE_NAME, structureShapes } from './workspace-index';
import { findDeclaration } from './declarations';

/**
 * - value: a scalar the user controls (a length, a field of a user buffer)
 * - buffer: a kernel-accessible pointer whose contents the user controls (METHOD_BUFFERED SystemBuffer, WDF input buffer)
 * - pointer: a raw user-mode address (METHOD_NEITHER Type3InputBuffer, Irp->UserBuffer, a pointer field of a user buffer)
 */
export type TaintKind = 'value' | 'buffer' | 'pointer';

export interface Taint {
  kind: TaintKind;
  /** Human description of where the data came from: "InputBufferLength", "SystemBuffer", "pInput->Size". */
  origin: string;
  /** Names and access paths a guard may mention to validate this value. */
  keys: string[];
  /** Where the user data entered. */
  source: Node;
  /** For WDF buffers: the minimum length passed to WdfRequestRetrieve*Buffer (validates the buffer size). */
  minimumLength?: string;
  /** The value was read out of user memory (a field or element of a user buffer): as a pointer it is attacker-chosen. */
  fromUserMemory?: boolean;
  /**
   * With `fromUserMemory`: the value is an address the caller chose, known from its type (a field declared as a
   * pointer or `ULONG_PTR`, an element read through `(PVOID *)`/`(PULONG_PTR)`): a user pointer until probed.
   */
  userPointer?: boolean;
  /**
   * With `fromUserMemory`: the expression names an array embedded in the user's structure (`in->Data` of
   * `UCHAR Data[16]`), so it is the address of the (kernel) copy, not a pointer read from it. Its elements are
   * user data (`elementPointer`: they are addresses).
   */
  embeddedArray?: boolean;
  elementPointer?: boolean;
}

/** Taint of each parameter (by index) of a function, passed in by its callers or by its KMDF role. */
export type ParameterTaint = Map<number, Taint>;

/** Fields of the IRP and its stack location that carry user input, by field name. */
const FIELD_SOURCES: Record<string, TaintKind> = lookupTable({
  SystemBuffer: 'buffer',
  Type3InputBuffer: 'pointer',
  UserBuffer: 'pointer',
  InputBufferLength: 'value',
  OutputBufferLength: 'value',
});

/** Length fields that are user-controlled only below Parameters.Read / Parameters.Write. */
const READ_WRITE_LENGTH = /Parameters\s*\.\s*(Read|Write)\s*\.\s*Length$/;

/** WDF calls that return user buffers through out parameters: [buffer argument, length argument, kind]. */
const WDF_RETRIEVE: Record<string, { buffer: number; length: number; kind: TaintKind; origin: string }> = lookupTable({
  WdfRequestRetrieveInputBuffer: { buffer: 2, length: 3, kind: 'buffer', origin: 'WDF input buffer' },
  WdfRequestRetrieveUnsafeUserInputBuffer: { buffer: 2, length: 3, kind: 'pointer', origin: 'unsafe user input buffer' },
  WdfRequestRetrieveUnsafeUserOutputBuffer: { buffer: 2, length: 3, kind: 'pointer', origin: 'unsafe user output buffer' },
});

/** Names whose comparison validates the size of the request's buffers. */
export const LENGTH_KEYS = ['InputBufferLength', 'OutputBufferLength', 'Length'];

/** Calls that clamp a value: their result is not user-controlled any more. */
const SANITIZERS = new Set(['min', 'max', '__min', '__max', 'RTL_MIN', 'MIN', 'RtlMin']);

/** Overflow-checked arithmetic: a condition calling one of these validates its arguments. */
const SAFE_ARITHMETIC = /^Rtl(U?Long|ULong|SizeT|UInt|Int|UShort|Short|ULongLong|LongLong|UIntPtr|ULongPtr|Byte|DWord|DWordPtr)(Add|Sub|Mult)$/;

const PROBES = new Set(['ProbeForRead', 'ProbeForWrite', 'ProbeForReadSmallStructure', 'ProbeAndReadUlong', 'ProbeForWriteUlong']);

/** Probes that check the range is writable (ProbeForRead before a write leaves a read-only or kernel page writable). */
const WRITE_PROBES = new Set(['ProbeForWrite', 'ProbeForWriteUlong']);

/** Comparisons against these bound an address to user space. */
const USER_RANGE_LIMIT = /\b(MmUserProbeAddress|MM_USER_PROBE_ADDRESS|MmHighestUserAddress|MM_HIGHEST_USER_ADDRESS)\b/;

/** Copy routines as (destination, source) argument positions. */
const COPIES: Record<string, [number, number]> = lookupTable({
  memcpy: [0, 1],
  memmove: [0, 1],
  RtlCopyMemory: [0, 1],
  RtlMoveMemory: [0, 1],
  RtlCopyBytes: [0, 1],
  CopyMemory: [0, 1],
});

/** A parenthesized name in front of a parenthesized operand is a cast: `(PVOID)(x)`, `(ULONG_PTR)(p)`. */
const CAST_LIKE = /^(P|LP)?[A-Z][A-Z0-9_]*$/;

function stripQualifiers(type: string): string {
  return type.replace(/\b(const|volatile|struct|union|enum|_In_|_Out_|_Inout_|CONST|UNALIGNED|__unaligned|POINTER_32|POINTER_64|__ptr64|__ptr32)\b/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Pointer typedef names of the file (`typedef struct _X {…} X, *PX;` → PX). */
const pointerTypedefCache = new WeakMap<SourceFile, Set<string>>();

function pointerTypedefs(file: SourceFile): Set<string> {
  let names = pointerTypedefCache.get(file);
  if (!names) {
    names = new Set();
    for (const definition of file.nodes('type_definition')) {
      for (const declarator of definition.childrenForFieldName('declarator')) {
        if (declarator?.type === 'pointer_declarator') {
          const name = declaratorName(declarator);
          if (name) names.add(name);
        }
      }
    }
    pointerTypedefCache.set(file, names);
  }
  return names;
}

/** Whether a type name (without the declarator) is a pointer type. */
export function isPointerTypeName(file: SourceFile, type: string): boolean {
  const plain = stripQualifiers(type);
  if (/\*\s*$/.test(plain)) return true;
  return POINTER_TYPE_NAME.test(plain) || pointerTypedefs(file).has(plain);
}

/** What the file's structures declare a field of this name as: undefined when unknown or declared differently in different structures. */
export interface FieldShape {
  /** The field (for arrays: each element) holds an address. */
  pointer: boolean;
  array: boolean;
}

const fieldShapeCache = new WeakMap<SourceFile, Map<string, FieldShape | null>>();

/** SDK structures drivers embed in their requests (no file of the workspace declares them). */
const SDK_FIELDS: Record<string, Record<string, { shape: number; type: string }>> = (() => {
  const counted = { Length: { shape: 0, type: 'USHORT' }, MaximumLength: { shape: 0, type: 'USHORT' } };
  const unicode = { ...counted, Buffer: { shape: 1, type: 'PWCH' } };
  const ansi = { ...counted, Buffer: { shape: 1, type: 'PCHAR' } };
  const table: Record<string, Record<string, { shape: number; type: string }>> = {};
  for (const name of ['UNICODE_STRING', '_UNICODE_STRING', '*PUNICODE_STRING', '*PCUNICODE_STRING']) table[name] = unicode;
  for (const name of ['STRING', '_STRING', 'ANSI_STRING', 'OEM_STRING', '*PSTRING', '*PANSI_STRING', '*PCANSI_STRING', '*POEM_STRING']) table[name] = ansi;
  // SCSI persistent reservation data (scsi.h): byte arrays and trailing descriptor arrays, no pointer in them.
  const bytes = { shape: 2, type: 'UCHAR[]' };
  const header = { Generation: bytes, AdditionalLength: bytes };
  const lists: Record<string, Record<string, { shape: number; type: string }>> = {
    PRI_REGISTRATION_LIST: { ...header, ReservationKeyList: bytes },
    PRI_RESERVATION_LIST: { ...header, Reservations: { shape: 2, type: 'PRI_RESERVATION_DESCRIPTOR[]' } },
    PRI_RESERVATION_DESCRIPTOR: { ReservationKey: bytes, ScopeSpecificAddress: bytes, Obsolete: bytes },
    PRO_PARAMETER_LIST: { ReservationKey: bytes, ServiceActionReservationKey: bytes, ScopeSpecificAddress: bytes, Obsolete: bytes },
  };
  for (const [name, fields] of Object.entries(lists)) table[name] = table[`*P${name}`] = fields;
  return table;
})();

interface OwnedField {
  shape: number;
  type: string;
}

/** A field of a named structure: this file's structures, then the workspace's, then the SDK's. */
function ownedField(file: SourceFile, owner: string, field: string): OwnedField | null | undefined {
  const own = ownStructFields(file).get(`${owner}\u0000${field}`);
  if (own !== undefined) return own;
  const shared = file.workspace?.structFieldShapeOf(owner, field);
  if (shared !== undefined) return shared && { shape: (shared.pointer ? 1 : 0) + (shared.array ? 2 : 0), type: shared.type ?? '' };
  return SDK_FIELDS[owner]?.[field];
}

/** The owner name (`X` or `*PX`) an access with `arrow` makes of a declared type (`PX`, `X*`, `X`). */
function ownerName(type: string, starred: boolean, arrow: boolean): string | undefined {
  if (!/^[A-Za-z_]\w*$/.test(type)) return undefined;
  if (arrow) return starred ? type : `*${type}`;
  return starred ? undefined : type;
}

/** The structure type a field access reads from, named as the workspace index names owners (`X`, `_X`, `*PX`). */
function ownerOf(file: SourceFile, fn: FunctionInfo | undefined, access: Node, depth = 0): string | undefined {
  const arrow = access.childForFieldName('operator')?.text === '->';
  let base = access.childForFieldName('argument');
  while (base?.type === 'parenthesized_expression') base = base.namedChild(0);
  if (!base || depth > 4) return undefined;
  if (base.type === 'cast_expression') {
    const text = stripQualifiers(base.childForFieldName('type')?.text ?? '');
    const starred = /\*\s*$/.test(text);
    return ownerName(text.replace(/\*\s*$/, '').trim(), starred, arrow);
  }
  if (base.type === 'identifier') {
    const declaration = findDeclaration(file, fn, base.text);
    if (!declaration || declaration.isArray) return undefined;
    const declarator: Node | null = declaration.declarator.type === 'init_declarator' ? declaration.declarator.childForFieldName('declarator') : declaration.declarator;
    const starred = declarator?.type === 'pointer_declarator';
    if (starred && declarator?.childForFieldName('declarator')?.type === 'pointer_declarator') return undefined;
    return ownerName(stripQualifiers(declaration.typeText), starred, arrow);
  }
  // `in->Name.Buffer`, `in->Entries[i].Address`: the declared type of the member the base reads.
  let member: Node = base;
  let element = false;
  if (member.type === 'subscript_expression') {
    const inner = unwrap(member.childForFieldName('argument'));
    if (!inner) return undefined;
    member = inner;
    element = true;
  }
  if (member.type !== 'field_expression') return undefined;
  const memberOwner = ownerOf(file, fn, member, depth + 1);
  const name = member.childForFieldName('field')?.text;
  const declared = memberOwner && name ? ownedField(file, memberOwner, name) : undefined;
  if (!declared?.type) return undefined;
  let type = declared.type;
  if (element) {
    if (!type.endsWith('[]')) return undefined;
    type = type.slice(0, -2);
  } else if (type.endsWith('[]')) return undefined;
  const starred = type.endsWith('*');
  return ownerName(starred ? type.slice(0, -1) : type, starred, arrow);
}

/** The file's own structures by owner (text scan, as the workspace index does for the other files); null: declared differently. */
const ownStructCache = new WeakMap<SourceFile, Map<string, OwnedField | null>>();

function ownStructFields(file: SourceFile): Map<string, OwnedField | null> {
  let map = ownStructCache.get(file);
  if (!map) {
    map = new Map();
    for (const [owner, field, shape, type] of structureShapes(file.text).structFields) {
      const key = `${owner}\u0000${field}`;
      const known = map.get(key);
      map.set(key, known === undefined || (known && known.shape === shape && known.type === type) ? { shape, type } : null);
    }
    ownStructCache.set(file, map);
  }
  return map;
}

/**
 * What a field read is, by the declaration of the structure it reads from when the base's type is known (this
 * file's structures, then the workspace's, then the SDK's), else by every declaration of a field of that name.
 */
export function fieldShapeAt(file: SourceFile, fn: FunctionInfo | undefined, access: Node, field: string): FieldShape | undefined {
  const owner = ownerOf(file, fn, access);
  if (owner) {
    const found = ownedField(file, owner, field);
    if (found === null) return undefined;
    if (found) return { pointer: (found.shape & 1) !== 0, array: (found.shape & 2) !== 0 };
  }
  return fieldShape(file, field);
}

/** The declared type of the member a field read names (`PULONG64`, `PULONG*`, `UCHAR[]`), when the base's structure is known. */
export function fieldTypeAt(file: SourceFile, fn: FunctionInfo | undefined, access: Node): string | undefined {
  const owner = ownerOf(file, fn, access);
  const field = access.childForFieldName('field')?.text;
  if (!owner || !field) return undefined;
  return ownedField(file, owner, field)?.type || undefined;
}

export function fieldShape(file: SourceFile, field: string): FieldShape | undefined {
  let shapes = fieldShapeCache.get(file);
  if (!shapes) {
    shapes = new Map();
    for (const declaration of file.nodes('field_declaration')) {
      const type = declaration.childForFieldName('type')?.text ?? '';
      for (const declarator of declaration.childrenForFieldName('declarator')) {
        const name = declarator ? declaratorName(declarator) : undefined;
        if (!name || !declarator) continue;
        let array = false;
        let pointer = false;
        // The outermost declarator decides: `PVOID Slots[4]` is an array of pointers, `ULONG (*Table)[4]` a pointer.
        for (let current: Node | null = declarator; current && current.type !== 'field_identifier'; current = current.childForFieldName('declarator')) {
          if (current.type === 'array_declarator') {
            if (!pointer) array = true;
          } else if (current.type === 'pointer_declarator') pointer = true;
          else if (current.type === 'function_declarator') break;
        }
        if (!pointer) pointer = isPointerTypeName(file, type);
        const shape = { pointer, array };
        const known = shapes.get(name);
        if (known === undefined) shapes.set(name, shape);
        else if (known && (known.pointer !== shape.pointer || known.array !== shape.array)) shapes.set(name, null);
      }
    }
    fieldShapeCache.set(file, shapes);
  }
  const local = shapes.get(field);
  if (local !== undefined) return local ?? undefined;
  // Declared in another file of the workspace (the request structures usually live in a header shared with user mode).
  return file.workspace?.fieldShapeOf(field) ?? undefined;
}

/** `(PVOID *)buf`, `(PULONG_PTR)buf`, `in->Slots` (`PVOID Slots[4]`): an element read through it is an address. */
function elementIsPointer(file: SourceFile, expression: Node | null | undefined): boolean {
  let node = expression ?? null;
  while (node?.type === 'parenthesized_expression') node = node.namedChild(0);
  if (!node) return false;
  if (node.type === 'cast_expression') {
    const type = stripQualifiers(node.childForFieldName('type')?.text ?? '');
    const element = /\*\s*$/.test(type) ? type.replace(/\*\s*$/, '').trim() : /^P/.test(type) ? type.slice(1) : undefined;
    if (element === undefined) return false;
    return isPointerTypeName(file, element) || /\*\s*$/.test(element);
  }
  if (node.type === 'field_expression') {
    const fn = file.enclosingFunction(node);
    const shape = fieldShapeAt(file, fn, node, node.childForFieldName('field')?.text ?? '');
    if (shape?.array === true && shape.pointer) return true;
    // `PULONG *Counters`, `PVOID *Slots`: what the field points at is itself an address.
    const type = shape?.pointer && !shape.array ? fieldTypeAt(file, fn, node) : undefined;
    return type !== undefined && type.endsWith('*') && isPointerTypeName(file, type.slice(0, -1));
  }
  if (node.type === 'identifier') {
    // `PULONG *pp`, `PVOID *slots`, `ULONG **pp`: what the variable points at is itself an address.
    const declaration = findDeclaration(file, file.enclosingFunction(node), node.text);
    if (!declaration || declaration.isArray) return false;
    let declarator: Node | null = declaration.declarator.type === 'init_declarator' ? declaration.declarator.childForFieldName('declarator') : declaration.declarator;
    let stars = 0;
    while (declarator?.type === 'pointer_declarator') {
      stars++;
      declarator = declarator.childForFieldName('declarator');
    }
    if (declarator?.type !== 'identifier') return false;
    const type = stripQualifiers(declaration.typeText);
    if (stars >= 2) return true;
    if (stars === 1) return isPointerTypeName(file, type);
    return false;
  }
  return false;
}

/** The nodes `propagate` looks at, in document order. */
const PROPAGATION_EVENTS: readonly string[] = ['init_declarator', 'assignment_expression', 'call_expression', 'declaration'];

interface Assignment {
  offset: number;
  taint: Taint | undefined;
}

export class FunctionTaint {
  private readonly assignments = new Map<string, Assignment[]>();
  /** Answers of `taintOf` once the function is fully propagated, by node id and offset (rules ask the same ones). */
  private readonly answers = new Map<number, Map<number, Taint | undefined>>();
  private propagated = false;
  private readonly checks: FunctionGuards;

  constructor(
    private readonly file: SourceFile,
    readonly fn: FunctionInfo,
    parameterTaint?: ParameterTaint,
  ) {
    this.checks = functionGuards(file, fn);
    fn.params.forEach((param, index) => {
      const taint = parameterTaint?.get(index) ?? this.kmdfParameterTaint(param.name, index);
      if (taint) this.record(param.name, fn.node.startIndex, { ...taint, keys: unique([...taint.keys, param.name]) });
    });
    if (fn.body) this.propagate(fn.body);
    this.propagated = true;
  }

  /** True when anything in the function is user-controlled. */
  get isEmpty(): boolean {
    return this.assignments.size === 0 && !this.hasDirectSources;
  }

  private hasDirectSources = false;
  private kinds?: Set<TaintKind>;

  /**
   * Whether some variable of the function holds taint of this kind at some point: when not, `taintAt` (hence
   * `taintOf` of an identifier) never answers with that kind.
   */
  holdsKind(kind: TaintKind): boolean {
    if (!this.kinds) {
      this.kinds = new Set();
      for (const list of this.assignments.values()) {
        for (const assignment of list) {
          if (!assignment.taint) continue;
          this.kinds.add(assignment.taint.kind);
          if (assignment.taint.kind === 'value' && assignment.taint.fromUserMemory) this.userMemoryValues = true;
        }
      }
    }
    return this.kinds.has(kind);
  }

  private userMemoryValues = false;

  /** Whether some variable of the function holds a value read out of user memory (`fromUserMemory`) at some point. */
  holdsUserMemoryValue(): boolean {
    this.holdsKind('value');
    return this.userMemoryValues;
  }

  private handlesHidTransferPacket: boolean | undefined;

  /**
   * Whether `path` (ending in `field`) is the request's own buffer field and not a field of the same name in the
   * driver's structures: SystemBuffer is `AssociatedIrp.SystemBuffer`, Type3InputBuffer sits below `Parameters`
   * (a request context's `ctx->SystemBuffer` holds what the driver put there, e.g. a buffer it retrieved with a
   * minimum length or its own pool allocation). Irp->UserBuffer of a HID minidriver request carrying a
   * HID_XFER_PACKET is the packet HIDCLASS built in kernel memory, not a user address.
   */
  private isRequestField(field: string, path: string): boolean {
    const flat = path.replace(/\s+/g, '');
    if (field === 'SystemBuffer') return /AssociatedIrp\.SystemBuffer$/.test(flat);
    if (field === 'Type3InputBuffer') return /\bParameters\b/.test(flat);
    if (field === 'UserBuffer') {
      if (/\bParameters\b/.test(flat)) return false;
      this.handlesHidTransferPacket ??= /\bP?HID_XFER_PACKET\b/.test(this.fn.node.text);
      return !this.handlesHidTransferPacket;
    }
    return true;
  }

  private kmdfParameterTaint(name: string, index: number): Taint | undefined {
    const callback = this.file.driver.kmdfCallbackOf(this.fn.name);
    const lengthParams = callback === 'EvtIoDeviceControl' || callback === 'EvtIoInternalDeviceControl' ? [2, 3]
      : callback === 'EvtIoRead' || callback === 'EvtIoWrite' ? [2] : [];
    if (!lengthParams.includes(index)) return undefined;
    return { kind: 'value', origin: name, keys: [name], source: this.fn.params[index].node };
  }

  private record(name: string, offset: number, taint: Taint | undefined): void {
    const list = this.assignments.get(name) ?? [];
    list.push({ offset, taint });
    this.assignments.set(name, list);
  }

  private propagate(body: Node): void {
    const types: string[] = [];
    const events = this.file.withinAll(body, PROPAGATION_EVENTS, types);
    for (let index = 0; index < events.length; index++) {
      const node = events[index];
      const type = types[index];
      if (type === 'init_declarator') {
        const name = declaratorName(node.childForFieldName('declarator'));
        const value = node.childForFieldName('value');
        if (name && value) this.assign(name, value, node.endIndex, node);
      } else if (type === 'declaration') {
        // A plain `T x;` resets x (shadowing a parameter or an earlier value).
        for (const declarator of node.childrenForFieldName('declarator')) {
          if (declarator && declarator.type !== 'init_declarator') {
            const name = declaratorName(declarator);
            if (name && this.assignments.has(name)) this.record(name, node.endIndex, undefined);
          }
        }
      } else if (type === 'assignment_expression') {
        const left = unwrap(node.childForFieldName('left'));
        const leftType = left && typeOf(left);
        const right = node.childForFieldName('right');
        if (left && leftType === 'field_expression' && right && left.childForFieldName('operator')?.text !== '->') {
          // `name.Buffer = userPath;` makes the local struct `name` carry user data.
          let base = unwrap(left.childForFieldName('argument'));
          while (base?.type === 'field_expression' && base.childForFieldName('operator')?.text !== '->') base = unwrap(base.childForFieldName('argument'));
          const taint = this.taintOf(right, node.startIndex);
          if (base?.type === 'identifier' && taint) this.record(base.text, node.endIndex, { ...taint, keys: unique([...taint.keys, base.text]) });
          continue;
        }
        if (!left || leftType !== 'identifier' || !right) continue;
        const operator = binaryOperator(node) ?? node.child(1)?.text;
        if (operator === '=') this.assign(left.text, right, node.endIndex, node);
        else {
          const previous = this.taintAt(left.text, node.startIndex);
          const added = this.taintOf(right, node.startIndex);
          const taint = previous ?? added;
          if (taint) this.record(left.text, node.endIndex, { ...taint, keys: unique([...taint.keys, left.text]) });
        }
      } else {
        this.outParameters(node);
        this.structCopy(node);
      }
    }
  }

  /** `RtlCopyMemory(&local, userBuffer, n)`: the local structure now holds user data, field by field. */
  private structCopy(call: Node): void {
    const positions = COPIES[calleeName(call) ?? ''];
    if (!positions) return;
    const args = callArguments(call);
    const destination = addressOfName(args[positions[0]]);
    if (!destination) return;
    let source = this.taintOf(args[positions[1]], call.startIndex);
    if (!source) {
      // `RtlCopyMemory(&local, &captured.Header, n)`: a part (or the whole) of a structure already copied out of user memory.
      const inner = addressOf(args[positions[1]]);
      const copied = inner && (inner.type === 'identifier' || (inner.type === 'field_expression' && inner.childForFieldName('operator')?.text === '.'))
        ? this.taintOf(inner, call.startIndex) : undefined;
      if (copied?.kind === 'value' && copied.fromUserMemory && !copied.userPointer) source = copied;
    }
    if (!source || (source.kind === 'value' && !(source.fromUserMemory && (source.embeddedArray || source.userPointer || addressOf(args[positions[1]]))))) return;
    this.hasDirectSources = true;
    this.record(destination, call.endIndex, { kind: 'value', origin: `${destination} (copied from ${source.origin})`, keys: [destination], source: call, fromUserMemory: true });
  }

  private assign(name: string, value: Node, offset: number, at: Node): void {
    const taint = this.taintOf(value, at.startIndex);
    if (taint) this.hasDirectSources = true;
    this.record(name, offset, taint ? { ...taint, keys: unique([...taint.keys, name]) } : undefined);
  }

  private outParameters(call: Node): void {
    const name = calleeName(call);
    const spec = name ? WDF_RETRIEVE[name] : undefined;
    if (!spec) return;
    const args = callArguments(call);
    const minimum = args[1]?.text.trim();
    const bufferVar = addressOfName(args[spec.buffer]);
    const lengthVar = addressOfName(args[spec.length]);
    this.hasDirectSources = true;
    if (bufferVar) {
      this.record(bufferVar, call.endIndex, {
        kind: spec.kind,
        origin: spec.origin,
        keys: [bufferVar],
        source: call,
        minimumLength: minimum && minimum !== '0' ? minimum : undefined,
      });
    }
    if (lengthVar) this.record(lengthVar, call.endIndex, { kind: 'value', origin: `${spec.origin} length`, keys: [lengthVar], source: call });
  }

  /** Variables that hold (or held) a value derived from one of the keys, e.g. `len` for InputBufferLength. */
  aliasesOf(keys: readonly string[]): string[] {
    const wanted = new Set(keys);
    const names: string[] = [];
    for (const [name, list] of this.assignments) {
      if (list.some((assignment) => assignment.taint?.keys.some((key) => wanted.has(key)))) names.push(name);
    }
    return names;
  }

  /** The taint a variable holds just before `offset`. */
  taintAt(name: string, offset: number): Taint | undefined {
    const list = this.assignments.get(name);
    if (!list) return undefined;
    let current: Assignment | undefined;
    for (const assignment of list) {
      if (assignment.offset <= offset) current = assignment;
      else break;
    }
    return current?.taint;
  }

  /** Whether an expression evaluates to user-controlled data, and of which kind. */
  taintOf(expression: Node | null | undefined, at?: number): Taint | undefined {
    if (!expression) return undefined;
    // A wrapper (cast, parentheses) has the taint of what it wraps: answers are kept under the id of the node
    // asked about, so a repeated question needs no unwrapping. An explicit offset is the same for both.
    let byOffset: Map<number, Taint | undefined> | undefined;
    if (this.propagated && at !== undefined) {
      byOffset = this.answers.get(expression.id);
      if (byOffset?.has(at)) return byOffset.get(at);
    }
    // `unwrap`, keeping the type of the node it stops at.
    let node: Node | null = expression;
    let type = '';
    while (node) {
      type = node.type;
      if (type === 'cast_expression') node = node.childForFieldName('value');
      else if (type === 'parenthesized_expression') node = node.namedChild(0);
      else break;
    }
    if (!node) return undefined;
    const offset = at ?? node.startIndex;
    // While propagating, assignments are still being recorded: only answers about the finished function are kept.
    if (!this.propagated) return this.computeTaintOf(node, type, offset);
    if (node !== expression || at === undefined) {
      byOffset = this.answers.get(node.id);
      if (byOffset?.has(offset)) {
        const known = byOffset.get(offset);
        if (at !== undefined) this.remember(expression.id, offset, known);
        return known;
      }
    }
    const taint = this.computeTaintOf(node, type, offset);
    this.remember(node.id, offset, taint);
    if (node !== expression && at !== undefined) this.remember(expression.id, offset, taint);
    return taint;
  }

  private remember(id: number, offset: number, taint: Taint | undefined): void {
    let byOffset = this.answers.get(id);
    if (!byOffset) {
      byOffset = new Map();
      this.answers.set(id, byOffset);
    }
    byOffset.set(offset, taint);
  }

  private computeTaintOf(node: Node, type: string, offset: number): Taint | undefined {
    switch (type) {
      case 'identifier':
        return this.taintAt(node.text, offset);
      case 'field_expression': {
        // `node` is unwrapped already: its field is `fieldName(node)`. The path is only built when it is used.
        const field = node.childForFieldName('field')?.text;
        let path: string | undefined;
        if (field && (FIELD_SOURCES[field] || field === 'Length')) {
          path = accessPath(node) ?? node.text;
          if (FIELD_SOURCES[field] && this.isRequestField(field, path)) {
            return { kind: FIELD_SOURCES[field], origin: field, keys: unique([field, path]), source: node };
          }
          if (field === 'Length' && READ_WRITE_LENGTH.test(path.replace(/->/g, '.'))) {
            return { kind: 'value', origin: path.replace(/^.*?(Parameters)/, '$1'), keys: unique([path, 'Length']), source: node };
          }
        }
        const base = this.taintOf(node.childForFieldName('argument'), offset);
        if (!base) return undefined;
        path ??= accessPath(node) ?? node.text;
        if (base.kind === 'value' && !base.fromUserMemory) return { ...base, keys: unique([...base.keys, path]) };
        // `out->NameLength = computed; … out->NameLength`: the driver's own value, not what the caller sent. Not for
        // a raw user address (the caller may change the field again behind the driver's back).
        if (base.kind !== 'pointer') {
          const write = this.ownWriteBefore(node, path, offset);
          if (write) return write.taint;
        }
        // Per field: a pointer field holds a user pointer, an embedded array is the copy's own memory, the rest is user data.
        const shape = field ? fieldShapeAt(this.file, this.fn, node, field) : undefined;
        const perField: Partial<Taint> = {
          userPointer: shape?.pointer === true && !shape.array ? true : undefined,
          embeddedArray: shape?.array ? true : undefined,
          elementPointer: shape?.array && shape.pointer ? true : undefined,
        };
        if (base.kind === 'value') {
          // `in->Table->Entry`: read through a pointer that itself came from user memory. A new value: a probe of
          // the base (`in->Table`) says nothing about the address stored at it.
          if (base.userPointer && base.fromUserMemory && node.childForFieldName('operator')?.text === '->') {
            return { kind: 'value', origin: path, keys: [path], source: node, fromUserMemory: true, ...perField };
          }
          const copied = /\((copied from [^)]*)\)$/.exec(base.origin)?.[1];
          return { ...base, ...perField, origin: copied ? `${path}, ${copied}` : path, keys: unique([...base.keys, path]) };
        }
        return { kind: 'value', origin: path, keys: [path], source: node, fromUserMemory: true, ...perField };
      }
      case 'subscript_expression': {
        const argument = node.childForFieldName('argument');
        const base = this.taintOf(argument, offset);
        const path = accessPath(node) ?? node.text;
        if (base && base.kind !== 'value') return { kind: 'value', origin: path, keys: [path], source: node, fromUserMemory: true, userPointer: elementIsPointer(this.file, argument) || undefined };
        // An element of an array embedded in the user's structure, or a value read through a pointer from it: user data.
        if (base?.kind === 'value' && base.fromUserMemory) {
          return { ...base, origin: path, keys: unique([...base.keys, path]), userPointer: base.embeddedArray && base.elementPointer ? true : undefined, embeddedArray: undefined, elementPointer: undefined };
        }
        return undefined;
      }
      case 'pointer_expression': {
        const operator = node.childForFieldName('operator')?.text ?? node.child(0)?.text;
        const inner = node.childForFieldName('argument');
        if (operator === '&') {
          const target = unwrap(inner);
          // &buffer->Field keeps pointing into user data
          if (target?.type === 'field_expression' || target?.type === 'subscript_expression') {
            const base = this.taintOf(target.childForFieldName('argument'), offset);
            if (base && base.kind !== 'value') return { ...base, keys: unique([...base.keys, accessPath(target) ?? target.text]) };
          }
          return undefined;
        }
        const base = this.taintOf(inner, offset);
        if (base && base.kind !== 'value') return { kind: 'value', origin: node.text, keys: [accessPath(node) ?? node.text], source: node, fromUserMemory: true, userPointer: elementIsPointer(this.file, inner) || undefined };
        // `**pp`, `*(*(PVOID **)buf)`: read through a pointer from user memory, each level a user pointer in turn.
        if (base?.kind === 'value' && base.fromUserMemory && base.userPointer && !base.embeddedArray) {
          return { kind: 'value', origin: node.text, keys: [accessPath(node) ?? node.text], source: node, fromUserMemory: true, userPointer: elementIsPointer(this.file, inner) || undefined };
        }
        return undefined;
      }
      case 'binary_expression': {
        const operator = binaryOperator(node);
        if (!operator || RELATIONAL_OPERATORS.has(operator) || operator === '&&' || operator === '||') return undefined;
        const left = this.taintOf(node.childForFieldName('left'), offset);
        const right = this.taintOf(node.childForFieldName('right'), offset);
        if (operator === '&' || operator === '%') return undefined; // masking bounds the value
        const pointerSide = [left, right].find((taint) => taint && taint.kind !== 'value');
        if (pointerSide) return pointerSide;
        return left ?? right;
      }
      case 'conditional_expression':
        return this.taintOf(node.childForFieldName('consequence'), offset) ?? this.taintOf(node.childForFieldName('alternative'), offset);
      case 'call_expression': {
        // `(PVOID)(x)[1]` parses as a call of `(PVOID)`: a cast of its one argument.
        const callee = node.childForFieldName('function');
        if (callee?.type === 'parenthesized_expression') {
          const args = callArguments(node);
          const inner = callee.namedChild(0);
          if (args.length === 1 && inner?.type === 'identifier' && CAST_LIKE.test(inner.text)) return this.taintOf(args[0], offset);
        }
        const name = calleeName(node);
        if (!name || SANITIZERS.has(name)) return undefined;
        if (name === 'MmGetSystemAddressForMdlSafe' || name === 'MmGetSystemAddressForMdl') {
          const mdl = callArguments(node)[0];
          if (mdl && /MdlAddress/.test(mdl.text)) return { kind: 'buffer', origin: 'Irp->MdlAddress', keys: ['MdlAddress'], source: node };
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private fieldWrites?: Map<string, Node[]>;

  /**
   * Whether the field read `access` (`p->f`, `((PT)p)->f`) reads back what the driver itself stored there before
   * (a plain `p->f = …;` that runs before it on every path through its block, as `ownWriteBefore` finds it).
   */
  writtenByDriverBefore(access: Node): boolean {
    const path = accessPath(access);
    return path !== undefined && this.ownWriteBefore(access, path, access.startIndex) !== undefined;
  }

  /**
   * The driver's own write of the field at `path` that reaches a read of it at `offset` (`node`): the last plain
   * `path = value;` before it, in a statement of a block that holds the read (so it runs before the read on every
   * path through that block), in the same build, with the base variable not re-assigned in between. `taint` is
   * the written value's taint (undefined: a value of the driver's own). Undefined when there is no such write.
   */
  private ownWriteBefore(node: Node, path: string, offset: number): { taint: Taint | undefined } | undefined {
    if (!this.fn.body) return undefined;
    if (!this.fieldWrites) {
      this.fieldWrites = new Map();
      for (const assignment of this.file.within(this.fn.body, 'assignment_expression')) {
        if ((binaryOperator(assignment) ?? assignment.child(1)?.text) !== '=') continue;
        const left = unwrap(assignment.childForFieldName('left'));
        if (left?.type !== 'field_expression') continue;
        const written = accessPath(left);
        if (!written) continue;
        const list = this.fieldWrites.get(written) ?? [];
        list.push(assignment);
        this.fieldWrites.set(written, list);
      }
    }
    const writes = this.fieldWrites.get(path);
    if (!writes) return undefined;
    let last: Node | undefined;
    for (const write of writes) {
      if (write.endIndex > offset || write.endIndex > node.startIndex) break;
      last = write;
    }
    if (!last) return undefined;
    const statement = last.parent;
    if (statement?.type !== 'expression_statement' || statement.parent?.type !== 'compound_statement' || !contains(statement.parent, node)) return undefined;
    if (hasConditionals(this.file) && (isDeadAt(this.file, last.startIndex) || !sameConfiguration(this.file, last.startIndex, node.startIndex))) return undefined;
    // A label between the write and the read lets a `goto` reach the read without the write.
    const between = this.file.text.slice(last.endIndex, node.startIndex);
    if (/^\s*[A-Za-z_]\w*\s*:(?!:)/m.test(between.replace(/\bcase\b[^:]*:|\bdefault\s*:/g, ''))) return undefined;
    const root = /^[A-Za-z_]\w*/.exec(path)?.[0];
    if (root && (this.assignments.get(root) ?? []).some((assignment) => assignment.offset > last!.endIndex && assignment.offset <= node.startIndex)) return undefined;
    return { taint: this.taintOf(last.childForFieldName('right'), last.startIndex) };
  }

  /** A dominating comparison (or overflow-checked arithmetic) mentions one of the names before the use. */
  isGuardedBy(use: Node, names: readonly string[]): boolean {
    return this.checks.isGuardedBy(use, names);
  }

  isGuarded(use: Node, taint: Taint): boolean {
    return this.checks.isGuardedBy(use, taint.keys);
  }

  /** See `FunctionGuards.isProbed`. */
  isProbed(use: Node, names: readonly string[], write = false): boolean {
    return this.checks.isProbed(use, names, write);
  }

  /** See `FunctionGuards.isRangeChecked`. */
  isRangeChecked(use: Node, names: readonly string[]): boolean {
    return this.checks.isRangeChecked(use, names);
  }
}

/**
 * The checks in a function that validate a value before a use (comparisons, probes, user-range checks). They read
 * the function's syntax only, not what is tainted, so a fact that needs no taint asks them without the taint
 * analysis (`functionGuards`).
 */
export class FunctionGuards {
  private conditions?: GuardCondition[];
  private probeCalls?: Node[];
  private readonly guards: GuardIndex;

  constructor(
    private readonly file: SourceFile,
    readonly fn: FunctionInfo,
  ) {
    this.guards = guardIndexOf(file);
  }

  private guardConditions(): GuardCondition[] {
    if (!this.conditions) {
      this.conditions = this.fn.body ? this.guards.conditionsIn(this.file, this.fn.body) : [];
    }
    return this.conditions;
  }

  /** A dominating comparison (or overflow-checked arithmetic) mentions one of the names before the use. */
  isGuardedBy(use: Node, names: readonly string[]): boolean {
    if (names.length === 0) return false;
    const wanted = new Set(names);
    const useStart = use.startIndex;
    const useEnd = use.endIndex;
    if (this.guardedByShortCircuit(use, useEnd, wanted)) return true;
    for (const guard of this.guardConditions()) {
      if (guard.start >= useStart) continue;
      if (guard.start <= useStart && useEnd <= guard.end) continue; // the use is inside the condition
      const dominates = (guard.ownerStart <= useStart && useEnd <= guard.ownerEnd)
        || (guard.ownerEnd <= useStart && this.guards.ownerParentContains(guard, useStart, useEnd));
      if (!dominates) {
        // `#ifdef A  if (len < N) return …;  #else  if (len < M) return …;  #endif  use`: every arm checks.
        if (guard.ownerEnd <= useStart && this.guardedInEveryArm(guard, useStart, useEnd, (condition) => this.guards.checks(this.file, condition, wanted))) return true;
        continue;
      }
      // A guard in one `#if` arm says nothing about code in another arm; a dead arm (`#if 0`) guards nothing.
      if (!sameConfiguration(this.file, guard.start, useStart) || isDeadAt(this.file, guard.start)) continue;
      if (this.guards.checks(this.file, guard.condition, wanted)) return true;
    }
    return false;
  }

  /** The guard sits at the top level of an `#if` arm that ended before the use: every arm a build takes has a guard checking the keys. */
  private guardedInEveryArm(guard: GuardCondition, useStart: number, useEnd: number, checks: (condition: Node) => boolean): boolean {
    if (!hasConditionals(this.file) || armsAt(this.file, guard.ownerStart).length === 0) return false;
    const arm = armOfChild(this.file, guard.owner, guard.owner.parent);
    if (!arm) return false;
    return holdsAfterChain(this.file, arm, useStart, useEnd, (other) => this.guardConditions().some((candidate) => candidate.ownerStart >= other.start && candidate.ownerEnd <= other.end
      && armOfChild(this.file, candidate.owner, candidate.owner.parent)?.id === other.id && checks(candidate.condition)));
  }

  /** `len >= sizeof(T) && p->x` and `len < sizeof(T) || p->x`: the left operand checks before the right runs. */
  private guardedByShortCircuit(use: Node, useEnd: number, keys: ReadonlySet<string>): boolean {
    return this.guards.shortCircuitLefts(this.file, use, useEnd).some((left) => this.guards.checks(this.file, left, keys));
  }

  /**
   * ProbeForRead/ProbeForWrite of one of the names, before the use, in a block that holds the use, in the use's
   * configuration (a probe inside an `#if` arm holds after the `#endif` only when every arm probes). With
   * `write`, only a probe for writing counts.
   */
  isProbed(use: Node, names: readonly string[], write = false): boolean {
    this.probeCalls ??= this.fn.body ? this.file.within(this.fn.body, 'call_expression').filter((call) => PROBES.has(calleeName(call) ?? '')) : [];
    const wanted = new Set(names);
    const useStart = use.startIndex;
    const candidates = this.probeCalls.filter((probe) => {
      if (probe.startIndex >= useStart) return false;
      if (write && !WRITE_PROBES.has(calleeName(probe) ?? '')) return false;
      const pointer = callArguments(probe)[0];
      if (!pointer || !mentions(pointer, wanted)) return false;
      if (isDeadAt(this.file, probe.startIndex)) return false;
      // The block around the probe's statement (an `#if` arm is not a block: the block around the chain is).
      let block = probe.parent?.parent ?? null;
      while (block && block.type.startsWith('preproc_')) block = block.parent;
      // A probe in a `__try` whose `__except` leaves the function holds after the `__try` as well.
      const tryStatement = block?.parent;
      if (block && tryStatement?.type === 'seh_try_statement' && tryStatement.childForFieldName('body')?.id === block.id
        && tryStatement.namedChildren.some((part) => part?.type === 'seh_except_clause' && /\breturn\b/.test(part.text))) {
        block = tryStatement.parent;
        while (block && block.type.startsWith('preproc_')) block = block.parent;
      }
      return block ? contains(block, use) : true;
    });
    return candidates.some((probe) => reachesUse(this.file, probe.startIndex, useStart, (arm) => candidates.some((other) => arm.start <= other.startIndex && other.startIndex < arm.end)));
  }

  /** A dominating comparison of one of the names against MmUserProbeAddress (or MM_USER_PROBE_ADDRESS) before the use. */
  isRangeChecked(use: Node, names: readonly string[]): boolean {
    if (names.length === 0) return false;
    const wanted = new Set(names);
    const useStart = use.startIndex;
    const useEnd = use.endIndex;
    return this.guardConditions().some((guard) => {
      if (guard.start >= useStart || (guard.start <= useStart && useEnd <= guard.end)) return false;
      const dominates = (guard.ownerStart <= useStart && useEnd <= guard.ownerEnd)
        || (guard.ownerEnd <= useStart && this.guards.ownerParentContains(guard, useStart, useEnd));
      const rangeCheck = (condition: Node) => USER_RANGE_LIMIT.test(this.file.textOf(condition)) && this.guards.checks(this.file, condition, wanted);
      if (!dominates) {
        // `#ifdef _WIN64  if (p >= MM_USER_PROBE_ADDRESS) …  #else  if (p >= MmUserProbeAddress) …  #endif  use`.
        return guard.ownerEnd <= useStart && rangeCheck(guard.condition) && this.guardedInEveryArm(guard, useStart, useEnd, rangeCheck);
      }
      if (!sameConfiguration(this.file, guard.start, useStart) || isDeadAt(this.file, guard.start)) return false;
      return rangeCheck(guard.condition);
    });
  }
}

const guardsByFunction = new WeakMap<FunctionInfo, FunctionGuards>();

/** The function's guard checks, shared by its FunctionTaint and by facts that need no taint. */
export function functionGuards(file: SourceFile, fn: FunctionInfo): FunctionGuards {
  let guards = guardsByFunction.get(fn);
  if (!guards) {
    guards = new FunctionGuards(file, fn);
    guardsByFunction.set(fn, guards);
  }
  return guards;
}

/** `&x` → x (unwrapped). */
export function addressOf(node: Node | undefined): Node | undefined {
  const target = unwrap(node);
  if (target?.type !== 'pointer_expression' || (target.childForFieldName('operator')?.text ?? target.child(0)?.text) !== '&') return undefined;
  return unwrap(target.childForFieldName('argument')) ?? undefined;
}

/** `&name` → name. */
function addressOfName(node: Node | undefined): string | undefined {
  const target = unwrap(node);
  if (target?.type !== 'pointer_expression') return undefined;
  const inner = unwrap(target.childForFieldName('argument'));
  return inner?.type === 'identifier' ? inner.text : undefined;
}

/** Whether an expression names one of the keys (identifier, access path, or distinctive field name). */
export function mentions(expression: Node, keys: ReadonlySet<string>): boolean {
  const node = unwrap(expression);
  if (!node) return false;
  if (keys.has(node.text)) return true;
  const path = accessPath(node);
  if (path && keys.has(path)) return true;
  for (const inner of descendantsOfType(node, ['identifier', 'field_expression', 'field_identifier'])) {
    if (inner.type === 'identifier' && keys.has(inner.text)) return true;
    if (inner.type === 'field_identifier' && FIELD_SOURCES[inner.text] && keys.has(inner.text)) return true;
    if (inner.type === 'field_expression') {
      const innerPath = accessPath(inner);
      if (innerPath && keys.has(innerPath)) return true;
    }
  }
  return false;
}

function conditionChecks(condition: Node, keys: ReadonlySet<string>): boolean {
  for (const expression of descendantsOfType(condition, ['binary_expression', 'call_expression'])) {
    if (expression.type === 'call_expression') {
      if (SAFE_ARITHMETIC.test(calleeName(expression) ?? '') && callArguments(expression).some((arg) => mentions(arg, keys))) return true;
      continue;
    }
    const operator = binaryOperator(expression);
    if (!operator || !RELATIONAL_OPERATORS.has(operator)) continue;
    const left = expression.childForFieldName('left');
    const right = expression.childForFieldName('right');
    if ((left && mentions(left, keys)) || (right && mentions(right, keys))) return true;
  }
  return false;
}

interface GuardCondition {
  condition: Node;
  owner: Node;
  /** Offsets of the condition and its owner. */
  start: number;
  end: number;
  ownerStart: number;
  ownerEnd: number;
  /** The owner's parent's span: undefined until first needed, null for no parent. */
  parentSpan?: { start: number; end: number } | null;
}

/**
 * What guard checks ask about the syntax, computed once per file and shared by every FunctionTaint (also the
 * throw-away ones of `computeParameterTaint`): the conditions of each function, the strings each condition can
 * "mention" (so a check for some names is a set lookup instead of a walk of the condition), and the left operands
 * of the `&&`/`||` around a use. Pure functions of the tree, so caching them cannot change an answer.
 */
class GuardIndex {
  private readonly conditionsByBody = new Map<number, GuardCondition[]>();
  private readonly mentionSets = new Map<number, ReadonlySet<string>>();
  private readonly lefts = new Map<number, Node[]>();
  /** The file's `&&`/`||` candidates (see `insideShortCircuit`): starts ascending, and the running maximum of ends. */
  private shortCircuits?: { starts: number[]; maxEnds: number[] };

  conditionsIn(file: SourceFile, body: Node): GuardCondition[] {
    let conditions = this.conditionsByBody.get(body.id);
    if (!conditions) {
      conditions = [];
      for (const owner of file.withinAll(body, ['if_statement', 'while_statement', 'for_statement', 'do_statement', 'conditional_expression'])) {
        const condition = owner.childForFieldName('condition');
        if (condition) conditions.push({ condition, owner, start: condition.startIndex, end: condition.endIndex, ownerStart: owner.startIndex, ownerEnd: owner.endIndex });
      }
      this.conditionsByBody.set(body.id, conditions);
    }
    return conditions;
  }

  ownerParentContains(guard: GuardCondition, start: number, end: number): boolean {
    if (guard.parentSpan === undefined) {
      const parent = guard.owner.parent;
      guard.parentSpan = parent ? { start: parent.startIndex, end: parent.endIndex } : null;
    }
    return guard.parentSpan !== null && guard.parentSpan.start <= start && end <= guard.parentSpan.end;
  }

  /** Same answer as `conditionChecks(condition, keys)`. */
  checks(file: SourceFile, condition: Node, keys: ReadonlySet<string>): boolean {
    let mentioned = this.mentionSets.get(condition.id);
    if (!mentioned) {
      mentioned = conditionMentions(file, condition);
      this.mentionSets.set(condition.id, mentioned);
    }
    if (mentioned.size === 0) return false;
    for (const key of keys) if (mentioned.has(key)) return true;
    return false;
  }

  /**
   * Whether some `&&`/`||` binary expression spans the use. Every ancestor spans its descendants, so when none
   * does, the use has no `&&`/`||` ancestor and `shortCircuitLefts` is empty without walking up (a parent costs a
   * descent from the root). The candidates are found from their operator tokens in the text.
   */
  private insideShortCircuit(file: SourceFile, start: number, end: number): boolean {
    if (!this.shortCircuits) {
      // The operator of a `&&`/`||` expression is a token of the parsed text, which equals the file's text except
      // for blanked annotations (same offsets): every such expression is the nearest named node around one of the
      // text's `&&`/`||` (looked up from the function holding it, a shorter descent than from the root).
      const spans: { start: number; end: number }[] = [];
      const text = file.text;
      for (const operator of ['&&', '||']) {
        for (let at = text.indexOf(operator); at >= 0; at = text.indexOf(operator, at + 1)) {
          const from = file.functionAt(at)?.node ?? file.root;
          const expression = from.namedDescendantForIndex(at, at + 2);
          if (expression?.type === 'binary_expression') spans.push({ start: expression.startIndex, end: expression.endIndex });
        }
      }
      spans.sort((a, b) => a.start - b.start);
      const maxEnds: number[] = [];
      let max = -1;
      for (const span of spans) maxEnds.push(max = Math.max(max, span.end));
      this.shortCircuits = { starts: spans.map((span) => span.start), maxEnds };
    }
    const { starts, maxEnds } = this.shortCircuits;
    // The last candidate starting at or before the use: any candidate that spans the use starts there or earlier.
    const after = firstAbove(starts, start);
    return after > 0 && maxEnds[after - 1] >= end;
  }

  /** Left operands of the `&&`/`||` expressions a use sits on the right of, up to its statement's block. */
  shortCircuitLefts(file: SourceFile, use: Node, useEnd: number): Node[] {
    let found = this.lefts.get(use.id);
    if (!found) {
      found = [];
      if (!this.insideShortCircuit(file, use.startIndex, useEnd)) {
        this.lefts.set(use.id, found);
        return found;
      }
      let current: Node = use;
      let parent = current.parent;
      while (parent) {
        const parentType = parent.type;
        if (parentType === 'compound_statement') break;
        if (parentType === 'binary_expression') {
          const operator = binaryOperator(parent);
          const left = parent.childForFieldName('left');
          if ((operator === '&&' || operator === '||') && left && left.id !== current.id) found.push(left);
        }
        current = parent;
        parent = current.parent;
      }
      this.lefts.set(use.id, found);
    }
    return found;
  }
}

const guardIndexes = new WeakMap<SourceFile, GuardIndex>();

function guardIndexOf(file: SourceFile): GuardIndex {
  let index = guardIndexes.get(file);
  if (!index) {
    index = new GuardIndex();
    guardIndexes.set(file, index);
  }
  return index;
}

/**
 * Every string whose presence among a check's keys makes `conditionChecks(condition, keys)` true: the mention
 * strings (see `mentionStrings`) of both operands of each relational comparison and of the arguments of each
 * overflow-checked arithmetic call in the condition.
 */
function conditionMentions(file: SourceFile, condition: Node): ReadonlySet<string> {
  const strings = new Set<string>();
  // The engine's walk usually has these nodes: the condition's are then found without walking it (only the set of
  // strings matters, not the order they are found in).
  const expressions = file.gathered('binary_expression') && file.gathered('call_expression')
    ? file.withinAll(condition, ['binary_expression', 'call_expression'])
    : descendantsOfType(condition, ['binary_expression', 'call_expression']);
  for (const expression of expressions) {
    if (expression.type === 'call_expression') {
      if (SAFE_ARITHMETIC.test(calleeName(expression) ?? '')) for (const arg of callArguments(expression)) mentionStrings(arg, strings);
      continue;
    }
    const operator = binaryOperator(expression);
    if (!operator || !RELATIONAL_OPERATORS.has(operator)) continue;
    const left = expression.childForFieldName('left');
    const right = expression.childForFieldName('right');
    if (left) mentionStrings(left, strings);
    if (right) mentionStrings(right, strings);
  }
  return strings;
}

/** The strings `mentions(expression, keys)` tests against the keys: it is true exactly when one of them is a key. */
function mentionStrings(expression: Node, into: Set<string>): void {
  const node = unwrap(expression);
  if (!node) return;
  into.add(node.text);
  // Leaves need no walk: an identifier's path and only inner identifier are itself, a number has neither.
  const type = node.type;
  if (type === 'identifier' || type === 'number_literal') return;
  const path = accessPath(node);
  if (path) into.add(path);
  for (const inner of descendantsOfType(node, ['identifier', 'field_expression', 'field_identifier'])) {
    if (inner.type === 'identifier') into.add(inner.text);
    else if (inner.type === 'field_identifier') {
      if (FIELD_SOURCES[inner.text]) into.add(inner.text);
    } else {
      const innerPath = accessPath(inner);
      if (innerPath) into.add(innerPath);
    }
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * Words that every direct source of user input in a function's own code mentions: the request's buffer and length
 * fields (`FIELD_SOURCES`), `Parameters.Read/Write.Length`, the WDF retrieve calls (`WDF_RETRIEVE`) and
 * `Irp->MdlAddress`. All other taint derives from these or from parameters.
 */
const SOURCE_WORDS = new RegExp([...Object.keys(FIELD_SOURCES), 'Parameters', ...Object.keys(WDF_RETRIEVE), 'MdlAddress'].join('|'));

/**
 * Whether a function's own code may read user input: a source word in its text, or a KMDF request callback's
 * parameters. Asked of the function's text alone (after an edit, only the edited function's is new).
 */
function mayReadUserInput(file: SourceFile, fn: FunctionInfo): boolean {
  if (file.driver.kmdfCallbackOf(fn.name) !== undefined) return true;
  return SOURCE_WORDS.test(file.textOf(fn.node));
}

/**
 * What one function handed its callees in an analysis, kept so that the next version of the file can take it over
 * where the function's text is unchanged (`computeParameterTaint`'s `previous`).
 */
export interface PassedTaintRecord {
  /** Whether the function calls another function of the file. */
  localCalls: boolean;
  /** `mayReadUserInput`, once asked. */
  mayRead?: boolean;
  /** For each parameter taint the function was analyzed with (`passedInputKey`): what it passed, in call order. */
  runs: Map<string, readonly PassedArgument[]>;
}

/** A taint one call passes into a callee's parameter, its source as an offset in the caller or as a parameter's source. */
interface PassedArgument {
  callee: string;
  index: number;
  /** The taint with `source` left undefined (kept in place so a copy has the fields in the same order). */
  taint: Taint;
  source: { parameter: number } | NodePlace;
}

/**
 * Where a source lies, as `PassedArgument.source` keeps it: inside the function by its place (its text is the same
 * in the next version, so the node is found again), else as the first parameter whose taint has that very source.
 */
function sourceDescriptor(fn: FunctionInfo, source: Node, input: ParameterTaint | undefined): PassedArgument['source'] | undefined {
  const inside = placeIn(fn.node, source);
  if (inside) return inside;
  if (!input) return undefined;
  for (const [parameter, taint] of [...input].sort((x, y) => x[0] - y[0])) if (taint.source === source) return { parameter };
  return undefined;
}

/** The node a descriptor names in this version, or undefined when there is none (then nothing is taken over). */
function sourceNode(fn: FunctionInfo, descriptor: PassedArgument['source'], input: ParameterTaint | undefined): Node | undefined {
  return 'parameter' in descriptor ? input?.get(descriptor.parameter)?.source : nodeAtPlace(fn.node, descriptor);
}

/**
 * A function's parameter taint as the key of what it passes on: every field but the sources, and each source as an
 * offset inside the function or as which parameters share it (the function's own analysis never reads a source).
 */
function passedInputKey(fn: FunctionInfo, input: ParameterTaint | undefined): string {
  if (!input || input.size === 0) return '';
  const entries = [...input].sort((x, y) => x[0] - y[0]);
  return entries.map(([index, taint]) => {
    const inside = taint.source.startIndex >= fn.node.startIndex && taint.source.endIndex <= fn.node.endIndex;
    const source = inside ? `@${taint.source.startIndex - fn.node.startIndex}:${taint.source.endIndex - taint.source.startIndex}:${taint.source.type}`
      : `#${entries.find(([, other]) => other.source === taint.source)![0]}`;
    return `${index}=${source}=${JSON.stringify({ ...taint, source: undefined })}`;
  }).join(' ');
}

const PASSED_TAINT = 'passed-taint';

/**
 * Propagates taint from callers' arguments into callee parameters across the file (two rounds). After an edit inside
 * one function (`SourceFile.takeOverSummaries`), a function whose text is unchanged and whose parameters have the
 * same taint passes on what it passed in the last version (its `PassedTaintRecord`), without analyzing it again.
 */
export function computeParameterTaint(file: SourceFile, built?: Map<number, { taint: FunctionTaint; parameters: number }>): Map<string, ParameterTaint> {
  const result = new Map<string, ParameterTaint>();
  const builtHere = built ?? new Map<number, { taint: FunctionTaint; parameters: number }>();
  const localCalls = new Map<number, Node[]>();
  const callsOf = (fn: FunctionInfo, body: Node): Node[] => {
    let calls = localCalls.get(fn.node.id);
    if (!calls) {
      calls = file.within(body, 'call_expression').filter((call) => {
        const callee = calleeName(call);
        return callee !== undefined && callee !== fn.name && file.functionByName(callee) !== undefined;
      });
      localCalls.set(fn.node.id, calls);
    }
    return calls;
  };
  const functions = file.functions();
  const records = new Map<FunctionInfo, PassedTaintRecord>();
  for (let round = 0; round < 2; round++) {
    let changed = false;
    const pass = (callee: string, index: number, taint: Taint) => {
      const params = result.get(callee) ?? new Map<number, Taint>();
      if (!params.has(index)) {
        params.set(index, { ...taint, origin: taint.origin });
        result.set(callee, params);
        changed = true;
      }
    };
    for (const fn of functions) {
      const body = fn.body;
      if (!body) continue;
      const old = file.summaryBefore<PassedTaintRecord>(PASSED_TAINT, fn);
      let record = records.get(fn);
      if (!record) {
        record = { localCalls: old ? old.localCalls : callsOf(fn, body).length > 0, mayRead: old?.mayRead, runs: new Map() };
        records.set(fn, record);
        file.keepSummary(PASSED_TAINT, fn, record);
      }
      if (!record.localCalls) continue;
      const input = result.get(fn.name);
      // Parameter taints are only ever added: the same count means the same parameters, hence the same taint.
      const parameters = input?.size ?? 0;
      // Without tainted parameters and without a source in its code, the function's taint is empty: it passes nothing on.
      if (parameters === 0 && !(record.mayRead ??= mayReadUserInput(file, fn))) continue;
      const inputKey = passedInputKey(fn, input);
      const earlier = record.runs.get(inputKey) ?? old?.runs.get(inputKey);
      const replayed = earlier && replay(fn, earlier, input, pass);
      if (replayed) {
        record.runs.set(inputKey, earlier);
        continue;
      }
      const previousBuild = builtHere.get(fn.node.id);
      const taint = previousBuild && previousBuild.parameters === parameters ? previousBuild.taint : new FunctionTaint(file, fn, input);
      builtHere.set(fn.node.id, { taint, parameters });
      const passed: PassedArgument[] = [];
      let keepable = true;
      for (const call of callsOf(fn, body)) {
        const callee = file.functionByName(calleeName(call)!)!;
        callArguments(call).forEach((arg, index) => {
          let argTaint = taint.taintOf(arg);
          if (!argTaint) return;
          // A value the caller already compared is not passed on: the caller validated it.
          if (argTaint.kind === 'value' && argTaint.fromUserMemory && argTaint.userPointer) {
            // A pointer from user memory stays one after a NULL check: only a probe or a range check validates it.
            if (taint.isProbed(call, argTaint.keys) || taint.isRangeChecked(call, argTaint.keys)) return;
          } else if (argTaint.kind === 'value' && taint.isGuarded(call, argTaint)) return;
          if (argTaint.kind === 'buffer' && !argTaint.minimumLength && taint.isGuardedBy(call, LENGTH_KEYS)) {
            argTaint = { ...argTaint, minimumLength: 'checked by the caller' };
          }
          const source = sourceDescriptor(fn, argTaint.source, input);
          if (source) passed.push({ callee: callee.name, index, taint: { ...argTaint, source: undefined as unknown as Node }, source });
          else keepable = false;
          pass(callee.name, index, argTaint);
        });
      }
      if (keepable) record.runs.set(inputKey, passed);
    }
    if (!changed) break;
  }
  return result;
}

/** Passes on what a function passed before, its sources found again in this version; false when one is not found. */
function replay(fn: FunctionInfo, passed: readonly PassedArgument[], input: ParameterTaint | undefined, pass: (callee: string, index: number, taint: Taint) => void): boolean {
  const taints: Taint[] = [];
  for (const argument of passed) {
    const source = sourceNode(fn, argument.source, input);
    if (!source) return false;
    taints.push({ ...argument.taint, source });
  }
  passed.forEach((argument, index) => pass(argument.callee, argument.index, taints[index]));
  return true;
}
