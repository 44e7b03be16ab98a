/** Runs the analyzer over files and folders: discovery, workspace index, per-file analysis, progress. */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { createAnalyzer, WorkspaceIndex, type AnalysisResult, type SeveritySetting } from '../core';
import { AnalysisWorkers, workerCount } from '../node/analysis-workers';
import { discoverSourceFiles, readSourceFile } from '../node/discover';
import { hashText, ScanCache } from '../node/scan-cache';
import { RecordingWorkspace, traceHolds, type TraceEntry } from '../analysis/workspace-trace';

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
  /**
   * Keep results in this cache file and take over those of unchanged files whose cross-file facts are unchanged.
   * `key` identifies the tool build and the settings (a cache written under another key is not used).
   */
  cache?: { location: string; key: string };
  /** Measure the time of each phase (`--profile`): returned as `ScanResult.profile`. */
  profile?: boolean;
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
  /** With a cache: how many files' results were taken from it and how many were analyzed. */
  cache?: { reused: number; analyzed: number };
  /**
   * With `profile`: milliseconds per phase. Phases inside the analysis (`parse`, `walk`, `rule:<id>`, …) are summed
   * over the worker threads, so with several threads they add up to more than the wall time (`analysis (wall)`).
   */
  profile?: Record<string, number>;
}

/** A file's result and, when a cache wants it, the cross-file facts its analysis used. */
interface Analyzed extends FileResult {
  trace?: TraceEntry[];
  profile?: Record<string, number>;
}

/** Adds the time since `started` to a phase of the profile, if one is being kept. */
function addTime(profile: Record<string, number> | undefined, phase: string, started: number): void {
  if (profile) profile[phase] = (profile[phase] ?? 0) + (performance.now() - started);
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
  const profile = options.profile ? {} as Record<string, number> : undefined;
  let started = performance.now();
  const files: string[] = [];
  for await (const file of discoverSourceFiles(options.paths, { exclude: options.exclude, onWarning: warn })) files.push(file);
  addTime(profile, 'discover', started);

  // Read every file once; index first so macros and roles from headers resolve in every file. A file the cache
  // knows with the same text brings its index entry along.
  started = performance.now();
  const cache = options.cache ? ScanCache.load(options.cache.location, options.cache.key, warn) : undefined;
  addTime(profile, 'cache read', started);
  const texts = new Map<string, string>();
  const hashes = new Map<string, string>();
  const unreadable: ScanResult['unreadable'] = [];
  const workspace = new WorkspaceIndex();
  const reads = readAhead(files);
  for (const [index, file] of files.entries()) {
    try {
      started = performance.now();
      const text = await reads(index);
      addTime(profile, 'read and decode', started);
      started = performance.now();
      texts.set(file, text);
      if (cache) {
        const hash = hashText(text);
        hashes.set(file, hash);
        const known = cache.get(file);
        workspace.update(file, text, known?.hash === hash ? known.index : undefined);
      } else {
        workspace.update(file, text);
      }
      addTime(profile, 'workspace index', started);
    } catch (error) {
      unreadable.push({ file, reason: (error as Error).message });
      warn(`cannot read ${path.relative(process.cwd(), file)}: ${(error as Error).message}`);
    }
  }

  // A result is taken over when the text is the same and every cross-file fact its analysis asked about still is.
  const fromCache = new Map<string, AnalysisResult>();
  started = performance.now();
  if (cache) {
    for (const file of [...texts.keys()]) {
      const entry = cache.get(file);
      if (entry && entry.hash === hashes.get(file) && traceHolds(entry.trace, workspace)) {
        fromCache.set(file, entry.result);
        texts.delete(file);
      }
    }
  }

  addTime(profile, 'cache lookup', started);

  started = performance.now();
  const traced = cache !== undefined;
  const jobs = workerCount(options.jobs, texts.size);
  const workers = jobs > 1 ? AnalysisWorkers.start(jobs, workspace, FILE_TIME_BUDGET_MS, { rules: options.rules, maxFileSize: options.maxFileSize }) : undefined;
  let done = fromCache.size;
  const progress = () => options.onProgress?.(++done, files.length);
  const wanted = { trace: traced, profile: profile !== undefined };
  const analyzed = workers ? await analyzeInWorkers(workers, texts, workspace, options, wanted, progress) : await analyzeHere(texts, workspace, options, wanted, progress);
  addTime(profile, 'analysis (wall)', started);
  if (profile) for (const entry of analyzed) for (const [phase, ms] of Object.entries(entry.profile ?? {})) profile[phase] = (profile[phase] ?? 0) + ms;

  const byFile = new Map<string, FileResult>();
  for (const { file, result, trace } of analyzed) {
    byFile.set(file, { file, result });
    if (!cache) continue;
    const index = workspace.entryOf(file);
    if (trace && index && isRepeatable(result)) cache.set(file, { hash: hashes.get(file)!, index, trace, result });
    else cache.delete(file);
  }
  for (const [file, result] of fromCache) byFile.set(file, { file, result });
  started = performance.now();
  if (cache) {
    try {
      cache.save();
    } catch (error) {
      warn(`cannot write the scan cache ${options.cache!.location}: ${(error as Error).message}`);
    }
  }
  addTime(profile, 'cache write', started);
  const results = files.filter((file) => byFile.has(file)).map((file) => byFile.get(file)!);
  return {
    files: results,
    unreadable,
    warnings,
    ...(cache ? { cache: { reused: fromCache.size, analyzed: analyzed.length } } : {}),
    ...(profile ? { profile } : {}),
  };
}

