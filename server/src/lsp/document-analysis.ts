/**
 * Keeps one parsed tree per open document and re-analyzes after a short pause in typing, shorter for files that
 * analyze fast (adaptiveDebounce). The previous tree is edited and reused, so a keystroke re-parses only the changed
 * region. Stale results (the document changed while
 * settings were being read) are dropped, never published.
 */
import type { Connection, Diagnostic } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import * as path from 'node:path';
import { URI } from 'vscode-uri';
import { STATUS_NOTIFICATION, type StatusParams } from '../../../shared/protocol';
import { Analyzer, type AnalysisResult, type Finding, type ParsedDocument, type WorkspaceIndex } from '../core';
import type { FileSurface } from '../analysis/attack-surface';
import type { PublishedFindings } from './code-actions';
import { skippedDiagnostic, toDiagnostic } from './diagnostics';
import { isExcluded, type SettingsCache } from './settings';

/** Parse + analysis of one file may take this long before it is abandoned (a newer edit retries). */
const TIME_BUDGET_MS = 2000;
/**
 * An analysis cut short by its budget (a busy machine, a cold start) is published as it is and run once more without
 * a budget shortly after, so the document does not keep incomplete findings until the next keystroke. The retry is
 * cooperative like every analysis: an edit or a close cancels it.
 */
const RETRY_DELAY_MS = 250;

/** The shortest pause after a keystroke before analyzing (a fast file): still long enough to batch a burst of typing. */
const MIN_DEBOUNCE_MS = 50;
/** The longest pause on a slow file: diagnostics may lag this much behind the last keystroke. */
const MAX_DEBOUNCE_MS = 1000;

/**
 * The pause before re-analyzing after an edit, from how long the document's last analysis took: twice that, at least
 * MIN_DEBOUNCE_MS, and above the configured pause only for files slower than it (backing off up to MAX_DEBOUNCE_MS),
 * so small files publish almost at once and a big file is not re-analyzed on every keystroke. A configured 0 (tests)
 * means no pause.
 */
export function adaptiveDebounce(configuredMs: number, lastAnalysisMs: number | undefined): number {
  if (configuredMs === 0 || lastAnalysisMs === undefined) return configuredMs;
  const wanted = 2 * lastAnalysisMs;
  return Math.min(Math.max(wanted, MIN_DEBOUNCE_MS), Math.max(configuredMs, Math.min(wanted, MAX_DEBOUNCE_MS)));
}

interface DocumentState {
  parsed?: ParsedDocument;
  timer?: NodeJS.Timeout;
  published?: PublishedFindings;
  /** How long the last complete analysis took (parse and rules), for the adaptive pause. */
  lastAnalysisMs?: number;
}

export interface AnalysisListener {
  /** Called after a document's findings were published (or cleared: findings = []), with its attack-surface facts. */
  (uri: string, findings: Finding[], surface?: FileSurface): void;
}

export class DocumentAnalysis {
  private readonly states = new Map<string, DocumentState>();

  constructor(
    private readonly connection: Connection,
    private readonly analyzer: Analyzer,
    private readonly settings: SettingsCache,
    private readonly workspace: WorkspaceIndex,
    private readonly folders: () => string[],
    private readonly debounceMs: number,
    private readonly onAnalyzed: AnalysisListener,
    /** Time the rules of one analysis may take; the parse keeps TIME_BUDGET_MS. */
    private readonly ruleBudgetMs = TIME_BUDGET_MS,
  ) {}

  published(uri: string): PublishedFindings | undefined {
    return this.states.get(uri)?.published;
  }

