/** The public face of the analysis core: what the server, the CLI, the tests and the benchmarks import. */
import { Analyzer } from './analysis/engine';
import type { ParserOptions } from './analysis/parser';
import { RULES } from './rules';

export { Analyzer, computeEdit, checklistTitle, DEFAULT_MAX_FILE_SIZE } from './analysis/engine';
export type { AnalyzeDocument, AnalyzeOptions, ParsedDocument } from './analysis/engine';
export type { AnalysisResult, Finding, Fix, Position, Range, Severity, SeveritySetting, TextEdit } from './analysis/finding';
export { SEVERITY_ORDER } from './analysis/finding';
export { isSourceFile, SOURCE_EXTENSIONS } from './analysis/parser';
export { docsUrlFor } from './analysis/rule';
export type { Rule, RuleMeta } from './analysis/rule';
export { WorkspaceIndex } from './analysis/workspace-index';
export { UNUSED_SUPPRESSION_ID } from './analysis/suppressions';
export { RULES, getRule } from './rules';

/** An analyzer with every registered rule. */
export function createAnalyzer(options: ParserOptions = {}): Promise<Analyzer> {
  return Analyzer.create(RULES, options);
}
