import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..', '..');

it('the analysis core and the rules import no editor or LSP package', () => {
  const offenders: string[] = [];
  for (const folder of ['server/src/analysis', 'server/src/rules', 'shared']) {
    for (const file of readdirSync(path.join(ROOT, folder))) {
      if (!file.endsWith('.ts')) continue;
      const text = readFileSync(path.join(ROOT, folder, file), 'utf8');
      if (/from\s+['"](vscode|vscode-languageserver[^'"]*|vscode-languageclient[^'"]*)['"]/.test(text)) offenders.push(`${folder}/${file}`);
    }
  }
  assert.ok(readdirSync(path.join(ROOT, 'server/src/rules')).length > 1, 'rules folder found');
  assert.deepEqual(offenders, []);
});
