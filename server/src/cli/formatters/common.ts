/** What every output format needs: paths relative to the working directory and counts by severity. */
import * as path from 'node:path';
import type { Finding, Severity } from '../../core';
import type { ScanResult } from '../scan';

export interface ReportedFinding {
  file: string;
  finding: Finding;
}

export function relativePath(file: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return (relative.startsWith('..') ? file : relative).split(path.sep).join('/');
}

/** All findings of a scan in file and position order (suppressed ones included; callers filter). */
export function allFindings(scan: ScanResult): ReportedFinding[] {
  return scan.files.flatMap(({ file, result }) => result.findings.map((finding) => ({ file, finding })));
}

export function countBySeverity(findings: readonly ReportedFinding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, information: 0, hint: 0 };
  for (const { finding } of findings) if (!finding.suppression) counts[finding.severity]++;
  return counts;
}
