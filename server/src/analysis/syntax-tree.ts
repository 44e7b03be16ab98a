/**
 * A JavaScript copy of a tree-sitter tree, read in one cursor walk right after the parse.
 *
 * Why: every read of a web-tree-sitter node (`type`, `parent`, `childForFieldName`, …) crosses into WASM and
 * allocates a fresh node object; over a scan those reads cost about 2.5 times the parse itself (docs/performance.md,
 * "Issue 15, third round"). Here the tree lives in typed arrays indexed in document (pre-)order, and node objects are
 * created once per node and cached, so reads are array lookups and the same node is the same object.
 *
 * The class offers the subset of web-tree-sitter's `Node` the analyzer uses, with the same results
 * (test/unit/syntax-tree.test.ts compares both on every node of the test corpora).
 */
import type { Language, Tree as WasmTree } from 'web-tree-sitter';
import { lineStartsOf } from './line-index';

export interface Point {
  row: number;
  column: number;
}

/** tree-sitter's symbol for ERROR nodes (`ts_builtin_sym_error`, (TSSymbol)-1). */
const WASM_ERROR_SYMBOL = 0xffff;

const NAMED = 1;
const MISSING = 2;
/** An ERROR or MISSING node is this one or below it. */
const HAS_VISIBLE_ERROR = 4;
/** `hasError` as tree-sitter answers it was read (EXACT_ERROR holds the answer). */
const EXACT_KNOWN = 8;
const EXACT_ERROR = 16;

/** What a language's symbol and field ids mean, read once per grammar. */
interface LanguageTables {
  /** By symbol; ERROR nodes get the symbol just past the language's own (`errorSymbol`), so the arrays stay dense. */
  types: string[];
  named: boolean[];
  fieldIds: Map<string, number>;
  /** Symbol ids per type name (a name can be both a named and an anonymous symbol). */
  idsByType: Map<string, number[]>;
  errorSymbol: number;
}

const tablesByLanguage = new WeakMap<Language, LanguageTables>();

function tablesOf(language: Language): LanguageTables {
  let tables = tablesByLanguage.get(language);
  if (!tables) {
    const types: string[] = [];
    const named: boolean[] = [];
    const idsByType = new Map<string, number[]>();
    for (let id = 0; id < language.nodeTypeCount; id++) {
      const type = language.nodeTypeForId(id) ?? '';
      types[id] = type;
      named[id] = language.nodeTypeIsNamed(id);
      const ids = idsByType.get(type);
      if (ids) ids.push(id);
      else idsByType.set(type, [id]);
    }
    const errorSymbol = types.length;
    types.push('ERROR');
    named.push(true);
    idsByType.set('ERROR', [...(idsByType.get('ERROR') ?? []), errorSymbol]);
    const fieldIds = new Map<string, number>();
    for (let id = 1; id <= language.fieldCount; id++) {
      const name = language.fieldNameForId(id);
      if (name) fieldIds.set(name, id);
    }
    tables = { types, named, fieldIds, idsByType, errorSymbol };
    tablesByLanguage.set(language, tables);
  }
  return tables;
}

/**
 * The runtime's own cursor functions. web-tree-sitter's `TreeCursor` copies the cursor into the runtime's transfer
 * buffer before every call and back after each move; called directly, the cursor stays in the buffer for the
 * whole walk, which makes the copy about three times cheaper. Names as in web-tree-sitter 0.25 (pinned in
 * package.json); without them (another runtime), the copy walks through `TreeCursor`.
 */
interface RuntimeCursorCalls {
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_current_node_is_missing_wasm(tree: number): number;
  _ts_tree_cursor_delete_wasm(tree: number): void;
}

const RUNTIME_CURSOR_CALLS: readonly (keyof RuntimeCursorCalls)[] = [
  '_ts_tree_cursor_goto_first_child_wasm', '_ts_tree_cursor_goto_next_sibling_wasm', '_ts_tree_cursor_goto_parent_wasm',
  '_ts_tree_cursor_current_node_type_id_wasm', '_ts_tree_cursor_start_index_wasm', '_ts_tree_cursor_end_index_wasm',
  '_ts_tree_cursor_current_field_id_wasm', '_ts_tree_cursor_current_node_is_missing_wasm',
  '_ts_tree_cursor_delete_wasm',
];

let runtimeCursor: RuntimeCursorCalls | undefined;

/**
 * The runtime's memory, as Emscripten puts it on the module object (the views are replaced when the memory grows,
 * so they are read again at each copy).
 */
interface RuntimeMemory {
  HEAPU16: Uint16Array;
  HEAPU32: Uint32Array;
}

let runtimeMemory: RuntimeMemory | undefined;

/** How copies read the tree: its nodes straight from the runtime's memory, or through a cursor (see `copyFrom`). */
export type CopyWalk = 'memory' | 'runtime-cursor' | 'tree-cursor';

/** Set when a memory walk disagreed with the tree's own node count: later copies walk with the cursor. */
let memoryWalkFailed = false;
let forcedWalk: CopyWalk | undefined;

/**
 * Hands over the module object given to `Parser.init` (Emscripten fills it with the runtime's exports and memory
 * views). Ignored when it lacks any of the functions the direct walk needs.
 */
