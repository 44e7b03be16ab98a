/**
 * A small pool of analysis worker threads (server/src/cli/scan-worker.ts) for big scans: the CLI's `scan` and the
 * server's workspace scan. Each worker loads the grammars once and gets the workspace index as plain data; files
 * are handed to whichever worker is free. Besides using every core, a scan in workers leaves nothing behind in the
 * caller's heap: the workers' trees, texts and garbage go away with them when the pool is closed.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AnalysisResult, SeveritySetting, WorkspaceIndex } from '../core';
import type { ScanReply, ScanTask, ScanWorkerData } from '../cli/scan-worker';
import type { TraceEntry } from '../analysis/workspace-trace';

/** Below this many files a scan on one thread finishes before workers would have loaded the grammars. */
export const PARALLEL_MIN_FILES = 50;
/** Each worker should get at least this many files. */
const FILES_PER_WORKER = 25;

/** The worker: next to the bundle (dist/scan-worker.js) or the compiled module (out/server/src/cli/scan-worker.js). */
function workerScript(): string | undefined {
  return [path.join(__dirname, 'scan-worker.js'), path.join(__dirname, '..', 'cli', 'scan-worker.js')].find((candidate) => existsSync(candidate));
}

/** How many workers a scan of `fileCount` files should use (1 = none); `requested` overrides. */
export function workerCount(requested: number | undefined, fileCount: number): number {
  if (requested !== undefined) return Math.max(1, Math.min(requested, fileCount));
  if (fileCount < PARALLEL_MIN_FILES) return 1;
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, Math.floor(fileCount / FILES_PER_WORKER)));
}

export interface WorkerTaskOptions {
  rules: Record<string, SeveritySetting>;
  maxFileSize: number;
}

/** A file's result with what the caller asked for besides (`analyzeDetailed`). */
export interface DetailedResult {
  result: AnalysisResult;
  trace?: TraceEntry[];
  profile?: Record<string, number>;
}

interface Pending {
  task: ScanTask;
  resolve: (reply: DetailedResult) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  current?: Pending;
  ready: boolean;
  dead: boolean;
}

export class AnalysisWorkers {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;

  private constructor(script: string, count: number, data: ScanWorkerData) {
    for (let index = 0; index < count; index++) {
      const slot: Slot = { worker: new Worker(script, { workerData: data }), ready: false, dead: false };
      slot.worker.on('message', (reply: ScanReply) => {
        if ('id' in reply) {
          const done = slot.current;
          slot.current = undefined;
          done?.resolve(reply);
        } else {
          slot.ready = true;
        }
        this.pump();
      });
      const fail = (error: Error) => {
        if (slot.dead) return;
        slot.dead = true;
        slot.current?.reject(error);
        slot.current = undefined;
        // With no worker left, nothing would take the queued files: hand them back to the callers.
        if (this.slots.every((candidate) => candidate.dead)) for (const pending of this.queue.splice(0)) pending.reject(error);
      };
      slot.worker.on('error', fail);
      slot.worker.on('exit', (code) => fail(new Error(`analysis worker exited (code ${code})`)));
      this.slots.push(slot);
    }
  }

  /** Starts `count` workers with the workspace index, or returns undefined when the worker script is not there. */
  static start(count: number, workspace: WorkspaceIndex, timeBudgetMs: number, defaults: WorkerTaskOptions): AnalysisWorkers | undefined {
    const script = workerScript();
    if (!script || count < 1) return undefined;
    return new AnalysisWorkers(script, count, { index: workspace.snapshot(), rules: defaults.rules, maxFileSize: defaults.maxFileSize, timeBudgetMs });
  }

  /** Analyzes one file on the next free worker; rejects when the workers failed (analyze it elsewhere then). */
  analyze(file: string, text: string, options?: WorkerTaskOptions): Promise<AnalysisResult> {
    return this.submit({ id: this.nextId++, file, text, rules: options?.rules, maxFileSize: options?.maxFileSize }).then((reply) => reply.result);
  }

  /**
   * Like `analyze`, with the cross-file facts the analysis used (workspace-trace.ts, for a scan cache) and the time
   * per phase (`scan --profile`) when asked for.
   */
  analyzeDetailed(file: string, text: string, wanted: { trace: boolean; profile: boolean }): Promise<DetailedResult> {
    return this.submit({ id: this.nextId++, file, text, trace: wanted.trace, profile: wanted.profile });
  }

  private submit(task: ScanTask): Promise<DetailedResult> {
    if (this.closed || this.slots.every((slot) => slot.dead)) return Promise.reject(new Error('analysis workers are not running'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.dead || !slot.ready || slot.current) continue;
      slot.current = this.queue.shift()!;
      slot.worker.postMessage(slot.current.task);
    }
  }

  /** Stops the workers (their memory is released); pending files are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('analysis workers closed'));
    await Promise.all(this.slots.map(async (slot) => {
      slot.dead = true;
      slot.current?.reject(new Error('analysis workers closed'));
      slot.current = undefined;
      await slot.worker.terminate();
    }));
  }
}
