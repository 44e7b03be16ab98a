/**
 * `driver-guard scan <paths…>`: the editor's analyzer over files and folders, for CI.
 * Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or I/O error, 3 internal failure.
 */
import { existsSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { checklistTitle, RULES, SEVERITY_ORDER, type Severity, type SeveritySetting } from '../core';
import { formatJson } from './formatters/json';
import { formatSarif } from './formatters/sarif';
import { formatText } from './formatters/text';
import { formatSurfaceJson, formatSurfaceMarkdown, surfaceOf } from './formatters/surface';
import { allFindings } from './formatters/common';
import { scan, UsageError } from './scan';
import { cacheKey, toolFingerprint } from '../node/scan-cache';

const HELP = `Usage: driver-guard scan <path…> [options]
       driver-guard surface <path…> [--format md|json] [--output <file>]
       driver-guard list-rules
       driver-guard --version

Scan C/C++ driver sources for security problems tied to Microsoft's Driver security checklist.

surface writes the attack surface and threat model drawn from the code: devices, dispatch routines,
queues, every IOCTL with its handler, a data-flow diagram and the STRIDE questions per entry point
(Markdown, or JSON as in schemas/attack-surface.schema.json). With --output <name>.md the diagram of each
driver is also written as <name>.<driver>.svg, which the report embeds. It takes --output, --exclude, --rule,
--max-file-size and --jobs like scan, and exits 0 unless the paths cannot be read.

Options:
  --format <text|json|sarif>     output format (default: text; surface: md or json, default md)
  --output <file>                write the report to a file instead of stdout
  --fail-on <level>              exit 1 when a finding is at or above: error, warning (default),
                                 information, or none (always exit 0)
  --rule <id>=<severity|off>     override a rule's severity (repeatable)
  --exclude <glob>               skip matching files and folders (repeatable; .gitignore is respected too)
  --max-file-size <KiB>          skip larger files with a warning (default: 2048)
  --jobs <n>                     analyze on n threads (default: one per core when there are 50+ files;
                                 1 = no worker threads); the report is the same either way
  --cache                        keep results in a cache file and re-analyze only files that changed, or
                                 whose cross-file facts (macros, routine roles in other files) changed
  --cache-location <file>        the cache file (default: .driver-guard-cache in the current folder)
  --profile                      print the time of each phase and rule on stderr
  --no-color                     plain text output
  -h, --help                     show this help

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or I/O error, 3 internal failure.
`;

const FORMATS = ['text', 'json', 'sarif'] as const;
const FAIL_ON = ['error', 'warning', 'information', 'none'] as const;
const SEVERITIES = new Set(['error', 'warning', 'information', 'hint', 'off']);

function packageVersion(): string {
  for (const candidate of [path.join(__dirname, '..', 'package.json'), path.join(__dirname, '..', '..', '..', 'package.json')]) {
    if (existsSync(candidate)) {
      try {
        return String(JSON.parse(readFileSync(candidate, 'utf8')).version);
      } catch {
        // try the next location
      }
    }
  }
  return '0.0.0';
}

/** Writes atomically: a reader never sees half a report. */
function writeReport(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, content);
    renameSync(temp, file);
  } catch (error) {
    if (existsSync(temp)) unlinkSync(temp);
    throw new UsageError(`cannot write ${file}: ${(error as Error).message}`);
  }
}

function parseRuleOverrides(values: string[]): Record<string, SeveritySetting> {
  const known = new Set(RULES.map((rule) => rule.meta.id));
  const overrides: Record<string, SeveritySetting> = {};
  for (const value of values) {
    const match = /^([\w-]+)=(\w+)$/.exec(value);
    if (!match) throw new UsageError(`--rule expects <id>=<severity|off>, got '${value}'`);
    if (!known.has(match[1])) throw new UsageError(`unknown rule '${match[1]}' (see driver-guard list-rules)`);
    if (!SEVERITIES.has(match[2])) throw new UsageError(`--rule ${match[1]}: severity must be error, warning, information, hint or off, got '${match[2]}'`);
    overrides[match[1]] = match[2] as SeveritySetting;
  }
  return overrides;
}

function listRules(): string {
  const rows = [['RULE', 'SEVERITY', 'CHECKLIST ITEM', 'TITLE'], ...RULES.map((rule) => [rule.meta.id, rule.meta.severity, checklistTitle(rule.meta.checklistItem), rule.meta.title])];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return `${rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ')).join('\n')}\n`;
}

/** The `--profile` table: phases outside the analysis, then the analysis phases and rules, slowest first. */
export function formatProfile(profile: Record<string, number>, totalMs: number): string {
  const rows = Object.entries(profile).sort((a, b) => b[1] - a[1]);
  const width = Math.max(...rows.map(([phase]) => phase.length), 5);
  const line = (phase: string, ms: number) => `  ${phase.padEnd(width)}  ${ms.toFixed(1).padStart(9)} ms  ${((100 * ms) / totalMs).toFixed(1).padStart(5)} %`;
  return [
    `driver-guard: profile (${totalMs.toFixed(0)} ms wall; analysis phases are summed over threads, and a shared analysis counts in the first rule that asks for it)`,
    line('total', totalMs),
    ...rows.map(([phase, ms]) => line(phase, ms)),
  ].join('\n');
}

const SURFACE_FORMATS = ['md', 'markdown', 'json'] as const;

