import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { gitUserName, resolveAuthor } from '../../client/src/checklist/identity';

describe('checklist author (updatedBy)', () => {
  it('an untrusted workspace never runs git and uses the OS user name', async () => {
    // A cwd that does not exist would make git fail; with trusted=false it is never tried.
    assert.equal(await resolveAuthor({ trusted: false, cwd: '/nonexistent/for/sure' }), os.userInfo().username);
  });

  it('git failures (no repository, missing directory) fall back to the OS user name', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dg-identity-'));
    try {
      assert.equal(await gitUserName(path.join(dir, 'missing')), undefined);
      const author = await resolveAuthor({ trusted: true, cwd: path.join(dir, 'missing'), timeoutMs: 1000 });
      assert.equal(author, os.userInfo().username);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
