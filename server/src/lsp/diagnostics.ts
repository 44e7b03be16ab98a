/** Finding → LSP Diagnostic: rule id as code, docs page as codeDescription, the checklist item named in the message. */
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { checklistTitle, docsUrlFor, type Finding, type Severity } from '../core';

export const DIAGNOSTIC_SOURCE = 'Driver Guard';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** What code actions need to find the finding behind a diagnostic again. */
export interface DiagnosticData {
  ruleId: string;
  /** Index into the findings published with this diagnostic. */
  index: number;
  version: number;
}

export function toDiagnostic(finding: Finding, index: number, version: number, uri: string): Diagnostic {
  const data: DiagnosticData = { ruleId: finding.ruleId, index, version };
  return {
    range: finding.range,
    severity: SEVERITY[finding.severity],
    code: finding.ruleId,
    codeDescription: { href: docsUrlFor(finding.ruleId) },
    source: DIAGNOSTIC_SOURCE,
    message: `${finding.message} (checklist: ${checklistTitle(finding.checklistItem)})`,
    relatedInformation: finding.related.length > 0
      ? finding.related.map((related) => ({ location: { uri, range: related.range }, message: related.message }))
      : undefined,
    data,
  };
}

/** The information diagnostic that says why a file was not analyzed. */
export function skippedDiagnostic(reason: string): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: DIAGNOSTIC_SOURCE,
    code: 'file-skipped',
    message: `Driver Guard did not analyze this file: ${reason}.`,
  };
}
