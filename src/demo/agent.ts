import { spawn } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../util/package-root.js';

/** `gt demo-agent ARGS`: runs examples/agents/scripted-agent.mjs in this process's place (same stdio). */
export function demoAgent(args: string[]): Promise<number> {
  const script = path.join(packageRoot(), 'examples', 'agents', 'scripted-agent.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
