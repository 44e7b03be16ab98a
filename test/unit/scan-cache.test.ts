/** `driver-guard scan --cache`: what is taken over, what is analyzed again, and what a damaged cache file does. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { scan, type ScanOptions, type ScanResult } from '../../server/src/cli/scan';
import { main } from '../../server/src/cli/main';

const HEADER = '#define IOCTL_READ_THING CTL_CODE(0x8000, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)\n';

const DISPATCH = `#include "ioctl.h"
DRIVER_DISPATCH DispatchIoctl;
NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PULONG input = (PULONG)stack->Parameters.DeviceIoControl.Type3InputBuffer;
    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_READ_THING:
        Irp->IoStatus.Information = *input;
        break;
    default:
        Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}
`;

const POOL = "void Helper(void) { PVOID p = ExAllocatePoolWithTag(NonPagedPool, 8, 'gaT1'); }\n";

function tree(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dg-cache-'));
  writeFileSync(path.join(root, 'ioctl.h'), HEADER);
  writeFileSync(path.join(root, 'dispatch.c'), DISPATCH);
  writeFileSync(path.join(root, 'pool.c'), POOL);
  return root;
}

async function run(root: string, extra: Partial<ScanOptions> = {}, warnings: string[] = []): Promise<ScanResult> {
  return scan({
    paths: [root],
    exclude: [],
    rules: {},
    maxFileSize: 2048 * 1024,
    jobs: 1,
    cache: { location: path.join(root, '.driver-guard-cache'), key: 'test-key' },
    onWarning: (message) => warnings.push(message),
    ...extra,
  });
}

/** The findings of a scan by file name: what a report prints. */
function report(result: ScanResult): Record<string, string[]> {
  return Object.fromEntries(result.files.map(({ file, result: fileResult }) => [path.basename(file), fileResult.findings.map((finding) => `${finding.ruleId}@${finding.range.start.line}:${finding.severity}`)]));
}

