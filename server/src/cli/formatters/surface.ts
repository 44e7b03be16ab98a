/**
 * `driver-guard surface`: the attack surface of the scanned drivers as a Markdown threat model or as JSON
 * (schemas/attack-surface.schema.json). Paths are relative to the working directory, lines and columns 1-based.
 */
import * as path from 'node:path';
import { buildAttackSurface, type AttackSurface } from '../../analysis/attack-surface';
import { dataFlowSvg, diagramFiles, threatModelMarkdown } from '../../analysis/threat-model';
import type { ScanResult } from '../scan';
import { relativePath } from './common';

/** The folder drivers are named relative to: the one folder scanned, else the working directory. */
export function surfaceOf(scan: ScanResult, root: string): AttackSurface {
  return buildAttackSurface(scan.files.map(({ file, result }) => ({ file: file.split(path.sep).join('/'), surface: result.surface, findings: result.findings })), root.split(path.sep).join('/'));
}

/** Every `{ file, line[, character] }` of the model with the file relative and 1-based numbers (`character` → `column`). */
export function toExternal(value: unknown, relative: (file: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => toExternal(item, relative));
  if (!value || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const located = typeof source.file === 'string' && typeof source.line === 'number';
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(source)) {
    if (located && key === 'file') out.file = relative(item as string);
    else if (located && key === 'line') out.line = (item as number) + 1;
    else if (located && key === 'character' && typeof item === 'number') out.column = item + 1;
    else if (key === 'files' && Array.isArray(item)) out.files = item.map((file) => relative(String(file)));
    else if (key === 'folder' && typeof item === 'string') out.folder = relative(item) || '.';
    else out[key] = toExternal(item, relative);
  }
  return out;
}

export function formatSurfaceJson(surface: AttackSurface, version: string): string {
  const external = toExternal(surface, (file) => relativePath(file)) as Record<string, unknown>;
  return `${JSON.stringify({ $schema: 'driver-guard://schemas/attack-surface.schema.json', version: 1, tool: { name: 'Driver Guard', version }, ...external }, null, 2)}\n`;
}

/**
 * The Markdown report; with `diagramBase` (the report's file name without `.md`), also one data-flow SVG per driver
 * to write next to it (`<base>.<driver>.svg`), which the report embeds as images.
 */
export function formatSurfaceMarkdown(surface: AttackSurface, version: string, diagramBase?: string): { report: string; diagrams: { file: string; svg: string }[] } {
  const files = diagramBase ? diagramFiles(surface, path.basename(diagramBase)) : new Map();
  const report = threatModelMarkdown(surface, { display: (file) => relativePath(file), generator: `Driver Guard ${version}`, diagramFile: (driver) => files.get(driver) });
  const diagrams = [...files].map(([driver, file]) => ({ file: path.join(path.dirname(diagramBase!), file), svg: dataFlowSvg(driver) }));
  return { report, diagrams };
}
