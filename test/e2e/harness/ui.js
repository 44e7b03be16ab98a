/*
 * The UI pass of the harness (--ui): drives the workbench like a person and saves screenshots of the editor with
 * squiggles, the quick-fix menu and the Driver Security sidebar. Each step logs and carries on when a piece of UI
 * is not there, so one missing view never hides the other pictures.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

async function step(log, name, action, page, outDir) {
  try {
    await action();
    log(`ui: ${name}`);
  } catch (error) {
    log(`ui: ${name} skipped: ${error.message.split('\n')[0]}`);
    if (page && process.env.DRIVER_GUARD_UI_DEBUG) await page.screenshot({ path: path.join(outDir, `debug-${name.replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
  }
}

async function runCommand(page, command) {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.type(command);
  await page.waitForTimeout(300);
  await page.keyboard.press('Enter');
}

/** A checklist in progress, so the sidebar picture shows ticks, a not-applicable item and a note. */
function seedChecklist(workspace) {
  const dir = path.join(workspace, '.vscode');
  fs.mkdirSync(dir, { recursive: true });
  const at = '2026-11-20T10:00:00.000Z';
  const items = {
    'checklist.kernel-driver-required': { status: 'done', note: 'Needs DMA to the capture card; UMDF cannot map it.', updatedBy: 'Ada', updatedAt: at },
    'checklist.use-frameworks': { status: 'done', updatedBy: 'Ada', updatedAt: at },
    'checklist.threat-model': { status: 'done', links: ['docs/threat-model.md'], updatedBy: 'Ada', updatedAt: at },
    'checklist.security-model': { status: 'done', updatedBy: 'Ada', updatedAt: at },
    'checklist.technology-practices': { status: 'not-applicable', reason: 'plain WDM device, no filter stack', updatedBy: 'Ada', updatedAt: at },
    'checklist.sal-annotations': { status: 'done', updatedBy: 'Ada', updatedAt: at },
  };
  fs.writeFileSync(path.join(dir, 'driver-security-checklist.json'), `${JSON.stringify({ items, version: 1 }, null, 2)}\n`);
}

/** Clicks the middle (or an offset) of an element with the mouse: overlays (hovers, decorations) fail click(). */
async function clickAt(locator, offset) {
  await locator.waitFor({ state: 'visible', timeout: 15_000 });
  const box = await locator.boundingBox();
  if (!box) throw new Error('element has no box');
  await locator.page().mouse.click(box.x + (offset ? offset.x : box.width / 2), box.y + (offset ? offset.y : box.height / 2));
}

/** Drags the sash between the side bar and the editor so the checklist's descriptions are readable. */
async function widenSideBar(page, width) {
  const sidebar = await page.locator('.part.sidebar').boundingBox();
  if (!sidebar || sidebar.x + sidebar.width >= width) return;
  const edge = sidebar.x + sidebar.width;
  let box;
  for (const sash of await page.locator('.monaco-sash.vertical').all()) {
    const candidate = await sash.boundingBox().catch(() => undefined);
    if (candidate && Math.abs(candidate.x + candidate.width / 2 - edge) < 6 && candidate.height > 100) box = candidate;
  }
  if (!box) throw new Error('no sash next to the side bar');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(width, box.y + box.height / 2, { steps: 8 });
  await page.mouse.up();
}

