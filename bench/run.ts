/**
 * `npm run bench [-- <folder>]`: measures in one run and prints ratios (machines here are noisy, ratios are not):
 *  (a) full analysis vs raw tree-sitter parse of the same files (goal ≤ 2×), in wall time and in thread CPU time
 *  (b) CLI wall time on a 500-file tree vs flawfinder and cppcheck (goal ≥ 20× faster than cppcheck, ≤ flawfinder)
 *  (c) keystroke latency in the language server over LSP (5k-line file, 200 edits; goal p95 ≤ 15 ms, debounce 0)
 *  (d) server memory (RSS) after a workspace scan of the 500-file tree (goal ≤ 150 MB)
 *  (e) extension activation (bundle load + server start to initialized) and .vsix size
 *  (f) `scan --cache`: warm and after-one-edit runs as ratios to the cold scan (goal warm ≤ 10%), and `--profile`
 * With a folder argument, (a), (b) and (f) run on that folder instead of the generated tree.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import Module from 'node:module';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { createAnalyzer } from '../server/src/core';
import { neutralizeAnnotations } from '../server/src/analysis/neutralize';
import { ParserPool, languageFor } from '../server/src/analysis/parser';
import { WorkspaceIndex } from '../server/src/analysis/workspace-index';
import { discoverSourceFiles, readSourceFile } from '../server/src/node/discover';
import { generateBenchTree } from './generate';

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = path.join(ROOT, 'bench', 'results');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function collect(folder: string): Promise<{ file: string; text: string }[]> {
  const files: { file: string; text: string }[] = [];
  for await (const file of discoverSourceFiles([folder])) files.push({ file, text: await readSourceFile(file) });
  return files;
}

/** (a) Parse-only vs full analysis on the same texts, alternating to share the machine's noise. */
async function throughput(label: string, files: { file: string; text: string }[], rounds: number) {
  const pool = await ParserPool.load();
  const analyzer = await createAnalyzer();
  const workspace = new WorkspaceIndex();
  for (const { file, text } of files) workspace.update(file, text);
  const parseTimes: number[] = [];
  const analyzeTimes: number[] = [];
  const lines = files.reduce((sum, { text }) => sum + text.split('\n').length, 0);
  for (let round = 0; round < rounds; round++) {
    let started = performance.now();
    for (const { file, text } of files) {
      const tree = pool.parse(text, languageFor(file));
      tree?.delete();
    }
    parseTimes.push(performance.now() - started);
    started = performance.now();
    for (const { file, text } of files) analyzer.analyze({ text, fileName: file }, { workspace });
    analyzeTimes.push(performance.now() - started);
  }
  // The neutralizer alone, for the record (it is part of the analysis time above).
  let started = performance.now();
  for (const { text } of files) neutralizeAnnotations(text);
  const neutralizeMs = performance.now() - started;
  const parseMs = median(parseTimes);
  const analyzeMs = median(analyzeTimes);
  // The same ratio in CPU time of this thread: on a shared, loaded machine wall time also counts the time the
  // thread waited for a core (and the parse and the analysis wait differently), CPU time does not.
  const parseCpu: number[] = [];
  const analyzeCpu: number[] = [];
  for (let block = 0; block < 3; block++) {
    parseCpu.push(cpuPerRound(() => {
      for (const { file, text } of files) pool.parse(text, languageFor(file))?.delete();
    }));
    analyzeCpu.push(cpuPerRound(() => {
      for (const { file, text } of files) analyzer.analyze({ text, fileName: file }, { workspace });
    }));
  }
  const cpuRatio = median(analyzeCpu) / median(parseCpu);
  return { label, files: files.length, lines, parseMs, analyzeMs, neutralizeMs, ratio: analyzeMs / parseMs, cpuRatio, linesPerSecond: Math.round(lines / (analyzeMs / 1000)) };
}

/** CPU time of this thread (Linux; 10 ms ticks), or undefined elsewhere. */
function threadCpuMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
  } catch {
    return undefined;
  }
}

