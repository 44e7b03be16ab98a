// Bundles the extension client, the language server and the CLI (with its worker) into dist/, and copies the tree-sitter wasm files
// next to them. esbuild does not type-check: `npm run check-types` does.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const WASM_FILES = [
  'web-tree-sitter/tree-sitter.wasm',
  'tree-sitter-c/tree-sitter-c.wasm',
  'tree-sitter-cpp/tree-sitter-cpp.wasm',
];

function copyWasm() {
  mkdirSync('dist', { recursive: true });
  for (const file of WASM_FILES) copyFileSync(require.resolve(file), `dist/${file.split('/').pop()}`);
}

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // NOTE: web-tree-sitter's CommonJS build still reads import.meta.url (for createRequire); give it the bundle's URL.
  define: { 'import.meta.url': 'import_meta_url' },
  banner: { js: "const import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
};

const builds = [
  { entryPoints: { client: 'client/src/extension.ts' }, external: ['vscode'] },
  { entryPoints: { server: 'server/src/lsp/server.ts' } },
  { entryPoints: { cli: 'server/src/cli/main.ts' } },
  // The CLI's analysis worker threads (parallel scans) load this file from next to cli.js.
  { entryPoints: { 'scan-worker': 'server/src/cli/scan-worker.ts' } },
];

copyWasm();
const contexts = await Promise.all(builds.map((build) => esbuild.context({ ...common, ...build, outdir: 'dist' })));
if (watch) {
  await Promise.all(contexts.map((context) => context.watch()));
  console.log('esbuild: watching client, server and CLI');
} else {
  await Promise.all(contexts.map((context) => context.rebuild()));
  await Promise.all(contexts.map((context) => context.dispose()));
}
