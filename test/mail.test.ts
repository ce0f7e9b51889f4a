import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gt, REPO_ROOT, tempDir, townYaml } from './support/town.js';
import { writeFile } from 'node:fs/promises';

/** Mail with several writers at once: whole lines only, nothing lost, nothing torn. */
let dir: string;
let root: string;

beforeAll(async () => {
  dir = await tempDir('gt-mail-');
  root = path.join(dir, 'town');
  await writeFile(path.join(dir, 'town.yaml'), townYaml(root, 'mail'));
  const a = await gt(['apply', '-f', 'town.yaml'], { cwd: dir });
  if (a.code !== 0) throw new Error(a.stderr);
});

afterAll(async () => {
  const { rm } = await import('node:fs/promises');
  await rm(dir, { recursive: true, force: true });
});

/** A separate node process that sends `count` messages to the mayor through the Mailbox class. */
function writer(n: number, count: number): Promise<number> {
  const script = `
    const { Mailbox } = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'src', 'mail', 'mailbox.js'))});
    const box = new Mailbox(${JSON.stringify(path.join(root, 'mayor', 'mail', 'inbox.jsonl'))});
    for (let i = 0; i < ${count}; i++) await box.send({ from: 'w${n}', to: 'mayor', subject: 'm ${n}/' + i, body: 'x'.repeat(5000 + i) + '\\n' + 'line two' });
  `;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    c.on('error', reject);
    c.on('exit', (code) => resolve(code ?? 1));
  });
}

describe('mail', () => {
  it('concurrent writers (processes, the CLI, and a reader marking messages read) lose and tear nothing', async () => {
    const cli = Array.from({ length: 10 }, (_, i) => gt(['mail', 'send', 'mayor', '-s', `cli ${i}`, '-m', `from the cli ${i}`, '--town', root], { cwd: dir }));
    const results = await Promise.all([...Array.from({ length: 5 }, (_, n) => writer(n, 30)), ...cli.map((p) => p.then((r) => r.code))]);
    expect(results.every((c) => c === 0)).toBe(true);
    const text = await readFile(path.join(root, 'mayor', 'mail', 'inbox.jsonl'), 'utf8');
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(5 * 30 + 10);
    const msgs = lines.map((l) => JSON.parse(l) as { id: string; subject: string; body: string });
    expect(new Set(msgs.map((m) => m.id)).size).toBe(lines.length);
    for (let n = 0; n < 5; n++) for (let i = 0; i < 30; i++) expect(msgs.find((m) => m.subject === `m ${n}/${i}`)?.body.length).toBe(5000 + i + 9);

    // Marking read rewrites the file while others append: still nothing lost.
    const some = msgs.slice(0, 20).map((m) => m.id);
    await Promise.all([...some.map((id) => gt(['mail', 'read', id, 'mayor', '--town', root], { cwd: dir })), writer(9, 20)]);
    const after = (await readFile(path.join(root, 'mayor', 'mail', 'inbox.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; read: boolean });
    expect(after).toHaveLength(lines.length + 20);
    expect(after.filter((m) => some.includes(m.id)).every((m) => m.read)).toBe(true);
  }, 120_000);

  it('a reply joins the thread of the message it answers; priority and type are kept', async () => {
    const first = await gt(['mail', 'send', 'Not An Address', '-s', 'x', '-m', 'y', '--town', root], { cwd: dir });
    expect(first.code).toBe(2);
    expect(first.stderr).toContain('not a mail address');
    const q = await gt(['mail', 'send', 'mayor', '-s', 'question', '-m', 'proceed?', '--from', 'overseer', '--type', 'task', '-p', 'high', '--town', root], { cwd: dir });
    const qid = /Sent (\S+)/.exec(q.stdout)![1]!;
    const a = await gt(['mail', 'send', 'overseer', '-s', 're', '-m', 'yes', '--from', 'mayor', '--type', 'reply', '--reply-to', qid, '--town', root], { cwd: dir });
    const aid = /Sent (\S+)/.exec(a.stdout)![1]!;
    const b = await gt(['mail', 'send', 'mayor', '-s', 're re', '-m', 'thanks', '--from', 'overseer', '--type', 'reply', '--reply-to', aid, '--town', root], { cwd: dir });
    expect(b.code).toBe(0);
    const mayor = JSON.parse((await gt(['mail', 'inbox', 'mayor', '-o', 'json', '--town', root], { cwd: dir })).stdout) as {
      id: string;
      subject: string;
      threadId: string;
      replyTo?: string;
      priority: string;
      type: string;
    }[];
    const question = mayor.find((m) => m.id === qid)!;
    expect(question).toMatchObject({ priority: 'high', type: 'task', threadId: qid });
    expect(mayor.find((m) => m.subject === 're re')).toMatchObject({ replyTo: aid, threadId: qid, type: 'reply' });
  });
});
