/** Human-readable report: one line per finding (`path:line:col  severity  message  [rule · checklist item]`). */
import { checklistTitle } from '../../core';
import type { ScanResult } from '../scan';
import { allFindings, countBySeverity, relativePath } from './common';

export function formatText(scan: ScanResult, color: boolean): string {
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const severityColor: Record<string, string> = { error: '31', warning: '33', information: '36', hint: '2' };
  const lines: string[] = [];
  const findings = allFindings(scan).filter(({ finding }) => !finding.suppression);
  for (const { file, finding } of findings) {
    const where = `${relativePath(file)}:${finding.range.start.line + 1}:${finding.range.start.character + 1}`;
    lines.push(`${where}  ${paint(severityColor[finding.severity], finding.severity.padEnd(11))}  ${finding.message}  ${paint('2', `[${finding.ruleId} · ${checklistTitle(finding.checklistItem)}]`)}`);
  }
  for (const { file, result } of scan.files) {
    if (result.skipped) lines.push(`${relativePath(file)}: ${paint('33', 'skipped')}: ${result.skipped.reason}`);
    for (const error of result.ruleErrors) lines.push(`${relativePath(file)}: ${paint('31', 'rule error')}: ${error.ruleId}: ${error.message}`);
  }
  const counts = countBySeverity(findings);
  const suppressed = allFindings(scan).length - findings.length;
  lines.push(
    `${findings.length} finding${findings.length === 1 ? '' : 's'} (${counts.error} error${counts.error === 1 ? '' : 's'}, ${counts.warning} warning${counts.warning === 1 ? '' : 's'}, ${counts.information + counts.hint} information) in ${scan.files.length} file${scan.files.length === 1 ? '' : 's'}${suppressed ? `; ${suppressed} suppressed` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}
