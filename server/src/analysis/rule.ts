/** The contract every rule module implements (ESLint's `meta` + `create(context)`, in TypeScript). */
import type { ChecklistItemId } from '../../../shared/checklist-items';
import type { Severity } from './finding';
import type { Node } from './query';
import type { SourceFile } from './source-file';

export const DOCS_BASE_URL = 'https://github.com/driver-guard/driver-guard/blob/main/docs/rules';

export function docsUrlFor(ruleId: string): string {
  return `${DOCS_BASE_URL}/${ruleId}.md`;
}

export interface RuleMeta {
  /** kebab-case, identical to the file name. */
  id: string;
  title: string;
  /** `problem`: a likely vulnerability; `suggestion`: hardening. */
  type: 'problem' | 'suggestion';
  severity: Severity;
  checklistItem: ChecklistItemId;
  /** One sentence: what the rule flags. */
  description: string;
  /** Why it matters (docs page and SARIF full description). */
  rationale: string;
  cwe?: string[];
  /** Microsoft documentation pages. */
  references?: string[];
  confidence: 'high' | 'medium' | 'low';
  /** Message templates by id; `{{name}}` placeholders are filled from the report's data. */
  messages: Record<string, string>;
  /** The rule reports mechanical, safe fixes (isPreferred). */
  fixable?: boolean;
  /** The rule reports suggestions: changes the user must review. */
  hasSuggestions?: boolean;
  /** Docs examples: code that is flagged and its safe variant. */
  examples?: { bad: string; good: string };
  /**
   * `function` promises that what the rule reports while visiting a node inside a function F depends only on F's
   * text, on the text of the functions of the file that call F (directly or not: taint passed in, checks made
   * before the call) and on file-level facts (text outside function bodies, driver roles, the set of function
   * names, the workspace index) — not on the bodies of F's callees or of unrelated functions; and that `onEnd`
   * reports only nodes it visited, inside the function it visited them in. The engine then re-runs the rule only on
   * the edited function and the functions it calls, reusing the findings of the rest of the file (see
   * ARCHITECTURE.md, "Incremental analysis"). Left out, the rule runs over the whole file after every edit.
   *
   * `function-local` promises the same without the callers: what the rule reports inside F depends only on F's text
   * and file-level facts (no taint of parameters passed in by callers, no checks made before a call, nothing read
   * from another function's body). After an edit the rule re-runs on the edited function alone.
   */
  scope?: 'function' | 'function-local';
  /**
   * With `scope: 'function'`: how many levels of F's callers the rule reads itself (`callsOf`, `everyCallGuarded`,
   * a check made before the call, the caller's taint or reachability) — 0 when it reads none. Beyond those levels the
   * callers reach F's findings only through what the file passes into F: the taint of its parameters
   * (`SourceFile.parameterTaintOf`) and whether user entries reach it (`DriverModel.isUserReachable`). After an edit
   * the engine re-runs the rule on a function the edited one reaches only when the edited function, or a function
   * whose parameter taint or reachability changed, lies within that many levels above it. Left out: any level (the
   * rule re-runs on every function the edited one reaches).
   */
  callerLevels?: number;
}

/** A text replacement in offsets of the analyzed text. */
export interface OffsetEdit {
  start: number;
  end: number;
  text: string;
}

export interface FixDescriptor {
  title: string;
  edits: OffsetEdit[];
}

/**
 * A line number for a message (`data: { line: lineOf(node) }`): unlike `startPosition.row + 1` it follows the node
 * when an edit above moves it, so findings reused between edits keep saying the right line.
 */
export class LineReference {
  constructor(readonly offset: number) {}
}

export function lineOf(node: Node): LineReference {
  return new LineReference(node.startIndex);
}

export interface ReportDescriptor {
  node: Node;
  messageId: string;
  data?: Record<string, string | number | LineReference>;
  /** This finding's severity when it differs from the rule's default (a user's setting still wins). */
  severity?: Severity;
  related?: { node: Node; message: string }[];
  /** A safe, mechanical fix (requires meta.fixable). */
  fix?: FixDescriptor;
  /** Changes that alter behaviour and must be reviewed (requires meta.hasSuggestions). */
  suggestions?: FixDescriptor[];
}

export interface RuleContext {
  readonly file: SourceFile;
  report(descriptor: ReportDescriptor): void;
}

/** Callbacks by tree-sitter node type, called once per node in document order; `onEnd` after the last node. */
export type RuleVisitor = { [nodeType: string]: ((node: Node) => void) | undefined } & { onEnd?: () => void };

/**
 * Visitors that do nothing, for node types a rule only reads through `file.within` / `file.nodes`: registering them
 * makes the engine's single walk gather those nodes (otherwise the first lookup walks the whole tree once more).
 * Spread into the visitor: `return { ...gather('case_statement'), onEnd() { … } }`.
 */
export function gather(...types: string[]): RuleVisitor {
  return Object.fromEntries(types.map((type) => [type, GATHER_ONLY]));
}

/** The callback `gather` registers: the engine gathers its nodes and does not call it (millions of identifiers). */
export const GATHER_ONLY = (): void => undefined;

export interface Rule {
  meta: RuleMeta;
  create(context: RuleContext): RuleVisitor;
  /**
   * For a `scope: 'function'` rule that also reads something file-wide (a union overlay called anywhere, an opt-in
   * made in DriverEntry): that something, summed up as a string. Computed after every edit; when it changes, this
   * rule runs over the whole file again (the others keep their findings). Keep it cheap.
   */
  fileFacts?(file: SourceFile): string;
}

/** Builders for fix edits. */
export const fixer = {
  replace(node: Node, text: string): OffsetEdit {
    return { start: node.startIndex, end: node.endIndex, text };
  },
  insertBefore(node: Node, text: string): OffsetEdit {
    return { start: node.startIndex, end: node.startIndex, text };
  },
  insertAfter(node: Node, text: string): OffsetEdit {
    return { start: node.endIndex, end: node.endIndex, text };
  },
  replaceRange(start: number, end: number, text: string): OffsetEdit {
    return { start, end, text };
  },
};