export function useRuntimeCursor(module: object): void {
  const calls = module as Partial<RuntimeCursorCalls>;
  if (RUNTIME_CURSOR_CALLS.every((name) => typeof calls[name] === 'function')) runtimeCursor = calls as RuntimeCursorCalls;
  const memory = module as Partial<RuntimeMemory>;
  if (runtimeCursor && memory.HEAPU16 instanceof Uint16Array && memory.HEAPU32 instanceof Uint32Array) runtimeMemory = module as RuntimeMemory;
}

/** Whether copies walk with the runtime's functions directly (a test checks that they do). */
export function usesRuntimeCursor(): boolean {
  return runtimeCursor !== undefined;
}

/** How the next copy of a tree in `language` walks it. */
export function copyWalkFor(language: Language): CopyWalk {
  if (forcedWalk) return forcedWalk;
  if (runtimeMemory && !memoryWalkFailed && memoryLayoutOf(language)) return 'memory';
  return runtimeCursor ? 'runtime-cursor' : 'tree-cursor';
}

/** Tests and benchmarks: copy with one walk (undefined: the fastest available). */
export function forceCopyWalk(walk: CopyWalk | undefined): void {
  forcedWalk = walk;
}

/**
 * What the memory walk needs of a grammar, copied out of its `TSLanguage` (tree-sitter's lib/parser.h, the wasm32
 * layout of ABI 14 and 15): public symbols, alias sequences and the fields of each production's children.
 */
interface MemoryLayout {
  /** The `TSLanguage` read (a tree's language pointer must be this one). */
  address: number;
  publicSymbols: Uint16Array;
  /** By production: `aliasStride` symbols, the alias of each structural child (0: none). */
  aliases: Uint16Array;
  aliasStride: number;
  /** By production: `fieldStride` field ids, the (non-inherited) field of each structural child (0: none). */
  fieldsByChild: Uint16Array;
  fieldStride: number;
}

const memoryLayouts = new WeakMap<Language, MemoryLayout | null>();

function memoryLayoutOf(language: Language): MemoryLayout | undefined {
  let layout = memoryLayouts.get(language);
  if (layout === undefined) {
    layout = runtimeMemory ? readMemoryLayout(runtimeMemory, language) : null;
    memoryLayouts.set(language, layout);
  }
  return layout ?? undefined;
}

function readMemoryLayout(memory: RuntimeMemory, language: Language): MemoryLayout | null {
  const address = (language as unknown as Record<number, number>)[0];
  if (typeof address !== 'number' || address <= 0 || address % 4 !== 0) return null;
  const u32 = memory.HEAPU32;
  const u16 = memory.HEAPU16;
  const at = (offset: number) => u32[(address + offset) >> 2];
  const abi = at(0);
  const symbolCount = at(4);
  const aliasCount = at(8);
  const productionCount = at(28);
  const fieldCount = at(32);
  const aliasStride = u16[(address + 36) >> 1];
  // A layout that does not match what the runtime itself reports is not trusted: the cursor walk is used.
  if ((abi !== 14 && abi !== 15) || symbolCount + aliasCount !== language.nodeTypeCount || fieldCount !== language.fieldCount) return null;
  const pointer = (offset: number) => at(offset);
  const fieldSlices = pointer(64);
  const fieldEntries = pointer(68);
  const publicSymbolMap = pointer(76);
  const aliasSequences = pointer(84);
  const symbolTotal = symbolCount + aliasCount;
  const publicSymbols = u16.slice(publicSymbolMap >> 1, (publicSymbolMap >> 1) + symbolTotal);
  const aliases = aliasSequences ? u16.slice(aliasSequences >> 1, (aliasSequences >> 1) + productionCount * aliasStride) : new Uint16Array(productionCount * aliasStride);
  let fieldStride = Math.max(1, aliasStride);
  const entriesOf = (production: number) => {
    const slice = u32[(fieldSlices >> 2) + production];
    return { index: slice & 0xffff, length: slice >>> 16 };
  };
  if (fieldCount > 0) {
    for (let production = 0; production < productionCount; production++) {
      const { index, length } = entriesOf(production);
      for (let entry = index; entry < index + length; entry++) fieldStride = Math.max(fieldStride, ((u32[(fieldEntries >> 2) + entry] >>> 16) & 0xff) + 1);
    }
  }
  const fieldsByChild = new Uint16Array(productionCount * fieldStride);
  if (fieldCount > 0) {
    for (let production = 0; production < productionCount; production++) {
      const { index, length } = entriesOf(production);
      for (let entry = index; entry < index + length; entry++) {
        // TSFieldMapEntry: field_id (u16), child_index (u8), inherited (bool); the first match wins, as in the runtime.
        const word = u32[(fieldEntries >> 2) + entry];
        const field = word & 0xffff;
        const child = (word >>> 16) & 0xff;
        const inherited = (word >>> 24) & 1;
        if (!inherited && fieldsByChild[production * fieldStride + child] === 0) fieldsByChild[production * fieldStride + child] = field;
      }
    }
  }
  return { address, publicSymbols, aliases, aliasStride, fieldsByChild, fieldStride };
}

/** Ids are unique across every tree built in this process, so maps keyed by `id` never mix two files' nodes. */
let nextIdBase = 1;

