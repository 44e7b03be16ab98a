/**
 * Inline suppression comments, honoured by the server and the CLI alike:
 *   // driver-guard-ignore-next-line <rule-id>[, <rule-id>…]: <reason>
 *   /* driver-guard-ignore-file <rule-id>[, <rule-id>…] *\/
 * A suppression that matches no finding is reported at information level so stale ones get cleaned up.
 */
import type { Finding, Range } from './finding';
import type { LineIndex } from './line-index';
import type { Node } from './query';

export const UNUSED_SUPPRESSION_ID = 'unused-suppression';

export interface SuppressionComment {
  kind: 'next-line' | 'file';
  ruleIds: string[];
  justification: string;
  /** The line the suppression applies to (next-line only). */
  targetLine: number;
  range: Range;
  used: boolean;
}

const PATTERN = /driver-guard-ignore-(next-line|file)\s+([\w-]+(?:\s*,\s*[\w-]+)*)\s*(?::\s*(.*?))?\s*(?:\*\/)?\s*$/;

export function parseSuppressions(comments: readonly Node[], lines: LineIndex): SuppressionComment[] {
  const result: SuppressionComment[] = [];
  for (const comment of comments) {
    const text = comment.text;
    if (!text.includes('driver-guard-ignore-')) continue;
    const match = PATTERN.exec(text.replace(/^\/\/|^\/\*/, '').trim());
    if (!match) continue;
    const range = lines.rangeOf(comment.startIndex, comment.endIndex);
    result.push({
      kind: match[1] as 'next-line' | 'file',
      ruleIds: match[2].split(',').map((id) => id.trim()),
      justification: (match[3] ?? '').trim(),
      targetLine: range.end.line + 1,
      range,
      used: false,
    });
  }
  return result;
}

/** Marks findings covered by a suppression (kept for SARIF) and returns information findings for unused ones. */
export function applySuppressions(
  findings: Finding[],
  suppressions: SuppressionComment[],
  rules: { known: ReadonlySet<string>; active: ReadonlySet<string>; checklistItem: string },
): Finding[] {
  const { known: knownRuleIds, active, checklistItem } = rules;
  if (suppressions.length === 0) return [];
  for (const finding of findings) {
    const match = suppressions.find((suppression) =>
      suppression.ruleIds.includes(finding.ruleId)
      && (suppression.kind === 'file' || suppression.targetLine === finding.range.start.line));
    if (!match) continue;
    match.used = true;
    finding.suppression = { kind: match.kind, justification: match.justification, range: match.range };
  }
  return suppressions
    // A suppression for a rule that is switched off is not stale: it matters again when the rule is back on.
    .filter((suppression) => !suppression.used && suppression.ruleIds.some((id) => active.has(id) || !knownRuleIds.has(id)))
    .map((suppression) => {
      const unknown = suppression.ruleIds.filter((id) => !knownRuleIds.has(id));
      const message = unknown.length > 0
        ? `Suppression names unknown rule ${unknown.map((id) => `'${id}'`).join(', ')}.`
        : `Unused suppression: no ${suppression.ruleIds.join(', ')} finding ${suppression.kind === 'file' ? 'in this file' : 'on the next line'}. Remove the comment.`;
      return {
        ruleId: UNUSED_SUPPRESSION_ID,
        checklistItem,
        severity: 'information' as const,
        message,
        range: suppression.range,
        related: [],
        fixes: [],
      };
    });
}
