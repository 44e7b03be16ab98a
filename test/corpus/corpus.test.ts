/**
 * The team-written vulnerable drivers in test/corpus: every handler marked `// vulnerable: <rule-id>` must be
 * flagged by that rule inside the handler, and no handler marked `// secure` may get a warning or an error.
 * Prints recall and precision for the record.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { createAnalyzer, WorkspaceIndex, type Analyzer, type Finding } from '../../server/src/core';

const CORPUS = path.resolve(__dirname, '..', '..', '..', 'test', 'corpus');

interface Handler {
  file: string;
  name: string;
  kind: 'vulnerable' | 'secure';
  ruleIds: string[];
  startLine: number;
  endLine: number;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? sourceFiles(full) : /\.(c|h)$/.test(entry) ? [full] : [];
  });
}

/** Handlers are the function definitions right after a `// vulnerable: …` or `// secure` line. */
function handlersOf(file: string, text: string): Handler[] {
  const lines = text.split('\n');
  const handlers: Handler[] = [];
  lines.forEach((line, index) => {
    const marker = /^\/\/ (vulnerable|secure)(?::\s*(.+))?$/.exec(line.trim());
    if (!marker) return;
    let end = index + 1;
    while (end < lines.length && lines[end] !== '}') end++;
    const signature = lines.slice(index + 1, index + 4).join(' ');
    const name = /(\w+)\s*\(/.exec(signature)?.[1] ?? `line ${index + 1}`;
    handlers.push({ file, name, kind: marker[1] as Handler['kind'], ruleIds: (marker[2] ?? '').split(',').map((id) => id.trim()).filter(Boolean), startLine: index + 1, endLine: end });
  });
  return handlers;
}

describe('vulnerable driver corpus', () => {
  let analyzer: Analyzer;
  const findingsByFile = new Map<string, Finding[]>();
  const handlers: Handler[] = [];

  before(async () => {
    analyzer = await createAnalyzer();
    const files = sourceFiles(CORPUS);
    const workspace = new WorkspaceIndex();
    const texts = new Map(files.map((file) => [file, readFileSync(file, 'utf8')]));
    for (const [file, text] of texts) workspace.update(file, text);
    for (const [file, text] of texts) {
      const result = analyzer.analyze({ text, fileName: file }, { workspace });
      assert.deepEqual(result.ruleErrors, [], `rule errors in ${file}`);
      findingsByFile.set(file, result.findings);
      handlers.push(...handlersOf(file, text));
    }
  });

  const inside = (handler: Handler) => (findingsByFile.get(handler.file) ?? []).filter((finding) => finding.range.start.line >= handler.startLine && finding.range.start.line <= handler.endLine && !finding.suppression);

  it('has vulnerable handlers and secure twins', () => {
    assert.ok(handlers.filter((handler) => handler.kind === 'vulnerable').length >= 14, 'at least 14 vulnerable handlers');
    assert.ok(handlers.filter((handler) => handler.kind === 'secure').length >= 14, 'at least 14 secure twins');
  });

  it('flags every vulnerable handler with its rule (recall)', () => {
    const vulnerable = handlers.filter((handler) => handler.kind === 'vulnerable');
    const missed = vulnerable.filter((handler) => !handler.ruleIds.every((ruleId) => inside(handler).some((finding) => finding.ruleId === ruleId)));
    const recall = (vulnerable.length - missed.length) / vulnerable.length;
    console.log(`corpus recall: ${vulnerable.length - missed.length}/${vulnerable.length} vulnerable handlers flagged by their rule (${(recall * 100).toFixed(0)}%)`);
    assert.deepEqual(missed.map((handler) => `${path.basename(handler.file)}:${handler.name} (expected ${handler.ruleIds.join(', ')}; got ${inside(handler).map((finding) => finding.ruleId).join(', ') || 'nothing'})`), []);
  });

  it('reports no warning or error in any secure twin (precision)', () => {
    const secure = handlers.filter((handler) => handler.kind === 'secure');
    const noisy = secure.filter((handler) => inside(handler).some((finding) => finding.severity === 'error' || finding.severity === 'warning'));
    console.log(`corpus precision: ${secure.length - noisy.length}/${secure.length} secure twins without warnings or errors`);
    assert.deepEqual(noisy.map((handler) => `${path.basename(handler.file)}:${handler.name}: ${inside(handler).filter((finding) => finding.severity !== 'information' && finding.severity !== 'hint').map((finding) => `${finding.ruleId} (line ${finding.range.start.line + 1}): ${finding.message}`).join('; ')}`), []);
  });
});