const NO_NODE = -1;

/** What a copy can take over from the copy of the version it was parsed from (see the constructor). */
export interface PreviousCopy {
  copy: SyntaxTree;
  /** The edit in offsets: `start`…`oldEnd` of the old text became `start`…`newEnd`. */
  edit: { start: number; oldEnd: number; newEnd: number };
  /** tree-sitter's changed ranges (`Tree.getChangedRanges`), offsets in the new text. */
  changed: readonly { start: number; end: number }[];
}

export class SyntaxTree {
  /** Number of (visible) nodes. */
  readonly count: number;
  readonly rootNode: SyntaxNode;
  /** @internal arrays indexed by a node's document-order index */
  readonly symbols: Uint16Array;
  /** @internal */ readonly starts: Int32Array;
  /** @internal */ readonly ends: Int32Array;
  /** @internal */ readonly parents: Int32Array;
  /** @internal */ readonly fields: Uint16Array;
  /** @internal */ readonly firstChildren: Int32Array;
  /** @internal */ readonly lastChildren: Int32Array;
  /** @internal */ readonly nextSiblings: Int32Array;
  /** @internal */ readonly previousSiblings: Int32Array;
  /** @internal the index just past the node's subtree: descendants of i are i+1 … subtreeEnds[i]-1 */
  readonly subtreeEnds: Int32Array;
  /** @internal */ readonly flags: Uint8Array;
  /** @internal */ readonly tables: LanguageTables;
  private readonly idBase: number;
  private readonly cache: (SyntaxNode | undefined)[];
  private lineStarts?: readonly number[];
  /**
   * The tree copied, while it lives and has errors, for the one answer the walk cannot see (`hasError`): a MISSING
   * token the grammar hides (`preproc_include_token2` at the end of a `#define` cut short by a comment) makes its
   * ancestors erroneous without any visible ERROR or MISSING node, and some ERROR nodes are not erroneous.
   */
  private wasm?: WasmTree;
  private readonly errorFree: boolean;
  /** How many nodes were taken from the previous version's copy instead of walked (tests and benchmarks). */
  takenNodes = 0;
  /** How the tree was read (tests and benchmarks). */
  walk: CopyWalk = 'tree-cursor';
  /** The start offset of each top-level node → the node's index, for the next version's copy. */
  private readonly topLevel = new Map<number, number>();

  /**
   * Copies a web-tree-sitter tree; `text` is the text it was parsed from. With `previous`, the copy of the tree this
   * one was parsed from incrementally, the edit and tree-sitter's changed ranges between the two: a top-level node
   * outside the edit and every changed range has the structure it had, so it is taken from the previous copy with
   * shifted offsets instead of walked again (a keystroke copies about one function).
   */
  constructor(tree: WasmTree, readonly text: string, previous?: PreviousCopy) {
    this.tables = tablesOf(tree.language);
    const wasmRoot = tree.rootNode;
    const count = wasmRoot.descendantCount;
    this.count = count;
    this.symbols = new Uint16Array(count);
    this.starts = new Int32Array(count);
    this.ends = new Int32Array(count);
    this.parents = new Int32Array(count);
    this.fields = new Uint16Array(count);
    this.firstChildren = new Int32Array(count).fill(NO_NODE);
    this.lastChildren = new Int32Array(count).fill(NO_NODE);
    this.nextSiblings = new Int32Array(count).fill(NO_NODE);
    this.previousSiblings = new Int32Array(count).fill(NO_NODE);
    this.subtreeEnds = new Int32Array(count);
    this.flags = new Uint8Array(count);
    this.cache = new Array(count);
    this.idBase = nextIdBase;
    nextIdBase += count;
    const prior = previous?.copy.tables === this.tables ? previous : undefined;
    const walk = copyWalkFor(tree.language);
    // A subtree taken that the new tree does not have after all: walk the whole tree instead. A memory walk that
    // does not find the tree's own node count: walk with the cursor, now and from then on.
    const attempts: [CopyWalk, PreviousCopy | undefined][] = [[walk, prior]];
    if (prior) attempts.push([walk, undefined]);
    if (walk === 'memory') attempts.push([runtimeCursor ? 'runtime-cursor' : 'tree-cursor', undefined]);
    for (let attempt = 0; ; attempt++) {
      const [how, from] = attempts[attempt];
      try {
        this.copyFrom(tree, from, how);
        this.walk = how;
        break;
      } catch (error) {
        if (attempt === attempts.length - 1) throw error;
        if (how === 'memory' && !from) memoryWalkFailed = true;
        for (const links of [this.firstChildren, this.lastChildren, this.nextSiblings, this.previousSiblings]) links.fill(NO_NODE);
        this.topLevel.clear();
        this.takenNodes = 0;
      }
    }
    this.errorFree = !wasmRoot.hasError;
    if (!this.errorFree) this.wasm = tree;
    this.rootNode = this.node(0)!;
  }

  /** Call before the copied tree is deleted: `hasError` then answers from the visible ERROR and MISSING nodes. */
  detach(): void {
    this.wasm = undefined;
  }

