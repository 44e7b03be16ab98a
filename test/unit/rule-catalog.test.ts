/**
 * Checks the rule catalogue as a whole (ESLint's checkRuleFiles): registry sorted and complete, metadata complete,
 * a test file per rule, docs pages and the README index current, and docs examples that behave as labelled.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { getChecklistItem } from '../../shared/checklist-items';
import { Analyzer, RULES } from '../../server/src/core';
import { readmeWithIndex, renderRulePage, ROOT } from '../../scripts/docs-rules';

/** Helpers that look at a function's callers (their call sites, checks before the call, their taint). */
const CALLER_READS = /\b(callsOf|callsByCallee|everyCallGuarded|translateToCaller|probedByCaller|allCallsGuardedByTry|kernelCallersOnly|consultsCallerHereOrInCallers)\b|\.taint\(caller/;

const WRAPPER_PARAMS = 'PDEVICE_OBJECT DeviceObject, PIRP Irp, PIO_STACK_LOCATION irpSp';

describe('rule catalogue', () => {
  it('registry is sorted by id and holds every rule file', () => {
    const ids = RULES.map((rule) => rule.meta.id);
    assert.deepEqual(ids, [...ids].sort(), 'server/src/rules/index.ts must list rules sorted by id');
    const files = readdirSync(path.join(ROOT, 'server/src/rules')).filter((file) => file.endsWith('.ts') && file !== 'index.ts').map((file) => file.slice(0, -3));
    assert.deepEqual([...files].sort(), [...ids].sort(), 'every rule file is registered and every registered rule has its own file');
  });

  for (const rule of RULES) {
    describe(rule.meta.id, () => {
      it('has complete metadata', () => {
        const { meta } = rule;
        assert.match(meta.id, /^[a-z0-9]+(-[a-z0-9]+)*$/);
        assert.ok(getChecklistItem(meta.checklistItem), `unknown checklist item ${meta.checklistItem}`);
        for (const field of ['title', 'description', 'rationale'] as const) assert.ok(meta[field] && meta[field].length > 10, `meta.${field}`);
        assert.ok(Object.keys(meta.messages).length > 0, 'meta.messages');
        assert.ok(meta.examples, 'meta.examples (bad and good) for the docs page');
        assert.ok(meta.references && meta.references.length > 0, 'meta.references');
      });

      it('names lines in messages through lineOf (a reused finding\'s line follows the edit)', () => {
        const source = readFileSync(path.join(ROOT, 'server/src/rules', `${rule.meta.id}.ts`), 'utf8');
        assert.doesNotMatch(source, /startPosition\.row\s*\+\s*1/, 'use data: { line: lineOf(node) } instead of node.startPosition.row + 1');
      });

      it('reads no more of the callers than its scope and callerLevels declare', () => {
        const { scope, callerLevels } = rule.meta;
        if (callerLevels !== undefined) assert.equal(scope, 'function', 'callerLevels goes with scope: \'function\'');
        if (scope === undefined || (scope === 'function' && callerLevels !== 0)) return;
        const source = readFileSync(path.join(ROOT, 'server/src/rules', `${rule.meta.id}.ts`), 'utf8');
        assert.doesNotMatch(source, CALLER_READS, `${scope}${callerLevels === 0 ? ' with callerLevels: 0' : ''} promises not to read callers`);
        if (scope === 'function-local') assert.doesNotMatch(source, /\.taint\(/, 'function-local promises not to read the taint callers pass in');
      });

      it('has a test file', () => {
        assert.ok(existsSync(path.join(ROOT, 'test/rules', `${rule.meta.id}.test.ts`)), `test/rules/${rule.meta.id}.test.ts`);
      });

      it('has a current docs page (npm run docs:rules)', () => {
        const page = path.join(ROOT, 'docs/rules', `${rule.meta.id}.md`);
        assert.ok(existsSync(page), `docs/rules/${rule.meta.id}.md is missing: run npm run docs:rules`);
        assert.equal(readFileSync(page, 'utf8'), renderRulePage(rule), 'docs page is stale: run npm run docs:rules');
      });
    });
  }

  it('README rule index is current (npm run docs:rules)', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.equal(readme, readmeWithIndex(readme), 'README rule index is stale: run npm run docs:rules');
  });
});

describe('docs examples behave as labelled', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create(RULES);
  });

  /** Findings of one rule for an example as written, or wrapped in a dispatch-like function when it is a fragment. */
  function findings(ruleId: string, code: string): number {
    const count = (text: string) => analyzer.analyze({ text, fileName: 'example.c' }).findings.filter((finding) => finding.ruleId === ruleId && !finding.suppression).length;
    const asIs = count(code);
    const wrapped = count(`NTSTATUS Example(${WRAPPER_PARAMS}) {\n${code}\nreturn STATUS_SUCCESS;\n}\n`);
    return Math.max(asIs, wrapped);
  }

  for (const rule of RULES) {
    if (!rule.meta.examples) continue;
    it(`${rule.meta.id}: the bad example is flagged and the good one is not`, () => {
      assert.ok(findings(rule.meta.id, rule.meta.examples!.bad) > 0, 'bad example is not flagged');
      assert.equal(findings(rule.meta.id, rule.meta.examples!.good), 0, 'good example is flagged');
    });
  }
});
