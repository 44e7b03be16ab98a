/**
 * The reviewed record of corpus findings (docs/precision-review.json) and how it is matched against the findings of
 * a run. A review is keyed by what identifies a finding independently of line numbers: the corpus-relative file
 * path, the rule id, and the flagged line's source text with its whitespace collapsed. An edit elsewhere in the file
 * (or a rule change that moves nothing) keeps every review valid; a review whose key no longer matches any finding is
 * reported as stale. One review covers every finding with its key (a line repeated in one file, e.g. the same
 * `if (query->QueryType == ...)` in seven handlers, is one pattern with one verdict).
 */
import Ajv from 'ajv';

export type Verdict = 'true-positive' | 'false-positive';

export interface Review {
  file: string;
  rule: string;
  /** The flagged line's source text, trimmed; runs of whitespace compare as one space. */
  source: string;
  verdict: Verdict;
  reason: string;
}

export interface ReviewRecord {
  corpus: string;
  reviews: Review[];
}

/** A finding as the report sees it: file relative to the corpus root (forward slashes), and its line's text. */
export interface KeyedFinding {
  file: string;
  rule: string;
  line: number;
  severity: string;
  source: string;
}

export const REVIEW_RECORD_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['corpus', 'reviews'],
  properties: {
    corpus: { type: 'string', minLength: 1 },
    reviews: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['file', 'rule', 'source', 'verdict', 'reason'],
        properties: {
          file: { type: 'string', minLength: 1, pattern: '^[^\\\\]+$' },
          rule: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' },
          source: { type: 'string', minLength: 1 },
          verdict: { enum: ['true-positive', 'false-positive'] },
          reason: { type: 'string', minLength: 8, pattern: '^[^\\n]+$' },
        },
      },
    },
  },
} as const;

export function normalizeSource(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

export function reviewKey(entry: { file: string; rule: string; source: string }): string {
  return `${entry.file}\u0000${entry.rule}\u0000${normalizeSource(entry.source)}`;
}

/** Checks the shape (schema) and that no key is reviewed twice; returns the problems, empty when the record is valid. */
export function validateRecord(value: unknown): string[] {
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile(REVIEW_RECORD_SCHEMA);
  if (!validate(value)) return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`);
  const seen = new Map<string, number>();
  const problems: string[] = [];
  (value as unknown as ReviewRecord).reviews.forEach((review, index) => {
    const key = reviewKey(review);
    const first = seen.get(key);
    if (first !== undefined) problems.push(`/reviews/${index} repeats the key of /reviews/${first} (${review.file}, ${review.rule}, "${normalizeSource(review.source)}")`);
    else seen.set(key, index);
  });
  return problems;
}

export interface ReviewMatch {
  /** Findings with a review, each with its verdict. */
  reviewed: { finding: KeyedFinding; review: Review }[];
  /** Findings no review covers. */
  unreviewed: KeyedFinding[];
  /** Reviews that match no current finding. */
  stale: Review[];
  truePositives: number;
  falsePositives: number;
  /** truePositives / all findings (unreviewed ones count as not confirmed); undefined when there are no findings. */
  reviewedTruePositiveRate: number | undefined;
}

/** Matches findings (only those given; the caller picks the severities) against the record's reviews. */
export function matchReviews(findings: readonly KeyedFinding[], reviews: readonly Review[]): ReviewMatch {
  const byKey = new Map<string, Review>();
  for (const review of reviews) if (!byKey.has(reviewKey(review))) byKey.set(reviewKey(review), review);
  const used = new Set<string>();
  const reviewed: ReviewMatch['reviewed'] = [];
  const unreviewed: KeyedFinding[] = [];
  for (const finding of findings) {
    const key = reviewKey(finding);
    const review = byKey.get(key);
    if (review) {
      reviewed.push({ finding, review });
      used.add(key);
    } else {
      unreviewed.push(finding);
    }
  }
  const stale = [...byKey].filter(([key]) => !used.has(key)).map(([, review]) => review);
  const truePositives = reviewed.filter((entry) => entry.review.verdict === 'true-positive').length;
  return {
    reviewed,
    unreviewed,
    stale,
    truePositives,
    falsePositives: reviewed.length - truePositives,
    reviewedTruePositiveRate: findings.length === 0 ? undefined : truePositives / findings.length,
  };
}