  /** @internal */
  hasError(index: number): boolean {
    // tree-sitter's answer is its error cost, which the walk cannot see: hidden MISSING tokens count, and some
    // ERROR nodes cost nothing. Without errors in the root there are none anywhere; otherwise it is read once.
    if (this.errorFree) return false;
    const flags = this.flags[index];
    if (!this.wasm) return (flags & HAS_VISIBLE_ERROR) !== 0;
    if (!(flags & EXACT_KNOWN)) this.flags[index] |= EXACT_KNOWN | (this.readHasError(index) ? EXACT_ERROR : 0);
    return (this.flags[index] & EXACT_ERROR) !== 0;
  }

  private readHasError(index: number): boolean {
    // The same node in the copied tree: from the root, the same child position at each level.
    const positions: number[] = [];
    for (let node = index; this.parents[node] !== NO_NODE; node = this.parents[node]) {
      let position = 0;
      for (let sibling = this.previousSiblings[node]; sibling !== NO_NODE; sibling = this.previousSiblings[sibling]) position++;
      positions.push(position);
    }
    let node: ReturnType<WasmTree['rootNode']['child']> = this.wasm!.rootNode;
    for (let level = positions.length - 1; level >= 0 && node; level--) node = node.child(positions[level]);
    return node?.hasError ?? (this.flags[index] & HAS_VISIBLE_ERROR) !== 0;
  }


  private copyFrom(tree: WasmTree, prior: PreviousCopy | undefined, how: CopyWalk): void {
    const previous = prior?.copy;
    const delta = prior ? prior.edit.newEnd - prior.edit.oldEnd : 0;
    /** The previous copy's top-level node that this one is, unchanged, or undefined. */
    const unchanged = (start: number, end: number, symbol: number): number | undefined => {
      if (!prior || !previous) return undefined;
      const { edit, changed } = prior;
      if (!(end < edit.start || start > edit.newEnd)) return undefined;
      for (const range of changed) if (start <= range.end && range.start <= end) return undefined;
      const old = previous.topLevel.get(end < edit.start ? start : start - delta);
      if (old === undefined || previous.symbols[old] !== symbol || previous.ends[old] - previous.starts[old] !== end - start) return undefined;
      return old;
    };
    /**
     * The same below the top level: the previous copy's one node with this start, length and symbol (two nested
     * nodes can share all three; then nothing is taken).
     */
    const unchangedInside = (start: number, end: number, symbol: number): number | undefined => {
      if (!prior || !previous) return undefined;
      const { edit, changed } = prior;
      if (!(end < edit.start || start > edit.newEnd)) return undefined;
      for (const range of changed) if (start <= range.end && range.start <= end) return undefined;
      const oldStart = end < edit.start ? start : start - delta;
      const oldStarts = previous.starts;
      let low = 0;
      let high = previous.count;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (oldStarts[mid] < oldStart) low = mid + 1;
        else high = mid;
      }
      let found: number | undefined;
      for (let index = low; index < previous.count && oldStarts[index] === oldStart; index++) {
        if (previous.symbols[index] !== symbol || previous.ends[index] - oldStart !== end - start) continue;
        if (found !== undefined) return undefined;
        found = index;
      }
      return found;
    };
    const { symbols, starts, ends, parents, fields, firstChildren, lastChildren, nextSiblings, previousSiblings, subtreeEnds, flags } = this;
    const { named, errorSymbol } = this.tables;
    let next = 0;
    /** The node just recorded was taken from `previous` with its subtree: the walk does not enter it. */
    let taken = false;
    const record = (parent: number, wasmSymbol: number, start: number, end: number, field: number, missing: boolean): number => {
      const index = next++;
      const symbol = wasmSymbol === WASM_ERROR_SYMBOL ? errorSymbol : wasmSymbol;
      symbols[index] = symbol;
      starts[index] = start;
      ends[index] = end;
      fields[index] = field;
      parents[index] = parent;
      flags[index] = (named[symbol] ? NAMED : 0) | (missing ? MISSING : 0);
      if (parent !== NO_NODE) {
        const previous = lastChildren[parent];
        if (previous === NO_NODE) firstChildren[parent] = index;
        else {
          nextSiblings[previous] = index;
          previousSiblings[index] = previous;
        }
        lastChildren[parent] = index;
      }
      taken = false;
      if (parent === 0) this.topLevel.set(start, index);
      if (parent !== NO_NODE && prior) {
        // Below the top level only where the walk is anyway (the function holding the edit): a subtree outside the
        // edit and every changed range, a statement say, is taken whole.
        const old = parent === 0 ? unchanged(start, end, symbol) : unchangedInside(start, end, symbol);
        if (old !== undefined && previous!.subtreeEnds[old] - old > 1 && index + previous!.subtreeEnds[old] - old <= this.count) {
          next = this.takeSubtree(previous!, old, index, start - previous!.starts[old]);
          taken = true;
        }
      }
      return index;
    };
    const address = (tree as unknown as Record<number, number>)[0];

