/**
 * The server's view of current findings per file: from open documents (live) and from the workspace scan
 * (files on disk). Open documents win. The checklist view asks for them as evidence per checklist item.
 */
import type { Finding } from '../core';
import type { FindingSummary } from '../../../shared/protocol';
import { buildAttackSurface, type AttackSurface, type FileSurface } from '../analysis/attack-surface';

/** A file's attack-surface facts with the findings they are joined with. */
interface SurfaceEntry {
  surface: FileSurface;
  findings: Finding[];
}

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

const EMPTY_SURFACE: FileSurface = { devices: [], symbolicLinks: [], dispatch: [], queues: [], definitions: [], cases: [], functions: [] };

export class FindingsStore {
  private readonly open = new Map<string, FindingSummary[]>();
  private readonly scanned = new Map<string, FindingSummary[]>();
  private readonly openSurfaces = new Map<string, SurfaceEntry>();
  private readonly scannedSurfaces = new Map<string, SurfaceEntry>();

  setOpen(uri: string, findings: Finding[], surface?: FileSurface): void {
    this.open.set(uri, findings.map((finding) => toSummary(uri, finding)));
    // An open document that has no facts hides the scan's facts of the file (the user deleted them).
    this.openSurfaces.set(uri, surface ? { surface, findings } : { surface: EMPTY_SURFACE, findings: [] });
  }

  closeDocument(uri: string): void {
    this.open.delete(uri);
    this.openSurfaces.delete(uri);
  }

  setScanned(uri: string, findings: Finding[], surface?: FileSurface): void {
    if (findings.length === 0) this.scanned.delete(uri);
    else this.scanned.set(uri, findings.map((finding) => toSummary(uri, finding)));
    if (surface) this.scannedSurfaces.set(uri, { surface, findings });
    else this.scannedSurfaces.delete(uri);
  }

  removeScanned(uri: string): void {
    this.scanned.delete(uri);
    this.scannedSurfaces.delete(uri);
  }

  /** The attack surface of a folder (or of everything known), from open documents and the workspace scan. */
  surface(folderUri?: string): AttackSurface {
    const prefix = folderUri ? (folderUri.endsWith('/') ? folderUri : `${folderUri}/`) : undefined;
    const inputs = [];
    for (const uri of new Set([...this.openSurfaces.keys(), ...this.scannedSurfaces.keys()])) {
      if (prefix && !uri.startsWith(prefix)) continue;
      const entry = this.openSurfaces.get(uri) ?? this.scannedSurfaces.get(uri);
      if (entry && entry.surface !== EMPTY_SURFACE) inputs.push({ file: uri, surface: entry.surface, findings: entry.findings });
    }
    inputs.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    return buildAttackSurface(inputs, folderUri?.replace(/\/$/, '') ?? '');
  }

  /** Forgets the scan results of every file below a deleted folder; returns their URIs. */
  removeScannedUnder(folderUri: string): string[] {
    const prefix = folderUri.endsWith('/') ? folderUri : `${folderUri}/`;
    const removed = [...new Set([...this.scanned.keys(), ...this.scannedSurfaces.keys()])].filter((uri) => uri.startsWith(prefix));
    for (const uri of removed) {
      this.scanned.delete(uri);
      this.scannedSurfaces.delete(uri);
    }
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