describe('scan cache', () => {
  it('a second scan of an unchanged tree takes every result from the cache and reports the same', async () => {
    const root = tree();
    const first = await run(root);
    assert.deepEqual(first.cache, { reused: 0, analyzed: 3 });
    assert.ok(report(first)['pool.c'].some((line) => line.startsWith('deprecated-pool-alloc@')), JSON.stringify(report(first)));
    const second = await run(root);
    assert.deepEqual(second.cache, { reused: 3, analyzed: 0 });
    assert.deepEqual(second.files, first.files);
  });

  it('an edited file is analyzed again, and only that file', async () => {
    const root = tree();
    await run(root);
    writeFileSync(path.join(root, 'pool.c'), POOL.replace('ExAllocatePoolWithTag(NonPagedPool, 8,', 'ExAllocatePool2(POOL_FLAG_NON_PAGED, 8,'));
    const second = await run(root);
    assert.deepEqual(second.cache, { reused: 2, analyzed: 1 });
    assert.deepEqual(report(second)['pool.c'].filter((line) => line.startsWith('deprecated-pool-alloc@')), []);
    assert.deepEqual(second.files, (await run(root, { cache: undefined })).files, 'the cached scan equals a scan without a cache');
  });

  it('a header edit re-analyzes the files that used the changed macro, not the others', async () => {
    const root = tree();
    const first = await run(root);
    writeFileSync(path.join(root, 'ioctl.h'), HEADER.replace('METHOD_BUFFERED', 'METHOD_NEITHER'));
    const second = await run(root);
    // ioctl.h itself and dispatch.c (which resolves IOCTL_READ_THING); pool.c asked nothing that changed.
    assert.deepEqual(second.cache, { reused: 1, analyzed: 2 });
    assert.deepEqual(second.files, (await run(root, { cache: undefined })).files, 'the cached scan equals a scan without a cache');
    assert.deepEqual(report(second)['pool.c'], report(first)['pool.c']);
  });

  it('two drivers defining the same macro differently: each file takes its own driver\'s, and editing one re-analyzes only its files', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dg-cache-'));
    for (const [driver, method] of [['alpha', 'METHOD_BUFFERED'], ['beta', 'METHOD_NEITHER']]) {
      mkdirSync(path.join(root, driver));
      writeFileSync(path.join(root, driver, 'ioctl.h'), HEADER.replace('METHOD_BUFFERED', method));
      writeFileSync(path.join(root, driver, 'dispatch.c'), DISPATCH);
    }
    // The method each driver's dispatch.c resolves its case label to (the attack-surface facts of the file).
    const methods = (result: ScanResult) => Object.fromEntries(result.files.filter(({ file }) => file.endsWith('.c')).map(({ file, result: fileResult }) => [path.relative(root, file).replace(/\\/g, '/'), fileResult.surface?.cases.map((entry) => entry.code?.method)]));
    const first = await run(root);
    // The workspace's first definition used to win for both drivers.
    assert.deepEqual(methods(first), { 'alpha/dispatch.c': ['METHOD_BUFFERED'], 'beta/dispatch.c': ['METHOD_NEITHER'] });
    writeFileSync(path.join(root, 'beta', 'ioctl.h'), HEADER.replace('METHOD_BUFFERED', 'METHOD_OUT_DIRECT'));
    const second = await run(root);
    // beta's header and beta's dispatch.c; alpha's files asked about alpha's definition, which did not change.
    assert.deepEqual(second.cache, { reused: 2, analyzed: 2 });
    assert.deepEqual(methods(second), { 'alpha/dispatch.c': ['METHOD_BUFFERED'], 'beta/dispatch.c': ['METHOD_OUT_DIRECT'] });
    assert.deepEqual(second.files, (await run(root, { cache: undefined })).files, 'the cached scan equals a scan without a cache');
    writeFileSync(path.join(root, 'alpha', 'ioctl.h'), HEADER.replace('METHOD_BUFFERED', 'METHOD_IN_DIRECT'));
    const third = await run(root);
    assert.deepEqual(third.cache, { reused: 2, analyzed: 2 });
    assert.deepEqual(methods(third), { 'alpha/dispatch.c': ['METHOD_IN_DIRECT'], 'beta/dispatch.c': ['METHOD_OUT_DIRECT'] });
    assert.deepEqual(third.files, (await run(root, { cache: undefined })).files, 'the cached scan equals a scan without a cache');
  });

  it('a cache written under other settings is not used', async () => {
    const root = tree();
    await run(root);
    const other = await run(root, { cache: { location: path.join(root, '.driver-guard-cache'), key: 'another-key' } });
    assert.deepEqual(other.cache, { reused: 0, analyzed: 3 });
  });

  it('the CLI keys the cache by the rule overrides: changing --rule analyzes everything again', async () => {
    const root = tree();
    const cacheFile = path.join(root, 'cache.json');
    const stderr: string[] = [];
    const originalWrite = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      stderr.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const args = ['scan', root, '--format', 'json', '--output', path.join(root, 'report.json'), '--fail-on', 'none', '--jobs', '1', '--cache', '--cache-location', cacheFile];
      assert.equal(await main(args), 0);
      assert.equal(await main(args), 0);
      assert.equal(await main([...args, '--rule', 'deprecated-pool-alloc=off']), 0);
    } finally {
      process.stderr.write = originalWrite;
    }
    const lines = stderr.filter((line) => line.includes('cache:'));
    assert.deepEqual(lines.map((line) => line.trim()), [
      'driver-guard: cache: 0 file(s) unchanged, 3 analyzed',
      'driver-guard: cache: 3 file(s) unchanged, 0 analyzed',
      'driver-guard: cache: 0 file(s) unchanged, 3 analyzed',
    ]);
  });

  it('a damaged cache file is ignored with a warning and rebuilt', async () => {
    const root = tree();
    const first = await run(root);
    const location = path.join(root, '.driver-guard-cache');
    writeFileSync(location, readFileSync(location, 'utf8').slice(0, 200));
    const warnings: string[] = [];
    const second = await run(root, {}, warnings);
    assert.ok(warnings.some((warning) => /ignoring the scan cache .*rebuilt/.test(warning)), warnings.join('\n'));
    assert.deepEqual(second.cache, { reused: 0, analyzed: 3 });
    assert.deepEqual(second.files, first.files);
    assert.deepEqual((await run(root)).cache, { reused: 3, analyzed: 0 }, 'the rebuilt cache is used by the next scan');
  });

  it('a cache entry that does not have the expected shape is not trusted', async () => {
    const root = tree();
    await run(root);
    const location = path.join(root, '.driver-guard-cache');
    const data = JSON.parse(readFileSync(location, 'utf8'));
    const first = Object.keys(data.files)[0];
    data.files[first].result = { findings: 'none' };
    writeFileSync(location, JSON.stringify(data));
    const warnings: string[] = [];
    const second = await run(root, {}, warnings);
    assert.ok(warnings.some((warning) => warning.includes('malformed')), warnings.join('\n'));
    assert.deepEqual(second.cache, { reused: 0, analyzed: 3 });
  });

  it('a file that is not a Driver Guard cache is ignored with a warning and replaced', async () => {
    const root = tree();
    const location = path.join(root, '.driver-guard-cache');
    writeFileSync(location, JSON.stringify({ name: 'some other tool', files: [] }));
    const warnings: string[] = [];
    const result = await run(root, {}, warnings);
    assert.ok(warnings.some((warning) => warning.includes('not a Driver Guard scan cache')), warnings.join('\n'));
    assert.deepEqual(result.cache, { reused: 0, analyzed: 3 });
    assert.equal(JSON.parse(readFileSync(location, 'utf8')).format, 'driver-guard-scan-cache');
  });
});
