/** Runs the analyzer over files and folders: discovery, workspace index, per-file analysis, progress. */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { createAnalyzer, WorkspaceIndex, type AnalysisResult, type SeveritySetting } from '../core';
import { AnalysisWorkers, workerCount } from '../node/analysis-workers';
import { discoverSourceFiles, readSourceFile } from '../node/discover';

export interface ScanOptions {
  paths: string[];
  exclude: string[];
  rules: Record<string, SeveritySetting>;
  maxFileSize: number;
  /** Called after each file with (done, total). */
  onProgress?: (done: number, total: number) => void;
  onWarning?: (message: string) => void;
  /**
   * Worker threads to analyze with: 1 analyzes on the main thread; undefined picks one per core when the scan is
   * big enough to pay for starting them (each loads the wasm grammars). The result is the same either way.
   */
  jobs?: number;
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

  const jobs = workerCount(options.jobs, texts.size);
  const workers = jobs > 1 ? AnalysisWorkers.start(jobs, workspace, FILE_TIME_BUDGET_MS, { rules: options.rules, maxFileSize: options.maxFileSize }) : undefined;
  const results = workers ? await analyzeInWorkers(workers, texts, workspace, options, files.length) : await analyzeHere(texts, workspace, options, files.length);
  return { files: results, unreadable, warnings };
}

async function analyzeHere(texts: Map<string, string>, workspace: WorkspaceIndex, options: ScanOptions, total: number, done = 0): Promise<FileResult[]> {
  const analyzer = await createAnalyzer();
  const results: FileResult[] = [];
  for (const [file, text] of texts) {
    const result = analyzer.analyze({ text, fileName: file }, { rules: options.rules, workspace, maxFileSize: options.maxFileSize, timeBudgetMs: FILE_TIME_BUDGET_MS });
    results.push({ file, result });
    texts.delete(file); // let the text go: memory stays flat on large trees
    options.onProgress?.(++done, total);
  }
  return results;
}

/**
 * Analyzes every file on the worker threads (each takes the next file when it is free: files differ in size).
 * Results keep discovery order, so the report is identical to a serial scan. Files a failed worker could not
 * analyze are analyzed here afterwards.
 */
async function analyzeInWorkers(workers: AnalysisWorkers, texts: Map<string, string>, workspace: WorkspaceIndex, options: ScanOptions, total: number): Promise<FileResult[]> {
  const entries = [...texts];
  texts.clear();
  let done = 0;
  const failed = new Map<string, string>();
  const settled = await Promise.all(entries.map(([file, text]) => workers.analyze(file, text).then(
    (result) => {
      options.onProgress?.(++done, total);
      return { file, result } as FileResult;
    },
    (error: Error) => {
      failed.set(file, text);
      if (failed.size === 1) options.onWarning?.(`analysis worker failed (${error.message}); continuing on the main thread`);
      return undefined;
    },
  )));
  await workers.close();
  if (failed.size === 0) return settled as FileResult[];
  const rest = await analyzeHere(failed, workspace, options, total, done);
  const byFile = new Map(rest.map((entry) => [entry.file, entry]));
  return settled.map((entry, index) => entry ?? byFile.get(entries[index][0])!);
}
