/**
 * SARIF 2.1.0 (validated against the OASIS schema in test/cli). Rules carry helpUri and the checklist item;
 * results carry 1-based columns, related locations, preferred fixes and in-source suppressions.
 */

import { pathToFileURL } from 'node:url';
import type * as Sarif from 'sarif';
import { checklistTitle, docsUrlFor, RULES, type Finding, type Rule, type Severity } from '../../core';
import type { ScanResult } from '../scan';
import { allFindings, relativePath } from './common';

const LEVEL: Record<Severity, Sarif.ReportingConfiguration.level> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };
const SRCROOT = '%SRCROOT%';

function toRegion(range: Finding['range']): Sarif.Region {
  return { startLine: range.start.line + 1, startColumn: range.start.character + 1, endLine: range.end.line + 1, endColumn: range.end.character + 1 };
}

function toRule(rule: Rule): Sarif.ReportingDescriptor {
  const { meta } = rule;
  return {
    id: meta.id,
    name: meta.id.replace(/(^|-)(\w)/g, (_, __, letter: string) => letter.toUpperCase()),
    shortDescription: { text: meta.title },
    fullDescription: { text: `${meta.description} ${meta.rationale}` },
    helpUri: docsUrlFor(meta.id),
    help: { text: `${meta.description} See ${docsUrlFor(meta.id)}` },
    defaultConfiguration: { level: LEVEL[meta.severity] },
    properties: {
      checklistItem: meta.checklistItem,
      checklistTitle: checklistTitle(meta.checklistItem),
      precision: meta.confidence === 'high' ? 'high' : meta.confidence === 'medium' ? 'medium' : 'low',
      'problem.severity': meta.severity === 'information' || meta.severity === 'hint' ? 'recommendation' : meta.severity,
      tags: ['security', ...(meta.cwe ?? []).map((cwe) => `external/cwe/${cwe.toLowerCase()}`)],
    },
  };
}

export function formatSarif(scan: ScanResult, version: string, cwd = process.cwd()): string {
  const rules = RULES.map(toRule);
  const ruleIndex = new Map(RULES.map((rule, index) => [rule.meta.id, index]));
  const location = (file: string, range: Finding['range'], message?: string): Sarif.Location => ({
    physicalLocation: { artifactLocation: { uri: relativePath(file, cwd), uriBaseId: SRCROOT }, region: toRegion(range) },
    ...(message ? { message: { text: message } } : {}),
  });
  const results: Sarif.Result[] = allFindings(scan).map(({ file, finding }) => {
    const result: Sarif.Result = {
      ruleId: finding.ruleId,
      level: LEVEL[finding.severity],
      message: { text: finding.message },
      locations: [location(file, finding.range)],
      properties: { checklistItem: finding.checklistItem },
    };
    const index = ruleIndex.get(finding.ruleId);
    if (index !== undefined) result.ruleIndex = index;
    if (finding.related.length > 0) result.relatedLocations = finding.related.map((related, id) => ({ id, ...location(file, related.range, related.message) }));
    const preferred = finding.fixes.find((fix) => fix.isPreferred);
    if (preferred) {
      result.fixes = [{
        description: { text: preferred.title },
        artifactChanges: [{
          artifactLocation: { uri: relativePath(file, cwd), uriBaseId: SRCROOT },
          replacements: preferred.edits.map((edit) => ({ deletedRegion: toRegion(edit.range), insertedContent: { text: edit.newText } })),
        }],
      }];
    }
    if (finding.suppression) result.suppressions = [{ kind: 'inSource', justification: finding.suppression.justification || undefined }];
    return result;
  });
  const notifications: Sarif.Notification[] = [
    ...scan.files.filter(({ result }) => result.skipped).map(({ file, result }) => ({
      level: 'warning' as const,
      message: { text: `Skipped ${relativePath(file, cwd)}: ${result.skipped!.reason}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: relativePath(file, cwd), uriBaseId: SRCROOT } } }],
    })),
    ...scan.unreadable.map(({ file, reason }) => ({ level: 'warning' as const, message: { text: `Could not read ${relativePath(file, cwd)}: ${reason}` } })),
    ...scan.files.flatMap(({ file, result }) => result.ruleErrors.map((error) => ({
      level: 'error' as const,
      message: { text: `Rule ${error.ruleId} failed on ${relativePath(file, cwd)}: ${error.message}` },
      associatedRule: { id: error.ruleId },
    }))),
  ];
  const log: Sarif.Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'Driver Guard',
          version,
          semanticVersion: version,
          informationUri: 'https://github.com/driver-guard/driver-guard',
          rules,
        },
      },
      originalUriBaseIds: { [SRCROOT]: { uri: `${pathToFileURL(cwd).href.replace(/\/?$/, '/')}` } },
      invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
      results,
      columnKind: 'utf16CodeUnits',
    }],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

