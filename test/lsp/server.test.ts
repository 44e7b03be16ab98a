/**
 * Protocol-level test: starts the bundled server (dist/server.js) over stdio like an editor would, opens a driver
 * file, and checks diagnostics, quick fixes, incremental edits and settings changes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { CodeAction, Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { createAnalyzer } from '../../server/src/core';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const URI = 'file:///tmp/driver-guard-lsp-test/driver.c';
const TEXT = `#define IOCTL_X CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)
NTSTATUS Dispatch(_In_ PDEVICE_OBJECT DeviceObject, _Inout_ PIRP Irp) {
    PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 16, 'gDvD');
    return STATUS_SUCCESS;
}
`;

describe('language server over LSP', () => {
  let server: ChildProcessWithoutNullStreams;
  let connection: MessageConnection;
  let settings: Record<string, unknown> = {};
  const published = new Map<string, PublishDiagnosticsParams[]>();
  let stderr = '';

  /** Waits for a publishDiagnostics of the document that satisfies a predicate. */
  function waitForDiagnostics(predicate: (diagnostics: Diagnostic[]) => boolean, timeoutMs = 10000): Promise<Diagnostic[]> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        const latest = published.get(URI)?.at(-1);
        if (latest && predicate(latest.diagnostics)) return resolve(latest.diagnostics);
        if (Date.now() - started > timeoutMs) return reject(new Error(`timed out; last diagnostics: ${JSON.stringify(latest?.diagnostics.map((d) => d.code))}; stderr: ${stderr}`));
        setTimeout(poll, 20);
      };
      poll();
    });
  }

  before(async () => {
    server = spawn(process.execPath, [path.join(ROOT, 'dist', 'server.js'), '--stdio'], { stdio: 'pipe' });
    server.stderr.on('data', (chunk) => (stderr += chunk));
    connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
    connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      published.set(params.uri, [...(published.get(params.uri) ?? []), params]);
    });
    connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => settings));
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onNotification(() => undefined);
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: null,
      capabilities: { workspace: { configuration: true }, textDocument: { publishDiagnostics: { relatedInformation: true } } },
      initializationOptions: { debounceMs: 0 },
    });
    await connection.sendNotification('initialized', {});
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'c', version: 1, text: TEXT } });
  });

  after(() => {
    connection?.dispose();
    server?.kill();
  });

  it('publishes diagnostics with rule id, docs link, source and checklist item', async () => {
    const diagnostics = await waitForDiagnostics((list) => list.length >= 2);
    const pool = diagnostics.find((diagnostic) => diagnostic.code === 'deprecated-pool-alloc');
    assert.ok(pool, 'deprecated-pool-alloc reported');
    assert.equal(pool.source, 'Driver Guard');
    assert.match(pool.codeDescription?.href ?? '', /docs\/rules\/deprecated-pool-alloc\.md$/);
    assert.match(String(pool.message), /checklist: Follow driver secure coding guidelines/);
    assert.deepEqual(pool.range.start, { line: 2, character: 14 });
  });

  it('offers the preferred quick fix, suppressions and docs for a diagnostic', async () => {
    const diagnostics = await waitForDiagnostics((list) => list.some((d) => d.code === 'deprecated-pool-alloc'));
    const pool = diagnostics.find((diagnostic) => diagnostic.code === 'deprecated-pool-alloc')!;
    const actions: CodeAction[] = await connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri: URI },
      range: pool.range,
      context: { diagnostics: [pool] },
    });
    const preferred = actions.filter((action) => action.isPreferred);
    assert.equal(preferred.length, 1);
    assert.equal(preferred[0].kind, 'quickfix');
    assert.deepEqual(preferred[0].diagnostics?.map((d) => d.code), ['deprecated-pool-alloc']);
    const edits = preferred[0].edit?.changes?.[URI] ?? [];
    assert.ok(edits.some((edit) => edit.newText === 'ExAllocatePool2'));
    const titles = actions.map((action) => action.title);
    assert.ok(titles.includes('Suppress deprecated-pool-alloc on this line'));
    assert.ok(titles.includes('Suppress deprecated-pool-alloc in this file'));
    assert.ok(titles.includes('Show documentation for deprecated-pool-alloc'));
    const suppress = actions.find((action) => action.title === 'Suppress deprecated-pool-alloc on this line')!;
    assert.equal(suppress.edit?.changes?.[URI]?.[0].newText, '    // driver-guard-ignore-next-line deprecated-pool-alloc: explain why this is safe\n');
  });

  it('re-analyzes after an incremental edit', async () => {
    await connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: URI, version: 2 },
      contentChanges: [{ range: { start: { line: 2, character: 14 }, end: { line: 2, character: 35 } }, text: 'ExAllocatePool2' }],
    });
    const diagnostics = await waitForDiagnostics((list) => !list.some((d) => d.code === 'deprecated-pool-alloc'));
    assert.ok(diagnostics.some((d) => d.code === 'ioctl-method-neither'), 'other findings stay');
  });

  it('applies a settings change: a rule turned off disappears, a bad value is reported', async () => {
    const warnings: string[] = [];
    connection.onNotification('driverGuard/settingsWarning', (params: { messages: string[] }) => {
      warnings.push(...params.messages);
    });
    settings = { rules: { 'ioctl-method-neither': 'off', 'deprecated-pool-alloc': 'loud' } };
    await connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await waitForDiagnostics((list) => !list.some((d) => d.code === 'ioctl-method-neither'));
    const started = Date.now();
    while (warnings.length === 0 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(warnings.some((warning) => warning.includes('driverGuard.rules.deprecated-pool-alloc')), `warnings: ${warnings}`);
    settings = {};
    await connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await waitForDiagnostics((list) => list.some((d) => d.code === 'ioctl-method-neither'));
  });

  it('findings of untouched functions follow an edit above them (the server reuses them between edits)', async () => {
    const uri = 'file:///tmp/driver-guard-lsp-test/two.c';
    const text = [
      'NTSTATUS First(PIRP Irp) {',
      "    PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 16, 'gDvD');",
      '    return STATUS_SUCCESS;',
      '}',
      'VOID Second(PVOID q) {',
      "    ExFreePoolWithTag(q, 'gDvD');",
      "    ExFreePoolWithTag(q, 'gDvD');",
      '}',
      '',
    ].join('\n');
    const latest = () => published.get(uri)?.at(-1);
    const waitForVersion = async (version: number) => {
      const started = Date.now();
      while (latest()?.version !== version && Date.now() - started < 10000) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(latest()?.version, version, stderr);
      return latest()!.diagnostics;
    };
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
    const before = await waitForVersion(1);
    assert.deepEqual(before.map((d) => [d.code, d.range.start.line]), [['deprecated-pool-alloc', 1], ['double-free', 6]]);
    assert.match(String(before[1].message), /already freed it on line 6 /);
    // Two lines typed into First: Second's double free is taken over from the last analysis, two lines lower.
    await connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: '    ULONG a = 0;\n    ULONG b = a;\n' }],
    });
    const after = await waitForVersion(2);
    assert.deepEqual(after.map((d) => [d.code, d.range.start.line, d.range.start.character, d.range.end.line]), [['deprecated-pool-alloc', 1, 14, 1], ['double-free', 8, 4, 8]]);
    assert.match(String(after[1].message), /already freed it on line 8 /);
    assert.equal(after[1].relatedInformation?.[0]?.location.range.start.line, 7);
    await connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  });

  it('analyzes a C++ document (the C++ grammar is loaded on first use)', async () => {
    const uri = 'file:///tmp/driver-guard-lsp-test/filter.cpp';
    const text = "namespace drv { void f() { PVOID p = ExAllocatePoolWithTag(PagedPool, 8, 'xx'); } }\n";
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'cpp', version: 1, text } });
    const started = Date.now();
    while (!published.get(uri) && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(published.get(uri)?.at(-1)?.diagnostics.map((d) => d.code), ['deprecated-pool-alloc'], stderr);
    await connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  });

  it('reports a skipped binary file instead of analyzing it', async () => {
    const uri = 'file:///tmp/driver-guard-lsp-test/blob.c';
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: 'abc\u0000\u0001def' } });
    const started = Date.now();
    while (!published.get(uri) && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
    const diagnostics = published.get(uri)?.at(-1)?.diagnostics ?? [];
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].code, 'file-skipped');
    assert.match(String(diagnostics[0].message), /binary/);
  });
});

