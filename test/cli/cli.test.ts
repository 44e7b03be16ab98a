/** The CLI as CI uses it: spawned as a process on temporary folders, checked by exit code and output. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import AjvDraft07 from 'ajv';
import { generateFile } from '../../bench/generate';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'driver-guard.js');
const SCHEMA = path.join(ROOT, 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');

const POOL = "void f(void) { PVOID p = ExAllocatePoolWithTag(PagedPool, 8, 'xx'); }\n";
const OVERFLOW = `NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {
    UCHAR local[16];
    RtlCopyMemory(local, Irp->AssociatedIrp.SystemBuffer, IrpSp->Parameters.DeviceIoControl.InputBufferLength);
    return STATUS_SUCCESS;
}
`;

function run(args: string[], cwd = ROOT) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dg-cli-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('driver-guard CLI', () => {
  it('exits 0 on a clean tree and 1 when findings reach --fail-on', () => {
    const clean = project({ 'ok.c': 'int main(void) { return 0; }\n' });
    assert.equal(run(['scan', clean]).code, 0);
    const dirty = project({ 'pool.c': POOL });
    const text = run(['scan', dirty]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /pool\.c:1:26 +warning +ExAllocatePoolWithTag is deprecated/);
    assert.match(text.stdout, /\[deprecated-pool-alloc · Follow driver secure coding guidelines\]/);
    assert.match(text.stdout, /1 finding \(0 errors, 1 warning, 0 information\) in 1 file/);
  });

  it('--fail-on thresholds and --rule overrides', () => {
    const dir = project({ 'pool.c': POOL });
    assert.equal(run(['scan', dir, '--fail-on', 'error']).code, 0, 'a warning does not fail --fail-on error');
    assert.equal(run(['scan', dir, '--fail-on', 'none']).code, 0);
    assert.equal(run(['scan', dir, '--rule', 'deprecated-pool-alloc=error', '--fail-on', 'error']).code, 1);
    assert.equal(run(['scan', dir, '--rule', 'deprecated-pool-alloc=off']).code, 0);
    assert.equal(run(['scan', dir, '--rule', 'deprecated-pool-alloc=information', '--fail-on', 'information']).code, 1);
  });

  it('usage errors exit 2 with a one-line message', () => {
    for (const args of [['scan', '.', '--bogus'], ['scan', '/no/such/path'], ['scan', '.', '--rule', 'no-such-rule=off'], ['scan', '.', '--rule', 'deprecated-pool-alloc=loud'], ['scan', '.', '--format', 'xml'], ['scan'], ['frobnicate']]) {
      const result = run(args);
      assert.equal(result.code, 2, `${args.join(' ')} → ${result.code}: ${result.stderr}`);
      assert.match(result.stderr, /^driver-guard: error: .+\n$/, `one line for ${args.join(' ')}`);
    }
  });

  it('respects .gitignore and --exclude, and survives a symlink loop', () => {
    const dir = project({
      '.gitignore': 'build/\n*.gen.c\n',
      'src/a.c': POOL,
      'src/b.gen.c': POOL,
      'build/out.c': POOL,
      'third_party/lib.c': POOL,
    });
    symlinkSync(dir, path.join(dir, 'src', 'loop'));
    const result = run(['scan', dir, '--exclude', 'third_party/**', '--format', 'json']);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.findings.map((finding: { file: string }) => path.basename(finding.file)), ['a.c']);
    assert.match(result.stderr, /symbolic link loop/);
  });

  it('JSON output has a stable, documented shape', () => {
    const dir = project({ 'pool.c': POOL });
    const report = JSON.parse(run(['scan', dir, '--format', 'json']).stdout);
    assert.equal(report.version, 1);
    assert.equal(report.tool.name, 'Driver Guard');
    assert.equal(report.files, 1);
    const [finding] = report.findings;
    assert.deepEqual(Object.keys(finding).sort(), ['checklistItem', 'column', 'endColumn', 'endLine', 'file', 'fixes', 'line', 'message', 'related', 'ruleId', 'severity'].sort());
    assert.deepEqual([finding.line, finding.column, finding.endLine, finding.endColumn], [1, 26, 1, 47]);
    assert.equal(finding.fixes[0].preferred, true);
  });

  it('SARIF output validates against the SARIF 2.1.0 schema, with rule metadata, columns and suppressions', () => {
    const dir = project({
      'pool.c': POOL,
      'overflow.c': OVERFLOW,
      'quiet.c': `// driver-guard-ignore-next-line deprecated-pool-alloc: legacy, zeroed by the caller\n${POOL}`,
      'blob.c': 'abc\u0000def',
    });
    const output = path.join(dir, 'report.sarif');
    const result = run(['scan', dir, '--format', 'sarif', '--output', output]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking a parsed SARIF log
    const log: any = JSON.parse(readFileSync(output, 'utf8'));
    // NOTE: the schema's language-code pattern is not valid with the `u` flag, hence unicodeRegExp: false.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
    const valid: boolean = validate(structuredClone(log));
    assert.ok(valid, JSON.stringify(validate.errors, null, 2));
    const run0 = log.runs[0];
    assert.equal(run0.tool.driver.name, 'Driver Guard');
    assert.match(run0.tool.driver.semanticVersion, /^\d+\.\d+\.\d+/);
    const rule = run0.tool.driver.rules.find((candidate: { id: string }) => candidate.id === 'deprecated-pool-alloc');
    assert.match(rule.helpUri, /docs\/rules\/deprecated-pool-alloc\.md$/);
    assert.equal(rule.properties.checklistItem, 'checklist.secure-coding');
    const pool = run0.results.find((candidate: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => candidate.locations[0].physicalLocation.artifactLocation.uri.endsWith('pool.c') && !candidate.locations[0].physicalLocation.artifactLocation.uri.endsWith('quiet.c'));
    assert.equal(run0.tool.driver.rules[pool.ruleIndex].id, pool.ruleId);
    assert.deepEqual(pool.locations[0].physicalLocation.region, { startLine: 1, startColumn: 26, endLine: 1, endColumn: 47 });
    assert.ok(pool.fixes?.length, 'preferred fix exported');
    const suppressed = run0.results.find((candidate: { suppressions?: unknown[] }) => candidate.suppressions);
    assert.deepEqual(suppressed.suppressions, [{ kind: 'inSource', justification: 'legacy, zeroed by the caller' }]);
    const overflow = run0.results.find((candidate: { ruleId: string }) => candidate.ruleId === 'user-length-copy-unchecked');
    assert.equal(overflow.level, 'error');
    assert.ok(overflow.relatedLocations.length > 0);
    assert.ok(run0.invocations[0].toolExecutionNotifications.some((notification: { message: { text: string } }) => /binary/.test(notification.message.text)));
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), [], 'no temp file left behind');
  });

  it('suppressed findings do not fail the build', () => {
    const dir = project({ 'quiet.c': `/* driver-guard-ignore-file deprecated-pool-alloc */\n${POOL}` });
    const result = run(['scan', dir]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /0 findings .*; 1 suppressed/);
  });

  it('npm run demo target: the sample driver shows its planted issues and nothing in the safe code', () => {
    const report = JSON.parse(run(['scan', 'examples', '--format', 'json']).stdout);
    const rules = new Set(report.findings.map((finding: { ruleId: string }) => finding.ruleId));
    for (const ruleId of ['ioctl-method-neither', 'deprecated-pool-alloc', 'user-length-copy-unchecked']) assert.ok(rules.has(ruleId), `sample flags ${ruleId}`);
    const driver = readFileSync(path.join(ROOT, 'examples', 'sample-driver', 'driver.c'), 'utf8').split('\n');
    const safeStart = driver.findIndex((line) => line.includes('SampleSetName(')) + 1;
    const safeEnd = driver.findIndex((line, index) => index > safeStart && line === '}') + 1;
    const inSafe = report.findings.filter((finding: { file: string; line: number }) => finding.file.endsWith('driver.c') && finding.line >= safeStart && finding.line <= safeEnd);
    assert.deepEqual(inSafe, []);
  });

  it('a parallel scan (worker threads) reports exactly what a serial scan reports, in the same order', () => {
    const files: Record<string, string> = {
      // A KMDF callback declared in a header: the workers must see the workspace index the main thread built.
      'include/queue.h': 'EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL SharedEvtIoDeviceControl;\n',
      'shared.c': 'VOID SharedEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    UCHAR local[16];\n    PVOID source = NULL;\n    RtlCopyMemory(local, source, InputBufferLength);\n}\n',
      'blob.c': 'abc\u0000def',
    };
    for (let index = 0; index < 60; index++) files[`component${index % 4}/source${index}.c`] = generateFile(120 + ((index * 53) % 300), 7000 + index);
    const dir = project(files);
    const serial = run(['scan', dir, '--format', 'json', '--fail-on', 'none', '--jobs', '1']);
    const parallel = run(['scan', dir, '--format', 'json', '--fail-on', 'none', '--jobs', '3']);
    const automatic = run(['scan', dir, '--format', 'json', '--fail-on', 'none']);
    assert.equal(serial.code, 0, serial.stderr);
    const report = JSON.parse(serial.stdout);
    assert.equal(report.files, 63);
    assert.ok(report.findings.length > 60, `the generated tree has findings (${report.findings.length})`);
    assert.ok(report.findings.some((finding: { file: string; ruleId: string }) => finding.file.endsWith('shared.c') && finding.ruleId === 'user-length-copy-unchecked'), 'role from the shared header known');
    assert.equal(parallel.stdout, serial.stdout);
    assert.equal(parallel.stderr, serial.stderr);
    assert.equal(automatic.stdout, serial.stdout);
    assert.equal(run(['scan', dir, '--jobs', '0']).code, 2);

    // The cache on worker threads: a cold and a warm run print what the scan without a cache printed.
    const cacheArgs = ['scan', dir, '--format', 'json', '--fail-on', 'none', '--jobs', '3', '--cache', '--cache-location', path.join(dir, 'scan.cache')];
    const cold = run(cacheArgs);
    const warm = run(cacheArgs);
    assert.equal(cold.stdout, serial.stdout);
    assert.equal(warm.stdout, serial.stdout);
    assert.match(cold.stderr, /cache: 0 file\(s\) unchanged, 63 analyzed/);
    assert.match(warm.stderr, /cache: 63 file\(s\) unchanged, 0 analyzed/);
  });

  it('--profile prints the time of each phase and rule on stderr and leaves the report alone', () => {
    const dir = project({ 'pool.c': POOL, 'overflow.c': OVERFLOW });
    const plain = run(['scan', dir, '--format', 'json', '--fail-on', 'none']);
    const profiled = run(['scan', dir, '--format', 'json', '--fail-on', 'none', '--profile']);
    assert.equal(profiled.stdout, plain.stdout);
    for (const phase of ['total', 'discover', 'read and decode', 'workspace index', 'parse', 'walk', 'rule:deprecated-pool-alloc', 'report']) {
      assert.match(profiled.stderr, new RegExp(`^  ${phase.replace(/[()]/g, '\\$&')} +\\d+\\.\\d ms +\\d+\\.\\d %$`, 'm'), `${phase} in\n${profiled.stderr}`);
    }
    assert.equal(run(['scan', dir, '--cache-location', path.join(dir, 'x')]).code, 2, '--cache-location without --cache is a usage error');
  });

  it('--version, --help and list-rules', () => {
    assert.match(run(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
    assert.match(run(['--help']).stdout, /Exit codes: 0 clean/);
    const list = run(['list-rules']);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /user-length-copy-unchecked +error +Follow driver secure coding guidelines/);
    assert.ok(existsSync(BIN));
  });

  it('surface writes the sample driver\'s threat model as Markdown, to stdout or --output', () => {
    const markdown = run(['surface', 'examples']);
    assert.equal(markdown.code, 0, markdown.stderr);
    assert.match(markdown.stdout, /^# Threat model\n/);
    assert.match(markdown.stdout, /## Driver `sample-driver` \(WDM\)/);
    assert.match(markdown.stdout, /\| IOCTL_SAMPLE_STORE \| 0x8337A008 \| BUFFERED \| FILE_WRITE_ACCESS \| `SampleStore` examples\/sample-driver\/driver\.c:38 \| SystemBuffer \| - \| 0 \| 1 \|/);
    assert.match(markdown.stdout, /\*\*Declared but not handled\*\*: `IOCTL_SAMPLE_GET_STATS` \(0x83376003, examples\/sample-driver\/public\.h:10\)/);
    assert.match(markdown.stdout, /```mermaid\nflowchart LR\n/);
    assert.match(markdown.stdout, /- \*\*Elevation of privilege\*\* — .* \*Code:\* METHOD_BUFFERED; FILE_WRITE_ACCESS; 1 unchecked length; findings: `user-length-copy-unchecked` \(examples\/sample-driver\/driver\.c:44\)\./);
    const dir = project({});
    const output = path.join(dir, 'threat-model.md');
    assert.equal(run(['surface', 'examples', '--output', output]).code, 0);
    const written = readFileSync(output, 'utf8');
    assert.equal(written.replace('![Data flow of sample-driver](threat-model.sample-driver.svg)\n\n<details><summary>Mermaid source</summary>\n\n', '').replace('```\n\n</details>\n', '```\n'), markdown.stdout, 'the file is stdout plus the embedded picture');
    assert.match(readFileSync(path.join(dir, 'threat-model.sample-driver.svg'), 'utf8'), /^<svg [^]*IOCTL_SAMPLE_STORE[^]*<\/svg>\n$/);
  });

  it('surface --format json validates against schemas/attack-surface.schema.json, with 1-based lines', () => {
    const json = run(['surface', 'examples', '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    type Located = { file: string; line: number };
    const report = JSON.parse(json.stdout) as {
      summary: { ioctls: number };
      drivers: { name: string; ioctls: { name: string; handlers: { caseLocation: Located; findings: { ruleId: string; line: number; column: number }[] }[] }[] }[];
    };
    const ajv = new AjvDraft07({ strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'attack-surface.schema.json'), 'utf8')));
    assert.ok(validate(report), JSON.stringify(validate.errors));
    const [driver] = report.drivers;
    assert.equal(driver.name, 'sample-driver');
    const store = driver.ioctls.find((ioctl) => ioctl.name === 'IOCTL_SAMPLE_STORE');
    assert.ok(store);
    assert.deepEqual(store.handlers[0].caseLocation, { file: 'examples/sample-driver/driver.c', line: 62 });
    assert.deepEqual(store.handlers[0].findings.map((finding) => [finding.ruleId, finding.line, finding.column]), [['user-length-copy-unchecked', 44, 5]]);
    assert.equal(report.summary.ioctls, 3);
  });

  it('surface usage errors exit 2', () => {
    for (const args of [['surface'], ['surface', 'examples', '--format', 'sarif'], ['surface', 'examples', '--cache'], ['surface', '/no/such/path']]) {
      const result = run(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^driver-guard: error: /);
    }
  });
});
