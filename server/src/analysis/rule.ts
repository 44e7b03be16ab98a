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

export interface ReportDescriptor {
  node: Node;
  messageId: string;
  data?: Record<string, string | number>;
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

export interface Rule {
  meta: RuleMeta;
  create(context: RuleContext): RuleVisitor;
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