  /** Re-analyze after the debounce (typing) or at once (open, settings change). */
  schedule(document: TextDocument, immediate = false): void {
    const state = this.stateOf(document.uri);
    if (state.timer) clearTimeout(state.timer);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.run(document);
    }, immediate ? 0 : adaptiveDebounce(this.debounceMs, state.lastAnalysisMs));
  }

  close(uri: string): void {
    const state = this.states.get(uri);
    if (!state) return;
    if (state.timer) clearTimeout(state.timer);
    state.parsed?.dispose();
    this.states.delete(uri);
  }

  private stateOf(uri: string): DocumentState {
    let state = this.states.get(uri);
    if (!state) {
      state = {};
      this.states.set(uri, state);
    }
    return state;
  }

  /** Analyzes the document now and publishes its diagnostics; returns the result (tests, benchmarks). */
  async run(document: TextDocument, retry = false): Promise<AnalysisResult | undefined> {
    const uri = document.uri;
    const version = document.version;
    const settings = await this.settings.get(uri);
    try {
      await this.analyzer.prepare({ fileName: URI.parse(uri).fsPath, languageId: document.languageId });
    } catch (error) {
      this.connection.console.error(`Cannot load the grammar for ${uri}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    const state = this.states.get(uri);
    if (!state || document.version !== version) return undefined; // closed or changed meanwhile
    const fileName = URI.parse(uri).fsPath;
    if (!settings.enable || isExcluded(uri, settings.exclude, this.folders())) {
      this.publish(uri, version, [], []);
      return undefined;
    }
    const text = document.getText();
    const maxFileSize = settings.maxFileSizeKB * 1024;
    const skipReason = Analyzer.skipReason(text, maxFileSize);
    if (skipReason) {
      state.parsed?.dispose();
      state.parsed = undefined;
      this.connection.console.info(`Skipped ${fileName}: ${skipReason}`);
      this.publish(uri, version, [], [skippedDiagnostic(skipReason)]);
      return { findings: [], parseErrors: 0, skipped: { reason: skipReason }, ruleErrors: [] };
    }
    try {
      const started = performance.now();
      this.workspace.update(fileName, text);
      const parsed = this.analyzer.parse({ text, fileName, languageId: document.languageId }, state.parsed, Date.now() + TIME_BUDGET_MS);
      if (!parsed) {
        const reason = `parsing took longer than ${TIME_BUDGET_MS} ms`;
        this.publish(uri, version, [], [skippedDiagnostic(reason)]);
        return { findings: [], parseErrors: 0, skipped: { reason }, ruleErrors: [] };
      }
      state.parsed?.dispose();
      state.parsed = parsed;
      const result = await this.analyzer.analyzeParsedCooperatively(
        fileName,
        parsed,
        { rules: settings.rules, workspace: this.workspace, maxFileSize, timeBudgetMs: retry ? undefined : this.ruleBudgetMs, reuse: true },
        // A newer edit or a close makes this result worthless: stop and let the newer analysis run.
        () => document.version !== version || this.states.get(uri) !== state,
      );
      if (!result) return undefined;
      if (result.skipped) this.connection.console.info(`Analysis of ${fileName} incomplete: ${result.skipped.reason}; running it again without a time limit`);
      for (const error of result.ruleErrors) this.connection.console.error(`Rule ${error.ruleId} failed on ${fileName}: ${error.message}`);
      if (result.ruleErrors.length > 0) {
        const failed = result.ruleErrors.map((error) => error.ruleId).join(', ');
        void this.connection.sendNotification(STATUS_NOTIFICATION, { state: 'error', detail: `Rule ${failed} failed on ${path.basename(fileName)}; the other rules still ran. See the output.` } satisfies StatusParams);
      }
      this.publish(uri, version, result.findings, [], result.surface);
      if (!result.skipped) state.lastAnalysisMs = performance.now() - started;
      if (result.skipped && !retry) this.retryLater(document, state);
      return result;
    } catch (error) {
      // The analyzer is written not to throw; if it does, say so and keep serving other files.
      this.connection.console.error(`Analysis of ${fileName} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      state.parsed?.dispose();
      state.parsed = undefined;
      return undefined;
    }
  }

  /** Runs an incomplete analysis again, unless an edit or a close comes first. */
  private retryLater(document: TextDocument, state: DocumentState): void {
    if (this.states.get(document.uri) !== state || state.timer) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.run(document, true);
    }, RETRY_DELAY_MS);
  }

  private publish(uri: string, version: number, findings: Finding[], extra: Diagnostic[], surface?: FileSurface): void {
    const state = this.states.get(uri);
    if (state) state.published = { version, findings };
    const visible = findings.filter((finding) => !finding.suppression);
    const diagnostics = [
      ...extra,
      ...findings.map((finding, index) => ({ finding, index })).filter(({ finding }) => !finding.suppression).map(({ finding, index }) => toDiagnostic(finding, index, version, uri)),
    ];
    void this.connection.sendDiagnostics({ uri, version, diagnostics });
    this.onAnalyzed(uri, visible, surface);
  }
}
