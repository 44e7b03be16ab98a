/*
 * The UI pass of the harness (--ui): drives the workbench like a person and saves screenshots of the editor with
 * squiggles, the quick-fix menu and the Driver Security sidebar. Each step logs and carries on when a piece of UI
 * is not there, so one missing view never hides the other pictures.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

async function step(log, name, action) {
  try {
    await action();
    log(`ui: ${name}`);
  } catch (error) {
    log(`ui: ${name} skipped: ${error.message.split('\n')[0]}`);
  }
}

async function runCommand(page, command) {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.type(command);
  await page.waitForTimeout(300);
  await page.keyboard.press('Enter');
}

async function takeScreenshots(page, workspace, outDir, log) {
  fs.mkdirSync(outDir, { recursive: true });
  const shot = (name) => page.screenshot({ path: path.join(outDir, name) });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  await page.waitForTimeout(1500);

  await step(log, 'open sample driver', async () => {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.type('sample.c');
    await page.waitForTimeout(500);
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .squiggly-warning, .monaco-editor .squiggly-error').first().waitFor({ state: 'attached', timeout: 30_000 });
    await page.waitForTimeout(500);
    await shot('editor-squiggles.png');
  });

  await step(log, 'quick-fix menu', async () => {
    const squiggle = page.locator('.monaco-editor .squiggly-warning').first();
    await squiggle.click({ position: { x: 4, y: 2 } });
    await page.keyboard.press('Control+.');
    await page.locator('.action-widget').waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForTimeout(300);
    await shot('quick-fix-menu.png');
    await page.keyboard.press('Escape');
  });

  await step(log, 'problems panel', async () => {
    await page.keyboard.press('Control+Shift+M');
    await page.locator('.markers-panel .monaco-list-row').first().waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForTimeout(300);
    await shot('problems-panel.png');
  });

  await step(log, 'checklist sidebar', async () => {
    const button = page.locator('.activitybar .action-item a[aria-label^="Driver Security"]');
    if (await button.count() === 0) await runCommand(page, 'Driver Security: Focus on Checklist View');
    else await button.first().click();
    await page.locator('.pane-body .monaco-list-row').first().waitFor({ state: 'visible', timeout: 15_000 });
    await page.waitForTimeout(800);
    await shot('checklist-sidebar.png');
  });
}

module.exports = { takeScreenshots };