    /** Through a cursor: web-tree-sitter's `TreeCursor`, or the runtime's cursor functions called directly. */
    const walkCursor = () => {
      const cursor = tree.walk();
      const runtime = how === 'runtime-cursor' ? runtimeCursor : undefined;
      // Through the runtime, the cursor lives in the transfer buffer, where the first read below puts it.
      const direct: Omit<RuntimeCursorCalls, '_ts_tree_cursor_delete_wasm'> = runtime ?? {
        _ts_tree_cursor_goto_first_child_wasm: () => (cursor.gotoFirstChild() ? 1 : 0),
        _ts_tree_cursor_goto_next_sibling_wasm: () => (cursor.gotoNextSibling() ? 1 : 0),
        _ts_tree_cursor_goto_parent_wasm: () => (cursor.gotoParent() ? 1 : 0),
        _ts_tree_cursor_current_node_type_id_wasm: () => cursor.nodeTypeId,
        _ts_tree_cursor_start_index_wasm: () => cursor.startIndex,
        _ts_tree_cursor_end_index_wasm: () => cursor.endIndex,
        _ts_tree_cursor_current_field_id_wasm: () => cursor.currentFieldId,
        _ts_tree_cursor_current_node_is_missing_wasm: () => (cursor.nodeIsMissing ? 1 : 0),
      };
      const recordCurrent = (parent: number) => {
        const start = direct._ts_tree_cursor_start_index_wasm(address);
        const end = direct._ts_tree_cursor_end_index_wasm(address);
        // MISSING nodes are zero-width; asking only for those keeps the walk to four reads a node.
        const missing = start === end && direct._ts_tree_cursor_current_node_is_missing_wasm(address) !== 0;
        return record(parent, direct._ts_tree_cursor_current_node_type_id_wasm(address), start, end, direct._ts_tree_cursor_current_field_id_wasm(address), missing);
      };
      if (runtime) void cursor.nodeTypeId;
      try {
        let current = recordCurrent(NO_NODE);
        for (;;) {
          if (!taken && direct._ts_tree_cursor_goto_first_child_wasm(address)) {
            current = recordCurrent(current);
            continue;
          }
          for (;;) {
            subtreeEnds[current] = next;
            if (current === 0) break;
            if (direct._ts_tree_cursor_goto_next_sibling_wasm(address)) {
              current = recordCurrent(parents[current]);
              break;
            }
            direct._ts_tree_cursor_goto_parent_wasm(address);
            current = parents[current];
          }
          if (current === 0) break;
        }
      } finally {
        if (runtime) {
          // The buffer holds the moved cursor (its stack may have been reallocated): free that one, not the stale copy.
          runtime._ts_tree_cursor_delete_wasm(address);
          const stale = cursor as unknown as Record<number, number>;
          stale[0] = stale[1] = stale[2] = stale[3] = 0;
        } else {
          cursor.delete();
        }
      }
    };

