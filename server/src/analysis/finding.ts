import type { FileSurface } from './attack-surface';

/** Plain data produced by the analysis core. Lines and characters are 0-based; characters count UTF-16 code units (as LSP does). */

export type Severity = 'error' | 'warning' | 'information' | 'hint';
export type SeveritySetting = Severity | 'off';

export const SEVERITY_ORDER: Record<Severity, number> = { error: 3, warning: 2, information: 1, hint: 0 };

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** True for a mechanical change that keeps behaviour safe (drives "Auto Fix"); false for a suggestion the user must review. */
  isPreferred: boolean;
}

export interface RelatedLocation {
  range: Range;
  message: string;
}

export interface Suppression {
  kind: 'next-line' | 'file';
  justification: string;
  range: Range;
}

export interface Finding {
  ruleId: string;
  checklistItem: string;
  severity: Severity;
  message: string;
  range: Range;
  related: RelatedLocation[];
  fixes: Fix[];
  /** Present when an inline comment suppresses the finding: kept so SARIF can record it. */
  suppression?: Suppression;
}

export interface RuleError {
  ruleId: string;
  message: string;
}

export interface AnalysisResult {
  findings: Finding[];
  /** Number of ERROR or MISSING nodes in the tree: a measure of how well the grammar understood the file. */
  parseErrors: number;
  /** Set when the file was not analyzed at all (too large, binary, …). */
  skipped?: { reason: string };
  /** Rules that threw: reported, never fatal. */
  ruleErrors: RuleError[];
  /**
   * Set when findings of an earlier analysis were reused (`reuse`): how many functions were analyzed again by rules
   * that read callers at any level (`reanalyzed`), by those that read none (`reanalyzedOwn`: the edited function and
   * those whose parameter taint or reachability changed) and by `function-local` rules (`reanalyzedLocal`).
   */
  reuse?: { functions: number; reanalyzed: number; reanalyzedOwn?: number; reanalyzedLocal?: number };
  /** The file's attack-surface facts (devices, dispatch routines, IOCTLs, handlers), when it has any. */
  surface?: FileSurface;
}