describe('workspace scan over LSP', () => {
  let server: ChildProcessWithoutNullStreams;
  let connection: MessageConnection;
  let folder: string;
  const latest = new Map<string, Diagnostic[]>();
  const progress: string[] = [];

  before(async () => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'dg-scan-'));
    mkdirSync(path.join(folder, 'inc'));
    mkdirSync(path.join(folder, 'external'));
    writeFileSync(path.join(folder, 'inc', 'ioctl.h'), '#define IOCTL_SCAN CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS)\n');
    writeFileSync(path.join(folder, 'driver.c'), "void f(void) { PVOID p = ExAllocatePoolWithTag(PagedPool, 8, 'xx'); }\n");
    writeFileSync(path.join(folder, 'external', 'vendor.c'), "void g(void) { PVOID p = ExAllocatePoolWithTag(PagedPool, 8, 'xx'); }\n");
    server = spawn(process.execPath, [path.join(ROOT, 'dist', 'server.js'), '--stdio'], { stdio: 'pipe' });
    connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
    connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      latest.set(params.uri, params.diagnostics);
    });
    connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => ({ exclude: ['external/**'] })));
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onNotification('$/progress', (params: { value: { kind: string } }) => {
      progress.push(params.value.kind);
    });
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: [{ uri: `file://${folder}`, name: 'scan' }],
      capabilities: { workspace: { configuration: true }, window: { workDoneProgress: true } },
      initializationOptions: { debounceMs: 0 },
    });
    await connection.sendNotification('initialized', {});
  });

  after(() => {
    connection?.dispose();
    server?.kill();
    rmSync(folder, { recursive: true, force: true });
  });

  it('reports findings of files that are not open, respects excludes, shows progress', async () => {
    const result: { files: number; findings: number; cancelled: boolean } = await connection.sendRequest('driverGuard/scanWorkspace', {});
    assert.equal(result.files, 2, 'driver.c and inc/ioctl.h; external/ is excluded');
    assert.equal(result.cancelled, false);
    assert.deepEqual(latest.get(`file://${folder}/driver.c`)?.map((d) => d.code), ['deprecated-pool-alloc']);
    assert.deepEqual(latest.get(`file://${folder}/inc/ioctl.h`)?.map((d) => d.code).sort(), ['ioctl-file-any-access', 'ioctl-method-neither']);
    assert.equal(latest.has(`file://${folder}/external/vendor.c`), false);
    assert.ok(progress.includes('begin') && progress.includes('end'), `progress: ${progress}`);
    const evidence: { findings: { checklistItem: string; uri: string }[] } = await connection.sendRequest('driverGuard/findings', { folderUri: `file://${folder}` });
    const published = [...latest.values()].reduce((total, diagnostics) => total + diagnostics.length, 0);
    assert.equal(evidence.findings.length, published, 'every published finding is evidence');
    assert.deepEqual([...new Set(evidence.findings.map((finding) => finding.checklistItem))].sort(), ['checklist.access-control', 'checklist.secure-coding']);
  });

  it('keeps results current when a scanned file changes or is deleted on disk', async () => {
    writeFileSync(path.join(folder, 'driver.c'), "void f(void) { PVOID p = ExAllocatePool2(POOL_FLAG_PAGED, 8, 'xx'); }\n");
    await connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: `file://${folder}/driver.c`, type: 2 }] });
    const started = Date.now();
    while ((latest.get(`file://${folder}/driver.c`)?.length ?? 0) > 0 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(latest.get(`file://${folder}/driver.c`), []);
    rmSync(path.join(folder, 'inc', 'ioctl.h'));
    await connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: `file://${folder}/inc/ioctl.h`, type: 3 }] });
    while ((latest.get(`file://${folder}/inc/ioctl.h`)?.length ?? 0) > 0 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(latest.get(`file://${folder}/inc/ioctl.h`), []);
    const evidence: { findings: unknown[] } = await connection.sendRequest('driverGuard/findings', { folderUri: `file://${folder}` });
    assert.equal(evidence.findings.length, 0);
  });

  it('drops the findings of every scanned file below a deleted folder', async () => {
    mkdirSync(path.join(folder, 'gone', 'deeper'), { recursive: true });
    writeFileSync(path.join(folder, 'gone', 'deeper', 'pool.c'), "void g(void) { PVOID p = ExAllocatePoolWithTag(PagedPool, 8, 'xx'); }\n");
    await connection.sendRequest('driverGuard/scanWorkspace', {});
    const uri = `file://${folder}/gone/deeper/pool.c`;
    assert.deepEqual(latest.get(uri)?.map((d) => d.code), ['deprecated-pool-alloc']);
    rmSync(path.join(folder, 'gone'), { recursive: true });
    await connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: `file://${folder}/gone`, type: 3 }] });
    const started = Date.now();
    while ((latest.get(uri)?.length ?? 0) > 0 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(latest.get(uri), []);
    const evidence: { findings: { uri: string }[] } = await connection.sendRequest('driverGuard/findings', { folderUri: `file://${folder}` });
    assert.deepEqual(evidence.findings.filter((finding) => finding.uri === uri), []);
  });
});

