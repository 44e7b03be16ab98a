/**
 * Second phase of the end-to-end run: the harness loads the same workspace again (a window reload, which would
 * kill the extension host of the first phase) and runs the *.after-reload.js files: state that must survive.
 */
import { runMocha } from './mocha-runner';

export function run(): Promise<void> {
  return runMocha('.after-reload.js');
}