    /**
     * Straight from the runtime's memory, without a call into WASM per node: the walk of tree-sitter's
     * lib/tree_cursor.c (a child is visible by itself or by its production's alias, a hidden child with visible
     * children is entered, a field comes from the production of the parent or of a hidden ancestor below the next
     * visible one) over the wasm32 layout of `Subtree` (lib/subtree.h). Offsets are bytes of UTF-16 text.
     */
    const walkMemory = () => {
      const layout = memoryLayoutOf(tree.language)!;
      const u32 = runtimeMemory!.HEAPU32;
      const u16 = runtimeMemory!.HEAPU16;
      if (u32[(address + 8) >> 2] !== layout.address) throw new Error('syntax tree copy: the tree\'s language is not the one read');
      const { publicSymbols, aliases, aliasStride, fieldsByChild, fieldStride } = layout;
      // One frame per node whose children are being read: the next child's slot, the first and the one past the last,
      // the next structural child's index, the offset reached, the production, the field a child falls back to
      // (a hidden node's own), the visible node the children belong to, and whether the frame is that node's own.
      let capacity = 64;
      let slots = new Int32Array(capacity);
      let firstSlots = new Int32Array(capacity);
      let slotEnds = new Int32Array(capacity);
      let structurals = new Int32Array(capacity);
      let positions = new Int32Array(capacity);
      let productions = new Int32Array(capacity);
      let fallbacks = new Int32Array(capacity);
      let owners = new Int32Array(capacity);
      let ownFrames = new Uint8Array(capacity);
      let depth = 0;
      const push = (pointer: number, position: number, owner: number, own: boolean, fallback: number) => {
        if (depth === capacity) {
          capacity *= 2;
          const grow = <T extends Int32Array | Uint8Array>(array: T): T => {
            const grown = new (array.constructor as new (length: number) => T)(capacity);
            grown.set(array);
            return grown;
          };
          [slots, firstSlots, slotEnds, structurals, positions, productions, fallbacks, owners] = [slots, firstSlots, slotEnds, structurals, positions, productions, fallbacks, owners].map(grow);
          ownFrames = grow(ownFrames);
        }
        const childCount = u32[(pointer + 36) >> 2];
        slots[depth] = firstSlots[depth] = pointer - childCount * 8;
        slotEnds[depth] = pointer;
        structurals[depth] = 0;
        positions[depth] = position;
        productions[depth] = u16[(pointer + 66) >> 1];
        fallbacks[depth] = fallback;
        owners[depth] = owner;
        ownFrames[depth] = own ? 1 : 0;
        depth++;
      };
      // The root: always visible, starting after its padding.
      const rootWord = u32[address >> 2];
      if (rootWord & 1) {
        const sizes = u32[(address >> 2) + 1];
        const start = (sizes >>> 16) & 0xff;
        const symbol = (rootWord >>> 8) & 0xff;
        record(NO_NODE, publicSymbols[symbol], start >> 1, (start + (sizes >>> 24)) >> 1, 0, ((rootWord >>> 5) & 1) !== 0);
        subtreeEnds[0] = next;
        return;
      }
      const rootStart = u32[(rootWord + 4) >> 2];
      const rootSymbol = u16[(rootWord + 40) >> 1];
      const rootIndex = record(NO_NODE, rootSymbol === WASM_ERROR_SYMBOL ? rootSymbol : publicSymbols[rootSymbol], rootStart >> 1, (rootStart + u32[(rootWord + 16) >> 2]) >> 1, 0, ((u16[(rootWord + 44) >> 1] >>> 9) & 1) !== 0);
      if (u32[(rootWord + 36) >> 2] > 0) push(rootWord, rootStart, rootIndex, true, 0);
      else subtreeEnds[rootIndex] = next;
      while (depth > 0) {
        const frame = depth - 1;
        const slot = slots[frame];
        if (slot === slotEnds[frame]) {
          if (ownFrames[frame]) subtreeEnds[owners[frame]] = next;
          depth--;
          continue;
        }
        slots[frame] = slot + 8;
        const word = u32[slot >> 2];
        let padding: number;
        let size: number;
        let symbol: number;
        let visible: boolean;
        let extra: boolean;
        let missing: boolean;
        let childCount = 0;
        if (word & 1) {
          // SubtreeInlineData: bit 0 is_inline, 1 visible, 3 extra, 5 is_missing; byte 1 symbol; byte 6 padding, 7 size.
          const sizes = u32[(slot >> 2) + 1];
          padding = (sizes >>> 16) & 0xff;
          size = sizes >>> 24;
          symbol = (word >>> 8) & 0xff;
          visible = (word & 2) !== 0;
          extra = (word & 8) !== 0;
          missing = (word & 32) !== 0;
        } else {
          // SubtreeHeapData: padding.bytes at 4, size.bytes at 16, child_count at 36, symbol at 40, flag bits at 44.
          padding = u32[(word + 4) >> 2];
          size = u32[(word + 16) >> 2];
          childCount = u32[(word + 36) >> 2];
          symbol = u16[(word + 40) >> 1];
          const bits = u16[(word + 44) >> 1];
          visible = (bits & 1) !== 0;
          extra = (bits & 4) !== 0;
          missing = (bits & 512) !== 0;
        }
        // The first child starts where its parent does; each later one after its own padding.
        const start = slot === firstSlots[frame] ? positions[frame] : positions[frame] + padding;
        positions[frame] = start + size;
        const production = productions[frame];
        const structural = structurals[frame];
        let alias = 0;
        if (!extra) {
          if (production !== 0 && structural < aliasStride) alias = aliases[production * aliasStride + structural];
          structurals[frame] = structural + 1;
        }
        const field = extra ? 0 : (structural < fieldStride ? fieldsByChild[production * fieldStride + structural] : 0) || fallbacks[frame];
        if (visible || alias !== 0) {
          const shown = alias !== 0 ? alias : symbol;
          const index = record(owners[frame], shown === WASM_ERROR_SYMBOL ? shown : publicSymbols[shown], start >> 1, (start + size) >> 1, field, missing);
          if (!taken && childCount > 0) push(word, start, index, true, 0);
          else subtreeEnds[index] = next;
        } else if (childCount > 0 && u32[(word + 48) >> 2] > 0) {
          push(word, start, owners[frame], false, extra ? 0 : field);
        }
      }
    };

    if (how === 'memory') walkMemory();
    else walkCursor();
    if (next !== this.count) throw new Error(`syntax tree copy: walked ${next} nodes, tree-sitter counts ${this.count}`);