/** Repeats `work` for at least 400 ms of this thread's CPU time; CPU ms per repetition (NaN without /proc). */
function cpuPerRound(work: () => void): number {
  const start = threadCpuMs();
  if (start === undefined) return NaN;
  let rounds = 0;
  let used = 0;
  do {
    work();
    rounds++;
    used = (threadCpuMs() ?? start) - start;
  } while (used < 400);
  return used / rounds;
}

function timeCommand(command: string, args: string[]): { ms: number; status: number | null } | undefined {
  const probe = spawnSync('which', [command]);
  if (probe.status !== 0) return undefined;
  const started = performance.now();
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return { ms: performance.now() - started, status: result.status };
}

/** (b) Whole-tree wall time: our CLI vs flawfinder vs cppcheck. */
function cliComparison(tree: string) {
  const ours = timeCommand(process.execPath, [path.join(ROOT, 'bin', 'driver-guard.js'), 'scan', tree, '--format', 'json', '--output', path.join(os.tmpdir(), 'dg-bench.json'), '--fail-on', 'none'])!;
  const flawfinder = timeCommand('flawfinder', ['--quiet', '--dataonly', '--minlevel=0', tree]);
  const cppcheck = timeCommand('cppcheck', ['--quiet', '-j', String(os.cpus().length), '--enable=warning', tree]);
  return {
    driverGuardMs: ours.ms,
    flawfinderMs: flawfinder?.ms,
    cppcheckMs: cppcheck?.ms,
    speedupVsCppcheck: cppcheck ? cppcheck.ms / ours.ms : undefined,
    speedupVsFlawfinder: flawfinder ? flawfinder.ms / ours.ms : undefined,
    missing: [flawfinder ? undefined : 'flawfinder', cppcheck ? undefined : 'cppcheck'].filter(Boolean),
  };
}

async function startServer(workspaceFolder?: string) {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'server.js'), '--stdio'], { stdio: 'pipe' });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => ({})));
  connection.onRequest('client/registerCapability', () => null);
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.listen();
  const started = performance.now();
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    workspaceFolders: workspaceFolder ? [{ uri: `file://${workspaceFolder}`, name: 'bench' }] : null,
    capabilities: { workspace: { configuration: true }, window: { workDoneProgress: true } },
    initializationOptions: { debounceMs: 0 },
  });
  const initializeMs = performance.now() - started;
  await connection.sendNotification('initialized', {});
  return { child, connection, initializeMs };
}

/** (c) didChange → publishDiagnostics for that version, debounce 0. */
async function keystrokeLatency(file: string) {
  const { child, connection } = await startServer();
  const uri = `file://${file}`;
  let text = readFileSync(file, 'utf8');
  const waiting = new Map<number, (value: number) => void>();
  connection.onNotification('textDocument/publishDiagnostics', (params: { uri: string; version?: number }) => {
    if (params.uri === uri && params.version !== undefined) waiting.get(params.version)?.(performance.now());
  });
  const waitVersion = (version: number) => new Promise<number>((resolve) => waiting.set(version, resolve));
  let version = 1;
  let published = waitVersion(version);
  await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version, text } });
  await published;
  const latencies: number[] = [];
  const changes: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string }[] = [];
  const lines = text.split('\n');
  for (let edit = 0; edit < 200; edit++) {
    version++;
    // Type into a handler: insert a character at the start of a line, then delete it again on the next edit.
    const line = 200 + ((Math.floor(edit / 2) * 97) % (lines.length - 400));
    const change = edit % 2 === 0
      ? { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: 'x' }
      : { range: { start: { line, character: 0 }, end: { line, character: 1 } }, text: '' };
    changes.push(change);
    published = waitVersion(version);
    const started = performance.now();
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
    const done = await published;
    latencies.push(done - started);
  }
  connection.dispose();
  child.kill();
  // Which edits the server could analyze incrementally: the same edits replayed in this process (same core).
  const incremental = await replayReuse(file, changes);
  const latenciesWhere = (wanted: boolean) => latencies.filter((_, index) => incremental[index] === wanted);
  const summary = (values: number[]) => (values.length ? { count: values.length, p50: percentile(values, 50), p95: percentile(values, 95) } : { count: 0, p50: NaN, p95: NaN });
  return {
    edits: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: Math.max(...latencies),
    incremental: summary(latenciesWhere(true)),
    full: summary(latenciesWhere(false)),
  };
}

