/**
 * What one file contributes to the analysis of the others: macro definitions (IOCTL codes and sizes usually live
 * in a shared header) and the roles of functions (`DRIVER_DISPATCH Foo;` in a header, `MajorFunction[...] = Foo`
 * in another file). Built with a light text scan, no parse, so a whole workspace indexes in milliseconds.
 */
import { callTokens } from './call-tokens';
import * as path from 'node:path';
import type { MacroDefinition, MacroLookup } from './macros';
import { lookupTable, matchesAt, occurrences } from './lookup';
import { wppFunctions, type WppFunction } from './wpp';

export type FunctionRole =
  | 'driver-entry'
  | 'wdm-dispatch'
  | 'kmdf-io'
  | 'kmdf-in-caller-context'
  | 'unload';

export interface FileIndexEntry {
  /** Pageable functions: named in `#pragma alloc_text(PAGE…, …)` or starting with PAGED_CODE(). */
  paged?: string[];
  macros: MacroDefinition[];
  /** The files it `#include`s, as written (`public.h`, `../inc/ioctl.h`): a tie between macro definitions goes to them. */
  includes?: string[];
  /** WPP trace functions its `begin_wpp config` comments declare (`FUNC CHK_NT_MSG{…}(STATUS, MSG, ...)`). */
  wpp?: WppFunction[];
  /** `declared`: the role comes from a role-type declaration (`DRIVER_DISPATCH Name;`), not an assignment. */
  roles: { name: string; role: FunctionRole; detail?: string; declared?: boolean }[];
  /** The file calls `ExInitializeDriverRuntime(DrvRtPoolNxOptIn)`: the driver's NonPagedPool is non-executable. */
  poolNxOptIn: boolean;
  /** Names the file calls (`Name(` outside a definition's own line start), for "is this helper called from another file". */
  calls?: string[];
  /**
   * Structure fields the file declares, as [name, shape]: 1 a pointer (or address-sized integer), 2 an array, 3 an
   * array of pointers, 0 anything else. Sorted by name; a name declared with different shapes appears once per shape.
   */
  fields?: [string, number][];
  /**
   * The same per structure: [owner, field, shape, declared type], the owner being each name of the structure (`_X`,
   * `X`, and `*PX` for a pointer typedef `*PX`), the type `T`, `T*` (declared with a star) or `T[]`. Sorted.
   */
  structFields?: [string, string, number, string][];
}

/** Role-type declarations (`DRIVER_DISPATCH Name;`) and the role each type stands for. */
export const ROLE_TYPES: Record<string, { role: FunctionRole; detail?: string }> = lookupTable({
  DRIVER_INITIALIZE: { role: 'driver-entry' },
  DRIVER_DISPATCH: { role: 'wdm-dispatch' },
  DRIVER_DISPATCH_PAGED: { role: 'wdm-dispatch' },
  DRIVER_DISPATCH_RAISED: { role: 'wdm-dispatch' },
  DRIVER_UNLOAD: { role: 'unload' },
  EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL: { role: 'kmdf-io', detail: 'EvtIoDeviceControl' },
  EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL: { role: 'kmdf-io', detail: 'EvtIoInternalDeviceControl' },
  EVT_WDF_IO_QUEUE_IO_READ: { role: 'kmdf-io', detail: 'EvtIoRead' },
  EVT_WDF_IO_QUEUE_IO_WRITE: { role: 'kmdf-io', detail: 'EvtIoWrite' },
  EVT_WDF_IO_QUEUE_IO_DEFAULT: { role: 'kmdf-io', detail: 'EvtIoDefault' },
  EVT_WDF_IO_IN_CALLER_CONTEXT: { role: 'kmdf-in-caller-context', detail: 'EvtIoInCallerContext' },
  EVT_WDF_DRIVER_UNLOAD: { role: 'unload' },
});

/** KMDF queue config fields that hold user-mode entry points. */
export const KMDF_IO_CALLBACK_FIELDS = new Set([
  'EvtIoDeviceControl',
  'EvtIoInternalDeviceControl',
  'EvtIoRead',
  'EvtIoWrite',
  'EvtIoDefault',
]);

