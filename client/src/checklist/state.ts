/**
 * The checklist state file (`.vscode/driver-security-checklist.json`) as plain data: parsing with validation,
 * human-diffable serialization, merging one item's change, and progress. No `vscode` import and no I/O, so node
 * unit tests cover it; `store.ts` does the file work.
 */
import { CHECKLIST_ITEMS } from '../../../shared/checklist-items';

export const STATE_FILE_VERSION = 1;
/** Folder-relative location of the state file. */
export const STATE_FILE_RELATIVE = '.vscode/driver-security-checklist.json';
/**
 * The file's `$schema`: the schema the extension ships (schemas/driver-security-checklist.schema.json, also
 * contributed through `jsonValidation` for files without `$schema`), served by the extension under its own URI
 * scheme — offline, and always the version that matches the extension. (A `$schema` wins over `jsonValidation` in
 * VS Code, and an https URL would be downloaded: a warning on every machine without network.)
 */
export const SCHEMA_URI_SCHEME = 'driver-guard';
export const STATE_FILE_SCHEMA_URL = `${SCHEMA_URI_SCHEME}://schemas/driver-security-checklist.schema.json`;

export type ItemStatus = 'open' | 'done' | 'not-applicable';
export const ITEM_STATUSES: readonly ItemStatus[] = ['open', 'done', 'not-applicable'];

export interface ItemState {
  status: ItemStatus;
  /** Free-text evidence for items that need manual work. */
  note?: string;
  /** Why the item does not apply (status `not-applicable`). */
  reason?: string;
  /** Evidence files, relative to the workspace folder, with `/` separators. */
  links?: string[];
  updatedBy?: string;
  /** ISO 8601 time of the last change. */
  updatedAt?: string;
}

export interface ChecklistState {
  version: number;
  /** Item id → state. Ids this version does not know (a newer catalogue) are kept as they are. */
  items: Record<string, ItemState>;
}

export type ParseResult =
  | { kind: 'ok'; state: ChecklistState }
  | { kind: 'corrupt'; message: string }
  | { kind: 'newer'; version: number; message: string };

export function emptyState(): ChecklistState {
  return { version: STATE_FILE_VERSION, items: {} };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ITEM_KEYS = new Set(['status', 'note', 'reason', 'links', 'updatedBy', 'updatedAt']);

/** Checks one item entry; returns an error message or undefined. Mirrors the JSON schema. */
function validateItem(id: string, value: unknown): string | undefined {
  if (!isPlainObject(value)) return `items["${id}"] must be an object`;
  for (const key of Object.keys(value)) if (!ITEM_KEYS.has(key)) return `items["${id}"] has an unknown property "${key}"`;
  if (!ITEM_STATUSES.includes(value.status as ItemStatus)) return `items["${id}"].status must be one of ${ITEM_STATUSES.join(', ')}`;
  for (const key of ['note', 'reason', 'updatedBy', 'updatedAt'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') return `items["${id}"].${key} must be a string`;
  }
  if (value.links !== undefined && (!Array.isArray(value.links) || value.links.some((link) => typeof link !== 'string' || link.length === 0))) {
    return `items["${id}"].links must be an array of non-empty strings`;
  }
  return undefined;
}

/** Parses the file's text. Never throws: a bad file is `corrupt`, a file from a newer extension is `newer`. */
export function parseState(text: string): ParseResult {
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    return { kind: 'corrupt', message: `not valid JSON: ${(error as Error).message}` };
  }
  if (!isPlainObject(data)) return { kind: 'corrupt', message: 'the file must contain a JSON object' };
  const version = data.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return { kind: 'corrupt', message: '"version" must be a positive integer' };
  if (version > STATE_FILE_VERSION) {
    return { kind: 'newer', version, message: `the file has version ${version}; this version of Driver Guard reads version ${STATE_FILE_VERSION}. Update the extension.` };
  }
  for (const key of Object.keys(data)) {
    if (key !== '$schema' && key !== 'version' && key !== 'items') return { kind: 'corrupt', message: `unknown top-level property "${key}"` };
  }
  if (data.$schema !== undefined && typeof data.$schema !== 'string') return { kind: 'corrupt', message: '"$schema" must be a string' };
  const items = data.items ?? {};
  if (!isPlainObject(items)) return { kind: 'corrupt', message: '"items" must be an object' };
  const result: Record<string, ItemState> = {};
  for (const [id, value] of Object.entries(items)) {
    const problem = validateItem(id, value);
    if (problem) return { kind: 'corrupt', message: problem };
    result[id] = value as unknown as ItemState;
  }
  return { kind: 'ok', state: { version: STATE_FILE_VERSION, items: result } };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) if (value[key] !== undefined) sorted[key] = sortKeys(value[key]);
  return sorted;
}

