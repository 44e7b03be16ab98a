/**
 * Mutational fuzzing of the whole analyzer with fast-check: seeds are the project's driver sources, mutations are
 * byte flips, truncation, token splices, deep nesting, huge macros and hostile characters. Used by the seeded
 * short run in `npm test` and by `npm run fuzz` (10,000 inputs).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { Analyzer } from '../../server/src/core';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const REGRESSION_DIR = path.join(ROOT, 'test', 'fuzz', 'regressions');

// Regression inputs are not seeds: they are checked one by one, and mutating a pathological input only finds it again.
const SEED_FOLDERS = ['examples', 'test/corpus', 'test/e2e/workspace'];

const BUILTIN_SEEDS = [
  `NTSTATUS DispatchIoctl(_In_ PDEVICE_OBJECT DeviceObject, _Inout_ PIRP Irp) {
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    UCHAR local[64];
    ULONG len = irpSp->Parameters.DeviceIoControl.InputBufferLength;
    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_X: RtlCopyMemory(local, Irp->AssociatedIrp.SystemBuffer, len); break;
    }
    __try { ProbeForRead(irpSp->Parameters.DeviceIoControl.Type3InputBuffer, len, 1); } __except (EXCEPTION_EXECUTE_HANDLER) { }
    return STATUS_SUCCESS;
}`,
  '#define IOCTL_X CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)\n#define W(f) CTL_CODE(0x22, f, 3, 0)\n#define IOCTL_Y W(0x801)',
];

/** C tokens and fragments spliced into inputs. */
const TOKENS = [
  '{', '}', '(', ')', '[', ']', ';', ',', '*', '&', '->', '.', '#if 0\n', '#endif\n', '#define X(a) a\n', '/*', '*/', '//', '"', "'",
  '\\\n', 'switch (x) {', 'case 1:', 'default:', '__try {', '} __except (1) {', 'memcpy(a, b, c);', 'Irp->AssociatedIrp.SystemBuffer',
  'Parameters.DeviceIoControl.InputBufferLength', 'ExFreePool(p);', 'ProbeForRead(p, n, 1);', 'ExAllocatePoolWithTag(NonPagedPool, n, 1)',
  '_In_reads_bytes_(', 'CTL_CODE(', 'METHOD_NEITHER', 'goto out;', 'out:', 'return;', 'for (;;)', 'while (1)', '\u0000', '\uFEFF', '\r\n', '\uD800', 'é😀',
];

export function loadSeeds(): string[] {
  const seeds = [...BUILTIN_SEEDS];
  const visit = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) visit(full);
      else if (/\.(c|h|cpp)$/.test(entry) && statSync(full).size < 200_000) seeds.push(readFileSync(full, 'utf8'));
    }
  };
  for (const folder of SEED_FOLDERS) visit(path.join(ROOT, folder));
  return seeds;
}

type Mutation = (text: string) => string;

function mutationArbitrary(): fc.Arbitrary<Mutation> {
  const position = fc.double({ min: 0, max: 1, noNaN: true });
  return fc.oneof(
    fc.record({ at: position, code: fc.integer({ min: 0, max: 0xffff }) }).map(({ at, code }) => (text: string) => {
      const index = Math.floor(at * text.length);
      return text.slice(0, index) + String.fromCharCode(code) + text.slice(index + 1);
    }),
    position.map((at) => (text: string) => text.slice(0, Math.floor(at * text.length))),
    fc.record({ at: position, token: fc.constantFrom(...TOKENS), times: fc.integer({ min: 1, max: 4 }) }).map(({ at, token, times }) => (text: string) => {
      const index = Math.floor(at * text.length);
      return text.slice(0, index) + token.repeat(times) + text.slice(index);
    }),
    fc.record({ from: position, length: fc.double({ min: 0, max: 0.3, noNaN: true }), at: position }).map(({ from, length, at }) => (text: string) => {
      const start = Math.floor(from * text.length);
      const chunk = text.slice(start, start + Math.floor(length * text.length));
      const index = Math.floor(at * text.length);
      return text.slice(0, index) + chunk + text.slice(index);
    }),
    fc.record({ depth: fc.integer({ min: 100, max: 3000 }), kind: fc.constantFrom('(', '{', '[', 'if (x) ', '#if 1\n') }).map(({ depth, kind }) => (text: string) => {
      const close: Record<string, string> = { '(': ')', '{': '}', '[': ']', 'if (x) ': '', '#if 1\n': '#endif\n' };
      return `${text}\nvoid deep(void) { x = ${kind.repeat(depth)}1${close[kind].repeat(depth)}; }\n`;
    }),
    fc.integer({ min: 100, max: 5000 }).map((lines) => (text: string) => `#define HUGE_MACRO(a) \\\n${'  a + a \\\n'.repeat(lines)}  a\n${text}`),
    fc.integer({ min: 1, max: 20 }).map((count) => (text: string) => text.replace(/\n/g, count % 2 ? '\r\n' : '\n').replace(/;/g, (match, offset: number) => (offset % count === 0 ? '' : match))),
  );
}

export interface FuzzInput {
  seed: number;
  mutations: Mutation[];
}

export function inputArbitrary(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc.record({ seed: fc.integer({ min: 0, max: seeds.length - 1 }), mutations: fc.array(mutationArbitrary(), { minLength: 1, maxLength: 6 }) })
    .map(({ seed, mutations }) => mutations.reduce((text, mutate) => mutate(text), seeds[seed]));
}

export interface FuzzStats {
  runs: number;
  /** Inputs skipped with a reason (binary, over the time budget). */
  skipped: number;
  slowestMs: number;
  slowestInput: string;
}

/**
 * The analyzer's own time budget for one file in the fuzz run. Parsing pathological text (thousands of broken
 * macro continuation lines) can take tree-sitter longer than a second; the budget cancels it and the file is
 * reported as skipped, which is the defined behaviour the fuzz run checks.
 */
export const FUZZ_TIME_BUDGET_MS = 800;

/** The property: analysis never throws, no rule fails, and one input takes under the limit. */
export function checkInput(analyzer: Analyzer, text: string, stats: FuzzStats, limitMs = 1000): void {
  const started = performance.now();
  const result = analyzer.analyze({ text, fileName: 'fuzz.c' }, { timeBudgetMs: FUZZ_TIME_BUDGET_MS });
  const elapsed = performance.now() - started;
  stats.runs++;
  if (elapsed > stats.slowestMs) {
    stats.slowestMs = elapsed;
    stats.slowestInput = text;
  }
  if (result.skipped) stats.skipped++;
  if (result.ruleErrors.length > 0) throw new Error(`rule error: ${result.ruleErrors.map((error) => `${error.ruleId}: ${error.message}`).join('; ')}`);
  if (elapsed > limitMs) throw new Error(`analysis took ${elapsed.toFixed(0)} ms (limit ${limitMs} ms) on an input of ${text.length} characters`);
  for (const finding of result.findings) {
    if (finding.range.start.line < 0 || finding.range.end.line < finding.range.start.line) throw new Error(`bad range from ${finding.ruleId}`);
  }
}
