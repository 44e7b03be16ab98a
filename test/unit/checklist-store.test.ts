import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ChecklistFileError, ChecklistStore, writeFileAtomic } from '../../client/src/checklist/store';
import { parseState, serializeState, STATE_FILE_RELATIVE, type ChecklistState } from '../../client/src/checklist/state';

const SECURE = 'checklist.secure-coding';
const THREAT = 'checklist.threat-model';
const roots: string[] = [];

function tempFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dg-checklist-'));
  roots.push(dir);
  return dir;
}

function stateFile(folder: string): string {
  return path.join(folder, ...STATE_FILE_RELATIVE.split('/'));
}

function store(file: string, author = 'tester'): ChecklistStore {
  return new ChecklistStore(file, { author: () => author, now: () => new Date('2026-11-25T04:00:00.000Z') });
}

function readState(file: string): ChecklistState {
  const parsed = parseState(readFileSync(file, 'utf8'));
  assert.equal(parsed.kind, 'ok', `the file parses: ${readFileSync(file, 'utf8').slice(0, 200)}`);
  return (parsed as { state: ChecklistState }).state;
}

after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('checklist store', () => {
  it('a missing file is an empty checklist and is not created by reading', async () => {
    const file = stateFile(tempFolder());
    const snapshot = await store(file).load();
    assert.equal(snapshot.kind, 'ok');
    assert.equal(snapshot.kind === 'ok' && snapshot.exists, false);
    assert.equal(existsSync(file), false);
  });

  it('writes atomically: valid content, creates .vscode, no temp files left', async () => {
    const file = stateFile(tempFolder());
    const checklist = store(file, 'Ada Lovelace');
    await checklist.update(SECURE, { status: 'done' });
    await checklist.update(THREAT, { note: 'docs/threat-model.md' });
    const state = readState(file);
    assert.deepEqual(state.items[SECURE], { status: 'done', updatedBy: 'Ada Lovelace', updatedAt: '2026-11-25T04:00:00.000Z' });
    assert.equal(state.items[THREAT].note, 'docs/threat-model.md');
    assert.deepEqual(readdirSync(path.dirname(file)), ['driver-security-checklist.json']);
    assert.equal(readFileSync(file, 'utf8'), serializeState(state));
  });

  it('a corrupt file is an error state, changes are refused and the file is untouched', async () => {
    const file = stateFile(tempFolder());
    mkdirSync(path.dirname(file), { recursive: true });
    for (const text of ['{ "version": 1, "items": { "checklist.secure-coding": { "status": "done", } } ', '{"version":1,"items":{"x":{"status":"maybe"}}}\n']) {
      writeFileSync(file, text);
      const checklist = store(file);
      assert.equal((await checklist.load()).kind, 'corrupt');
      await assert.rejects(checklist.update(SECURE, { status: 'done' }), ChecklistFileError);
      await assert.rejects(checklist.reset(), ChecklistFileError);
      assert.equal(readFileSync(file, 'utf8'), text);
    }
  });

  it('a newer-version file is never overwritten', async () => {
    const file = stateFile(tempFolder());
    mkdirSync(path.dirname(file), { recursive: true });
    const text = JSON.stringify({ version: 7, items: { [SECURE]: { status: 'verified' } } });
    writeFileSync(file, text);
    const checklist = store(file);
    const snapshot = await checklist.load();
    assert.equal(snapshot.kind, 'newer');
    await assert.rejects(checklist.update(SECURE, { status: 'open' }), /version 7/);
    assert.equal(readFileSync(file, 'utf8'), text);
  });

  it('"Back Up and Reset" keeps a copy and writes a fresh file', async () => {
    const file = stateFile(tempFolder());
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'garbage');
    const checklist = store(file);
    await checklist.load();
    const backup = await checklist.backupAndReset();
    assert.ok(backup && backup.startsWith(`${file}.bak-20261125T040000Z`));
    assert.equal(readFileSync(backup, 'utf8'), 'garbage');
    assert.deepEqual(readState(file).items, {});
    assert.equal(checklist.snapshot?.kind, 'ok');
    const second = await store(file).backupAndReset();
    assert.notEqual(second, backup, 'an existing backup is never overwritten');
  });

  it('keeps unknown item ids on write', async () => {
    const file = stateFile(tempFolder());
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ version: 1, items: { 'checklist.added-later': { status: 'not-applicable', reason: 'n/a' } } }));
    const checklist = store(file);
    await checklist.update(SECURE, { status: 'done' });
    await checklist.reset();
    assert.deepEqual(readState(file).items, { 'checklist.added-later': { status: 'not-applicable', reason: 'n/a' } });
  });

  it('picks up an external edit on load and tells listeners', async () => {
    const file = stateFile(tempFolder());
    const checklist = store(file);
    await checklist.update(SECURE, { status: 'done' });
    const seen: string[] = [];
    checklist.onDidChange((snapshot) => seen.push(snapshot.kind));
    await checklist.load();
    assert.deepEqual(seen, [], 'no change, no event');
    writeFileSync(file, JSON.stringify({ version: 1, items: { [THREAT]: { status: 'done' } } }, null, 2));
    const snapshot = await checklist.load();
    assert.deepEqual(seen, ['ok']);
    assert.equal(snapshot.kind === 'ok' && snapshot.state.items[THREAT].status, 'done');
    assert.equal(snapshot.kind === 'ok' && snapshot.state.items[SECURE], undefined);
  });

  it('two writers on the same file: interleaved changes are all kept', async () => {
    const file = stateFile(tempFolder());
    const first = store(file, 'first');
    const second = store(file, 'second');
    await first.load();
    await second.load();
    const ids = ['checklist.secure-coding', 'checklist.threat-model', 'checklist.access-control', 'checklist.peer-review', 'checklist.binskim', 'checklist.codeql'];
    for (let index = 0; index < ids.length; index++) {
      const writer = index % 2 === 0 ? first : second;
      await writer.update(ids[index], { status: 'done' });
    }
    // Concurrent changes from both, each store serializing its own queue.
    await Promise.all([first.update('checklist.sal-annotations', { status: 'not-applicable', reason: 'C++ only' }), second.update('checklist.hlk-tests', { note: 'HLK run 42' })]);
    const state = readState(file);
    for (const id of ids) assert.equal(state.items[id]?.status, 'done', id);
    assert.equal(state.items['checklist.secure-coding'].updatedBy, 'first');
    assert.equal(state.items['checklist.threat-model'].updatedBy, 'second');
    assert.equal(state.items['checklist.sal-annotations'].reason, 'C++ only');
    assert.equal(state.items['checklist.hlk-tests'].note, 'HLK run 42');
  });

  it('a writer killed mid-save leaves the old or the new content, never a mix', async () => {
    const file = stateFile(tempFolder());
    const big = (tag: string): string => {
      const items: ChecklistState['items'] = {};
      for (let index = 0; index < 6000; index++) items[`checklist.generated-${index}`] = { status: 'done', note: `${tag} ${'x'.repeat(120)}` };
      return serializeState({ version: 1, items });
    };
    const contents = [big('A'), big('B')];
    await writeFileAtomic(file, contents[0]);
    const storeModule = path.resolve(__dirname, '..', '..', 'client', 'src', 'checklist', 'store.js');
    const childFile = path.join(path.dirname(path.dirname(file)), 'writer.js');
    writeFileSync(childFile, `
      const { writeFileAtomic } = require(${JSON.stringify(storeModule)});
      const contents = ${JSON.stringify(contents)};
      (async () => {
        process.send('ready');
        for (let i = 1; ; i++) await writeFileAtomic(${JSON.stringify(file)}, contents[i % 2]);
      })();
    `);
    for (let round = 0; round < 12; round++) {
      const proc = spawn(process.execPath, [childFile], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      await new Promise<void>((resolve, reject) => {
        proc.once('message', () => resolve());
        proc.once('error', reject);
        proc.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
      });
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 120)));
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGKILL');
      await exited;
      const text = readFileSync(file, 'utf8');
      assert.ok(text === contents[0] || text === contents[1], `round ${round}: the file is one complete version (${text.length} chars)`);
    }
    // A killed writer can leave its temp file; the target is never affected by it, and loading removes old ones.
    assert.equal(parseState(readFileSync(file, 'utf8')).kind, 'ok');
    const old = new Date(Date.now() - 5 * 60_000);
    for (const name of readdirSync(path.dirname(file)).filter((entry) => entry.endsWith('.tmp'))) utimesSync(path.join(path.dirname(file), name), old, old);
    writeFileSync(path.join(path.dirname(file), '.driver-security-checklist.json.1.1.fresh.tmp'), 'in progress');
    await store(file).load();
    assert.deepEqual(readdirSync(path.dirname(file)).filter((entry) => entry.endsWith('.tmp')), ['.driver-security-checklist.json.1.1.fresh.tmp'], 'only the recent temp file is left');
  });
});