/** Files read in discovery order with a few reads in flight (one at a time leaves the disk and the CPU idle). */
function readAhead(files: readonly string[], inFlight = 16): (index: number) => Promise<string> {
  const pending = new Map<number, Promise<string>>();
  let next = 0;
  const fill = (upTo: number) => {
    for (; next < Math.min(files.length, upTo); next++) {
      const read = readSourceFile(files[next]);
      read.catch(() => undefined); // awaited (and reported) in order by the caller
      pending.set(next, read);
    }
  };
  return (index) => {
    fill(index + inFlight);
    const read = pending.get(index)!;
    pending.delete(index);
    return read;
  };
}

/**
 * Whether the same text, settings and workspace give this result again: not when the analysis was cut short by
 * its time budget (a busy machine) or a rule threw.
 */
function isRepeatable(result: AnalysisResult): boolean {
  return result.ruleErrors.length === 0 && !(result.skipped && /time budget|took longer/.test(result.skipped.reason));
}

interface Wanted {
  trace: boolean;
  profile: boolean;
}

async function analyzeHere(texts: Map<string, string>, workspace: WorkspaceIndex, options: ScanOptions, wanted: Wanted, progress: () => void): Promise<Analyzed[]> {
  const results: Analyzed[] = [];
  if (texts.size === 0) return results; // everything came from the cache: no need to load the grammars
  const loadStarted = performance.now();
  const analyzer = await createAnalyzer();
  const profile = wanted.profile ? { 'load grammars': performance.now() - loadStarted } : undefined;
  for (const [file, text] of texts) {
    const recording = wanted.trace ? new RecordingWorkspace(workspace) : undefined;
    const result = analyzer.analyze({ text, fileName: file }, { rules: options.rules, workspace: recording ?? workspace, maxFileSize: options.maxFileSize, timeBudgetMs: FILE_TIME_BUDGET_MS, profile });
    results.push({ file, result, trace: recording?.trace() });
    texts.delete(file); // let the text go: memory stays flat on large trees
    progress();
  }
  if (profile && results.length > 0) results[0].profile = profile;
  return results;
}

/**
 * Analyzes every file on the worker threads (each takes the next file when it is free: files differ in size).
 * Files a failed worker could not analyze are analyzed here afterwards. The caller puts results in discovery order.
 */
async function analyzeInWorkers(workers: AnalysisWorkers, texts: Map<string, string>, workspace: WorkspaceIndex, options: ScanOptions, wanted: Wanted, progress: () => void): Promise<Analyzed[]> {
  const entries = [...texts];
  texts.clear();
  const failed = new Map<string, string>();
  const settled = await Promise.all(entries.map(([file, text]) => workers.analyzeDetailed(file, text, wanted).then(
    ({ result, trace, profile }): Analyzed => {
      progress();
      return { file, result, trace, profile };
    },
    (error: Error) => {
      failed.set(file, text);
      if (failed.size === 1) options.onWarning?.(`analysis worker failed (${error.message}); continuing on the main thread`);
      return undefined;
    },
  )));
  await workers.close();
  const results = settled.filter((entry): entry is Analyzed => entry !== undefined);
  if (failed.size > 0) results.push(...await analyzeHere(failed, workspace, options, wanted, progress));
  return results;
}
