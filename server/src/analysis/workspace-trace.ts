/**
 * Which cross-file facts one file's analysis used, and what they were. A scan cache (`--cache`) stores this trace
 * with the file's result; a later run takes the result over only when the file's text and settings are the same
 * and every recorded question still gets the same answer from the workspace of that run. So an edit that changes
 * a macro in a header re-analyzes exactly the files that looked that macro up, and an edit inside a function body
 * that changes no cross-file fact re-analyzes only the edited file.
 */
import type { MacroDefinition, MacroLookup } from './macros';
import type { WorkspaceFacts } from './workspace-index';

/** One question and its answer: [kind, argument, answer as JSON]. */
export type TraceEntry = [kind: TraceKind, argument: string, answer: string];
export type TraceKind = 'macro' | 'wpp-function' | 'roles' | 'paged' | 'dispatch-table' | 'called-from-other-file' | 'pool-nx-opt-in' | 'field-shape' | 'struct-field-shape';

/** Asks `facts` one recorded question again; the answer as JSON (the form the trace stores). */
function ask(facts: WorkspaceFacts, kind: TraceKind, argument: string): string {
  switch (kind) {
    case 'macro': {
      // The question names the file it was asked for: the nearest definition depends on where the file is.
      const [name, fileName] = JSON.parse(argument) as [string, string];
      return macroAnswer(facts.macrosFor(fileName).get(name));
    }
    case 'wpp-function': {
      const [name, fileName] = JSON.parse(argument) as [string, string];
      return JSON.stringify(facts.wppFunction(name, fileName) ?? null);
    }
    case 'roles':
      return JSON.stringify(facts.rolesOf(argument));
    case 'paged':
      return JSON.stringify(facts.isPaged(argument));
    case 'dispatch-table':
      return JSON.stringify(facts.hasDispatchTable);
    case 'called-from-other-file': {
      const [name, fileName] = JSON.parse(argument) as [string, string];
      return JSON.stringify(facts.calledFromOtherFile(name, fileName));
    }
    case 'pool-nx-opt-in':
      return JSON.stringify(facts.poolNxOptInFor(argument));
    case 'struct-field-shape': {
      const [owner, field] = JSON.parse(argument) as [string, string];
      const shape = facts.structFieldShapeOf(owner, field);
      return JSON.stringify(shape ?? null) + (shape === undefined ? '?' : '');
    }
    case 'field-shape':
      return JSON.stringify(facts.fieldShapeOf(argument) ?? null) + (facts.fieldShapeOf(argument) === undefined ? '?' : '');
  }
}

function macroAnswer(definition: MacroDefinition | undefined): string {
  return definition ? JSON.stringify([definition.name, definition.params ?? null, definition.body, definition.fileName, definition.line]) : 'null';
}

const KINDS = new Set<string>(['macro', 'wpp-function', 'roles', 'paged', 'dispatch-table', 'called-from-other-file', 'pool-nx-opt-in', 'field-shape', 'struct-field-shape']);

/** Whether a value read back from a cache file is a well-formed trace. */
export function isTrace(value: unknown): value is TraceEntry[] {
  return Array.isArray(value) && value.every((entry) => Array.isArray(entry) && entry.length === 3 && KINDS.has(entry[0]) && typeof entry[1] === 'string' && typeof entry[2] === 'string');
}

/** Whether every question of `trace` gets the recorded answer from `facts`. */
export function traceHolds(trace: readonly TraceEntry[], facts: WorkspaceFacts): boolean {
  try {
    return trace.every(([kind, argument, answer]) => ask(facts, kind, argument) === answer);
  } catch {
    return false; // a malformed argument: the trace cannot vouch for anything
  }
}

/**
 * The workspace answers a kept analysis depends on: the revision it ran at and the questions it (and the earlier
 * analyses whose findings it took over) asked. The language server reuses per-function findings across a workspace
 * change (typing a call changes the revision) as long as these answers hold.
 */
export interface WorkspaceDependence {
  revision: number;
  trace: readonly TraceEntry[];
}

/** Whether results computed under `dependence` hold for `facts` (both without a workspace also counts). */
export function dependenceHolds(dependence: WorkspaceDependence | undefined, facts: WorkspaceFacts | undefined): boolean {
  if (!dependence || !facts) return !dependence && !facts;
  return dependence.revision === facts.revision || traceHolds(dependence.trace, facts);
}

/** The distinct questions of several traces (answers of one question agree when each trace holds). */
export function mergeTraces(...traces: (readonly TraceEntry[] | undefined)[]): TraceEntry[] {
  const merged = new Map<string, TraceEntry>();
  for (const trace of traces) for (const entry of trace ?? []) merged.set(`${entry[0]}\u0000${entry[1]}`, entry);
  return [...merged.values()];
}

/** A view of `facts` that answers as they do and records each distinct question with its answer. */
export class RecordingWorkspace implements WorkspaceFacts {
  private readonly answers = new Map<string, TraceEntry>();
  private readonly macroViews = new Map<string, MacroLookup>();

  constructor(private readonly facts: WorkspaceFacts) {}

  get revision(): number {
    return this.facts.revision;
  }

  macrosFor(fileName: string): MacroLookup {
    let view = this.macroViews.get(fileName);
    if (!view) {
      const inner = this.facts.macrosFor(fileName);
      view = {
        get: (name) => {
          this.record('macro', JSON.stringify([name, fileName]));
          return inner.get(name);
        },
      };
      this.macroViews.set(fileName, view);
    }
    return view;
  }

  wppFunction(name: string, fileName: string): ReturnType<WorkspaceFacts['wppFunction']> {
    this.record('wpp-function', JSON.stringify([name, fileName]));
    return this.facts.wppFunction(name, fileName);
  }

  rolesOf(name: string): ReturnType<WorkspaceFacts['rolesOf']> {
    this.record('roles', name);
    return this.facts.rolesOf(name);
  }

  isPaged(name: string): boolean {
    this.record('paged', name);
    return this.facts.isPaged(name);
  }

  get hasDispatchTable(): boolean {
    this.record('dispatch-table', '');
    return this.facts.hasDispatchTable;
  }

  calledFromOtherFile(name: string, fileName: string): boolean {
    this.record('called-from-other-file', JSON.stringify([name, fileName]));
    return this.facts.calledFromOtherFile(name, fileName);
  }

  poolNxOptInFor(fileName: string): boolean {
    this.record('pool-nx-opt-in', fileName);
    return this.facts.poolNxOptInFor(fileName);
  }

  fieldShapeOf(name: string): ReturnType<WorkspaceFacts['fieldShapeOf']> {
    this.record('field-shape', name);
    return this.facts.fieldShapeOf(name);
  }

  structFieldShapeOf(owner: string, field: string): ReturnType<WorkspaceFacts['structFieldShapeOf']> {
    this.record('struct-field-shape', JSON.stringify([owner, field]));
    return this.facts.structFieldShapeOf(owner, field);
  }

  /** The distinct questions asked so far, with their answers. */
  trace(): TraceEntry[] {
    return [...this.answers.values()];
  }

  private record(kind: TraceKind, argument: string): void {
    const key = `${kind}\u0000${argument}`;
    if (!this.answers.has(key)) this.answers.set(key, [kind, argument, ask(this.facts, kind, argument)]);
  }
}
