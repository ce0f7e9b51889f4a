import path from 'node:path';
import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { packageRoot } from '../../util/package-root.js';
import type { TownMetrics } from '../../metrics/town-metrics.js';
import { print, type GlobalOptions } from '../options.js';

export interface DashboardCliOptions {
  listen?: string;
  tokenFile?: string;
  readOnly?: boolean;
}

export const DEFAULT_LISTEN = '127.0.0.1:7070';

/** Starts the dashboard server for this town (in `gt run`, with the loop's metrics); resolves its close. */
export async function serveDashboard(session: TownSession, o: DashboardCliOptions, metrics?: TownMetrics): Promise<() => Promise<void>> {
  const { parseListen } = await import('../../dashboard/access.js');
  const { startDashboard } = await import('../../dashboard/server.js');
  const d = await startDashboard({
    session,
    listen: parseListen(o.listen ?? DEFAULT_LISTEN),
    ...(o.tokenFile ? { tokenFile: o.tokenFile } : {}),
    readOnly: !!o.readOnly,
    ...(metrics ? { metrics } : {}),
    gtBin: path.join(packageRoot(), 'dist', 'bundle', 'main.js'),
  });
  print(`gt dashboard: ${d.url} (API ${d.url}api/v1/status, metrics ${d.url}metrics${o.readOnly ? '; read-only' : ''})`);
  return () => d.close();
}

/** `gt dashboard`: the page, the API and the metrics of a town whose loop runs elsewhere (or not at all). */
export async function dashboardCommand(g: GlobalOptions, o: DashboardCliOptions): Promise<number> {
  const session = new TownSession(requireTown(g));
  const close = await serveDashboard(session, o);
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  await close();
  return 0;
}
