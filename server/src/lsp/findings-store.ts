/**
 * The server's view of current findings per file: from open documents (live) and from the workspace scan
 * (files on disk). Open documents win. The checklist view asks for them as evidence per checklist item.
 */
import type { Finding } from '../core';
import type { FindingSummary } from '../../../shared/protocol';

export function toSummary(uri: string, finding: Finding): FindingSummary {
  return {
    uri,
    ruleId: finding.ruleId,
    checklistItem: finding.checklistItem,
    severity: finding.severity,
    message: finding.message,
    line: finding.range.start.line,
    character: finding.range.start.character,
    endLine: finding.range.end.line,
    endCharacter: finding.range.end.character,
  };
}

export class FindingsStore {
  private readonly open = new Map<string, FindingSummary[]>();
  private readonly scanned = new Map<string, FindingSummary[]>();

  setOpen(uri: string, findings: Finding[]): void {
    this.open.set(uri, findings.map((finding) => toSummary(uri, finding)));
  }

  closeDocument(uri: string): void {
    this.open.delete(uri);
  }

  setScanned(uri: string, findings: Finding[]): void {
    if (findings.length === 0) this.scanned.delete(uri);
    else this.scanned.set(uri, findings.map((finding) => toSummary(uri, finding)));
  }

  removeScanned(uri: string): void {
    this.scanned.delete(uri);
  }

  /** Forgets the scan results of every file below a deleted folder; returns their URIs. */
  removeScannedUnder(folderUri: string): string[] {
    const prefix = folderUri.endsWith('/') ? folderUri : `${folderUri}/`;
    const removed = [...this.scanned.keys()].filter((uri) => uri.startsWith(prefix));
    for (const uri of removed) this.scanned.delete(uri);
    return removed;
  }

  isScanned(uri: string): boolean {
    return this.scanned.has(uri);
  }

  /** All current findings, optionally only those under a folder URI. */
  all(folderUri?: string): FindingSummary[] {
    const prefix = folderUri ? (folderUri.endsWith('/') ? folderUri : `${folderUri}/`) : undefined;
    const result: FindingSummary[] = [];
    const uris = new Set([...this.open.keys(), ...this.scanned.keys()]);
    for (const uri of uris) {
      if (prefix && !uri.startsWith(prefix)) continue;
      result.push(...(this.open.get(uri) ?? this.scanned.get(uri) ?? []));
    }
    return result;
  }
}
