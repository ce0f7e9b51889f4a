// A real town for the dashboard tests: a rig whose agent is the scripted demo agent, and `gt run
// --listen` serving the dashboard from the loop's own process.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bareRepo, GT_BIN, gt, killTmuxServer, tempDir } from '../support/town.js';

export interface DashTown {
  dir: string;
  root: string;
  url: string;
  gt(args: string[]): ReturnType<typeof gt>;
  apply(yaml: string): Promise<void>;
  stop(): Promise<void>;
}

export function townManifest(agentDelayMs: number): string {
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
`;
}

/** Applies `manifest`, then starts `gt run --listen 127.0.0.1:0 ...extra` and waits for the address it prints. */
export async function startTown(manifest: string, extra: string[] = []): Promise<DashTown> {
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
  const socket = JSON.parse((await run(['status', '-o', 'json'])).stdout).socket as string;
  const loop: ChildProcess = spawn(process.execPath, [GT_BIN, 'run', '--town', root, '--listen', '127.0.0.1:0', ...extra], { cwd: dir, env: { ...process.env, GT_TOWN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  loop.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  loop.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gt run --listen printed no address: ${output}`)), 30_000);
    const look = () => {
      const m = /gt dashboard: (http:\/\/\S+\/)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    loop.stdout!.on('data', look);
    loop.on('exit', (code) => reject(new Error(`gt run exited with ${code}: ${output}`)));
  });
  return {
    dir,
    root,
    url,
    gt: run,
    apply,
    stop: async () => {
      if (loop.exitCode === null && loop.signalCode === null) {
        const exited = new Promise((r) => loop.once('exit', r));
        loop.kill('SIGTERM');
        await exited;
      }
      await killTmuxServer(socket);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
