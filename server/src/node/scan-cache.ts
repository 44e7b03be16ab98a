/**
 * The result cache of `driver-guard scan --cache`: per file, the hash of its text, the cross-file facts its
 * analysis asked about (workspace-trace.ts) and its result. One JSON file, written atomically; the whole cache
 * belongs to one tool build and one set of settings (`key`), so a new version or a changed `--rule` starts afresh.
 * A file that is not a cache of ours, or is damaged, is ignored with a warning and replaced: never trusted.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import type { AnalysisResult } from '../core';
import { isTrace, type TraceEntry } from '../analysis/workspace-trace';
import type { FileIndexEntry } from '../analysis/workspace-index';

const FORMAT = 'driver-guard-scan-cache';
const FORMAT_VERSION = 1;

export interface CacheEntry {
  /** sha256 of the file's text. */
  hash: string;
  /** What the file contributes to the workspace index (so an unchanged file is not even scanned for it). */
  index: FileIndexEntry;
  trace: TraceEntry[];
  result: AnalysisResult;
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The identity of the analysis: the tool build and every setting that changes a result. */
export function cacheKey(parts: unknown): string {
  return hashText(JSON.stringify(parts));
}

/**
 * A fingerprint of the running analyzer's code: the package version does not change between development builds,
 * the bundle's bytes do.
 */
export function toolFingerprint(version: string, moduleFile: string | undefined): string {
  let code = '';
  try {
    if (moduleFile) code = hashText(readFileSync(moduleFile, 'utf8'));
  } catch {
    // no readable module file: the version alone identifies the tool
  }
  return `${version}:${code}`;
}

function isResult(value: unknown): value is AnalysisResult {
  const result = value as AnalysisResult;
  return typeof result === 'object' && result !== null && Array.isArray(result.findings) && Array.isArray(result.ruleErrors) && typeof result.parseErrors === 'number';
}

function isIndexEntry(value: unknown): value is FileIndexEntry {
  const entry = value as FileIndexEntry;
  return typeof entry === 'object' && entry !== null && Array.isArray(entry.macros) && Array.isArray(entry.roles) && typeof entry.poolNxOptIn === 'boolean';
}

function isEntry(value: unknown): value is CacheEntry {
  const entry = value as CacheEntry;
  return typeof entry === 'object' && entry !== null && typeof entry.hash === 'string' && isIndexEntry(entry.index) && isTrace(entry.trace) && isResult(entry.result);
}

export class ScanCache {
  private constructor(
    private readonly location: string,
    private readonly key: string,
    private readonly entries: Map<string, CacheEntry>,
  ) {}

  /**
   * Loads the cache at `location` for `key`. A missing file, or one written under another key, is an empty cache
   * (silently: that is a first run or a changed setting); anything unreadable is an empty cache and a warning.
   */
  static load(location: string, key: string, warn: (message: string) => void): ScanCache {
    const entries = new Map<string, CacheEntry>();
    if (!existsSync(location)) return new ScanCache(location, key, entries);
    try {
      const data = JSON.parse(readFileSync(location, 'utf8')) as { format?: unknown; version?: unknown; key?: unknown; files?: unknown };
      if (data?.format !== FORMAT || typeof data.files !== 'object' || data.files === null) {
        warn(`ignoring ${location}: it is not a Driver Guard scan cache; it will be replaced`);
      } else if (data.version === FORMAT_VERSION && data.key === key) {
        for (const [file, entry] of Object.entries(data.files as Record<string, unknown>)) {
          if (!isEntry(entry)) throw new Error(`the entry of ${file} is malformed`);
          entries.set(file, entry);
        }
      }
    } catch (error) {
      entries.clear();
      warn(`ignoring the scan cache ${location}: ${(error as Error).message}; it will be rebuilt`);
    }
    return new ScanCache(location, key, entries);
  }

  get(file: string): CacheEntry | undefined {
    return this.entries.get(file);
  }

  set(file: string, entry: CacheEntry): void {
    this.entries.set(file, entry);
  }

  delete(file: string): void {
    this.entries.delete(file);
  }

  /** Entries of files that no longer exist are dropped, so the cache does not grow with deleted files. */
  save(): void {
    for (const file of this.entries.keys()) if (!existsSync(file)) this.entries.delete(file);
    const content = JSON.stringify({ format: FORMAT, version: FORMAT_VERSION, key: this.key, files: Object.fromEntries(this.entries) });
    const temp = `${this.location}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, content);
      renameSync(temp, this.location);
    } catch (error) {
      if (existsSync(temp)) unlinkSync(temp);
      throw error;
    }
  }
}