const DEFINE = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(\(([^)]*)\))?[ \t]*(.*)$/;
const INCLUDE = /^[ \t]*#[ \t]*include[ \t]*["<]([^">]+)[">]/;

/**
 * `DRIVER_DISPATCH Foo;`: a role type, then the function's name. The role types are spelled out so the scan stops
 * only at them, not at every `ULONG length;` (a match can hold no other one: its name is followed by `;`).
 */
const ROLE_DECLARATION = new RegExp(`\\b(${Object.keys(ROLE_TYPES).join('|')})[ \\t]+([A-Za-z_]\\w*)[ \\t]*;`, 'g');
const MAJOR_FUNCTION = /MajorFunction\s*\[\s*([A-Za-z_0-9]+)\s*\]\s*=\s*(?:\(\s*PDRIVER_DISPATCH\s*\)\s*)?([A-Za-z_]\w*)\s*;/g;
const QUEUE_CALLBACK_AT = /\.\s*(EvtIo\w+)\s*=\s*([A-Za-z_]\w*)\s*;/y;
/** The NX pool opt-in (only declared when the driver builds with POOL_NX_OPTIN=1). */
export const POOL_NX_OPT_IN = /\bExInitializeDriverRuntime\s*\(\s*DrvRtPoolNxOptIn\s*\)/;

/** One line of a text at a time, by number, without splitting the text. */
class LineCursor {
  line = 0;
  private start = 0;
  private end: number;

  constructor(private readonly source: string) {
    this.end = this.lineEnd(0);
  }

  /** Moves forward to the line holding `offset`. */
  moveTo(offset: number): void {
    while (this.end < offset && this.hasNext()) this.next();
  }

  hasNext(): boolean {
    return this.end < this.source.length;
  }

  next(): void {
    this.start = this.end + 1;
    this.end = this.lineEnd(this.start);
    this.line++;
  }

  /** Where the next line starts (past the end of the text on the last line). */
  nextStart(): number {
    return this.end + 1;
  }

  /** The line's text without its line break (CRLF files: `.` does not match `\r`, which would keep a `#define` out). */
  text(): string {
    const end = this.end > this.start && this.source.charCodeAt(this.end - 1) === 13 ? this.end - 1 : this.end;
    return this.source.slice(this.start, end);
  }

  private lineEnd(from: number): number {
    const end = this.source.indexOf('\n', from);
    return end === -1 ? this.source.length : end;
  }
}

