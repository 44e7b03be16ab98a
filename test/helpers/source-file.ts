/** A `SourceFile` over a text, for unit tests of the shared analyses that sit below the rules. */
import type { Analyzer } from '../../server/src/core';
import { SourceFile } from '../../server/src/analysis/source-file';
import { SyntaxTree } from '../../server/src/analysis/syntax-tree';

/** Parses `text` as `fileName`, hands `check` the file (no workspace, nothing gathered) and frees the parse. */
export function withSourceFile(analyzer: Analyzer, text: string, fileName: string, check: (file: SourceFile) => void): void {
  const parsed = analyzer.parse({ text, fileName });
  if (!parsed) throw new Error(`${fileName} did not parse`);
  try {
    check(new SourceFile(fileName, text, parsed.language, new SyntaxTree(parsed.tree, parsed.parsedText), new Map()));
  } finally {
    parsed.dispose();
  }
}
