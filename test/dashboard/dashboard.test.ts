import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/workers.js';
import { launchBrowser, type Browser } from './browser.js';
import { startTown, townManifest, type DashTown } from './town.js';
import { objectJson, parseJson } from '../support/json.js';

// The dashboard as a person uses it: Debian's Chromium on the page `gt run --listen` serves for a
// real town (real tmux, real git, the scripted agent), changes made with the CLI and on the page.

const HOSTILE = `<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">`;
/** GT_DASHBOARD_SCREENSHOTS=docs: the screenshots in the README are taken here. */
const SHOTS = process.env.GT_DASHBOARD_SCREENSHOTS;

function swarmManifest(title: string): string {
  const tasks = [
    { id: 'base', title: 'Lay the base' },
    { id: 'left', title, dependsOn: ['base'] },
    { id: 'right', title: 'Build the right side', dependsOn: ['base'] },
    { id: 'roof', title: 'Put the roof on', dependsOn: ['left', 'right'] },
  ];
  return `---\n${JSON.stringify({ apiVersion: 'gastown.dev/v1alpha1', kind: 'Swarm', metadata: { name: 'house' }, spec: { rig: 'wyvern', title: 'Build a house', tasks } })}\n`;
}

describe('the dashboard in a browser', () => {
  let town: DashTown;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];

  beforeAll(async () => {
    town = await startTown(townManifest(4000));
    browser = await launchBrowser();
    page = await browser.context.newPage();
    // Any alert/confirm would be script from a title: none may open.
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(town.url);
    // Set once: still set later means the page was never reloaded.
    await page.evaluate(() => ((window as unknown as { __loaded: number }).__loaded = 1));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await town?.stop();
  });

  it('shows the rig with its conditions, breaker and queues', async () => {
    await page.locator('#rig-wyvern-head').waitFor();
    const head = await page.locator('#rig-wyvern-head').innerText();
    expect(head).toContain('Rig wyvern');
    expect(head).toContain('breaker closed');
    await until(async () => (await page.locator('#rig-wyvern-head .cond').allInnerTexts()).includes('Ready=True'), 'the Ready condition');
    // The page started with the server, a moment before the loop took its lock: it says so once it has.
    await until(async () => /loop pid \d+/.test(await page.locator('.town-head').innerText()), 'the loop on the page');
  });

  it('an issue created with the CLI gets a polecat on the page without a reload; its hostile title stays text', async () => {
    const created = await town.gt(['issues', 'create', HOSTILE, '-o', 'json']);
    expect(created.code, created.stderr).toBe(0);
    const id = parseJson<{ id: string }>(created.stdout).id;
    const row = page.locator('tr.polecat', { has: page.locator('td.issue', { hasText: id }) });
    await row.waitFor({ timeout: 20_000 });
    expect(await row.locator('a', { hasText: 'pane' }).getAttribute('href')).toMatch(/^\/pane\/wyvern\/[a-z0-9-]+$/);
    // The agent prints the title first: its last output line and its live pane show it as text.
    const href = (await row.locator('a', { hasText: 'pane' }).getAttribute('href'))!;
    const pane = await browser.context.newPage();
    await pane.goto(new URL(href, town.url).toString());
    await until(async () => ((await pane.locator('#pane').textContent()) ?? '').includes(`issue: ${HOSTILE}`), 'the title in the live pane');
    expect(await pane.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? 0)).toBe(0);
    await pane.close();
    await until(async () => ((await row.locator('td.out').textContent()) ?? '').includes(HOSTILE), 'the title as the last output line');
    // The spawn's event names the title: shown as the very characters, never parsed as markup.
    await until(async () => (await page.locator('#events').innerText()).includes(HOSTILE), 'the spawn event with the title');
    expect(await page.evaluate(() => (window as unknown as { __loaded?: number }).__loaded)).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? 0)).toBe(0);
    expect(await page.locator('img').count()).toBe(0);
    if (SHOTS) {
      await mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });
    }
    // The agent finishes: the branch is merged and the row goes away.
    await row.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it("a swarm's graph advances wave by wave on the page; its hostile task title stays text", async () => {
    await town.apply(townManifest(4000) + swarmManifest(HOSTILE));
    const graph = page.locator('#swarm-house svg.graph');
    await graph.waitFor({ timeout: 20_000 });
    await page.locator('#swarm-house g.wave.current[data-wave="1"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('#swarm-house g.task[data-task="base"]').getAttribute('data-state')).toMatch(/ready|in_progress/);
    await page.locator('#swarm-house g.wave.current[data-wave="2"]').waitFor({ timeout: 45_000 });
    // Closed (and so unblocking wave 2) a moment before its merge lands: merging, then closed.
    await page.locator('#swarm-house g.task[data-task="base"][data-state="closed"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('#swarm-house g.task[data-task="left"] title').textContent()).toContain(HOSTILE);
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'dashboard-swarm.png'), fullPage: true });
    expect(await page.evaluate(() => (window as unknown as { __loaded?: number }).__loaded)).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? 0)).toBe(0);
  });

  it('stops the rig from the page after showing its diff; gt get and gt diff agree', async () => {
    await page.locator('#rig-wyvern-head button.act[data-verb="stop"]').click();
    const diff = page.locator('#confirm-diff');
    await until(async () => ((await diff.textContent()) ?? '').includes('spec.suspend'), 'the diff of the stop');
    expect(await diff.textContent()).toContain('~ Rig/wyvern');
    expect(await page.locator('#confirm-command').textContent()).toContain('gt stop');
    // Nothing is stored before the person confirms.
    expect(objectJson((await town.gt(['get', 'rig', 'wyvern', '-o', 'json'])).stdout).spec.suspend).toBeFalsy();
    await page.locator('#confirm-ok').click();
    await until(async () => ((await page.locator('#confirm-result').textContent()) ?? '').startsWith('done'), 'the stop to be done');
    await page.locator('#confirm-cancel').click();
    expect(objectJson((await town.gt(['get', 'rig', 'wyvern', '-o', 'json'])).stdout).spec.suspend).toBe(true);
    await page.locator('#rig-wyvern-head .badge.stopped', { hasText: 'suspended' }).waitFor({ timeout: 10_000 });
    await page.locator('#rig-wyvern-head button.act[data-verb="start"]').waitFor();
    // The running loop carries it out: gt diff is then in sync with the stored stop.
    await until(async () => (await town.gt(['diff'])).code === 0, 'gt diff to be in sync', 30_000);
    expect(dialogs).toEqual([]);
  });
});
