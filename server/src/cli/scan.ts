/** Runs the analyzer over files and folders: discovery, workspace index, per-file analysis, progress. */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { createAnalyzer, WorkspaceIndex, type AnalysisResult, type SeveritySetting } from '../core';
import { discoverSourceFiles, readSourceFile } from '../node/discover';

export interface ScanOptions {
  paths: string[];
  exclude: string[];
  rules: Record<string, SeveritySetting>;
  maxFileSize: number;
  /** Called after each file with (done, total). */
  onProgress?: (done: number, total: number) => void;
  onWarning?: (message: string) => void;
}

export interface FileResult {
  /** Absolute path. */
  file: string;
  result: AnalysisResult;
}

export interface ScanResult {
  files: FileResult[];
  /** Files that could not be read (deleted during the scan, permissions). */
  unreadable: { file: string; reason: string }[];
  warnings: string[];
}

/** Per-file time budget: a pathological file is skipped with a reason instead of stalling CI. */
const FILE_TIME_BUDGET_MS = 5000;

export class UsageError extends Error {}

export async function scan(options: ScanOptions): Promise<ScanResult> {
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  for (const target of options.paths) {
    try {
      await stat(target);
    } catch {
      throw new UsageError(`path not found: ${target}`);
    }
  }
  const files: string[] = [];
  for await (const file of discoverSourceFiles(options.paths, { exclude: options.exclude, onWarning: warn })) files.push(file);

  // Read every file once; index first so macros and roles from headers resolve in every file.
  const texts = new Map<string, string>();
  const unreadable: ScanResult['unreadable'] = [];
  const workspace = new WorkspaceIndex();
  for (const file of files) {
    try {
      const text = await readSourceFile(file);
      texts.set(file, text);
      workspace.update(file, text);
    } catch (error) {
      unreadable.push({ file, reason: (error as Error).message });
      warn(`cannot read ${path.relative(process.cwd(), file)}: ${(error as Error).message}`);
    }
  }

  const analyzer = await createAnalyzer();
  const results: FileResult[] = [];
  let done = 0;
  for (const [file, text] of texts) {
    const result = analyzer.analyze({ text, fileName: file }, { rules: options.rules, workspace, maxFileSize: options.maxFileSize, timeBudgetMs: FILE_TIME_BUDGET_MS });
    results.push({ file, result });
    texts.delete(file); // let the text go: memory stays flat on large trees
    options.onProgress?.(++done, files.length);
  }
  return { files: results, unreadable, warnings };
}