describe('an analysis cut short by its time budget', () => {
  let server: ChildProcessWithoutNullStreams;
  let connection: MessageConnection;
  const uri = 'file:///tmp/driver-guard-lsp-test/budget.c';
  const published: PublishDiagnosticsParams[] = [];
  const logs: string[] = [];
  const text = [TEXT, ...Array.from({ length: 30 }, (_, index) => `VOID Helper${index}(VOID) {\n    PVOID p = ExAllocatePoolWithTag(NonPagedPool, 16, 'gDvD');\n    ExFreePoolWithTag(p, 'gDvD');\n}\n`)].join('\n');

  before(async () => {
    server = spawn(process.execPath, [path.join(ROOT, 'dist', 'server.js'), '--stdio'], { stdio: 'pipe' });
    connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
    connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      if (params.uri === uri) published.push(params);
    });
    connection.onNotification('window/logMessage', (params: { message: string }) => {
      logs.push(params.message);
    });
    connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => ({})));
    connection.onRequest('client/registerCapability', () => null);
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: null,
      capabilities: { workspace: { configuration: true, workspaceFolders: true } },
      initializationOptions: { debounceMs: 0, ruleBudgetMs: 0.001 },
    });
    await connection.sendNotification('initialized', {});
  });

  after(() => {
    connection?.dispose();
    server?.kill();
  });

  it('is published as it is, then run again without a limit: the findings become complete with no edit', async () => {
    const analyzer = await createAnalyzer({ preload: ['c'] });
    const expected = analyzer.analyze({ text, fileName: '/tmp/driver-guard-lsp-test/budget.c' }).findings.filter((finding) => !finding.suppression).map((finding) => `${finding.ruleId}@${finding.range.start.line}`).sort();
    assert.ok(expected.some((entry) => entry.startsWith('ioctl-method-neither')) && expected.some((entry) => entry.startsWith('deprecated-pool-alloc')));
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
    const codes = (params: PublishDiagnosticsParams | undefined) => (params?.diagnostics ?? []).map((d) => `${String(d.code)}@${d.range.start.line}`).sort();
    const started = Date.now();
    while (JSON.stringify(codes(published.at(-1))) !== JSON.stringify(expected) && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(logs.some((message) => /incomplete: analysis exceeded its time budget.*running it again/.test(message)), `the first analysis was cut short; log: ${logs.join(' | ')}`);
    assert.ok(published.length >= 2, `a partial result, then the retried one (${published.length} published)`);
    assert.deepEqual(codes(published.at(-1)), expected);
    assert.ok(published.every((params) => params.version === 1));
  });
});

