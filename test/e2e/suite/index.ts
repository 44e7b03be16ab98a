/**
 * The extension-test entry (the contract @vscode/test-electron and our code-server harness share): runs every
 * compiled *.e2e.js next to this file with mocha inside the extension host. The harness then reloads the window
 * and runs `after-reload.js` (the *.after-reload.js files) in the same workspace.
 */
import { runMocha } from './mocha-runner';

export function run(): Promise<void> {
  return runMocha('.e2e.js');
}
