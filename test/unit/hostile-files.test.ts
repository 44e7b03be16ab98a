/** Hostile inputs: each has a defined behaviour (analyzed or skipped with a reason), never a crash or a hang. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, promises as fsPromises, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { createAnalyzer, type Analyzer } from '../../server/src/core';
import { scan } from '../../server/src/cli/scan';
import { decodeSource, discoverSourceFiles } from '../../server/src/node/discover';
import { applyEdits } from '../helpers/rule-tester';

const POOL_CALL = "void f(void) { PVOID p = ExAllocatePoolWithTag(PagedPool, 8, 'gaT1'); }";

describe('hostile files', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await createAnalyzer();
  });

  it('a 50 MB source file is skipped with the limit that skipped it', () => {
    const huge = `${POOL_CALL}\n`.repeat(Math.ceil((50 * 1024 * 1024) / (POOL_CALL.length + 1)));
    const result = analyzer.analyze({ text: huge, fileName: 'huge.c' });
    assert.match(result.skipped?.reason ?? '', /larger than the 2048 KiB limit/);
    assert.equal(result.findings.length, 0);
  });

  it('a single 1 MB line is analyzed without error', { timeout: 60_000 }, () => {
    const line = `int table[] = { ${'1, '.repeat(340_000)}1 }; ${POOL_CALL}`;
    assert.ok(line.length > 1_000_000);
    const result = analyzer.analyze({ text: line, fileName: 'long-line.c' });
    assert.equal(result.skipped, undefined);
    assert.deepEqual(result.ruleErrors, []);
    assert.ok(result.findings.some((finding) => finding.ruleId === 'deprecated-pool-alloc'));
  });

  it('a binary file named .c is skipped as binary', () => {
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919) % 256));
    const result = analyzer.analyze({ text: decodeSource(bytes), fileName: 'driver.sys.c' });
    assert.match(result.skipped?.reason ?? '', /binary/);
  });

  it('invalid UTF-8 is decoded with replacement characters and analyzed', () => {
    const bytes = Buffer.concat([Buffer.from('// caf'), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xfd]), Buffer.from(`\n${POOL_CALL}\n`)]);
    const text = decodeSource(bytes);
    assert.ok(text.includes('\ufffd'));
    const result = analyzer.analyze({ text, fileName: 'bad-utf8.c' });
    assert.equal(result.findings.filter((finding) => finding.ruleId === 'deprecated-pool-alloc').length, 1);
  });

  it('UTF-16 files with a byte order mark are decoded (LE and BE)', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(POOL_CALL, 'utf16le')]);
    assert.equal(decodeSource(le), POOL_CALL);
    const be = Buffer.from(le);
    be.swap16();
    assert.equal(decodeSource(be), POOL_CALL);
    const result = analyzer.analyze({ text: decodeSource(le), fileName: 'utf16.c' });
    assert.equal(result.findings.filter((finding) => finding.ruleId === 'deprecated-pool-alloc').length, 1);
  });

  it('CRLF line ends: ranges point at the right text and fixes keep CRLF', () => {
    const text = `// header\r\n\r\n${POOL_CALL}\r\n`;
    const finding = analyzer.analyze({ text, fileName: 'crlf.c' }).findings.find((candidate) => candidate.ruleId === 'deprecated-pool-alloc');
    assert.ok(finding);
    assert.equal(finding.range.start.line, 2);
    const fixed = applyEdits(text, finding.fixes[0].edits);
    assert.equal(fixed, `// header\r\n\r\n${POOL_CALL.replace("ExAllocatePoolWithTag(PagedPool, 8, 'gaT1')", "ExAllocatePool2(POOL_FLAG_PAGED, 8, 'gaT1')")}\r\n`);
  });

  it('10,000-deep nesting of blocks, calls and preprocessor conditionals does not overflow', () => {
    for (const [open, close] of [['{', '}'], ['f(', ')'], ['#if 1\n', '#endif\n']]) {
      const text = `void deep(void) { ${open.repeat(10_000)} x = 1; ${close.repeat(10_000)} }\n${POOL_CALL}`;
      const result = analyzer.analyze({ text, fileName: 'deep.c' });
      assert.deepEqual(result.ruleErrors, [], `nesting with ${open.trim()}`);
    }
  });

  it('a symlink loop in a scanned folder terminates with a warning', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dg-loop-'));
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src', 'a.c'), POOL_CALL);
    symlinkSync(root, path.join(root, 'src', 'loop'));
    const warnings: string[] = [];
    const files: string[] = [];
    for await (const file of discoverSourceFiles([root], { onWarning: (message) => warnings.push(message) })) files.push(file);
    assert.deepEqual(files.map((file) => path.relative(root, file)), ['src/a.c']);
    assert.ok(warnings.some((warning) => /loop/.test(warning)), warnings.join('\n'));
  });

  it('a file deleted between discovery and reading is reported as unreadable; the others are analyzed', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dg-vanish-'));
    writeFileSync(path.join(root, 'a.c'), POOL_CALL);
    writeFileSync(path.join(root, 'b.c'), POOL_CALL);
    const originalReadFile = fsPromises.readFile;
    // Deletes b.c right before the scanner reads it, as an editor or `git checkout` would during a scan.
    fsPromises.readFile = (async (file: Parameters<typeof originalReadFile>[0], ...rest: unknown[]) => {
      if (String(file).endsWith('b.c')) unlinkSync(String(file));
      return (originalReadFile as (...args: unknown[]) => Promise<Buffer>)(file, ...rest);
    }) as typeof originalReadFile;
    const warnings: string[] = [];
    try {
      const result = await scan({ paths: [root], exclude: [], rules: {}, maxFileSize: 2048 * 1024, onWarning: (message) => warnings.push(message) });
      assert.deepEqual(result.files.map((file) => path.basename(file.file)), ['a.c']);
      assert.ok(result.files[0].result.findings.some((finding) => finding.ruleId === 'deprecated-pool-alloc'));
      assert.deepEqual(result.unreadable.map((entry) => path.basename(entry.file)), ['b.c']);
      assert.match(result.unreadable[0].reason, /ENOENT/);
      assert.ok(warnings.some((warning) => warning.includes('b.c')), warnings.join('\n'));
    } finally {
      fsPromises.readFile = originalReadFile;
    }
  });
});
