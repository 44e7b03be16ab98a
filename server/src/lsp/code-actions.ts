/**
 * Quick fixes for Driver Guard diagnostics: the rule's fix (preferred when safe) and suggestions, "suppress on
 * this line", "suppress in this file" and "show documentation"; plus `source.fixAll.driverGuard`.
 */
import { CodeAction, CodeActionKind, type CodeActionParams, type Diagnostic, type TextEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { docsUrlFor, getRule, UNUSED_SUPPRESSION_ID, type Finding } from '../core';
import { DIAGNOSTIC_SOURCE, type DiagnosticData } from './diagnostics';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.driverGuard`;

export interface PublishedFindings {
  version: number;
  findings: Finding[];
}

function sameRange(a: Diagnostic['range'], b: Finding['range']): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

/** The finding behind a diagnostic, if the document has not changed since it was published. */
function findingFor(diagnostic: Diagnostic, published: PublishedFindings | undefined, version: number): Finding | undefined {
  const data = diagnostic.data as DiagnosticData | undefined;
  if (!published || !data || data.version !== version || published.version !== version) return undefined;
  const finding = published.findings[data.index];
  return finding && finding.ruleId === data.ruleId && sameRange(diagnostic.range, finding.range) ? finding : undefined;
}

export function codeActions(params: CodeActionParams, document: TextDocument, published: PublishedFindings | undefined): CodeAction[] {
  const only = params.context.only;
  if (only && only.some((kind) => kind === CodeActionKind.SourceFixAll || kind === FIX_ALL_KIND || kind === CodeActionKind.Source)) {
    const fixAll = fixAllAction(document, published);
    return fixAll ? [fixAll] : [];
  }
  const actions: CodeAction[] = [];
  const eol = document.getText().includes('\r\n') ? '\r\n' : '\n';
  for (const diagnostic of params.context.diagnostics) {
    if (diagnostic.source !== DIAGNOSTIC_SOURCE || typeof diagnostic.code !== 'string' || diagnostic.code === 'file-skipped') continue;
    const ruleId = diagnostic.code;
    const finding = findingFor(diagnostic, published, document.version);
    for (const fix of finding?.fixes ?? []) {
      const action = CodeAction.create(fix.title, { changes: { [document.uri]: fix.edits } }, CodeActionKind.QuickFix);
      action.diagnostics = [diagnostic];
      action.isPreferred = fix.isPreferred;
      actions.push(action);
    }
    if (ruleId === UNUSED_SUPPRESSION_ID) {
      const line = diagnostic.range.start.line;
      const remove = CodeAction.create('Remove the unused suppression comment', {
        changes: { [document.uri]: [{ range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '' }] },
      }, CodeActionKind.QuickFix);
      remove.diagnostics = [diagnostic];
      actions.push(remove);
      continue;
    }
    if (!getRule(ruleId)) continue;
    actions.push(suppressLine(document, diagnostic, ruleId, eol), suppressFile(document, diagnostic, ruleId, eol));
    const docs = CodeAction.create(`Show documentation for ${ruleId}`, { title: `Open ${ruleId} documentation`, command: 'vscode.open', arguments: [docsUrlFor(ruleId)] }, CodeActionKind.QuickFix);
    docs.diagnostics = [diagnostic];
    actions.push(docs);
  }
  return actions;
}

function suppressLine(document: TextDocument, diagnostic: Diagnostic, ruleId: string, eol: string): CodeAction {
  const line = diagnostic.range.start.line;
  const lineText = document.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
  const indent = /^[ \t]*/.exec(lineText)?.[0] ?? '';
  const edit: TextEdit = {
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
    newText: `${indent}// driver-guard-ignore-next-line ${ruleId}: explain why this is safe${eol}`,
  };
  const action = CodeAction.create(`Suppress ${ruleId} on this line`, { changes: { [document.uri]: [edit] } }, CodeActionKind.QuickFix);
  action.diagnostics = [diagnostic];
  return action;
}

function suppressFile(document: TextDocument, diagnostic: Diagnostic, ruleId: string, eol: string): CodeAction {
  const edit: TextEdit = {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    newText: `/* driver-guard-ignore-file ${ruleId} */${eol}`,
  };
  const action = CodeAction.create(`Suppress ${ruleId} in this file`, { changes: { [document.uri]: [edit] } }, CodeActionKind.QuickFix);
  action.diagnostics = [diagnostic];
  return action;
}

/** Every preferred fix of the current findings that does not overlap an earlier one. */
function fixAllAction(document: TextDocument, published: PublishedFindings | undefined): CodeAction | undefined {
  if (!published || published.version !== document.version) return undefined;
  const edits: TextEdit[] = [];
  const taken: { start: number; end: number }[] = [];
  for (const finding of published.findings) {
    if (finding.suppression) continue;
    const fix = finding.fixes.find((candidate) => candidate.isPreferred);
    if (!fix) continue;
    const spans = fix.edits.map((edit) => ({ start: document.offsetAt(edit.range.start), end: document.offsetAt(edit.range.end) }));
    if (spans.some((span) => taken.some((other) => span.start < other.end && other.start < span.end || (span.start === span.end && span.start === other.start)))) continue;
    taken.push(...spans);
    edits.push(...fix.edits);
  }
  if (edits.length === 0) return undefined;
  return CodeAction.create('Driver Guard: apply all safe fixes', { changes: { [document.uri]: edits } }, FIX_ALL_KIND);
}
