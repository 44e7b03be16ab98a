import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createAnalyzer, type Analyzer } from '../../server/src/core';
import { calleeName } from '../../server/src/analysis/query';
import type { SourceFile } from '../../server/src/analysis/source-file';
import { withSourceFile } from '../helpers/source-file';

describe('SourceFile.callsNamed', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await createAnalyzer();
  });

  /** The calls named so, by asking every call (what callsNamed replaces). */
  const byEveryCall = (file: SourceFile, names: string[]) => file.nodes('call_expression').filter((call) => names.includes(calleeName(call) ?? ''));

  const withFile = (text: string, fileName: string, check: (file: SourceFile) => void) => withSourceFile(analyzer, text, fileName, check);

  it('finds a callee however it is written, and no name in a comment, a string or a longer identifier', () => {
    const code = [
      'VOID F(PDEVICE_EXTENSION e) {',
      '    KeInitializeDpc(&e->Dpc, Dpc1, e);',
      '    (KeInitializeDpc)(&e->Dpc, Dpc2, e);',
      '    e->Table->KeInitializeDpc(&e->Dpc, Dpc3, e);',
      '    ((PFN)KeInitializeDpc)(&e->Dpc, Dpc4, e);',
      '    // KeInitializeDpc(&e->Dpc, NotThis, e);',
      '    Log("KeInitializeDpc(");',
      '    MyKeInitializeDpc(&e->Dpc, NorThis, e);',
      '    KeInitializeDpcEx(&e->Dpc, NorThat, e);',
      '    p = KeInitializeDpc;',
      '}',
    ].join('\n');
    withFile(code, 'd.c', (file) => {
      const found = file.callsNamed(['KeInitializeDpc']);
      assert.deepEqual(found.map((call) => call.text.match(/Dpc\d/)?.[0]), ['Dpc1', 'Dpc2', 'Dpc3', 'Dpc4']);
      assert.deepEqual(found, byEveryCall(file, ['KeInitializeDpc']));
    });
  });

  it('gives what asking every call gives, for every callee of the test corpus', () => {
    const corpus = path.resolve(__dirname, '..', '..', '..', 'test', 'corpus');
    const files = readdirSync(corpus, { recursive: true, encoding: 'utf8' }).filter((name) => /\.(c|cpp)$/.test(name));
    assert.ok(files.length > 10);
    let compared = 0;
    for (const name of files) {
      withFile(readFileSync(path.join(corpus, name), 'utf8'), name, (file) => {
        const callees = [...new Set(file.nodes('call_expression').map((call) => calleeName(call)).filter((callee): callee is string => callee !== undefined))];
        for (const callee of callees) {
          assert.deepEqual(file.callsNamed([callee]).map((call) => call.startIndex), byEveryCall(file, [callee]).map((call) => call.startIndex), `${name}: ${callee}`);
          compared++;
        }
        assert.deepEqual(file.callsNamed(callees).length, byEveryCall(file, callees).length, name);
      });
    }
    assert.ok(compared > 100);
  });
});