async function takeScreenshots(page, workspace, outDir, log) {
  fs.mkdirSync(outDir, { recursive: true });
  seedChecklist(workspace);
  const shot = (name) => page.screenshot({ path: path.join(outDir, name) });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  await page.waitForTimeout(1500);

  await step(log, 'open sample driver', async () => {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.type('sample.c');
    // File search can be slow on a busy machine: Enter before the result is listed does nothing.
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'sample.c' }).first().waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .squiggly-warning, .monaco-editor .squiggly-error').first().waitFor({ state: 'attached', timeout: 30_000 });
    await page.waitForTimeout(500);
    await shot('editor-squiggles.png');
  }, page, outDir);

  await step(log, 'quick-fix menu', async () => {
    const squiggle = page.locator('.monaco-editor .squiggly-warning').first();
    await clickAt(squiggle, { x: 4, y: 2 });
    await page.keyboard.press('Control+.');
    await page.locator('.action-widget').waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForTimeout(300);
    await shot('quick-fix-menu.png');
    await page.keyboard.press('Escape');
  }, page, outDir);

  await step(log, 'problems panel', async () => {
    await page.keyboard.press('Control+Shift+M');
    await page.locator('.markers-panel .monaco-list-row').first().waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForTimeout(300);
    await shot('problems-panel.png');
  });

  await step(log, 'checklist sidebar', async () => {
    await widenSideBar(page, 520);
    const button = page.locator('.activitybar .action-item a[aria-label^="Driver Security"]');
    if (await button.count() === 0) await runCommand(page, 'Driver Security: Focus on Checklist View');
    else await clickAt(button.first());
    await page.locator('.pane-body .monaco-list-row').first().waitFor({ state: 'visible', timeout: 15_000 });
    await page.waitForTimeout(800);
    await shot('checklist-sidebar.png');
  }, page, outDir);

  await step(log, 'checklist context menu', async () => {
    const row = page.locator('.pane-body .monaco-list-row', { hasText: 'Perform peer code review' }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    const box = await row.boundingBox();
    await page.mouse.click(box.x + 120, box.y + box.height / 2, { button: 'right' });
    await page.locator('.context-view .monaco-menu').first().waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForTimeout(300);
    await shot('checklist-context-menu.png');
    await page.keyboard.press('Escape');
  }, page, outDir);

  // The picture in the README (docs/images/driver-guard.png): the editor with squiggles next to the checklist
  // sidebar with its progress and the findings under "Follow driver secure coding guidelines".
  await step(log, 'editor with the checklist sidebar', async () => {
    await page.keyboard.press('Escape');
    const panel = page.locator('.part.panel');
    if (await panel.isVisible().catch(() => false)) await runCommand(page, 'View: Close Panel');
    const row = page.locator('.pane-body .monaco-list-row', { hasText: 'Follow driver secure coding guidelines' }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    if ((await row.getAttribute('aria-expanded')) === 'false') await clickAt(row.locator('.monaco-tl-twistie'));
    await page.locator('.pane-body .monaco-list-row', { hasText: 'sample.c:' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('.monaco-editor .squiggly-warning, .monaco-editor .squiggly-error').first().waitFor({ state: 'attached', timeout: 15_000 });
    await page.waitForTimeout(500);
    await shot('driver-guard.png');
  }, page, outDir);

  await takeSurfaceScreenshots(page, workspace, outDir, log);
}

/** The Attack Surface view and the data-flow webview on a copy of the bundled sample driver (README pictures). */
async function takeSurfaceScreenshots(page, workspace, outDir, log) {
  const shot = (name) => page.screenshot({ path: path.join(outDir, name) });
  await step(log, 'attack surface view', async () => {
    fs.cpSync(path.join(__dirname, '..', '..', '..', 'examples', 'sample-driver'), path.join(workspace, 'sample-driver'), { recursive: true });
    await page.keyboard.press('Escape');
    await runCommand(page, 'Driver Guard: Scan Workspace');
    await page.waitForTimeout(3000);
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.type('driver.c');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'driver.c' }).first().waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.press('Enter');
    await page.waitForTimeout(2500);
    await page.keyboard.press('Escape');
    await runCommand(page, 'Driver Security: Focus on Attack Surface View');
    const row = page.locator('.pane-body .monaco-list-row', { hasText: 'IOCTL_SAMPLE_STORE' }).first();
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    await clickAt(row.locator('.monaco-tl-twistie'));
    await page.waitForTimeout(1200);
    await shot('attack-surface.png');
  }, page, outDir);

  await step(log, 'data-flow webview', async () => {
    await page.keyboard.press('Escape');
    await runCommand(page, 'Driver Guard: Show Data-Flow Diagram');
    await page.locator('iframe.webview').first().waitFor({ state: 'attached', timeout: 20_000 });
    await page.waitForTimeout(2500);
    await shot('data-flow.png');
  }, page, outDir);
}

module.exports = { takeScreenshots, takeSurfaceScreenshots };
