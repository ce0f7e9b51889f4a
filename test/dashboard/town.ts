// A real town for the dashboard tests: a rig whose agent is the scripted demo agent, and a gt
// process serving the dashboard (`gt run --listen` with the loop, or `gt dashboard` alone).
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bareRepo, GT_BIN, gt, killTmuxServer, tempDir } from '../support/town.js';
import { statusJson } from '../support/json.js';

export interface Served {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

export interface DashTown {
  dir: string;
  root: string;
  url: string;
  gt(args: string[]): ReturnType<typeof gt>;
  apply(yaml: string): Promise<void>;
  /** Another gt process serving this town: `gt dashboard ...args` (or `gt run ...`), once it printed its address. */
  serve(args: string[]): Promise<Served>;
  stop(): Promise<void>;
}

export function townManifest(agentDelayMs: number, rigExtra = ''): string {
  return `apiVersion: gastown.dev/v1alpha1
kind: Town
metadata:
  name: t
spec:
  root: ./town
  resync: 1m
---
apiVersion: gastown.dev/v1alpha1
kind: Rig
metadata:
  name: wyvern
spec:
  gitUrl: ./remote.git
  agent:
    command: ["gt", "demo-agent", "--delay", "${agentDelayMs}"]
  workers:
    max: 3
    spawnDelay: 0s
${rigExtra}`;
}

/** Starts gt with `args` and resolves once it printed the dashboard's address; failing with its output when it exits first. */
export async function serveGt(args: string[], cwd: string): Promise<Served> {
  const child = spawn(process.execPath, [GT_BIN, ...args], { cwd, env: { ...process.env, GT_TOWN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gt ${args[0]} printed no address: ${output}`)), 30_000);
    child.stdout.on('data', () => {
      const m = /gt dashboard: (http:\/\/\S+\/)/.exec(output);
      if (!m) return;
      clearTimeout(timer);
      resolve(m[1]!);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gt ${args[0]} exited with ${code}: ${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Applies `manifest` (one reconcile pass: the rig's clones and issue database exist), then serves it with `serveArgs` (default: the loop). */
export async function startTown(manifest: string, serveArgs: string[] = ['run', '--listen', '127.0.0.1:0']): Promise<DashTown> {
  const dir = await tempDir('gt-dash-');
  const root = path.join(dir, 'town');
  await bareRepo(dir);
  const run = (args: string[]) => gt([...args, '--town', root], { cwd: dir });
  const apply = async (yaml: string) => {
    await writeFile(path.join(dir, 'town.yaml'), yaml);
    const a = await gt(['apply', '-f', 'town.yaml'], { cwd: dir });
    if (a.code !== 0) throw new Error(`apply failed: ${a.stdout}\n${a.stderr}`);
  };
  await apply(manifest);
  const socket = statusJson((await run(['status', '-o', 'json'])).stdout).socket;
  const served: Served[] = [];
  const serve = async (args: string[]) => {
    const s = await serveGt([...args, '--town', root], dir);
    served.push(s);
    return s;
  };
  const main = await serve(serveArgs);
  return {
    dir,
    root,
    url: main.url,
    gt: run,
    apply,
    serve,
    stop: async () => {
      for (const s of served) await s.stop();
      await killTmuxServer(socket);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
