/**
 * `npm run precision -- <folder>`: measures Driver Guard on a folder of real driver code (e.g. Microsoft's
 * Windows-driver-samples, see docs/precision.md) with the same core as the CLI:
 *  (a) files, lines, and the share of files with ERROR nodes when parsed as written vs after annotation neutralizing
 *  (b) per rule: findings and findings per 10 kLOC
 *  (c) the reviewed true-positive rate of the error and warning findings, from docs/precision-review.json (see
 *      scripts/precision-review.ts), with the findings that have no review yet and the reviews that match nothing
 * and writes the numbers to test-results/precision.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createAnalyzer, RULES, WorkspaceIndex, type Finding } from '../server/src/core';
import { discoverSourceFiles, readSourceFile } from '../server/src/node/discover';
import { matchReviews, validateRecord, type KeyedFinding, type ReviewRecord } from './precision-review';

const ROOT = path.resolve(__dirname, '..', '..');
const OUTPUT = path.join(ROOT, 'test-results', 'precision.json');
const REVIEW_RECORD = path.join(ROOT, 'docs', 'precision-review.json');
/** The CLI's per-file budget, so the report sees what `driver-guard scan` sees. */
const FILE_TIME_BUDGET_MS = 10_000;

interface FindingRecord {
  file: string;
  line: number;
  severity: string;
  message: string;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '0.0%' : `${((100 * part) / whole).toFixed(1)}%`;
}

async function main(): Promise<void> {
  const folder = process.argv[2];
  if (!folder) {
    console.error('usage: npm run precision -- <folder with driver sources>');
    process.exit(2);
  }
  const files: { file: string; text: string }[] = [];
  for await (const file of discoverSourceFiles([folder])) files.push({ file, text: await readSourceFile(file) });
  const workspace = new WorkspaceIndex();
  for (const { file, text } of files) workspace.update(file, text);

  const analyzer = await createAnalyzer();
  let lines = 0;
  const parse = {
    raw: { filesWithErrors: 0, errorNodes: 0 },
    neutralized: { filesWithErrors: 0, errorNodes: 0, files: [] as { file: string; errorNodes: number }[] },
  };
  const byRule = new Map<string, FindingRecord[]>(RULES.map((rule) => [rule.meta.id, []]));
  const skipped: { file: string; reason: string }[] = [];
  const keyed: KeyedFinding[] = [];

  for (const { file, text } of files) {
    lines += text.split('\n').length;
    const relative = path.relative(folder, file).split(path.sep).join('/');
    const raw = analyzer.countParseErrors({ text, fileName: file }, { neutralize: false });
    const neutralized = analyzer.countParseErrors({ text, fileName: file }, { neutralize: true });
    parse.raw.errorNodes += raw;
    parse.raw.filesWithErrors += raw > 0 ? 1 : 0;
    parse.neutralized.errorNodes += neutralized;
    parse.neutralized.filesWithErrors += neutralized > 0 ? 1 : 0;
    if (neutralized > 0) parse.neutralized.files.push({ file: relative, errorNodes: neutralized });

    const result = analyzer.analyze({ text, fileName: file }, { workspace, timeBudgetMs: FILE_TIME_BUDGET_MS });
    if (result.skipped) skipped.push({ file: relative, reason: result.skipped.reason });
    const sourceLines = text.split(/\r?\n/);
    for (const finding of result.findings as Finding[]) {
      const records = byRule.get(finding.ruleId) ?? [];
      records.push({ file: relative, line: finding.range.start.line + 1, severity: finding.severity, message: finding.message });
      byRule.set(finding.ruleId, records);
      if (finding.severity === 'error' || finding.severity === 'warning') {
        keyed.push({ file: relative, rule: finding.ruleId, line: finding.range.start.line + 1, severity: finding.severity, source: sourceLines[finding.range.start.line] ?? '' });
      }
    }
  }

  const kloc = lines / 10_000;
  const rules = [...byRule].map(([id, records]) => ({
    id,
    findings: records.length,
    per10kLoc: Number((records.length / kloc).toFixed(2)),
    bySeverity: Object.fromEntries(['error', 'warning', 'information', 'hint'].map((severity) => [severity, records.filter((record) => record.severity === severity).length]).filter(([, count]) => count)),
    locations: records,
  }));
  const total = rules.reduce((sum, rule) => sum + rule.findings, 0);

  console.log(`${files.length} files, ${lines} lines (${folder})`);
  console.log(`files with ERROR nodes: as written ${parse.raw.filesWithErrors} (${percent(parse.raw.filesWithErrors, files.length)}, ${parse.raw.errorNodes} nodes); ` +
    `neutralized ${parse.neutralized.filesWithErrors} (${percent(parse.neutralized.filesWithErrors, files.length)}, ${parse.neutralized.errorNodes} nodes)`);
  if (skipped.length > 0) console.log(`skipped: ${skipped.map((entry) => `${entry.file} (${entry.reason})`).join(', ')}`);
  console.log('');
  console.log(`${'rule'.padEnd(36)} ${'findings'.padStart(8)} ${'/10kLOC'.padStart(8)}  by severity`);
  for (const rule of rules) {
    const severities = Object.entries(rule.bySeverity).map(([severity, count]) => `${severity} ${count}`).join(', ');
    console.log(`${rule.id.padEnd(36)} ${String(rule.findings).padStart(8)} ${rule.per10kLoc.toFixed(2).padStart(8)}  ${severities}`);
  }
  console.log(`${'total'.padEnd(36)} ${String(total).padStart(8)} ${(total / kloc).toFixed(2).padStart(8)}`);

  const review = reviewSection(keyed);

  mkdirSync(path.dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, `${JSON.stringify({ folder: path.resolve(folder), files: files.length, lines, parse, skipped, total, rules, review }, null, 2)}\n`);
  console.log(`\nwritten: ${path.relative(process.cwd(), OUTPUT)}`);
}