/** Scans one file's text for macros and function roles. */
export function indexText(text: string, fileName: string): FileIndexEntry {
  const macros: MacroDefinition[] = [];
  const includes: string[] = [];
  const roles: FileIndexEntry['roles'] = [];
  // Only lines holding a `#` can define or include: jump from one to the next instead of splitting the text.
  const lines = new LineCursor(text);
  for (let hash = text.indexOf('#'); hash !== -1; hash = text.indexOf('#', lines.nextStart())) {
    lines.moveTo(hash);
    const match = DEFINE.exec(lines.text());
    if (!match) {
      const include = INCLUDE.exec(lines.text());
      if (include) includes.push(include[1].trim());
      continue;
    }
    const firstLine = lines.line;
    let body = match[4];
    while (body.endsWith('\\') && lines.hasNext()) {
      lines.next();
      body = body.slice(0, -1) + ' ' + lines.text();
    }
    body = body.replace(/\/\/.*$/, '').replace(/\/\*.*?\*\//g, '').trim();
    const params = match[2] === undefined ? undefined : match[3].split(',').map((param) => param.trim()).filter(Boolean);
    macros.push({ name: match[1], params, body, fileName, line: firstLine });
  }
  for (const match of text.matchAll(ROLE_DECLARATION)) {
    const roleType = ROLE_TYPES[match[1]];
    if (roleType) roles.push({ name: match[2], role: roleType.role, detail: roleType.detail, declared: true });
  }
  for (const match of text.matchAll(MAJOR_FUNCTION)) {
    roles.push({ name: match[2], role: 'wdm-dispatch', detail: match[1] });
  }
  for (const match of matchesAt(text, QUEUE_CALLBACK_AT, queueCallbackStarts(text))) {
    if (KMDF_IO_CALLBACK_FIELDS.has(match[1])) roles.push({ name: match[2], role: 'kmdf-io', detail: match[1] });
  }
  const wpp = wppFunctions(text, fileName);
  return { macros, ...(includes.length > 0 ? { includes } : {}), ...(wpp.length > 0 ? { wpp } : {}), roles, paged: pagedFunctionNames(text), poolNxOptIn: POOL_NX_OPT_IN.test(text), calls: calledNames(text), ...structureShapes(text) };
}

/** WDK pointer type names (`PULONG`, `PVOID`, `PCWSTR`, `PUNICODE_STRING`…) and address-sized integers. */
export const POINTER_TYPE_NAME = /^(?:(?:P|LP|PC|LPC)(?:VOID|U?CHAR|U?SHORT|U?LONG|U?INT|U?INT8|U?INT16|U?INT32|U?INT64|U?LONG32|U?LONG64|U?LONGLONG|U?LONG_PTR|U?INT_PTR|DWORD_PTR|SIZE_T|BYTE|WORD|DWORD|DWORD64|QWORD|WCHAR|WCH|WSTR|STR|TSTR|BOOLEAN|BOOL|HANDLE|GUID|UNICODE_STRING|ANSI_STRING|STRING)|U?LONG_PTR|U?INT_PTR|DWORD_PTR|PVOID64)$/;

const STRUCT_OPEN_AT = /\b(struct|union)\b[^;{}()]*\{/y;
/** `} FOO, *PFOO;` closing a typedef'd structure, and `typedef FOO *PFOO;`. */
const TYPEDEF_NAMES_AT = /\}\s*([A-Za-z_*][^;{}()]*;)|\btypedef\s+[^;{}()]*\*\s*[A-Za-z_]\w*\s*;/y;
const FIELD_HEAD = /^\s*(?:(?:const|volatile|struct|union|enum|UNALIGNED|__unaligned|DECLSPEC_ALIGN\(\d+\))\s+)*([A-Za-z_]\w*)\s*((?:\*|\s|[A-Za-z_]).*)$/;
const FIELD_DECLARATOR = /^\s*((?:\*\s*(?:const\s+|volatile\s+|UNALIGNED\s+|POINTER_32\s+|POINTER_64\s+)*)*)([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*(?::\s*\d+\s*)?$/;
const POINTER_TYPEDEF = /\*\s*([A-Za-z_]\w*)\s*[,;]/g;

/**
 * The fields a file's structures and unions declare, by a text scan (WDK style: one declaration per `;`): a field of
 * another file's structure is a user pointer or an embedded array only if some file says so.
 */
export function fieldShapes(text: string): [string, number][] {
  return structureShapes(text).fields;
}

/** Field shapes by name and by owning structure (see `FileIndexEntry.fields` and `structFields`). */
export function structureShapes(text: string): { fields: [string, number][]; structFields: [string, string, number, string][] } {
  if (!/\b(struct|union)\b/.test(text)) return { fields: [], structFields: [] };
  const pointerTypedefs = new Set<string>();
  for (const definition of matchesAt(text, TYPEDEF_NAMES_AT, occurrences(text, '}', 'typedef'))) {
    for (const match of (definition[1] ?? definition[0]).matchAll(POINTER_TYPEDEF)) pointerTypedefs.add(match[1]);
  }
  const shapes = new Set<string>();
  const owned = new Set<string>();
  for (const open of matchesAt(text, STRUCT_OPEN_AT, occurrences(text, 'struct', 'union'))) {
    // The body up to its closing brace, without nested bodies (their fields come from their own match).
    let depth = 0;
    let at = (open.index ?? 0) + open[0].length - 1;
    const parts: string[] = [];
    let from = at + 1;
    for (; at < text.length; at++) {
      const c = text[at];
      if (c === '{') {
        if (depth === 1) parts.push(text.slice(from, at));
        depth++;
      } else if (c === '}') {
        depth--;
        if (depth === 1) from = at + 1;
        if (depth === 0) break;
      }
    }
    parts.push(text.slice(from, at));
    // The structure's names: its tag and, for `typedef struct _X { … } X, *PX;`, the names after the brace.
    const owners: string[] = [];
    const tag = /\b(?:struct|union)\s+([A-Za-z_]\w*)/.exec(open[0])?.[1];
    if (tag) owners.push(tag);
    if (/\btypedef\s*$/.test(text.slice(Math.max(0, (open.index ?? 0) - 40), open.index ?? 0))) {
      const names = /^\}\s*([^;{}()]*);/.exec(text.slice(at, at + 200))?.[1] ?? '';
      for (const part of names.split(',')) {
        const name = /^\s*(?:[A-Z_]+\s+)*?(\*?)\s*(?:[A-Z_]+\s+)*?([A-Za-z_]\w*)\s*$/.exec(part);
        if (name) owners.push(`${name[1]}${name[2]}`);
      }
    }
    const body = parts.join('\n').replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, ' ').replace(/^\s*#.*$/gm, ' ');
    for (const declaration of body.split(';')) {
      // `TYPE a, *b, c[4]`: the type once, then each declarator (function pointers and bit-field tricks are skipped).
      const head = FIELD_HEAD.exec(declaration.replace(/\s+/g, ' '));
      if (!head || /^(return|typedef|if|else|case|struct|union|enum)$/.test(head[1]) || head[2].includes('(')) continue;
      const typePointer = POINTER_TYPE_NAME.test(head[1]) || pointerTypedefs.has(head[1]);
      for (const part of head[2].split(',')) {
        const declarator = FIELD_DECLARATOR.exec(part);
        if (!declarator) continue;
        const starred = declarator[1].includes('*');
        const array = declarator[3] !== undefined;
        const shape = (starred || typePointer ? 1 : 0) + (array ? 2 : 0);
        // The declared type, for a member of a member (`in->Name.Buffer`): `NAME`, `PNAME`, or `NAME*`.
        const type = `${head[1]}${starred ? '*' : ''}${array ? '[]' : ''}`;
        shapes.add(`${declarator[2]}\u0000${shape}`);
        for (const owner of owners) owned.add(`${owner}\u0000${declarator[2]}\u0000${shape}\u0000${type}`);
      }
    }
  }
  const fields = [...shapes].map((key) => key.split('\u0000')).map(([name, shape]) => [name, Number(shape)] as [string, number])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  const structFields = [...owned].map((key) => key.split('\u0000')).map(([owner, field, shape, type]) => [owner, field, Number(shape), type] as [string, string, number, string])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
  return { fields, structFields };
}

/**
 * The names written as `Name(` in a file, except at the start of a line (WDK-style definitions and prototypes put
 * the function name first on its line). Statements are indented, so calls are kept. Sorted, unique.
 *
 * The answer is defined as the names that `/(^|[^\w\n])[ \t]*([A-Za-z_]\w*)\s*\(/g` matches, other than a match at
 * offset 0 through `^` and control keywords (a test compares the two). That pattern is tried at every character; this
 * scan visits only identifiers followed by `(` and decides from what stands before each, including the pattern's
 * quirk that a match consumes its `(`, so in `f(g(` the name `g` (right after the `(`) is not matched.
 */
export function calledNames(text: string): string[] {
  const names = new Set<string>();
  const tokens = callTokens(text);
  let consumedParen = -1;
  for (let index = 0; index < tokens.names.length; index++) {
    const start = tokens.starts[index];
    const paren = tokens.parens[index];
    let blanks = start;
    while (blanks > 0 && (text.charCodeAt(blanks - 1) === 32 || text.charCodeAt(blanks - 1) === 9)) blanks--;
    let matched: boolean;
    let counted: boolean;
    if (blanks < start) {
      // Indented: the pattern starts at the first blank (or before it), through `^` when the blanks open the text.
      matched = true;
      counted = blanks !== 0;
    } else if (start === 0) {
      matched = true;
      counted = false;
    } else {
      const before = text.charCodeAt(start - 1);
      matched = before !== 10 && start - 1 !== consumedParen;
      counted = matched;
    }
    if (matched) {
      consumedParen = paren;
      if (counted && !NOT_FUNCTIONS.has(tokens.names[index])) names.add(tokens.names[index]);
    }
  }
  return [...names].sort();
}

const ALLOC_TEXT_PAGE_AT = /alloc_text\s*\(\s*PAGE\w*\s*,([^)]*)\)/y;
const FUNCTION_START_AT = /([A-Za-z_]\w*)\s*\(/y;
const PAGED_CODE_STATEMENT_AT = /^[ \t]+PAGED_CODE\s*\(\s*\)\s*;/my;
const NOT_FUNCTIONS = new Set(['if', 'while', 'for', 'switch', 'return', 'sizeof', 'do', 'else']);

/**
 * Functions that are pageable, by text: listed in `#pragma alloc_text(PAGE, …)`, or whose body contains
 * PAGED_CODE() (the function is the nearest `Name(` at the start of a line before it, WDK style).
 */
export function pagedFunctionNames(text: string): string[] {
  const names = new Set<string>();
  if (!text.includes('PAGE')) return [];
  for (const match of matchesAt(text, ALLOC_TEXT_PAGE_AT, occurrences(text, 'alloc_text'))) {
    for (const name of match[1].split(',')) if (/^\s*[A-Za-z_]\w*\s*$/.test(name)) names.add(name.trim());
  }
  for (const use of matchesAt(text, PAGED_CODE_STATEMENT_AT, pagedCodeStarts(text))) {
    const name = functionStartBefore(text, use.index);
    if (name) names.add(name);
  }
  return [...names];
}

/** Where `^[ \t]+PAGED_CODE` may match: the line start before each PAGED_CODE that only blanks precede on its line. */
function* pagedCodeStarts(text: string): Generator<number> {
  for (const at of occurrences(text, 'PAGED_CODE')) {
    let start = at;
    while (start > 0 && (text.charCodeAt(start - 1) === 32 || text.charCodeAt(start - 1) === 9)) start--;
    if (start < at && (start === 0 || isLineTerminator(text.charCodeAt(start - 1)))) yield start;
  }
}

/**
 * The function a statement at `at` belongs to, WDK style: the last `Name(` opening a line in the 4000 characters
 * before it (other than `if (` and friends; the window's first character counts as a line start), found by walking
 * back over line starts from `at`.
 */
function functionStartBefore(text: string, at: number): string | undefined {
  const from = Math.max(0, at - 4000);
  for (let start = at - 1; start >= from; start--) {
    if (start > from && !isLineTerminator(text.charCodeAt(start - 1))) continue;
    FUNCTION_START_AT.lastIndex = start;
    const match = FUNCTION_START_AT.exec(text);
    if (match && start + match[0].length <= at && !NOT_FUNCTIONS.has(match[1])) return match[1];
  }
  return undefined;
}

/** The characters after which a multiline `^` matches. */
function isLineTerminator(code: number): boolean {
  return code === 10 || code === 13 || code === 0x2028 || code === 0x2029;
}

/** Where `\.\s*EvtIo` may match: the `.` before each `EvtIo` with only white space between. */
function* queueCallbackStarts(text: string): Generator<number> {
  for (const at of occurrences(text, 'EvtIo')) {
    let dot = at - 1;
    while (dot >= 0 && /\s/.test(text[dot])) dot--;
    if (dot >= 0 && text.charCodeAt(dot) === 46) yield dot;
  }
}

/** The merged tables of the index, each built from some fields of the entries. */
type IndexTable = 'macros' | 'wpp' | 'roles' | 'paged' | 'fields' | 'struct-fields';

/**
 * Which answers two entries of one file may give differently: the tables to rebuild, and whether anything changed
 * at all (`calls` and `poolNxOptIn` are read from the entries directly and feed no table). A macro's line is left
 * out: it only says where a definition is, and typing a line break above a `#define` must not count as a change of
 * the workspace.
 */
function entryChanges(a: FileIndexEntry, b: FileIndexEntry): { tables: Set<IndexTable>; changed: boolean } {
  const tables = new Set<IndexTable>();
  if (!sameMacros(a.macros, b.macros) || String(a.includes ?? []) !== String(b.includes ?? [])) tables.add('macros');
  if (JSON.stringify(a.wpp ?? []) !== JSON.stringify(b.wpp ?? [])) tables.add('wpp');
  if (a.roles.length !== b.roles.length || a.roles.some((x, index) => x.name !== b.roles[index].name || x.role !== b.roles[index].role || x.detail !== b.roles[index].detail)) tables.add('roles');
  if (String(a.paged ?? []) !== String(b.paged ?? [])) tables.add('paged');
  if (JSON.stringify(a.fields ?? []) !== JSON.stringify(b.fields ?? [])) tables.add('fields');
  if (JSON.stringify(a.structFields ?? []) !== JSON.stringify(b.structFields ?? [])) tables.add('struct-fields');
  const changed = tables.size > 0 || a.poolNxOptIn !== b.poolNxOptIn || String(a.calls ?? []) !== String(b.calls ?? []);
  return { tables, changed };
}

function sameMacros(a: readonly MacroDefinition[], b: readonly MacroDefinition[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) {
    const x = a[index];
    const y = b[index];
    if (x.name !== y.name || x.body !== y.body || x.fileName !== y.fileName || String(x.params) !== String(y.params) || (x.params === undefined) !== (y.params === undefined)) return false;
  }
  return true;
}

/**
 * The questions the analysis of one file asks about the other files: everything a file's findings depend on
 * besides its own text and the settings. `workspace-trace.ts` records the answers so a cached result can be
 * checked against the workspace of a later run.
 */
export interface WorkspaceFacts {
  /** Changes whenever an answer may have changed. */
  readonly revision: number;
  /**
   * The workspace's macro definitions as `fileName` sees them: of several files defining a name (a workspace of
   * several drivers), the one nearest to it — the same folder, then the closest common folder; a tie goes to a
   * header the file includes by name, then to the first.
   */
  macrosFor(fileName: string): MacroLookup;
  /** The WPP trace function of this name declared nearest to `fileName` (the same ranking as macros). */
  wppFunction(name: string, fileName: string): WppFunction | undefined;
  rolesOf(name: string): { role: FunctionRole; detail?: string; declared?: boolean }[];
  isPaged(name: string): boolean;
  readonly hasDispatchTable: boolean;
  calledFromOtherFile(name: string, fileName: string): boolean;
  poolNxOptInFor(fileName: string): boolean;
  /** What the workspace's structures declare a field of this name as (undefined: no file declares it; null: declared differently). */
  fieldShapeOf(name: string): { pointer: boolean; array: boolean } | null | undefined;
  /** The same for the field of one structure, named as in `FileIndexEntry.structFields` (`X`, `_X`, `*PX`). */
  structFieldShapeOf(owner: string, field: string): { pointer: boolean; array: boolean; type?: string } | null | undefined;
}

/** Revisions are unique across instances, so a revision also tells two indexes apart. */
let revisions = 0;

/** The index over a set of files; entries are replaced as files change. */
export class WorkspaceIndex implements WorkspaceFacts {
  private pagedSet?: Set<string>;
  private readonly entries = new Map<string, FileIndexEntry>();
  private macroMap?: Map<string, MacroDefinition[]>;
  private readonly macroViews = new Map<string, MacroLookup>();
  private roleMap?: Map<string, { role: FunctionRole; detail?: string; declared?: boolean }[]>;
  private changes = ++revisions;

  /** Changes whenever an answer of the index may have changed (analyses cached under it are then stale). */
  get revision(): number {
    return this.changes;
  }

  /** Indexes a file's text; `entry` is its index entry when already known (a scan cache keeps them). */
  update(fileName: string, text: string, entry: FileIndexEntry = indexText(text, fileName)): void {
    const previous = this.entries.get(fileName);
    this.entries.set(fileName, entry);
    if (!previous) return this.invalidate();
    // Most keystrokes change no #define and no role: keep the merged tables (rebuilding them for a big
    // workspace on every keystroke costs more than the edit's analysis). Typing a call changes the revision only.
    const { tables, changed } = entryChanges(previous, entry);
    if (changed) this.invalidate(tables);
  }

  remove(fileName: string): void {
    if (this.entries.delete(fileName)) this.invalidate();
  }

  entryOf(fileName: string): FileIndexEntry | undefined {
    return this.entries.get(fileName);
  }

  get fileCount(): number {
    return this.entries.size;
  }

  /** The per-file entries (plain data), e.g. to hand the index to a worker thread without re-reading files. */
  snapshot(): [string, FileIndexEntry][] {
    return [...this.entries];
  }

  /** An index from `snapshot()` entries. */
  static fromEntries(entries: Iterable<[string, FileIndexEntry]>): WorkspaceIndex {
    const index = new WorkspaceIndex();
    for (const [fileName, entry] of entries) index.entries.set(fileName, entry);
    return index;
  }

  macrosFor(fileName: string): MacroLookup {
    let view = this.macroViews.get(fileName);
    if (!view) {
      const answers = new Map<string, MacroDefinition | undefined>();
      view = {
        get: (name) => {
          if (answers.has(name)) return answers.get(name);
          const answer = this.nearestDefinition(name, fileName);
          answers.set(name, answer);
          return answer;
        },
      };
      this.macroViews.set(fileName, view);
    }
    return view;
  }

  /** The definition of `name` nearest to `fileName` (see `WorkspaceFacts.macrosFor`). */
  private nearestDefinition(name: string, fileName: string): MacroDefinition | undefined {
    if (!this.macroMap) {
      this.macroMap = new Map();
      for (const entry of this.entries.values()) {
        for (const definition of entry.macros) {
          const list = this.macroMap.get(definition.name);
          if (list) list.push(definition);
          else this.macroMap.set(definition.name, [definition]);
        }
      }
    }
    return this.nearest(this.macroMap.get(name), fileName);
  }

  private wppMap?: Map<string, WppFunction[]>;

  wppFunction(name: string, fileName: string): WppFunction | undefined {
    if (!this.wppMap) {
      this.wppMap = new Map();
      for (const entry of this.entries.values()) {
        for (const fn of entry.wpp ?? []) this.wppMap.set(fn.name, [...(this.wppMap.get(fn.name) ?? []), fn]);
      }
    }
    return this.nearest(this.wppMap.get(name), fileName);
  }

  /** Of several files' definitions of one name, the one nearest to `fileName` (see `WorkspaceFacts.macrosFor`). */
  private nearest<T extends { fileName?: string }>(candidates: readonly T[] | undefined, fileName: string): T | undefined {
    if (!candidates || candidates.length <= 1) return candidates?.[0];
    const folder = folderSegments(fileName);
    const includes = (this.entries.get(fileName)?.includes ?? []).map((include) => include.replace(/\\/g, '/').replace(/^(\.\.?\/)+/, ''));
    let best: T | undefined;
    let bestRank: number[] = [];
    for (const candidate of candidates) {
      const other = folderSegments(candidate.fileName ?? '');
      let common = 0;
      while (common < folder.length && common < other.length && folder[common] === other[common]) common++;
      const sameFolder = common === folder.length && common === other.length ? 1 : 0;
      const file = (candidate.fileName ?? '').replace(/\\/g, '/');
      const included = includes.some((include) => file === include || file.endsWith(`/${include}`)) ? 1 : 0;
      const rank = [sameFolder, common, included];
      if (!best || rank[0] > bestRank[0] || (rank[0] === bestRank[0] && (rank[1] > bestRank[1] || (rank[1] === bestRank[1] && rank[2] > bestRank[2])))) {
        best = candidate;
        bestRank = rank;
      }
    }
    return best;
  }

  rolesOf(name: string): { role: FunctionRole; detail?: string; declared?: boolean }[] {
    if (!this.roleMap) {
      this.roleMap = new Map();
      for (const entry of this.entries.values()) {
        for (const role of entry.roles) {
          const list = this.roleMap.get(role.name) ?? [];
          list.push(role.declared ? { role: role.role, detail: role.detail, declared: true } : { role: role.role, detail: role.detail });
          this.roleMap.set(role.name, list);
        }
      }
    }
    return this.roleMap.get(name) ?? [];
  }

  /** Whether a function of the workspace is pageable (alloc_text PAGE or PAGED_CODE()). */
  isPaged(name: string): boolean {
    if (!this.pagedSet) this.pagedSet = new Set([...this.entries.values()].flatMap((entry) => entry.paged ?? []));
    return this.pagedSet.has(name);
  }

  /** Whether some file builds a WDM dispatch table (`MajorFunction[IRP_MJ_…] = Routine;`). */
  get hasDispatchTable(): boolean {
    for (const entry of this.entries.values()) {
      if (entry.roles.some((role) => role.role === 'wdm-dispatch' && role.detail !== undefined)) return true;
    }
    return false;
  }

  /**
   * Whether another source file (not a header) of the same driver — the same folder, a parent or a child folder —
   * calls `name`: the function is a helper of that file's routines.
   */
  calledFromOtherFile(name: string, fileName: string): boolean {
    const folder = path.dirname(fileName);
    for (const [other, entry] of this.entries) {
      if (other === fileName || /\.(h|hh|hpp|hxx|inl)$/i.test(other) || !entry.calls) continue;
      const otherFolder = path.dirname(other);
      const related = folder === otherFolder || folder.startsWith(otherFolder + path.sep) || otherFolder.startsWith(folder + path.sep)
        || folder.startsWith(`${otherFolder}/`) || otherFolder.startsWith(`${folder}/`);
      if (related && binaryIncludes(entry.calls, name)) return true;
    }
    return false;
  }

  /**
   * Whether the driver that `fileName` belongs to opts in to non-executable NonPagedPool: a file in the same folder
   * or a parent folder calls `ExInitializeDriverRuntime(DrvRtPoolNxOptIn)` (a workspace may hold several drivers).
   */
  poolNxOptInFor(fileName: string): boolean {
    const folder = path.dirname(fileName);
    for (const [other, entry] of this.entries) {
      if (!entry.poolNxOptIn) continue;
      const otherFolder = path.dirname(other);
      if (folder === otherFolder || folder.startsWith(otherFolder + path.sep) || folder.startsWith(`${otherFolder}/`)) return true;
    }
    return false;
  }

  private fieldMap?: Map<string, number | null>;

  fieldShapeOf(name: string): { pointer: boolean; array: boolean } | null | undefined {
    if (!this.fieldMap) {
      this.fieldMap = new Map();
      for (const entry of this.entries.values()) {
        for (const [field, shape] of entry.fields ?? []) {
          const known = this.fieldMap.get(field);
          this.fieldMap.set(field, known === undefined || known === shape ? shape : null);
        }
      }
    }
    const shape = this.fieldMap.get(name);
    if (shape === undefined || shape === null) return shape;
    return { pointer: (shape & 1) !== 0, array: (shape & 2) !== 0 };
  }

  private structFieldMap?: Map<string, { shape: number; type: string } | null>;

  structFieldShapeOf(owner: string, field: string): { pointer: boolean; array: boolean; type?: string } | null | undefined {
    if (!this.structFieldMap) {
      this.structFieldMap = new Map();
      for (const entry of this.entries.values()) {
        for (const [name, member, shape, type] of entry.structFields ?? []) {
          const key = `${name}\u0000${member}`;
          const known = this.structFieldMap.get(key);
          this.structFieldMap.set(key, known === undefined || (known && known.shape === shape && known.type === type) ? { shape, type: type ?? '' } : null);
        }
      }
    }
    const found = this.structFieldMap.get(`${owner}\u0000${field}`);
    if (found === undefined || found === null) return found;
    return { pointer: (found.shape & 1) !== 0, array: (found.shape & 2) !== 0, type: found.type || undefined };
  }

  /** A new revision, and the given tables (all by default) built again on their next use. */
  private invalidate(tables?: ReadonlySet<IndexTable>): void {
    this.changes = ++revisions;
    const stale = (table: IndexTable) => !tables || tables.has(table);
    if (stale('macros')) {
      this.macroMap = undefined;
      this.macroViews.clear();
    }
    if (stale('wpp')) this.wppMap = undefined;
    if (stale('roles')) this.roleMap = undefined;
    if (stale('paged')) this.pagedSet = undefined;
    if (stale('fields')) this.fieldMap = undefined;
    if (stale('struct-fields')) this.structFieldMap = undefined;
  }
}

/** The folders of a path, outermost first (either separator). */
function folderSegments(fileName: string): string[] {
  const parts = fileName.replace(/\\/g, '/').split('/');
  parts.pop();
  return parts;
}

function binaryIncludes(sorted: readonly string[], value: string): boolean {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] === value) return true;
    if (sorted[middle] < value) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}