/** For each edit: whether its analysis reused the findings of the one before (see server/src/analysis/incremental.ts). */
async function replayReuse(file: string, changes: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string }[]): Promise<boolean[]> {
  const analyzer = await createAnalyzer();
  const workspace = new WorkspaceIndex();
  let text = readFileSync(file, 'utf8');
  workspace.update(file, text);
  let parsed = analyzer.parse({ text, fileName: file })!;
  analyzer.analyzeParsed(file, parsed, { workspace, reuse: true });
  const reused: boolean[] = [];
  for (const change of changes) {
    const offsetOf = (position: { line: number; character: number }) => {
      let offset = 0;
      for (let line = 0; line < position.line; line++) offset = text.indexOf('\n', offset) + 1;
      return offset + position.character;
    };
    text = text.slice(0, offsetOf(change.range.start)) + change.text + text.slice(offsetOf(change.range.end));
    const next = analyzer.parse({ text, fileName: file }, parsed)!;
    parsed.dispose();
    parsed = next;
    workspace.update(file, text);
    reused.push(analyzer.analyzeParsed(file, parsed, { workspace, reuse: true }).reuse !== undefined);
  }
  parsed.dispose();
  return reused;
}

/** (d) RSS of the server process after scanning the tree. */
async function scanMemory(tree: string) {
  const { child, connection } = await startServer(tree);
  const started = performance.now();
  const result = await connection.sendRequest<{ files: number; findings: number }>('driverGuard/scanWorkspace', {});
  const scanMs = performance.now() - started;
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  connection.dispose();
  child.kill();
  return { files: result.files, findings: result.findings, scanMs, rssMb: rssKb / 1024, peakRssMb: peakKb / 1024 };
}

/** (e) Loading the client bundle (with a stand-in `vscode` module) and the server's start-up to `initialize`. */
async function activation() {
  const moduleWithResolve = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const originalResolve = moduleWithResolve._resolveFilename;
  const stub = path.join(os.tmpdir(), 'dg-vscode-stub.js');
  writeFileSync(stub, 'module.exports = new Proxy({}, { get: () => new Proxy(function () {}, { get: () => ({}) }) });');
  moduleWithResolve._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? stub : originalResolve.call(this, request, ...rest);
  };
  const started = performance.now();
  require(path.join(ROOT, 'dist', 'client.js'));
  const clientLoadMs = performance.now() - started;
  moduleWithResolve._resolveFilename = originalResolve;
  const { child, connection, initializeMs } = await startServer();
  connection.dispose();
  child.kill();
  // Always package the current build (a stale .vsix would report an old size); say why when packaging fails.
  let vsixBytes: number | undefined;
  let vsixError: string | undefined;
  const vsix = path.join(os.tmpdir(), `driver-guard-bench-${process.pid}.vsix`);
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const packaged = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--out', vsix], { cwd: ROOT, encoding: 'utf8' });
  if (existsSync(vsix)) {
    vsixBytes = statSync(vsix).size;
    rmSync(vsix, { force: true });
  } else {
    vsixError = (packaged.stderr || packaged.stdout || String(packaged.error ?? '')).split('\n').find((line) => /ERROR|Error/.test(line))?.trim() ?? `vsce exited with ${packaged.status}`;
  }
  return { clientLoadMs, serverInitializeMs: initializeMs, vsixMb: vsixBytes === undefined ? undefined : vsixBytes / 1024 / 1024, vsixError };
}

/**
 * (f) `scan --cache` on a copy of the tree: cold (empty cache), warm (nothing changed), and after one edit inside a
 * function body; each as a ratio to the cold scan measured in the same run. Then the cold scan's `--profile`.
 */
