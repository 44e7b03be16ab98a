/**
 * Machine-readable report. Shape (version 1): { version, tool, files, findings[{ file, ruleId, checklistItem,
 * severity, message, line, column, endLine, endColumn (1-based), related, fixes, suppression? }], skipped[],
 * ruleErrors[] }.
 */
import type { ScanResult } from '../scan';
import { allFindings, relativePath } from './common';

export function formatJson(scan: ScanResult, version: string): string {
  const report = {
    version: 1,
    tool: { name: 'Driver Guard', version },
    files: scan.files.length,
    findings: allFindings(scan).map(({ file, finding }) => ({
      file: relativePath(file),
      ruleId: finding.ruleId,
      checklistItem: finding.checklistItem,
      severity: finding.severity,
      message: finding.message,
      line: finding.range.start.line + 1,
      column: finding.range.start.character + 1,
      endLine: finding.range.end.line + 1,
      endColumn: finding.range.end.character + 1,
      related: finding.related.map((related) => ({ message: related.message, line: related.range.start.line + 1, column: related.range.start.character + 1 })),
      fixes: finding.fixes.map((fix) => ({ title: fix.title, preferred: fix.isPreferred, edits: fix.edits })),
      ...(finding.suppression ? { suppression: { kind: finding.suppression.kind, justification: finding.suppression.justification } } : {}),
    })),
    skipped: [
      ...scan.files.filter(({ result }) => result.skipped).map(({ file, result }) => ({ file: relativePath(file), reason: result.skipped!.reason })),
      ...scan.unreadable.map(({ file, reason }) => ({ file: relativePath(file), reason })),
    ],
    ruleErrors: scan.files.flatMap(({ file, result }) => result.ruleErrors.map((error) => ({ file: relativePath(file), ...error }))),
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
