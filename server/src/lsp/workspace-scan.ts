/**
 * "Driver Guard: Scan Workspace": analyzes every C/C++ file of the workspace folders that is not open, with
 * cancellable progress, and keeps the results fresh when files change on disk. Results go to the Problems
 * panel and to the findings store (evidence for the checklist view).
 */
import * as path from 'node:path';
import { FileChangeType, type CancellationToken, type Connection, type TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import { SCAN_WORKSPACE_REQUEST, type ScanWorkspaceParams, type ScanWorkspaceResult, type StatusParams } from '../../../shared/protocol';
import { Analyzer, DEFAULT_MAX_FILE_SIZE, isSourceFile, type AnalysisResult, type WorkspaceIndex } from '../core';
import { AnalysisWorkers, workerCount } from '../node/analysis-workers';
import { discoverSourceFiles, readSourceFile } from '../node/discover';
import { skippedDiagnostic, toDiagnostic } from './diagnostics';
import type { FindingsStore } from './findings-store';
import { isExcluded, type SettingsCache } from './settings';

export interface WorkspaceScanDeps {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  findings: FindingsStore;
  workspace: WorkspaceIndex;
  settings: SettingsCache;
  analyzer: () => Analyzer | undefined;
  folders: () => string[];
  onChanged: () => void;
  sendStatus: (params: StatusParams) => void;
}

const FILE_TIME_BUDGET_MS = 2000;

export function registerWorkspaceScan(deps: WorkspaceScanDeps): void {
  const { connection, documents, findings, workspace, settings } = deps;
  /** Folders scanned at least once: file events there keep the results current. */
  const scannedFolders = new Set<string>();

  async function analyzeFile(filePath: string, workers?: AnalysisWorkers): Promise<{ findings: number; skipped: boolean }> {
    const analyzer = deps.analyzer();
    const uri = URI.file(filePath).toString();
    if (!analyzer || documents.get(uri)) return { findings: 0, skipped: false };
    const config = await settings.get(uri);
    if (!config.enable || isExcluded(uri, config.exclude, deps.folders().map((folder) => URI.parse(folder).fsPath))) {
      findings.removeScanned(uri);
      void connection.sendDiagnostics({ uri, diagnostics: [] });
      return { findings: 0, skipped: false };
    }
    let text: string;
    try {
      text = await readSourceFile(filePath);
    } catch (error) {
      // Deleted or unreadable during the scan: forget it, do not fail the scan.
      connection.console.warn(`Workspace scan: cannot read ${filePath}: ${(error as Error).message}`);
      findings.removeScanned(uri);
      return { findings: 0, skipped: true };
    }
    const options = { rules: config.rules, maxFileSize: config.maxFileSizeKB * 1024 };
    let result: AnalysisResult | undefined;
    if (workers) {
      // A failed worker leaves the file to this thread.
      result = await workers.analyze(filePath, text, options).catch(() => undefined);
      if (documents.get(uri)) return { findings: 0, skipped: false }; // opened meanwhile: the editor's analysis wins
    }
    if (!result) {
      try {
        await analyzer.prepare({ fileName: filePath });
      } catch (error) {
        connection.console.error(`Workspace scan: cannot load the grammar for ${filePath}: ${(error as Error).message}`);
        return { findings: 0, skipped: true };
      }
      result = analyzer.analyze({ text, fileName: filePath }, { ...options, workspace, timeBudgetMs: FILE_TIME_BUDGET_MS });
    }
    for (const error of result.ruleErrors) connection.console.error(`Rule ${error.ruleId} failed on ${filePath}: ${error.message}`);
    const visible = result.findings.filter((finding) => !finding.suppression);
    findings.setScanned(uri, visible, result.surface);
    const diagnostics = result.skipped
      ? [skippedDiagnostic(result.skipped.reason)]
      : result.findings.map((finding, index) => ({ finding, index })).filter(({ finding }) => !finding.suppression).map(({ finding, index }) => toDiagnostic(finding, index, -1, uri));
    if (result.skipped) connection.console.info(`Workspace scan skipped ${filePath}: ${result.skipped.reason}`);
    void connection.sendDiagnostics({ uri, diagnostics });
    return { findings: visible.length, skipped: Boolean(result.skipped) };
  }

  async function scan(params: ScanWorkspaceParams | undefined, token: CancellationToken): Promise<ScanWorkspaceResult> {
    const folderUris = params?.folders?.length ? params.folders : deps.folders();
    const progress = await connection.window.createWorkDoneProgress();
    progress.begin('Driver Guard: scanning workspace', 0, 'finding C/C++ files…', true);
    const cancelled = () => token.isCancellationRequested || progress.token.isCancellationRequested;
    const result: ScanWorkspaceResult = { files: 0, findings: 0, skipped: 0, cancelled: false };
    deps.sendStatus({ state: 'scanning' });
    try {
      const files: string[] = [];
      for (const folderUri of folderUris) {
        const folderPath = URI.parse(folderUri).fsPath;
        const config = await settings.get(folderUri);
        for await (const file of discoverSourceFiles([folderPath], {
          exclude: config.exclude,
          isCancelled: cancelled,
          onWarning: (message) => connection.console.warn(`Workspace scan: ${message}`),
        })) {
          files.push(file);
        }
        scannedFolders.add(folderUri);
      }
      // Index first so macros and roles from every header are known when each file is analyzed.
      for (const file of files) {
        if (cancelled()) break;
        try {
          workspace.update(file, await readSourceFile(file));
        } catch {
          workspace.remove(file);
        }
      }
      const stale = new Set(findings.all().map((finding) => finding.uri));
      // Big scans run on worker threads: all cores, an editor that stays responsive, and no trees, texts or
      // garbage of closed files left in this process afterwards (the workers' memory goes with them).
      const jobs = workerCount(undefined, files.length);
      // Settings are per file: each task carries its own, so the workers' defaults are never used.
      const workers = jobs > 1 ? AnalysisWorkers.start(jobs, workspace, FILE_TIME_BUDGET_MS, { rules: {}, maxFileSize: DEFAULT_MAX_FILE_SIZE }) : undefined;
      const inFlight = new Set<Promise<void>>();
      try {
        for (let index = 0; index < files.length && !cancelled(); index++) {
          const file = files[index];
          const task: Promise<void> = analyzeFile(file, workers).then((outcome) => {
            stale.delete(URI.file(file).toString());
            result.files++;
            result.findings += outcome.findings;
            if (outcome.skipped) result.skipped++;
            if (result.files % 10 === 1) {
              progress.report(Math.round((result.files / files.length) * 100), `${result.files} / ${files.length}: ${path.basename(file)}`);
              deps.onChanged();
            }
          }).finally(() => inFlight.delete(task));
          inFlight.add(task);
          // One file at a time on this thread; with workers, enough in flight to keep each of them busy.
          if (inFlight.size >= (workers ? jobs * 2 : 1)) await Promise.race(inFlight);
          if (index % 10 === 0) await new Promise((resolve) => setImmediate(resolve)); // let edits and cancellation through
        }
        await Promise.all(inFlight);
      } finally {
        await workers?.close();
      }
      result.cancelled = cancelled();
      if (!result.cancelled) {
        for (const uri of stale) {
          if (documents.get(uri) || !folderUris.some((folder) => uri.startsWith(folder))) continue;
          findings.removeScanned(uri);
          void connection.sendDiagnostics({ uri, diagnostics: [] });
        }
      }
      deps.onChanged();
      return result;
    } catch (error) {
      connection.console.error(`Workspace scan failed: ${(error as Error).stack ?? String(error)}`);
      deps.sendStatus({ state: 'error', detail: `Workspace scan failed: ${(error as Error).message}` });
      throw error;
    } finally {
      progress.done();
      deps.sendStatus({ state: 'ready', detail: `${result.files} files scanned, ${result.findings} findings` });
    }
  }

  connection.onRequest(SCAN_WORKSPACE_REQUEST, (params: ScanWorkspaceParams | undefined, token: CancellationToken) => scan(params, token));

  connection.onDidChangeWatchedFiles(async (event) => {
    for (const change of event.changes) {
      const filePath = URI.parse(change.uri).fsPath;
      if (![...scannedFolders].some((folder) => change.uri.startsWith(folder))) continue;
      if (!isSourceFile(filePath)) {
        // A deleted folder arrives as one event for the folder itself: drop what was scanned below it.
        if (change.type !== FileChangeType.Deleted) continue;
        for (const uri of findings.removeScannedUnder(change.uri)) {
          workspace.remove(URI.parse(uri).fsPath);
          void connection.sendDiagnostics({ uri, diagnostics: [] });
        }
        continue;
      }
      if (change.type === FileChangeType.Deleted) {
        workspace.remove(filePath);
        findings.removeScanned(change.uri);
        void connection.sendDiagnostics({ uri: change.uri, diagnostics: [] });
      } else {
        try {
          workspace.update(filePath, await readSourceFile(filePath));
        } catch {
          continue;
        }
        await analyzeFile(filePath);
      }
    }
    deps.onChanged();
  });
}
