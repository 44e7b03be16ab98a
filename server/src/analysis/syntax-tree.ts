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
 * Hands over the module object given to `Parser.init` (Emscripten fills it with the runtime's exports). Ignored
 * when it lacks any of the functions the direct walk needs.
 */
export function useRuntimeCursor(module: object): void {
  const calls = module as Partial<RuntimeCursorCalls>;
  if (RUNTIME_CURSOR_CALLS.every((name) => typeof calls[name] === 'function')) runtimeCursor = calls as RuntimeCursorCalls;
}

/** Whether copies walk with the runtime's functions directly (a test checks that they do). */
export function usesRuntimeCursor(): boolean {
  return runtimeCursor !== undefined;
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
    try {
      this.copyFrom(tree, prior);
    } catch (error) {
      if (!prior) throw error;
      // A subtree taken that the new tree does not have after all: walk the whole tree instead.
      for (const links of [this.firstChildren, this.lastChildren, this.nextSiblings, this.previousSiblings]) links.fill(NO_NODE);
      this.topLevel.clear();
      this.takenNodes = 0;
      this.copyFrom(tree, undefined);
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


  private copyFrom(tree: WasmTree, prior: PreviousCopy | undefined): void {
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
    const cursor = tree.walk();
    const runtime = runtimeCursor;
    const address = (tree as unknown as Record<number, number>)[0];
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
    let next = 0;
    /** The node just recorded was taken from `previous` with its subtree: the walk does not enter it. */
    let taken = false;
    const record = (parent: number): number => {
      const index = next++;
      const wasmSymbol = direct._ts_tree_cursor_current_node_type_id_wasm(address);
      const symbol = wasmSymbol === WASM_ERROR_SYMBOL ? errorSymbol : wasmSymbol;
      symbols[index] = symbol;
      const start = direct._ts_tree_cursor_start_index_wasm(address);
      const end = direct._ts_tree_cursor_end_index_wasm(address);
      starts[index] = start;
      ends[index] = end;
      fields[index] = direct._ts_tree_cursor_current_field_id_wasm(address);
      parents[index] = parent;
      let flag = named[symbol] ? NAMED : 0;
      // MISSING nodes are zero-width; asking only for those keeps the walk to four reads a node.
      if (start === end && direct._ts_tree_cursor_current_node_is_missing_wasm(address)) flag |= MISSING;
      flags[index] = flag;
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
    if (runtime) void cursor.nodeTypeId;
    try {
      let current = record(NO_NODE);
      for (;;) {
        if (!taken && direct._ts_tree_cursor_goto_first_child_wasm(address)) {
          current = record(current);
          continue;
        }
        for (;;) {
          subtreeEnds[current] = next;
          if (current === 0) break;
          if (direct._ts_tree_cursor_goto_next_sibling_wasm(address)) {
            current = record(parents[current]);
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
