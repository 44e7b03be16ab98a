/**
 * A worker thread of a parallel `driver-guard scan`: loads the analyzer (the wasm runtime and grammars) once,
 * takes the workspace index built by the main thread, then analyzes the files it is sent, one message each.
 * Bundled on its own as dist/scan-worker.js (esbuild.mjs); the main thread finds it next to itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createAnalyzer, WorkspaceIndex, type AnalysisResult, type SeveritySetting } from '../core';
import type { FileIndexEntry } from '../analysis/workspace-index';
import { RecordingWorkspace, type TraceEntry } from '../analysis/workspace-trace';

export interface ScanWorkerData {
  /** The workspace index entries of every file, by file name (built once by the main thread). */
  index: [string, FileIndexEntry][];
  rules: Record<string, SeveritySetting>;
  maxFileSize: number;
  timeBudgetMs: number;
}

/** main → worker: analyze one file; worker → main: its result (same id). */
export interface ScanTask {
  id: number;
  file: string;
  text: string;
  /** Per-file settings (the server's are per resource); the worker's defaults when absent. */
  rules?: Record<string, SeveritySetting>;
  maxFileSize?: number;
  /** Reply with the cross-file facts the analysis used too (for a scan cache). */
  trace?: boolean;
  /** Reply with the time spent per phase too (`scan --profile`). */
  profile?: boolean;
}

export type ScanReply = { id: number; result: AnalysisResult; trace?: TraceEntry[]; profile?: Record<string, number> } | { ready: true };

async function start(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('scan-worker must run in a worker thread');
  const data = workerData as ScanWorkerData;
  const workspace = WorkspaceIndex.fromEntries(data.index);
  // C++ is loaded when a C++ file comes (most driver trees are C only; the grammar costs memory).
  const analyzer = await createAnalyzer({ preload: ['c'] });
  // One file at a time, in arrival order (the main thread sends the next one only after this one's reply).
  port.on('message', async (task: ScanTask) => {
    await analyzer.prepare({ fileName: task.file });
    const recording = task.trace ? new RecordingWorkspace(workspace) : undefined;
    const profile = task.profile ? {} : undefined;
    const result = analyzer.analyze({ text: task.text, fileName: task.file }, {
      rules: task.rules ?? data.rules,
      workspace: recording ?? workspace,
      maxFileSize: task.maxFileSize ?? data.maxFileSize,
      timeBudgetMs: data.timeBudgetMs,
      profile,
    });
    port.postMessage({ id: task.id, result, trace: recording?.trace(), profile } satisfies ScanReply);
  });
  port.postMessage({ ready: true } satisfies ScanReply);
}

void start();
