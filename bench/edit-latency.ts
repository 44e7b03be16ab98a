/**
 * `npm run bench:edits -- <folder>`: what typing costs in real sources. In the ten largest C/C++ files of the folder,
 * types a character into an indented statement and deletes it again, 40 times per file, and times parse + analysis
 * of every version, once analyzing the whole file each time and once reusing per-function findings (as the language
 * server does). Prints p50 / p95 per file; in process, without the LSP round trip that bench (c) includes.
 * `--file <part of a path>` keeps only the files whose path contains it (e.g. `--file class.c`); with it, the
 * reuse run's time per phase (mean per edit) is printed too.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createAnalyzer, WorkspaceIndex } from '../server/src/core';
import { discoverSourceFiles } from '../server/src/node/discover';

const EDITS_PER_FILE = 40;

function percentile(values: number[], p: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)].toFixed(1);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { file: { type: 'string' } } });
  const folder = positionals[0];
  if (!folder) {
    console.error('usage: npm run bench:edits -- <folder with C/C++ driver sources> [--file <part of a path>]');
    process.exit(2);
  }
  const analyzer = await createAnalyzer();
  const workspace = new WorkspaceIndex();
  const files: { file: string; text: string }[] = [];
  for await (const file of discoverSourceFiles([path.resolve(folder)])) files.push({ file, text: readFileSync(file, 'latin1') });
  for (const { file, text } of files) workspace.update(file, text);
  const largest = files.filter(({ file }) => /\.(c|cc|cpp|cxx)$/i.test(file) && (!values.file || file.includes(values.file)))
    .sort((a, b) => b.text.length - a.text.length).slice(0, 10);
  const rows = [];
  const profile: Record<string, number> = {};
  let profiledEdits = 0;
  for (const { file: fileName, text: original } of largest) {
    const times: Record<'full' | 'reuse', number[]> = { full: [], reuse: [] };
    for (const mode of ['full', 'reuse'] as const) {
      let text = original;
      let parsed = analyzer.parse({ text, fileName })!;
      analyzer.analyzeParsed(fileName, parsed, { workspace, reuse: mode === 'reuse' });
      let seed = 99;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      for (let edit = 0; edit < EDITS_PER_FILE; edit++) {
        let index = text.indexOf('\n        ', Math.floor(random() * text.length));
        if (index < 0) index = Math.max(0, text.indexOf('\n        '));
        index += 9;
        for (const step of ['insert', 'delete']) {
          text = step === 'insert' ? `${text.slice(0, index)}x${text.slice(index)}` : text.slice(0, index) + text.slice(index + 1);
          const started = performance.now();
          const next = analyzer.parse({ text, fileName }, parsed)!;
          parsed.dispose();
          parsed = next;
          workspace.update(fileName, text);
          const profiled = values.file !== undefined && mode === 'reuse';
          analyzer.analyzeParsed(fileName, parsed, { workspace, reuse: mode === 'reuse', ...(profiled && { profile }) });
          if (profiled) profiledEdits++;
          times[mode].push(performance.now() - started);
        }
      }
      parsed.dispose();
      workspace.update(fileName, original);
    }
    rows.push({
      file: path.relative(folder, fileName),
      lines: original.split('\n').length,
      'full p50 / p95 ms': `${percentile(times.full, 50)} / ${percentile(times.full, 95)}`,
      'reuse p50 / p95 ms': `${percentile(times.reuse, 50)} / ${percentile(times.reuse, 95)}`,
    });
  }
  console.table(rows);
  if (profiledEdits > 0) {
    console.log(`reuse run, mean ms per edit by phase (${profiledEdits} edits; parse is timed inside analyzer.parse and not included):`);
    console.table(Object.entries(profile).sort((a, b) => b[1] - a[1]).slice(0, 15).map(([phase, ms]) => ({ phase, 'ms per edit': (ms / profiledEdits).toFixed(2) })));
  }
}

void main();