function cacheAndProfile(tree: string) {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'dg-bench-cache-'));
  cpSync(tree, copy, { recursive: true });
  const cacheFile = path.join(copy, '.driver-guard-cache');
  const scanArgs = [path.join(ROOT, 'bin', 'driver-guard.js'), 'scan', copy, '--format', 'json', '--output', path.join(os.tmpdir(), 'dg-bench-cache.json'), '--fail-on', 'none'];
  const timed = (extra: string[]) => {
    const started = performance.now();
    const result = spawnSync(process.execPath, [...scanArgs, ...extra], { encoding: 'utf8' });
    return { ms: performance.now() - started, stderr: result.stderr };
  };
  const cold = timed(['--cache', '--cache-location', cacheFile]);
  const warm = timed(['--cache', '--cache-location', cacheFile]);
  const edited = collectSync(copy).find((file) => file.endsWith('.c'));
  if (edited) {
    const text = readFileSync(edited, 'utf8');
    const close = text.lastIndexOf('}');
    writeFileSync(edited, `${text.slice(0, close)}    /* edited by the benchmark */\n${text.slice(close)}`);
  }
  const afterEdit = timed(['--cache', '--cache-location', cacheFile]);
  const profiled = timed(['--profile']);
  rmSync(copy, { recursive: true, force: true });
  const counts = (stderr: string) => /cache: (\d+) file\(s\) unchanged, (\d+) analyzed/.exec(stderr)?.slice(1).join(' reused / ') ?? '?';
  const profile = profiled.stderr.split('\n').filter((line) => /^ {2}\S/.test(line)).map((line) => {
    const match = /^ {2}(.+?) +([\d.]+) ms +([\d.]+) %$/.exec(line);
    return match ? { phase: match[1], ms: Number(match[2]), percent: Number(match[3]) } : undefined;
  }).filter((row): row is { phase: string; ms: number; percent: number } => row !== undefined);
  return {
    coldMs: cold.ms,
    warmMs: warm.ms,
    afterEditMs: afterEdit.ms,
    warmRatio: warm.ms / cold.ms,
    afterEditRatio: afterEdit.ms / cold.ms,
    warmCounts: counts(warm.stderr),
    afterEditCounts: counts(afterEdit.stderr),
    profile,
  };
}

function collectSync(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath ?? entry.path, entry.name)).sort();
}