    // An ERROR or MISSING node, or one inside; children come after their parent in document order.
    for (let index = this.count - 1; index >= 0; index--) {
      if (symbols[index] === errorSymbol || flags[index] & MISSING) flags[index] |= HAS_VISIBLE_ERROR;
      if (flags[index] & HAS_VISIBLE_ERROR && parents[index] !== NO_NODE) flags[parents[index]] |= HAS_VISIBLE_ERROR;
    }
  }

  /**
   * Copies the descendants of `from` in `previous` below the node just recorded at `to` (which has the same subtree),
   * offsets moved by `shift`. Returns the index after the subtree.
   */
  private takeSubtree(previous: SyntaxTree, from: number, to: number, shift: number): number {
    const end = previous.subtreeEnds[from];
    const delta = to - from;
    const moved = (index: number) => (index === NO_NODE ? NO_NODE : index + delta);
    this.firstChildren[to] = moved(previous.firstChildren[from]);
    this.lastChildren[to] = moved(previous.lastChildren[from]);
    this.subtreeEnds[to] = end + delta;
    this.takenNodes += end - from - 1;
    const first = from + 1;
    const at = first + delta;
    // Bulk copies (native), then the offsets and indices moved in place: ~3× a loop copying node by node.
    this.symbols.set(previous.symbols.subarray(first, end), at);
    this.fields.set(previous.fields.subarray(first, end), at);
    this.flags.set(previous.flags.subarray(first, end), at);
    for (const [target, source] of [[this.starts, previous.starts], [this.ends, previous.ends]] as const) {
      target.set(source.subarray(first, end), at);
      if (shift !== 0) for (let index = at; index < end + delta; index++) target[index] += shift;
    }
    // Inside a subtree every node has a parent and a subtree end; children and siblings may be missing.
    for (const [target, source, always] of [
      [this.parents, previous.parents, true], [this.subtreeEnds, previous.subtreeEnds, true],
      [this.firstChildren, previous.firstChildren, false], [this.lastChildren, previous.lastChildren, false],
      [this.nextSiblings, previous.nextSiblings, false], [this.previousSiblings, previous.previousSiblings, false],
    ] as const) {
      target.set(source.subarray(first, end), at);
      if (delta === 0) continue;
      if (always) for (let index = at; index < end + delta; index++) target[index] += delta;
      else for (let index = at; index < end + delta; index++) if (target[index] !== NO_NODE) target[index] += delta;
    }
    // Only what the walk records is taken over; the error bits are recomputed for the whole tree after the walk.
    for (let index = at; index < end + delta; index++) this.flags[index] &= NAMED | MISSING;
    return end + delta;
  }

  /** The node at a document-order index (one object per node). */
  node(index: number): SyntaxNode | null {
    if (index < 0 || index >= this.count) return null;
    let node = this.cache[index];
    if (!node) {
      node = new SyntaxNode(this, index, this.idBase + index, this.tables.types[this.symbols[index]], this.starts[index], this.ends[index]);
      this.cache[index] = node;
    }
    return node;
  }

  /** @internal */
  fieldId(name: string): number | undefined {
    return this.tables.fieldIds.get(name);
  }

  /** @internal row and column (UTF-16 code units, as web-tree-sitter reports them) of an offset */
  pointAt(offset: number): Point {
    const starts = (this.lineStarts ??= lineStartsOf(this.text));
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return { row: low, column: offset - starts[low] };
  }
}


export class SyntaxNode {
  /** @internal use `SyntaxTree.node` */
  constructor(
    readonly tree: SyntaxTree,
    /** Document-order index in the tree. */
    readonly index: number,
    readonly id: number,
    readonly type: string,
    readonly startIndex: number,
    readonly endIndex: number,
  ) {}

  /**
   * @internal Memos of `query.ts`'s `calleeName` (null: no name) and `callArguments`. Fields rather than WeakMaps:
   * every rule asks about every call, and a WeakMap's lookups, inserts and ephemeron bookkeeping in the garbage
   * collector cost more than the answers.
   */
  calleeMemo: string | null | undefined = undefined;
  argumentsMemo: readonly SyntaxNode[] | undefined = undefined;

  get text(): string {
    return this.tree.text.slice(this.startIndex, this.endIndex);
  }

  /** The number of nodes in this node's subtree, itself included (tree-sitter's `descendantCount`). */
  get descendantCount(): number {
    return this.tree.subtreeEnds[this.index] - this.index;
  }

  /**
   * How the subtree reads its text: its size, and for a subtree with errors also a hash of each node's type, extent
   * and subtree size (relative to this node). The same text can parse another way after an edit elsewhere, where
   * tree-sitter's error recovery differs; an error-free parse of the same text is the same tree.
   */
  get shape(): string {
    if (this.shapeMemo !== undefined) return this.shapeMemo;
    const { tree } = this;
    const end = tree.subtreeEnds[this.index];
    if (!this.hasError) return (this.shapeMemo = `${end - this.index}`);
    let first = 0;
    let second = 0;
    for (let index = this.index; index < end; index++) {
      first = (Math.imul(first, 31) + tree.symbols[index] * 65599 + (tree.subtreeEnds[index] - index)) | 0;
      second = (Math.imul(second, 16777619) ^ (tree.starts[index] - this.startIndex) ^ ((tree.ends[index] - tree.starts[index]) << 11) ^ tree.symbols[index]) | 0;
    }
    return (this.shapeMemo = `${end - this.index}:${first}:${second}`);
  }

  private shapeMemo: string | undefined = undefined;

  get startPosition(): Point {
    return this.tree.pointAt(this.startIndex);
  }

  get endPosition(): Point {
    return this.tree.pointAt(this.endIndex);
  }

  get isNamed(): boolean {
    return (this.tree.flags[this.index] & NAMED) !== 0;
  }

  get isMissing(): boolean {
    return (this.tree.flags[this.index] & MISSING) !== 0;
  }

  get isError(): boolean {
    return this.tree.symbols[this.index] === this.tree.tables.errorSymbol;
  }

  get hasError(): boolean {
    return this.tree.hasError(this.index);
  }

  get parent(): SyntaxNode | null {
    return this.tree.node(this.tree.parents[this.index]);
  }

  get children(): SyntaxNode[] {
    const { tree } = this;
    const children: SyntaxNode[] = [];
    for (let child = tree.firstChildren[this.index]; child !== NO_NODE; child = tree.nextSiblings[child]) children.push(tree.node(child)!);
    return children;
  }

