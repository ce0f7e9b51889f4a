import { endChildren } from '../adapters/process.js';
import { releaseHeldLocksSync } from '../store/lock.js';

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

/**
 * Ctrl-C, SIGTERM or a closed terminal ends any gt command cleanly: the programs it started are
 * ended (a clone leads its own process group, which a terminal's Ctrl-C does not reach), the
 * locks it holds are given back, and it exits 128+signal. A command with its own way to stop
 * (gt run's loop: finish the keys in hand, then stop) gets the first signal alone; a second one
 * ends it here.
 */
export function installInterruptHandlers(): void {
  let seen = 0;
  for (const [name, number] of Object.entries(SIGNALS) as [NodeJS.Signals, number][]) {
    const handler = () => {
      seen++;
      if (seen === 1 && process.listenerCount(name) > 1) return;
      const children = endChildren('SIGTERM');
      const locks = releaseHeldLocksSync();
      const what = [locks.length ? `released ${locks.length} lock${locks.length === 1 ? '' : 's'}` : '', children ? `ended ${children} program${children === 1 ? '' : 's'} it had started` : ''].filter(
        Boolean,
      );
      process.stderr.write(`gt: interrupted by ${name}${what.length ? `; ${what.join(', ')}` : ''}\n`);
      process.exit(128 + number);
    };
    process.on(name, handler);
  }
}