/** `driver-guard surface <paths>`: the scan, joined into the attack surface, as Markdown or JSON. */
async function surfaceCommand(values: Record<string, unknown>, paths: string[]): Promise<number> {
  const format = String(values.format ?? 'md') as (typeof SURFACE_FORMATS)[number];
  if (!SURFACE_FORMATS.includes(format)) throw new UsageError(`--format must be md or json for surface, got '${String(values.format)}'`);
  for (const flag of ['cache', 'profile'] as const) if (values[flag]) throw new UsageError(`--${flag} is not supported by surface`);
  if (values['cache-location'] !== undefined) throw new UsageError('--cache-location is not supported by surface');
  const maxKiB = Number(values['max-file-size']);
  if (!Number.isFinite(maxKiB) || maxKiB < 1) throw new UsageError(`--max-file-size must be a number of KiB of at least 1, got '${String(values['max-file-size'])}'`);
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new UsageError(`--jobs must be a whole number of at least 1, got '${String(values.jobs)}'`);
  const result = await scan({
    paths,
    exclude: values.exclude as string[],
    rules: parseRuleOverrides(values.rule as string[]),
    maxFileSize: maxKiB * 1024,
    jobs,
    onWarning: (message) => process.stderr.write(`driver-guard: warning: ${message}\n`),
  });
  // Drivers are named relative to the one folder scanned (else the working directory).
  let root = process.cwd();
  if (paths.length === 1 && statSync(paths[0]).isDirectory()) root = path.resolve(paths[0]);
  const surface = surfaceOf(result, root);
  const version = packageVersion();
  if (format === 'json') {
    const report = formatSurfaceJson(surface, version);
    if (values.output) writeReport(String(values.output), report);
    else process.stdout.write(report);
    return 0;
  }
  // With --output, each driver's data-flow diagram is written next to the report as an SVG the report embeds.
  const output = values.output === undefined ? undefined : String(values.output);
  const { report, diagrams } = formatSurfaceMarkdown(surface, version, output?.replace(/\.(md|markdown)$/i, ''));
  for (const diagram of diagrams) writeReport(diagram.file, diagram.svg);
  if (output) writeReport(output, report);
  else process.stdout.write(report);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const stderr = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string' },
        output: { type: 'string' },
        'fail-on': { type: 'string', default: 'warning' },
        rule: { type: 'string', multiple: true, default: [] },
        exclude: { type: 'string', multiple: true, default: [] },
        'max-file-size': { type: 'string', default: '2048' },
        jobs: { type: 'string' },
        cache: { type: 'boolean', default: false },
        'cache-location': { type: 'string' },
        profile: { type: 'boolean', default: false },
        'no-color': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (values.version) {
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    const [command, ...paths] = positionals;
    if (command === 'list-rules') {
      process.stdout.write(listRules());
      return 0;
    }
    if (command !== 'scan' && command !== 'surface') throw new UsageError(command ? `unknown command '${command}' (try: scan, surface, list-rules)` : 'missing command (try: driver-guard scan <path>)');
    if (paths.length === 0) throw new UsageError(`${command} needs at least one path`);
    if (command === 'surface') return await surfaceCommand(values, paths);
    const format = (values.format ?? 'text') as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be text, json or sarif, got '${values.format}'`);
    const failOn = values['fail-on'] as (typeof FAIL_ON)[number];
    if (!FAIL_ON.includes(failOn)) throw new UsageError(`--fail-on must be error, warning, information or none, got '${values['fail-on']}'`);
    const maxKiB = Number(values['max-file-size']);
    if (!Number.isFinite(maxKiB) || maxKiB < 1) throw new UsageError(`--max-file-size must be a number of KiB of at least 1, got '${values['max-file-size']}'`);
    const rules = parseRuleOverrides(values.rule as string[]);
    const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
    if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) throw new UsageError(`--jobs must be a whole number of at least 1, got '${values.jobs}'`);

    if (values['cache-location'] !== undefined && !values.cache) throw new UsageError('--cache-location needs --cache');
    const version = packageVersion();
    const cache = values.cache
      ? { location: path.resolve(values['cache-location'] ?? '.driver-guard-cache'), key: cacheKey([toolFingerprint(version, __filename), rules, maxKiB]) }
      : undefined;

    const showProgress = Boolean(process.stderr.isTTY);
    const scanStarted = performance.now();
    const result = await scan({
      cache,
      profile: values.profile,
      paths,
      exclude: values.exclude as string[],
      rules,
      maxFileSize: maxKiB * 1024,
      jobs,
      onProgress: showProgress ? (done, total) => {
        if (done % 20 === 0 || done === total) process.stderr.write(`\rscanning ${done}/${total} files…${done === total ? '\n' : ''}`);
      } : undefined,
      onWarning: (message) => stderr(`driver-guard: warning: ${message}`),
    });
    for (const { file, result: fileResult } of result.files) {
      if (fileResult.skipped) stderr(`driver-guard: warning: skipped ${path.relative(process.cwd(), file)}: ${fileResult.skipped.reason}`);
    }

    if (result.cache) stderr(`driver-guard: cache: ${result.cache.reused} file(s) unchanged, ${result.cache.analyzed} analyzed`);
    const color = format === 'text' && !values.output && !values['no-color'] && Boolean(process.stdout.isTTY);
    const reportStarted = performance.now();
    const report = format === 'json' ? formatJson(result, version) : format === 'sarif' ? formatSarif(result, version) : formatText(result, color);
    if (values.output) writeReport(values.output, report);
    else process.stdout.write(report);
    if (result.profile) {
      result.profile.report = performance.now() - reportStarted;
      stderr(formatProfile(result.profile, performance.now() - scanStarted));
    }

    if (failOn === 'none') return 0;
    const threshold = SEVERITY_ORDER[failOn as Severity];
    const failing = allFindings(result).some(({ finding }) => !finding.suppression && SEVERITY_ORDER[finding.severity] >= threshold);
    return failing ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      stderr(`driver-guard: error: ${(error as Error).message.split('\n')[0]}`);
      return 2;
    }
    stderr(`driver-guard: internal error: ${(error as Error).stack ?? String(error)}`);
    return 3;
  }
}
