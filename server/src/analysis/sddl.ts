/**
 * Device-object security descriptors written as SDDL: resolving the string an IoCreateDeviceSecure /
 * WdfDeviceInitAssignSDDLString / WdfControlDeviceInitAllocate argument names, and judging who it lets write.
 */
import { callArguments, calleeName, unwrap, type Node } from './query';
import type { SourceFile } from './source-file';
import { lookupTable } from './lookup';

/** The SDDL_DEVOBJ_* constants of wdmsec.h. */
export const KNOWN_SDDL: Record<string, string> = lookupTable({
  SDDL_DEVOBJ_KERNEL_ONLY: 'D:P',
  SDDL_DEVOBJ_SYS_ALL: 'D:P(A;;GA;;;SY)',
  SDDL_DEVOBJ_SYS_ALL_ADM_ALL: 'D:P(A;;GA;;;SY)(A;;GA;;;BA)',
  SDDL_DEVOBJ_SYS_ALL_ADM_RX: 'D:P(A;;GA;;;SY)(A;;GRGX;;;BA)',
  SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R: 'D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GR;;;WD)',
  SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R_RES_R: 'D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GR;;;WD)(A;;GR;;;RC)',
  SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R: 'D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGW;;;WD)(A;;GR;;;RC)',
  SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RWX_RES_RWX: 'D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGWGX;;;WD)(A;;GRGWGX;;;RC)',
  SDDL_DEVOBJ_SYS_ALL_ADM_ALL_WORLD_ALL_RES_ALL: 'D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;WD)(A;;GA;;;RC)',
});

/** Trustees that stand for (nearly) every user. */
const BROAD_TRUSTEES: Record<string, string> = lookupTable({
  WD: 'Everyone',
  BU: 'Builtin Users',
  AU: 'Authenticated Users',
  IU: 'Interactive Users',
  AN: 'Anonymous',
  BG: 'Builtin Guests',
});

/** Rights codes that allow writing to (or taking over) the device. */
const WRITE_RIGHTS = new Set(['GA', 'GW', 'FA', 'FW', 'WD', 'WO', 'KA', 'KW', 'SD']);
/** GENERIC_ALL | GENERIC_WRITE | FILE_WRITE_DATA | FILE_APPEND_DATA | DELETE | WRITE_DAC | WRITE_OWNER. */
const WRITE_MASK = 0x10000000 | 0x40000000 | 0x2 | 0x4 | 0x10000 | 0x40000 | 0x80000;

export interface BroadGrant {
  /** The ACE as written, `(A;;GA;;;WD)`. */
  ace: string;
  trustee: string;
  who: string;
  rights: string;
}

/** The first allow ACE granting write access to a broad group, if any. */
export function broadWriteGrant(sddl: string): BroadGrant | undefined {
  const dacl = /D:[A-Z]*((?:\([^)]*\))*)/.exec(sddl)?.[1] ?? '';
  for (const match of dacl.matchAll(/\(([^)]*)\)/g)) {
    const parts = match[1].split(';');
    if (parts.length < 6) continue;
    const [type, , rights, , , trustee] = parts.map((part) => part.trim());
    if (type !== 'A' || !(trustee in BROAD_TRUSTEES)) continue;
    if (grantsWrite(rights)) return { ace: match[0], trustee, who: BROAD_TRUSTEES[trustee], rights };
  }
  return undefined;
}

function grantsWrite(rights: string): boolean {
  if (/^0[xX][0-9a-fA-F]+$/.test(rights)) return (Number.parseInt(rights, 16) & WRITE_MASK) !== 0;
  for (let index = 0; index + 1 < rights.length; index += 2) {
    if (WRITE_RIGHTS.has(rights.slice(index, index + 2))) return true;
  }
  return false;
}

/** The text of the string literals in an expression (`L"a" L"b"` → `ab`), or undefined when it holds none. */
function literalText(text: string): string | undefined {
  const pieces = [...text.matchAll(/"((?:[^"\\\n]|\\.)*)"/g)].map((match) => match[1]);
  return pieces.length > 0 ? pieces.join('') : undefined;
}

