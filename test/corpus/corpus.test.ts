/**
 * The team-written vulnerable drivers in test/corpus: every handler marked `// vulnerable: <rule-id>` must be
 * flagged by that rule inside the handler, and no handler marked `// secure` may get a warning or an error.
 * A handler marked `// known miss: <rule-id> — <why>` is vulnerable but not (yet) found by its rule, and a secure
 * twin marked `// known false positive: <rule-id> — <why>` gets that rule's warning although it is correct: neither
 * is asserted, but they count against recall and precision. Prints recall and precision per bug class and in total for the record.
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
  kind: 'vulnerable' | 'secure' | 'known-miss' | 'known-false-positive';
  ruleIds: string[];
  /** The bug class: the `// bug class: …` line above the vulnerable handler, else its rule ids (a secure twin takes the class of the handler before it). */
  bugClass: string;
  startLine: number;
  endLine: number;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? sourceFiles(full) : /\.(c|h)$/.test(entry) ? [full] : [];
  });
}

/** Handlers are the function definitions right after a `// vulnerable: …`, `// known miss: …`, `// secure` or `// known false positive: …` line. */
function handlersOf(file: string, text: string): Handler[] {
  const lines = text.split('\n');
  const handlers: Handler[] = [];
  let bugClass = '(none)';
  let label: string | undefined;
  lines.forEach((line, index) => {
    const classLine = /^\/\/ bug class:\s*(.+)$/.exec(line.trim());
    if (classLine) {
      label = classLine[1].trim();
      return;
    }
    const marker = /^\/\/ (vulnerable|secure|known miss|known false positive)(?::\s*(.+))?$/.exec(line.trim());
    if (!marker) return;
    let end = index + 1;
    while (end < lines.length && lines[end] !== '}') end++;
    const signature = lines.slice(index + 1, index + 4).join(' ');
    const name = /(\w+)\s*\(/.exec(signature)?.[1] ?? `line ${index + 1}`;
    const kind: Handler['kind'] = marker[1] === 'known miss' ? 'known-miss' : marker[1] === 'known false positive' ? 'known-false-positive' : (marker[1] as 'vulnerable' | 'secure');
    // `// known miss: <rule-id> — <why>`: only the rule id before the dash.
    const known = kind === 'known-miss' || kind === 'known-false-positive';
    const ids = known ? (marker[2] ?? '').split(/\s+[—-]\s+/)[0] : (marker[2] ?? '');
    const ruleIds = ids.split(',').map((id) => id.trim()).filter(Boolean);
    if (kind === 'vulnerable' || kind === 'known-miss') bugClass = label ?? (ruleIds.join(', ') || '(none)');
    label = undefined;
    handlers.push({ file, name, kind, ruleIds, bugClass, startLine: index + 1, endLine: end });
  });
  return handlers;
}

const percent = (part: number, whole: number) => (whole === 0 ? '-' : `${((part / whole) * 100).toFixed(0)}%`);

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

  const flagged = (handler: Handler) => handler.ruleIds.every((ruleId) => inside(handler).some((finding) => finding.ruleId === ruleId));
  const clean = (handler: Handler) => !inside(handler).some((finding) => finding.severity === 'error' || finding.severity === 'warning');

  it('has vulnerable handlers and secure twins in both drivers', () => {
    const count = (kind: Handler['kind'], dir?: string) => handlers.filter((handler) => handler.kind === kind && (!dir || handler.file.includes(`${path.sep}${dir}${path.sep}`))).length;
    assert.ok(count('vulnerable') >= 50, 'at least 50 vulnerable handlers');
    assert.ok(count('secure') >= 60, 'at least 60 secure twins');
    assert.ok(count('vulnerable', 'wdm') >= 30, 'at least 30 vulnerable WDM handlers');
    assert.ok(count('vulnerable', 'kmdf') >= 20, 'at least 20 vulnerable KMDF handlers');
    // Every vulnerable handler (found or known miss) has a secure twin right after it.
    assert.equal(count('secure') + count('known-false-positive'), count('vulnerable') + count('known-miss'), 'one secure twin per vulnerable handler');
  });

  it('prints recall and precision per bug class', () => {
    const classes = [...new Set(handlers.map((handler) => handler.bugClass))].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
    const rows = classes.map((bugClass) => {
      const of = handlers.filter((handler) => handler.bugClass === bugClass);
      const vulnerable = of.filter((handler) => handler.kind === 'vulnerable' || handler.kind === 'known-miss');
      const found = vulnerable.filter((handler) => handler.kind === 'vulnerable' && flagged(handler)).length;
      const secure = of.filter((handler) => handler.kind === 'secure' || handler.kind === 'known-false-positive');
      const quiet = secure.filter(clean).length;
      const rules = [...new Set(vulnerable.flatMap((handler) => handler.ruleIds))].join(', ');
      return `  ${`${bugClass} [${rules}]`.padEnd(96)} recall ${`${found}/${vulnerable.length}`.padStart(5)} ${percent(found, vulnerable.length).padStart(4)}   precision ${`${quiet}/${secure.length}`.padStart(5)} ${percent(quiet, secure.length).padStart(4)}`;
    });
    const vulnerable = handlers.filter((handler) => handler.kind === 'vulnerable' || handler.kind === 'known-miss');
    const found = vulnerable.filter((handler) => handler.kind === 'vulnerable' && flagged(handler)).length;
    const twins = handlers.filter((handler) => handler.kind === 'secure' || handler.kind === 'known-false-positive');
    const quiet = twins.filter(clean).length;
    const knownMisses = handlers.filter((handler) => handler.kind === 'known-miss');
    const knownFalsePositives = handlers.filter((handler) => handler.kind === 'known-false-positive');
    console.log(`corpus per bug class (recall: vulnerable handlers flagged by their rule, known misses included; precision: secure twins without warnings or errors):\n${rows.join('\n')}`);
    console.log(`corpus recall including known misses: ${found}/${vulnerable.length} (${percent(found, vulnerable.length)}); known misses: ${knownMisses.map((handler) => `${path.basename(handler.file)}:${handler.name} (${handler.ruleIds.join(', ')})`).join(', ') || 'none'}`);
    console.log(`corpus precision including known false positives: ${quiet}/${twins.length} (${percent(quiet, twins.length)}); known false positives: ${knownFalsePositives.map((handler) => `${path.basename(handler.file)}:${handler.name} (${handler.ruleIds.join(', ')})`).join(', ') || 'none'}`);
    assert.ok(classes.length > 0);
  });

  it('flags every vulnerable handler with its rule (recall)', () => {
    const vulnerable = handlers.filter((handler) => handler.kind === 'vulnerable');
    const missed = vulnerable.filter((handler) => !flagged(handler));
    const recall = (vulnerable.length - missed.length) / vulnerable.length;
    console.log(`corpus recall: ${vulnerable.length - missed.length}/${vulnerable.length} vulnerable handlers flagged by their rule (${(recall * 100).toFixed(0)}%)`);
    assert.deepEqual(missed.map((handler) => `${path.basename(handler.file)}:${handler.name} (expected ${handler.ruleIds.join(', ')}; got ${inside(handler).map((finding) => finding.ruleId).join(', ') || 'nothing'})`), []);
  });

  it('reports no warning or error in any secure twin (precision)', () => {
    const secure = handlers.filter((handler) => handler.kind === 'secure');
    const noisy = secure.filter((handler) => !clean(handler));
    console.log(`corpus precision: ${secure.length - noisy.length}/${secure.length} secure twins without warnings or errors`);
    assert.deepEqual(noisy.map((handler) => `${path.basename(handler.file)}:${handler.name}: ${inside(handler).filter((finding) => finding.severity !== 'information' && finding.severity !== 'hint').map((finding) => `${finding.ruleId} (line ${finding.range.start.line + 1}): ${finding.message}`).join('; ')}`), []);
  });
});