async function main(): Promise<void> {
  // `npm run bench -- [folder] [--only ace]`: a folder replaces the generated tree in (a) and (b); --only picks goals.
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { only: { type: 'string' } } });
  const external = positionals[0];
  const wanted = new Set((values.only ?? 'abcdef').toLowerCase().split('').filter((letter) => 'abcdef'.includes(letter)));
  const generated = path.join(ROOT, 'bench', 'generated');
  console.log('bench: generating files…');
  const { single, tree } = generateBenchTree(generated);
  mkdirSync(RESULTS, { recursive: true });

  const a = [];
  const targetTree = external ? path.resolve(external) : tree;
  if (wanted.has('a')) {
    for (const [label, file] of Object.entries(single)) a.push(await throughput(`single ${label} lines`, [{ file, text: readFileSync(file, 'utf8') }], 5));
    a.push(await throughput(external ? `folder ${targetTree}` : '500-file tree', await collect(targetTree), 3));
    console.log('\n(a) analysis vs raw parse (medians, goal ratio ≤ 2.0)');
    console.table(a.map((row) => ({ input: row.label, files: row.files, lines: row.lines, 'parse ms': row.parseMs.toFixed(1), 'analysis ms': row.analyzeMs.toFixed(1), ratio: row.ratio.toFixed(2), 'CPU ratio': row.cpuRatio.toFixed(2), 'lines/s': row.linesPerSecond })));
    console.log('   ratio: wall-clock medians; CPU ratio: CPU time of the benchmark thread (not inflated by waiting for a core)');
  }

  const b = wanted.has('b') ? cliComparison(targetTree) : undefined;
  if (b) {
    console.log('\n(b) CLI wall time on the same tree (goal: ≥ 20× faster than cppcheck, not slower than flawfinder)');
    console.table([{ 'driver-guard ms': b.driverGuardMs.toFixed(0), 'flawfinder ms': b.flawfinderMs?.toFixed(0) ?? 'not installed', 'cppcheck ms': b.cppcheckMs?.toFixed(0) ?? 'not installed', 'vs cppcheck': b.speedupVsCppcheck?.toFixed(1) ?? '-', 'vs flawfinder': b.speedupVsFlawfinder?.toFixed(2) ?? '-' }]);
    if (b.missing.length) console.log(`   skipped: ${b.missing.join(', ')} not installed (bash bench/setup.sh installs them from apt)`);
  }

  const c = wanted.has('c') ? await keystrokeLatency(single['5k']) : undefined;
  if (c) {
    console.log('\n(c) keystroke latency over LSP, 5k-line file, debounce 0 (goal p95 ≤ 15 ms)');
    console.table([
      { edits: `all ${c.edits}`, 'p50 ms': c.p50.toFixed(1), 'p95 ms': c.p95.toFixed(1), 'max ms': c.max.toFixed(1) },
      { edits: `${c.incremental.count} analyzed incrementally`, 'p50 ms': c.incremental.p50.toFixed(1), 'p95 ms': c.incremental.p95.toFixed(1), 'max ms': '' },
      { edits: `${c.full.count} re-analyzed in full`, 'p50 ms': c.full.p50.toFixed(1), 'p95 ms': c.full.p95.toFixed(1), 'max ms': '' },
    ]);
    console.log('   "in full": the edit changed a function\'s name or extent, the text between functions, roles or macros (see docs/performance.md).');
  }

  const d = wanted.has('d') ? await scanMemory(tree) : undefined;
  if (d) {
    console.log('\n(d) server memory after a workspace scan of the 500-file tree (goal ≤ 150 MB)');
    console.table([{ files: d.files, findings: d.findings, 'scan ms': d.scanMs.toFixed(0), 'RSS MB': d.rssMb.toFixed(1), 'peak RSS MB': d.peakRssMb.toFixed(1) }]);
  }

  const e = wanted.has('e') ? await activation() : undefined;
  if (e) {
    console.log('\n(e) activation and package size');
    console.table([{ 'client bundle load ms': e.clientLoadMs.toFixed(1), 'server start → initialized ms': e.serverInitializeMs.toFixed(0), 'vsix MB': e.vsixMb?.toFixed(2) ?? 'not built' }]);
    if (e.vsixError) console.log(`   vsix not built: ${e.vsixError}`);
  }

  const f = wanted.has('f') ? cacheAndProfile(targetTree) : undefined;
  if (f) {
    console.log('\n(f) scan --cache on a copy of the same tree (goal: warm ≤ 10% of cold), and the cold scan\'s --profile');
    console.table([
      { run: 'cold (empty cache)', ms: f.coldMs.toFixed(0), 'of cold': '1.00', files: '' },
      { run: 'warm (nothing changed)', ms: f.warmMs.toFixed(0), 'of cold': f.warmRatio.toFixed(2), files: f.warmCounts },
      { run: 'one function body edited', ms: f.afterEditMs.toFixed(0), 'of cold': f.afterEditRatio.toFixed(2), files: f.afterEditCounts },
    ]);
    console.table(f.profile.slice(0, 16).map((row) => ({ phase: row.phase, ms: row.ms.toFixed(0), '% of wall': row.percent.toFixed(1) })));
    console.log('   phases inside the analysis are summed over the worker threads; a shared analysis counts in the first rule that asks for it');
  }

  const results = { date: new Date().toISOString(), machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version }, a, b, c, d, e, f };
  const out = path.join(RESULTS, `bench-${results.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify(results, null, 2));
  writeFileSync(path.join(RESULTS, 'latest.json'), JSON.stringify(results, null, 2));
  console.log(`\nbench: results written to ${path.relative(ROOT, out)}`);
  process.exit(0);
}

void main();