describe('attack surface over LSP', () => {
  let server: ChildProcessWithoutNullStreams;
  let connection: MessageConnection;
  let folder: string;
  const DRIVER = [
    '#define IOCTL_LSP_READ CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_READ_ACCESS)',
    '#define IOCTL_LSP_WRITE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_NEITHER, FILE_ANY_ACCESS)',
    'NTSTATUS Control(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
    '{',
    '    switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {',
    '    case IOCTL_LSP_READ:',
    '        return STATUS_SUCCESS;',
    '    }',
    '    return STATUS_INVALID_DEVICE_REQUEST;',
    '}',
    'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)',
    '{',
    '    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Control;',
    '    return STATUS_SUCCESS;',
    '}',
    '',
  ].join('\n');
  type Surface = { surface: { drivers: { name: string; ioctls: { name: string; declaredOnly: boolean }[] }[] }; summary: string; report?: string };

  before(async () => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'dg-surface-'));
    mkdirSync(path.join(folder, 'drv'));
    writeFileSync(path.join(folder, 'drv', 'driver.c'), DRIVER);
    server = spawn(process.execPath, [path.join(ROOT, 'dist', 'server.js'), '--stdio'], { stdio: 'pipe' });
    connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
    connection.onNotification('textDocument/publishDiagnostics', () => undefined);
    connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => ({})));
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: [{ uri: `file://${folder}`, name: 'surface' }],
      capabilities: { workspace: { configuration: true } },
      initializationOptions: { debounceMs: 0 },
    });
    await connection.sendNotification('initialized', {});
  });

  after(() => {
    connection?.dispose();
    server?.kill();
    rmSync(folder, { recursive: true, force: true });
  });

  it('serves the model and the report after a scan, and follows an edit of the open document', async () => {
    await connection.sendRequest('driverGuard/scanWorkspace', {});
    const scanned: Surface = await connection.sendRequest('driverGuard/attackSurface', { folderUri: `file://${folder}`, report: true });
    assert.deepEqual(scanned.surface.drivers.map((driver) => driver.name), ['drv']);
    assert.deepEqual(scanned.surface.drivers[0].ioctls.map((ioctl) => [ioctl.name, ioctl.declaredOnly]), [['IOCTL_LSP_WRITE', true], ['IOCTL_LSP_READ', false]]);
    assert.equal(scanned.summary, '0 devices, 2 IOCTLs');
    assert.match(scanned.report ?? '', /\| IOCTL_LSP_READ \| 0x00226400 \| BUFFERED \| FILE_READ_ACCESS \| `Control \(inline\)` \[drv\/driver\.c:6\]\(drv\/driver\.c#L6\)/);

    const uri = `file://${folder}/drv/driver.c`;
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: DRIVER } });
    const edited = DRIVER.replace('    case IOCTL_LSP_READ:\n', '    case IOCTL_LSP_READ:\n    case IOCTL_LSP_WRITE:\n');
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: edited }] });
    const started = Date.now();
    let current: Surface | undefined;
    while (Date.now() - started < 10_000) {
      current = await connection.sendRequest('driverGuard/attackSurface', { folderUri: `file://${folder}` });
      if (current?.surface.drivers[0]?.ioctls.every((ioctl) => !ioctl.declaredOnly)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(current?.surface.drivers[0].ioctls.map((ioctl) => [ioctl.name, ioctl.declaredOnly]), [['IOCTL_LSP_WRITE', false], ['IOCTL_LSP_READ', false]]);
  });
});