/** Prints the reviewed true-positive rate of the error+warning findings and what the record does not cover. */
function reviewSection(findings: KeyedFinding[]): object {
  const record = JSON.parse(readFileSync(REVIEW_RECORD, 'utf8')) as unknown;
  const problems = validateRecord(record);
  if (problems.length > 0) {
    console.error(`${path.relative(process.cwd(), REVIEW_RECORD)} is not a valid review record:\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
    return { problems };
  }
  const match = matchReviews(findings, (record as ReviewRecord).reviews);
  console.log('');
  console.log(`review (${path.relative(process.cwd(), REVIEW_RECORD)}): ${findings.length} error+warning findings, ${match.reviewed.length} reviewed: ` +
    `${match.truePositives} true positive, ${match.falsePositives} false positive, ${match.unreviewed.length} not reviewed`);
  console.log(`reviewed true-positive rate: ${percent(match.truePositives, findings.length)} of all error+warning findings` +
    ` (${percent(match.truePositives, match.reviewed.length)} of the reviewed ones)`);
  if (match.unreviewed.length > 0) {
    console.log(`\nnot reviewed yet (${match.unreviewed.length}):`);
    for (const finding of match.unreviewed) console.log(`  ${finding.file}:${finding.line} ${finding.rule} (${finding.severity}) | ${finding.source.trim()}`);
  }
  if (match.stale.length > 0) {
    console.log(`\nreviews that match no current finding (${match.stale.length}):`);
    for (const review of match.stale) console.log(`  ${review.file} ${review.rule} [${review.verdict}] | ${review.source}`);
  }
  return {
    findings: findings.length,
    reviewed: match.reviewed.length,
    truePositives: match.truePositives,
    falsePositives: match.falsePositives,
    rate: match.reviewedTruePositiveRate,
    unreviewed: match.unreviewed,
    stale: match.stale,
    falsePositiveFindings: match.reviewed.filter((entry) => entry.review.verdict === 'false-positive').map((entry) => ({ ...entry.finding, reason: entry.review.reason })),
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