/** Human-diffable text: sorted keys, 2-space indent, trailing newline, `$schema` and `version` first. */
export function serializeState(state: ChecklistState): string {
  const items: Record<string, ItemState> = {};
  for (const [id, item] of Object.entries(state.items)) items[id] = normalizeItem(item);
  return `${JSON.stringify(sortKeys({ $schema: STATE_FILE_SCHEMA_URL, items, version: STATE_FILE_VERSION }), null, 2)}\n`;
}

/** Drops empty optional fields so the file stays small and stable. */
export function normalizeItem(item: ItemState): ItemState {
  const result: ItemState = { status: item.status };
  if (item.note?.trim()) result.note = item.note;
  if (item.status === 'not-applicable' && item.reason?.trim()) result.reason = item.reason;
  if (item.links?.length) result.links = [...new Set(item.links)].sort();
  if (item.updatedBy) result.updatedBy = item.updatedBy;
  if (item.updatedAt) result.updatedAt = item.updatedAt;
  return result;
}

/** The state of an item, `open` when the file does not mention it. */
export function itemState(state: ChecklistState | undefined, id: string): ItemState {
  return state?.items[id] ?? { status: 'open' };
}

/** One user action on one item. Fields left undefined keep their value; `null` clears them. */
export interface ItemChange {
  status?: ItemStatus;
  note?: string | null;
  reason?: string | null;
  addLinks?: string[];
  removeLinks?: string[];
}

/**
 * Applies one change to the state (as just read from disk): only this item changes, every other item — including
 * ids this version does not know — stays as it is. Returns a new state.
 */
export function applyChange(state: ChecklistState, id: string, change: ItemChange, author: { updatedBy?: string; updatedAt: string }): ChecklistState {
  const previous = itemState(state, id);
  const next: ItemState = { ...previous };
  if (change.status !== undefined) {
    next.status = change.status;
    if (change.status !== 'not-applicable') delete next.reason;
  }
  if (change.note !== undefined) {
    if (change.note === null || !change.note.trim()) delete next.note;
    else next.note = change.note;
  }
  if (change.reason !== undefined) {
    if (change.reason === null || !change.reason.trim()) delete next.reason;
    else next.reason = change.reason;
  }
  if (change.addLinks?.length || change.removeLinks?.length) {
    const links = new Set(previous.links ?? []);
    for (const link of change.addLinks ?? []) links.add(link);
    for (const link of change.removeLinks ?? []) links.delete(link);
    next.links = [...links].sort();
    if (next.links.length === 0) delete next.links;
  }
  next.updatedAt = author.updatedAt;
  if (author.updatedBy) next.updatedBy = author.updatedBy;
  else delete next.updatedBy;
  const items = { ...state.items };
  const normalized = normalizeItem(next);
  // An item back to plain "open" with nothing attached leaves the file, so a reset item diffs away cleanly.
  if (normalized.status === 'open' && !normalized.note && !normalized.links) delete items[id];
  else items[id] = normalized;
  return { version: STATE_FILE_VERSION, items };
}

/** Clears every known item; ids this version does not know are kept. */
export function resetKnownItems(state: ChecklistState): ChecklistState {
  const known = new Set<string>(CHECKLIST_ITEMS.map((item) => item.id));
  const items: Record<string, ItemState> = {};
  for (const [id, item] of Object.entries(state.items)) if (!known.has(id)) items[id] = item;
  return { version: STATE_FILE_VERSION, items };
}

export interface Progress {
  done: number;
  /** Items that apply: all items minus the not-applicable ones. */
  total: number;
  notApplicable: number;
  open: number;
}

export function progressOf(state: ChecklistState | undefined): Progress {
  let done = 0;
  let notApplicable = 0;
  for (const item of CHECKLIST_ITEMS) {
    const status = itemState(state, item.id).status;
    if (status === 'done') done++;
    else if (status === 'not-applicable') notApplicable++;
  }
  const total = CHECKLIST_ITEMS.length - notApplicable;
  return { done, total, notApplicable, open: total - done };
}

/** Normalizes a folder-relative link: forward slashes, no leading `./`. Returns undefined for paths outside. */
export function normalizeLink(relative: string): string | undefined {
  const link = relative.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  if (!link || link.startsWith('../') || link === '..' || link.startsWith('/') || /^[a-zA-Z]:/.test(link)) return undefined;
  return link;
}