  get namedChildren(): SyntaxNode[] {
    const { tree } = this;
    const children: SyntaxNode[] = [];
    for (let child = tree.firstChildren[this.index]; child !== NO_NODE; child = tree.nextSiblings[child]) {
      if (tree.flags[child] & NAMED) children.push(tree.node(child)!);
    }
    return children;
  }

  get childCount(): number {
    let count = 0;
    for (let child = this.tree.firstChildren[this.index]; child !== NO_NODE; child = this.tree.nextSiblings[child]) count++;
    return count;
  }

  get namedChildCount(): number {
    let count = 0;
    for (let child = this.tree.firstChildren[this.index]; child !== NO_NODE; child = this.tree.nextSiblings[child]) if (this.tree.flags[child] & NAMED) count++;
    return count;
  }

  child(position: number): SyntaxNode | null {
    let child = this.tree.firstChildren[this.index];
    for (let skipped = 0; child !== NO_NODE && skipped < position; skipped++) child = this.tree.nextSiblings[child];
    return position < 0 ? null : this.tree.node(child);
  }

  namedChild(position: number): SyntaxNode | null {
    if (position < 0) return null;
    const { tree } = this;
    let seen = 0;
    for (let child = tree.firstChildren[this.index]; child !== NO_NODE; child = tree.nextSiblings[child]) {
      if (tree.flags[child] & NAMED && seen++ === position) return tree.node(child);
    }
    return null;
  }

  get lastChild(): SyntaxNode | null {
    return this.tree.node(this.tree.lastChildren[this.index]);
  }

  get nextSibling(): SyntaxNode | null {
    return this.tree.node(this.tree.nextSiblings[this.index]);
  }

  get previousSibling(): SyntaxNode | null {
    return this.tree.node(this.tree.previousSiblings[this.index]);
  }

  get nextNamedSibling(): SyntaxNode | null {
    const { tree } = this;
    for (let sibling = tree.nextSiblings[this.index]; sibling !== NO_NODE; sibling = tree.nextSiblings[sibling]) if (tree.flags[sibling] & NAMED) return tree.node(sibling);
    return null;
  }

  get previousNamedSibling(): SyntaxNode | null {
    const { tree } = this;
    for (let sibling = tree.previousSiblings[this.index]; sibling !== NO_NODE; sibling = tree.previousSiblings[sibling]) if (tree.flags[sibling] & NAMED) return tree.node(sibling);
    return null;
  }

  /** The first child with this field (tree-sitter's `childForFieldName`). */
  childForFieldName(name: string): SyntaxNode | null {
    const field = this.tree.fieldId(name);
    const { tree } = this;
    // An ERROR node has no production, so tree-sitter finds no field in it, though the cursor names fields of the
    // hidden nodes it holds (`childrenForFieldName` follows the cursor there, as tree-sitter's does).
    if (field === undefined || tree.symbols[this.index] === tree.tables.errorSymbol) return null;
    for (let child = tree.firstChildren[this.index]; child !== NO_NODE; child = tree.nextSiblings[child]) if (tree.fields[child] === field) return tree.node(child);
    return null;
  }

  childrenForFieldName(name: string): SyntaxNode[] {
    const field = this.tree.fieldId(name);
    const children: SyntaxNode[] = [];
    if (field === undefined) return children;
    const { tree } = this;
    for (let child = tree.firstChildren[this.index]; child !== NO_NODE; child = tree.nextSiblings[child]) if (tree.fields[child] === field) children.push(tree.node(child)!);
    return children;
  }

  /** This node (when it has one of the types) and its descendants of the types, in document order. */
  descendantsOfType(types: string | readonly string[]): SyntaxNode[] {
    const { tree } = this;
    const wanted = new Set<number>();
    for (const type of typeof types === 'string' ? [types] : types) for (const id of tree.tables.idsByType.get(type) ?? []) wanted.add(id);
    const found: SyntaxNode[] = [];
    const end = tree.subtreeEnds[this.index];
    const symbols = tree.symbols;
    for (let index = this.index; index < end; index++) if (wanted.has(symbols[index])) found.push(tree.node(index)!);
    return found;
  }

  /** The smallest node here that spans `start`…`end` (tree-sitter's `descendantForIndex`). */
  descendantForIndex(start: number, end = start): SyntaxNode | null {
    return this.tree.node(this.descendantSpanning(start, end, false));
  }

  /** The smallest named node here that spans `start`…`end`. */
  namedDescendantForIndex(start: number, end = start): SyntaxNode | null {
    return this.tree.node(this.descendantSpanning(start, end, true));
  }

  private descendantSpanning(start: number, end: number, namedOnly: boolean): number {
    const { tree } = this;
    let node = this.index;
    let found = this.index;
    for (let descended = true; descended;) {
      descended = false;
      for (let child = tree.firstChildren[node]; child !== NO_NODE; child = tree.nextSiblings[child]) {
        const childEnd = tree.ends[child];
        // As ts_node__descendant_for_byte_range: the child must reach the range's end and go past its start.
        if (childEnd < end || childEnd <= start) continue;
        if (start < tree.starts[child]) break;
        node = child;
        if (!namedOnly || tree.flags[child] & NAMED) found = child;
        descended = true;
        break;
      }
    }
    return found;
  }
}
