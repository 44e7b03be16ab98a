import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { matchReviews, reviewKey, validateRecord, type KeyedFinding, type Review } from '../../scripts/precision-review';

const finding = (file: string, rule: string, source: string, line = 1): KeyedFinding => ({ file, rule, source, line, severity: 'error' });
const review = (file: string, rule: string, source: string, verdict: Review['verdict'] = 'true-positive'): Review => ({ file, rule, source, verdict, reason: 'read the handler' });

describe('precision review record', () => {
  it('keys by file, rule and the flagged text, not by line or indentation', () => {
    assert.equal(reviewKey(finding('a/b.c', 'r', '    x  =  *p;', 10)), reviewKey(review('a/b.c', 'r', 'x = *p;')));
    assert.notEqual(reviewKey(review('a/b.c', 'r', 'x = *p;')), reviewKey(review('a/b.c', 'other', 'x = *p;')));
    assert.notEqual(reviewKey(review('a/b.c', 'r', 'x = *p;')), reviewKey(review('a/c.c', 'r', 'x = *p;')));
    assert.notEqual(reviewKey(review('a/b.c', 'r', 'x = *p;')), reviewKey(review('a/b.c', 'r', 'x = *q;')));
  });

  it('matches findings to reviews, lists the unreviewed ones and the stale reviews, and computes the rate over all findings', () => {
    const findings = [
      finding('d.c', 'input-length-not-validated', 'if (q->Type == 0) {', 10),
      finding('d.c', 'input-length-not-validated', '  if (q->Type == 0) {', 90),
      finding('d.c', 'device-no-sddl', 'IoCreateDevice(', 5),
      finding('e.c', 'device-no-sddl', 'IoCreateDevice(', 7),
    ];
    const match = matchReviews(findings, [
      review('d.c', 'input-length-not-validated', 'if (q->Type == 0) {', 'false-positive'),
      review('d.c', 'device-no-sddl', 'IoCreateDevice(', 'true-positive'),
      review('gone.c', 'device-no-sddl', 'IoCreateDevice('),
    ]);
    assert.equal(match.reviewed.length, 3);
    assert.equal(match.truePositives, 1);
    assert.equal(match.falsePositives, 2);
    assert.deepEqual(match.unreviewed.map((entry) => `${entry.file}:${entry.line}`), ['e.c:7']);
    assert.deepEqual(match.stale.map((entry) => entry.file), ['gone.c']);
    assert.equal(match.reviewedTruePositiveRate, 0.25);
  });

  it('has no rate without findings', () => {
    assert.equal(matchReviews([], [review('a.c', 'r', 'x;')]).reviewedTruePositiveRate, undefined);
  });

  it('rejects a record of the wrong shape or with a key reviewed twice', () => {
    assert.deepEqual(validateRecord({ corpus: 'c', reviews: [review('a.c', 'r', 'x;')] }), []);
    assert.ok(validateRecord({ corpus: 'c', reviews: [{ ...review('a.c', 'r', 'x;'), verdict: 'maybe' }] }).length > 0);
    assert.ok(validateRecord({ corpus: 'c', reviews: [{ ...review('a.c', 'r', 'x;'), line: 3 }] }).length > 0);
    assert.ok(validateRecord({ corpus: 'c', reviews: [{ file: 'a.c', rule: 'r', source: 'x;', verdict: 'true-positive' }] }).length > 0);
    assert.ok(validateRecord({ corpus: 'c', reviews: [review('a\\b.c', 'r', 'x;')] }).length > 0, 'backslash paths do not match the report');
    const twice = validateRecord({ corpus: 'c', reviews: [review('a.c', 'r', 'x;'), review('a.c', 'r', '  x;', 'false-positive')] });
    assert.equal(twice.length, 1);
    assert.match(twice[0], /repeats the key/);
  });

  it('the committed record docs/precision-review.json is valid', () => {
    const record = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', '..', 'docs', 'precision-review.json'), 'utf8'));
    assert.deepEqual(validateRecord(record), []);
  });
});
