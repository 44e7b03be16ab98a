/** The extension manifest and the .vsix contents: what ships is what runs, and every contribution is wired up. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function sourceText(dir: string): string {
  return readdirSync(dir).map((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return sourceText(full);
    return entry.endsWith('.ts') ? readFileSync(full, 'utf8') : '';
  }).join('\n');
}

describe('extension manifest', () => {
  it('engines.vscode and @types/vscode agree (vsce refuses a newer @types/vscode)', () => {
    const engine = /(\d+)\.(\d+)/.exec(manifest.engines.vscode)!;
    const types = /(\d+)\.(\d+)/.exec(manifest.devDependencies['@types/vscode'])!;
    assert.ok(Number(types[1]) === Number(engine[1]) && Number(types[2]) <= Number(engine[2]), `@types/vscode ${types[0]} is newer than engines.vscode ${engine[0]}`);
    assert.ok(Number(engine[2]) >= 91 && Number(engine[2]) <= 100, 'engines.vscode must stay within 1.91 (language client floor) and 1.100 (the offline test VS Code)');
  });

  it('every contributed command is registered by the client', () => {
    const client = sourceText(path.join(ROOT, 'client', 'src'));
    const missing = (manifest.contributes.commands as { command: string }[])
      .map((command) => command.command)
      .filter((id) => !client.includes(`'${id}'`) && !client.includes(`"${id}"`));
    assert.deepEqual(missing, []);
  });

  it('every %placeholder% of the manifest has its text in package.nls.json', () => {
    const nls = JSON.parse(readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8'));
    const keys = [...JSON.stringify(manifest).matchAll(/"%([^"%]+)%"/g)].map((match) => match[1]);
    assert.ok(keys.length > 10);
    assert.deepEqual(keys.filter((key) => typeof nls[key] !== 'string'), []);
  });

  it('files the manifest points at exist', () => {
    const paths: string[] = [];
    for (const snippet of manifest.contributes.snippets ?? []) paths.push(snippet.path);
    for (const validation of manifest.contributes.jsonValidation ?? []) if (!/^https?:/.test(validation.url)) paths.push(validation.url);
    for (const walkthrough of manifest.contributes.walkthroughs ?? []) {
      for (const step of walkthrough.steps ?? []) {
        if (step.media?.markdown) paths.push(step.media.markdown);
        if (typeof step.media?.image === 'string') paths.push(step.media.image);
      }
    }
    for (const container of manifest.contributes.viewsContainers?.activitybar ?? []) if (!container.icon.startsWith('$(')) paths.push(container.icon);
    const missing = paths.filter((file) => !existsSync(path.join(ROOT, file)));
    assert.deepEqual(missing, []);
  });
});

describe('.vsix contents', () => {
  it('ships the bundles and the three wasm grammars, and no sources, maps or tests', () => {
    const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
    const result = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const files = result.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
    for (const required of ['package.json', 'README.md', 'LICENSE', 'dist/client.js', 'dist/server.js', 'dist/cli.js', 'dist/tree-sitter.wasm', 'dist/tree-sitter-c.wasm', 'dist/tree-sitter-cpp.wasm', 'bin/driver-guard.js']) {
      assert.ok(files.includes(required), `${required} is missing from the .vsix: ${files.join(', ')}`);
    }
    const unwanted = files.filter((file) => /\.(ts|map)$/.test(file) || /^(test|server\/src|client\/src|node_modules|bench|out)\//.test(file));
    assert.deepEqual(unwanted, []);
  });
});
