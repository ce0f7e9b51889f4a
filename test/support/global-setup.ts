import { ensureFreshBundle } from './bundle.js';

/**
 * vitest's global setup, once per run (also for `npx vitest run` without `npm test`): the CLI
 * tests run the bundled gt (dist/bundle/main.js) exactly as users do, so it is built first
 * from the current sources.
 */
export function setup(): void {
  ensureFreshBundle();
}
