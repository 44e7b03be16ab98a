/** Runs the analyzer over files and folders: discovery, workspace index, per-file analysis, progress. */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createAnalyzer, WorkspaceIndex, type AnalysisResult, type SeveritySetting } from '../core';
import { discoverSourceFiles, readSourceFile } from '../node/discover';
import type { ScanReply, ScanTask, ScanWorkerData } from './scan-worker';

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
  const results = jobs > 1 && existsSync(WORKER_SCRIPT)
    ? await analyzeInWorkers(texts, workspace, options, jobs, files.length)
    : await analyzeHere(texts, workspace, options, files.length);
  return { files: results, unreadable, warnings };
}

/** Below this many files a serial scan finishes before the workers would have loaded the grammars. */
export const PARALLEL_MIN_FILES = 50;
/** Each worker should get at least this many files. */
const FILES_PER_WORKER = 25;
/** The worker bundle (dist/scan-worker.js) or compiled module (out/…/scan-worker.js), next to this file. */
const WORKER_SCRIPT = path.join(__dirname, 'scan-worker.js');

function workerCount(requested: number | undefined, fileCount: number): number {
  if (requested !== undefined) return Math.max(1, Math.min(requested, fileCount));
  if (fileCount < PARALLEL_MIN_FILES) return 1;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, Math.floor(fileCount / FILES_PER_WORKER)));
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
 * Analyzes files on `jobs` worker threads, each fed the next file as soon as it is free (files differ in size).
 * Results are put back in discovery order, so the report is identical to a serial scan. A worker that fails
 * leaves its files to the main thread.
 */
async function analyzeInWorkers(texts: Map<string, string>, workspace: WorkspaceIndex, options: ScanOptions, jobs: number, total: number): Promise<FileResult[]> {
  const entries = [...texts];
  const results: (FileResult | undefined)[] = new Array(entries.length);
  const data: ScanWorkerData = { index: workspace.snapshot(), rules: options.rules, maxFileSize: options.maxFileSize, timeBudgetMs: FILE_TIME_BUDGET_MS };
  let next = 0;
  let done = 0;
  const leftOver: number[] = [];

  await new Promise<void>((resolve) => {
    let running = jobs;
    const finished = () => {
      if (--running === 0) resolve();
    };
    for (let job = 0; job < jobs; job++) {
      const worker = new Worker(WORKER_SCRIPT, { workerData: data });
      let current: number | undefined;
      let ended = false;
      const end = (failed: boolean) => {
        if (ended) return;
        ended = true;
        if (failed && current !== undefined) leftOver.push(current);
        current = undefined;
        void worker.terminate();
        finished();
      };
      const feed = () => {
        if (next >= entries.length) return end(false);
        current = next++;
        const [file, text] = entries[current];
        worker.postMessage({ id: current, file, text } satisfies ScanTask);
      };
      worker.on('message', (reply: ScanReply) => {
        if ('id' in reply) {
          results[reply.id] = { file: entries[reply.id][0], result: reply.result };
          texts.delete(entries[reply.id][0]);
          current = undefined;
          options.onProgress?.(++done, total);
        }
        feed();
      });
      worker.on('error', (error) => {
        options.onWarning?.(`analysis worker failed (${error.message}); continuing on the main thread`);
        end(true);
      });
      worker.on('exit', () => end(current !== undefined));
    }
  });

  // Files a failed worker did not finish, and any never handed out, are analyzed here.
  for (let index = next; index < entries.length; index++) leftOver.push(index);
  if (leftOver.length > 0) {
    const rest = new Map(leftOver.sort((a, b) => a - b).map((index) => entries[index]));
    const analyzed = await analyzeHere(rest, workspace, options, total, done);
    leftOver.forEach((index, position) => {
      results[index] = analyzed[position];
    });
  }
  return results as FileResult[];
}