/**
 * The SDDL string a `PCUNICODE_STRING` argument names: a wdmsec.h constant, a macro, a
 * `DECLARE_CONST_UNICODE_STRING(name, L"...")`, a `UNICODE_STRING name = RTL_CONSTANT_STRING(L"...")` or
 * `RtlInitUnicodeString(&name, L"...")` in this file. Undefined when it cannot be resolved (or is ambiguous).
 */
/**
 * `(PUNICODE_STRING) &name` parses as a bitwise and of a parenthesized name and `name`: the string argument is
 * `name`. Other arguments are returned as they are.
 */
export function stringArgument(argument: Node | undefined): Node | undefined {
  const node = unwrap(argument);
  if (node?.type !== 'binary_expression' || node.childForFieldName('operator')?.text !== '&') return argument;
  const left = node.childForFieldName('left');
  const right = unwrap(node.childForFieldName('right'));
  if (left?.type === 'parenthesized_expression' && /^\(\s*(P|LP|PC)?[A-Z][A-Z0-9_]*\s*\)$/.test(left.text) && right?.type === 'identifier') return right;
  return argument;
}

export function resolveSddl(file: SourceFile, argument: Node | undefined): string | undefined {
  let node = unwrap(stringArgument(argument));
  if (node?.type === 'pointer_expression' && node.child(0)?.type === '&') node = unwrap(node.childForFieldName('argument'));
  if (!node || node.type !== 'identifier') return undefined;
  const name = node.text;
  if (name in KNOWN_SDDL) return KNOWN_SDDL[name];
  const found = new Set<string>();
  for (const call of file.nodes('call_expression')) {
    const callee = calleeName(call);
    if (callee !== 'DECLARE_CONST_UNICODE_STRING' && callee !== 'DECLARE_UNICODE_STRING' && callee !== 'RtlInitUnicodeString') continue;
    const args = callArguments(call);
    const target = unwrap(args[0]);
    const targetName = target?.type === 'pointer_expression' ? unwrap(target.childForFieldName('argument'))?.text : target?.text;
    if (targetName !== name || !args[1]) continue;
    const value = literalText(args[1].text) ?? expandedSddl(file, args[1].text);
    if (value === undefined) return undefined;
    found.add(value);
  }
  for (const declarator of file.nodes('init_declarator')) {
    if (declarator.childForFieldName('declarator')?.text !== name) continue;
    const value = declarator.childForFieldName('value');
    const text = value ? literalText(value.text) : undefined;
    if (text === undefined) return undefined;
    found.add(text);
  }
  if (found.size === 0) {
    const macro = expandedSddl(file, name);
    if (macro !== undefined) found.add(macro);
  }
  return found.size === 1 ? [...found][0] : undefined;
}

function expandedSddl(file: SourceFile, text: string, depth = 0): string | undefined {
  const name = text.trim();
  if (name in KNOWN_SDDL) return KNOWN_SDDL[name];
  const body = /^[A-Za-z_]\w*$/.test(name) ? file.macros.get(name)?.body : undefined;
  if (body === undefined) return undefined;
  const literal = literalText(body);
  if (literal !== undefined) return literal;
  const inner = /^\s*(?:RTL_CONSTANT_STRING\s*\()?\s*([A-Za-z_]\w*)\s*\)?\s*$/.exec(body)?.[1];
  return inner && depth < 4 ? expandedSddl(file, inner, depth + 1) : undefined;
}

/** SDDL arguments of the calls that set a device object's security descriptor. */
export const SDDL_ARGUMENT: Record<string, number> = lookupTable({
  IoCreateDeviceSecure: 6,
  WdmlibIoCreateDeviceSecure: 6,
  WdfDeviceInitAssignSDDLString: 1,
  WdfControlDeviceInitAllocate: 1,
});

/** True when the file gives a device object an SDDL that lets no broad group write (e.g. SDDL_DEVOBJ_SYS_ALL_ADM_ALL). */
export function hasRestrictiveDeviceSddl(file: SourceFile): boolean {
  for (const call of file.nodes('call_expression')) {
    const index = SDDL_ARGUMENT[calleeName(call) ?? ''];
    if (index === undefined) continue;
    const sddl = resolveSddl(file, callArguments(call)[index]);
    if (sddl !== undefined && !broadWriteGrant(sddl)) return true;
  }
  return false;
}
