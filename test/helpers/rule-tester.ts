/**
 * ESLint's RuleTester for our rules: each rule's test file lists code that must not be flagged (valid) and code
 * that must be (invalid, with message ids, lines and the text after the quick fix). The tester also checks the
 * tests: too few cases, duplicates, an untested fix or a fix that breaks the parse all fail loudly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Analyzer, getRule, type Finding, type TextEdit } from '../../server/src/core';
import { LineIndex } from '../../server/src/analysis/line-index';

export interface ExpectedError {
  messageId: string;
  /** 1-based line of the finding's start. */
  line?: number;
  /** Substring or pattern the message must contain. */
  message?: string | RegExp;
  /** The finding's severity (rules may report below their default). */
  severity?: 'error' | 'warning' | 'information' | 'hint';
}

export interface ValidCase {
  name?: string;
  code: string;
  fileName?: string;
}

export interface InvalidCase extends ValidCase {
  errors: ExpectedError[];
  /** The text after applying the preferred fix of the first finding (required when it has one). */
  output?: string;
  /** The text after applying the first suggestion of the first finding. */
  suggestionOutput?: string;
}

export interface RuleTests {
  valid: (string | ValidCase)[];
  invalid: InvalidCase[];
}

const analyzers = new Map<string, Promise<Analyzer>>();

function analyzerFor(ruleId: string): Promise<Analyzer> {
  let analyzer = analyzers.get(ruleId);
  if (!analyzer) {
    const rule = getRule(ruleId);
    if (!rule) throw new Error(`unknown rule ${ruleId}`);
    analyzer = Analyzer.create([rule]);
    analyzers.set(ruleId, analyzer);
  }
  return analyzer;
}

/** Applies edits (non-overlapping) to a text. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = new LineIndex(text);
  const sorted = edits
    .map((edit) => ({ start: lines.offsetAt(edit.range.start), end: lines.offsetAt(edit.range.end), text: edit.newText }))
    .sort((a, b) => b.start - a.start);
  let result = text;
  for (const edit of sorted) result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  return result;
}

export async function findingsFor(ruleId: string, code: string, fileName = 'test.c'): Promise<{ findings: Finding[]; parseErrors: number }> {
  const analyzer = await analyzerFor(ruleId);
  const result = analyzer.analyze({ text: code, fileName });
  if (result.ruleErrors.length > 0) throw new Error(`rule ${ruleId} threw: ${result.ruleErrors.map((error) => error.message).join('; ')}`);
  return { findings: result.findings.filter((finding) => finding.ruleId === ruleId), parseErrors: result.parseErrors };
}

function label(testCase: ValidCase, index: number, kind: string): string {
  return testCase.name ?? `${kind} #${index + 1}: ${testCase.code.trim().split('\n').find((line) => line.trim())?.trim().slice(0, 60)}`;
}

export function runRuleTests(ruleId: string, tests: RuleTests): void {
  describe(ruleId, () => {
    const validCases = tests.valid.map((item) => (typeof item === 'string' ? { code: item } : item));
    it('has at least two valid and two invalid cases, none duplicated', () => {
      assert.ok(getRule(ruleId), `rule ${ruleId} is registered`);
      assert.ok(validCases.length >= 2, 'a rule needs at least two valid (must-not-flag) cases');
      assert.ok(tests.invalid.length >= 2, 'a rule needs at least two invalid (must-flag) cases');
      const codes = [...validCases, ...tests.invalid].map((testCase) => testCase.code);
      assert.equal(new Set(codes).size, codes.length, 'duplicate test case');
    });

    validCases.forEach((testCase, index) => {
      it(label(testCase, index, 'valid'), async () => {
        const { findings } = await findingsFor(ruleId, testCase.code, testCase.fileName);
        assert.deepEqual(findings.map((finding) => `${finding.range.start.line + 1}: ${finding.message}`), [], 'expected no findings');
      });
    });

    tests.invalid.forEach((testCase, index) => {
      it(label(testCase, index, 'invalid'), async () => {
        const rule = getRule(ruleId)!;
        assert.ok(testCase.errors.length > 0, 'an invalid case must expect at least one error');
        const { findings, parseErrors } = await findingsFor(ruleId, testCase.code, testCase.fileName);
        assert.equal(findings.length, testCase.errors.length,
          `expected ${testCase.errors.length} finding(s), got ${findings.length}:\n${findings.map((finding) => `  ${finding.range.start.line + 1}: ${finding.message}`).join('\n')}`);
        testCase.errors.forEach((expected, errorIndex) => {
          const finding = findings[errorIndex];
          assert.ok(expected.messageId in rule.meta.messages, `unknown messageId ${expected.messageId}`);
          const template = rule.meta.messages[expected.messageId];
          const pattern = new RegExp('^' + template.split(/\{\{\s*\w+\s*\}\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*') + '$');
          assert.match(finding.message, pattern, `finding ${errorIndex + 1} should use message ${expected.messageId}`);
          if (expected.line !== undefined) assert.equal(finding.range.start.line + 1, expected.line, `line of finding ${errorIndex + 1}`);
          if (expected.severity !== undefined) assert.equal(finding.severity, expected.severity, `severity of finding ${errorIndex + 1}`);
          if (typeof expected.message === 'string') assert.ok(finding.message.includes(expected.message), `message "${finding.message}" contains "${expected.message}"`);
          else if (expected.message) assert.match(finding.message, expected.message);
        });
        const first = findings[0];
        const preferred = first.fixes.find((fix) => fix.isPreferred);
        if (preferred) {
          assert.ok(testCase.output !== undefined, `the finding has a fix ("${preferred.title}"): the case must give its expected output`);
        }
        if (testCase.output !== undefined) {
          assert.ok(preferred, 'output given but the finding has no preferred fix');
          const fixed = applyEdits(testCase.code, preferred.edits);
          assert.equal(fixed, testCase.output);
          const after = await findingsFor(ruleId, fixed, testCase.fileName);
          assert.ok(after.parseErrors <= parseErrors, `the fix must not break the parse (${parseErrors} → ${after.parseErrors} ERROR nodes)`);
        }
        if (testCase.suggestionOutput !== undefined) {
          const suggestion = first.fixes.find((fix) => !fix.isPreferred);
          assert.ok(suggestion, 'suggestionOutput given but the finding has no suggestion');
          const fixed = applyEdits(testCase.code, suggestion.edits);
          assert.equal(fixed, testCase.suggestionOutput);
          const after = await findingsFor(ruleId, fixed, testCase.fileName);
          assert.ok(after.parseErrors <= parseErrors, `the suggestion must not break the parse (${parseErrors} → ${after.parseErrors} ERROR nodes)`);
        }
      });
    });
  });
}
