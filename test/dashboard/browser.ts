// Debian's Chromium driven by playwright-core: a fresh profile, nothing fetched from the network.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { chromium, type BrowserContext } from 'playwright-core';
import { tempDir } from '../support/town.js';

export const CHROMIUM = process.env.GT_CHROMIUM ?? '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does), or set GT_CHROMIUM`);
  const profile = await tempDir('gt-chromium-');
  // launchPersistentContext is how playwright takes a --user-data-dir: a fresh one per run.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
