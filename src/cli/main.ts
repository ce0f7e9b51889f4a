#!/usr/bin/env node
import { Argument, Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
// First: reads GT_FAILPOINT and removes it from the environment before any child is started.
import '../util/failpoint.js';
import { GtFailure, describeError, exitCodeFor, systemError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import { SHELLS, type Shell } from './completion.js';
import type { applyCommand } from './commands/apply.js';
import type { dashboardCommand } from './commands/dashboard.js';
import type { deleteCommand } from './commands/delete.js';
import type { diffCommand } from './commands/diff.js';
import type { doctorCommand } from './commands/doctor.js';
import type { doneCommand } from './commands/done.js';
import type { getCommand } from './commands/get.js';
import type { handoffCommand } from './commands/handoff.js';
import type { issuesClose, issuesCreate, issuesList, issuesRetry, issuesShow } from './commands/issues.js';
import type { landCommand } from './commands/land.js';
import type { mailInbox, mailRead, mailSend } from './commands/mail.js';
import type { resetBreaker } from './commands/reset-breaker.js';
import type { runCommand } from './commands/run.js';
import type { statusCommand } from './commands/status.js';
import type { startCommand, stopCommand } from './commands/stop.js';
import { OUTPUT_FORMATS, watchStdout, type GlobalOptions } from './options.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
/** `-o` wherever a command prints a result; its choices also feed `gt completion`. */
const output = (note = '') => new Option('-o, --output <format>', `text (for people), json or yaml${note}`).choices(OUTPUT_FORMATS);

/** Commander passes actions untyped values: each takes the type of the command parameter it feeds. */
type Param<F extends (...args: never[]) => unknown, N extends number> = Parameters<F>[N];

let commandExitCode = 0;
/** Commands return their exit code (diff: 1 = differences); commander discards action results. */
function act<A extends unknown[]>(fn: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    commandExitCode = await fn(...args);
  };
}

function buildProgram(): Command {
  const program = new Command('gt')
    .description('Gas Town, declaratively: declare the town in YAML; gt makes it so.')
    .option('--town <dir>', 'town root (default: $GT_TOWN, else the nearest directory upwards holding .gt/)')
    .option('--lock-timeout <duration>', 'how long to wait for the town lock', '30s')
    .version((JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version, '-V, --version', "print gt's version")
    .exitOverride()
    .showHelpAfterError();
  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  program.hook('preAction', async (_program, command) => actAsOwner(g(), command));

  program
    .command('apply')
    .description('store the desired state from manifests, then reconcile once (or leave it to a running loop)')
    .requiredOption('-f, --filename <path>', 'manifest file, directory of them, or - for stdin (repeatable)', collect)
    .option('--dry-run', 'print the change set and write nothing')
    .option('--prune', 'delete objects this town holds that the input no longer has (never the Town)')
    .option('--no-reconcile', 'only store the desired state; gt run (or the running loop) acts on it')
    .addOption(output())
    .action(act(async (o: Param<typeof applyCommand, 1>) => (await import('./commands/apply.js')).applyCommand(g(), o)));

  program
    .command('diff')
    .description('what gt would do: exit 0 in sync, 1 differences, 2 error')
    .option('-f, --filename <path>', 'also show what applying these manifests would change (repeatable)', collect)
    .option('--prune', 'with -f: as if applied with --prune')
    .addOption(output())
    .action(act(async (o: Param<typeof diffCommand, 1>) => (await import('./commands/diff.js')).diffCommand(g(), o)));

  program
    .command('get [kind] [name]')
    .description('list objects with their status, or show one')
    .addOption(output())
    .action(act(async (kind: Param<typeof getCommand, 1>, name: Param<typeof getCommand, 2>, o: Param<typeof getCommand, 3>) => (await import('./commands/get.js')).getCommand(g(), kind, name, o)));

  program
    .command('delete [kind] [name]')
    .description('delete objects; a Rig is removed only when none of its clones holds work')
    .option('-f, --filename <path>', 'delete the objects these manifests name (repeatable)', collect)
    .option('--ignore-not-found', 'succeed when the object does not exist')
    .addOption(output())
    .action(
      act(async (kind: Param<typeof deleteCommand, 1>, name: Param<typeof deleteCommand, 2>, o: Param<typeof deleteCommand, 3>) =>
        (await import('./commands/delete.js')).deleteCommand(g(), kind, name, o),
      ),
    );

  program
    .command('run')
    .description('the reconcile loop (Ctrl-C stops it; agent sessions keep running)')
    .option('--once', 'one full reconcile pass, then exit')
    .option('--reset-breaker <rig>', 'the same as gt reset-breaker RIG (resets, then exits)')
    .option('--listen <host:port>', "also serve the dashboard, API and /metrics (with the loop's own metrics) here")
    .option('--token-file <file>', 'with --listen: the token every request must carry')
    .option('--read-only', 'with --listen: serve no actions')
    .addOption(output(' (with --once)'))
    .action(act(async (o: Param<typeof runCommand, 1>) => (await import('./commands/run.js')).runCommand(g(), o)));

  program
    .command('dashboard')
    .description('serve the live dashboard, the JSON API (/api/v1/...) and Prometheus /metrics for this town, reading the same state as gt status')
    .option('--listen <host:port>', 'address to serve on (another than loopback needs --token-file)', '127.0.0.1:7070')
    .option('--token-file <file>', 'every request must carry the token in this file (Authorization: Bearer, or ?token= once in a browser)')
    .option('--read-only', 'serve no actions')
    .action(act(async (o: Param<typeof dashboardCommand, 1>) => (await import('./commands/dashboard.js')).dashboardCommand(g(), o)));

  program
    .command('reset-breaker <rig>')
    .description("close a rig's tripped circuit breaker and re-arm its crash-looping polecats (their issues go back to ready), then exit")
    .addOption(output())
    .action(act(async (rig: Param<typeof resetBreaker, 1>, o: Param<typeof resetBreaker, 2>) => (await import('./commands/reset-breaker.js')).resetBreaker(g(), rig, o)));

  program
    .command('status')
    .description('per rig: workers, the queue of ready issues, conditions, the breaker')
    .addOption(output())
    .action(act(async (o: Param<typeof statusCommand, 1>) => (await import('./commands/status.js')).statusCommand(g(), o)));

  program
    .command('done')
    .description('(agents) say the work on your issue is finished; gt verifies it and hands it on')
    .option('--status <status>', 'completed, deferred or escalated', 'completed')
    .option('-m, --message <reason>', 'why (required for deferred and escalated)')
    .option('--agent <address>', 'the polecat, default $GT_AGENT')
    .addOption(output())
    .action(act(async (o: Param<typeof doneCommand, 1>) => (await import('./commands/done.js')).doneCommand(g(), o)));

  program
    .command('land <polecat>')
    .description('merge RIG/POLECAT now, ahead of the queue, with the same checks (session ended, clean, no conflict, tests)')
    .option('--skip-tests', "do not run the rig's testCommand (explicitly)")
    .addOption(output())
    .action(act(async (who: Param<typeof landCommand, 1>, o: Param<typeof landCommand, 2>) => (await import('./commands/land.js')).landCommand(g(), who, o)));

  program
    .command('doctor')
    .description('the full diff plus health findings gt cannot fix by itself: exit 0 healthy and in sync, 1 not, 2 error')
    .option('--fix', 'apply the safe part of the plan, then list what is left for a person')
    .addOption(output())
    .action(act(async (o: Param<typeof doctorCommand, 1>) => (await import('./commands/doctor.js')).doctorCommand(g(), o)));

  program
    .command('handoff')
    .description('(agents) hand off to a fresh session: a handoff mail to yourself, then gt cycles your session')
    .option('-m, --message <note>', 'what the next session needs to know')
    .option('--agent <address>', 'the agent, default $GT_AGENT')
    .addOption(output())
    .action(act(async (o: Param<typeof handoffCommand, 1>) => (await import('./commands/handoff.js')).handoffCommand(g(), o)));

  program
    .command('stop [rig]')
    .description('suspend the town (or one rig): no dispatch, agent sessions end after a handoff; --now ends every session at once')
    .option('--now', 'emergency halt: end every session on the town socket now (nothing on disk is deleted)')
    .option('--wait <duration>', 'without a running loop: how long to reconcile while sessions hand off and end', '60s')
    .option('--no-reconcile', 'only store the change; the running loop acts on it')
    .addOption(output())
    .action(act(async (rig: Param<typeof stopCommand, 1>, o: Param<typeof stopCommand, 2>) => (await import('./commands/stop.js')).stopCommand(g(), rig, o)));

  program
    .command('start [rig]')
    .description('clear what gt stop set: the loop starts the sessions again')
    .option('--no-reconcile', 'only store the change; the running loop acts on it')
    .addOption(output())
    .action(act(async (rig: Param<typeof startCommand, 1>, o: Param<typeof startCommand, 2>) => (await import('./commands/stop.js')).startCommand(g(), rig, o)));

  program
    .command('demo-agent')
    .description('a scripted stand-in for a coding agent (not an AI), for trying gt: agent command ["gt", "demo-agent"], options --mode normal|crash|stuck|dirty|handoff, --delay MS')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]')
    .action(act(async (args: string[]) => (await import('../demo/agent.js')).demoAgent(args)));

  program
    .command('completion')
    .description('print the completion script for bash, zsh or fish (e.g. source <(gt completion bash))')
    .addArgument(new Argument('<shell>').choices(SHELLS))
    .action(act(async (shell: Shell) => (await import('./commands/completion.js')).completionCommand(program, shell)));

  const issues = program.command('issues').description("a rig's beads issues (--rig, default $GT_RIG or the only rig)");
  const rigOpt = (c: Command) => c.option('--rig <rig>', 'the rig').addOption(output());
  rigOpt(issues.command('list').description('all issues').option('--status <status>', 'only this status')).action(
    act(async (o: Param<typeof issuesList, 1>) => (await import('./commands/issues.js')).issuesList(g(), o, false)),
  );
  rigOpt(issues.command('ready').description('what bd ready offers, in dispatch order')).action(
    act(async (o: Param<typeof issuesList, 1>) => (await import('./commands/issues.js')).issuesList(g(), o, true)),
  );
  rigOpt(issues.command('show <id>').description('one issue')).action(
    act(async (id: Param<typeof issuesShow, 1>, o: Param<typeof issuesShow, 2>) => (await import('./commands/issues.js')).issuesShow(g(), id, o)),
  );
  rigOpt(
    issues
      .command('create <title>')
      .description('a new issue')
      .option('-d, --description <text>', 'description')
      .option('-p, --priority <n>', '0 (highest) to 4')
      .option('-t, --type <type>', 'task, bug, feature, epic, chore')
      .option('--blocked-by <id>', 'an issue that must close first (repeatable)', collect)
      .option('--parent <id>', 'make it a child of this issue'),
  ).action(act(async (title: Param<typeof issuesCreate, 1>, o: Param<typeof issuesCreate, 2>) => (await import('./commands/issues.js')).issuesCreate(g(), title, o)));
  rigOpt(issues.command('retry <id>').description('a fresh merge budget: forget its merge rejections and reopen it if blocked')).action(
    act(async (id: Param<typeof issuesRetry, 1>, o: Param<typeof issuesRetry, 2>) => (await import('./commands/issues.js')).issuesRetry(g(), id, o)),
  );
  rigOpt(issues.command('close <id>').description('close an issue').option('-r, --reason <text>', 'why')).action(
    act(async (id: Param<typeof issuesClose, 1>, o: Param<typeof issuesClose, 2>) => (await import('./commands/issues.js')).issuesClose(g(), id, o)),
  );

  const mail = program.command('mail').description('JSONL mail between agents (you are $GT_AGENT, else overseer)');
  mail
    .command('send <to>')
    .description('send a message: to mayor, overseer, RIG/witness, RIG/refinery, RIG/polecats/NAME, RIG/plugins/NAME')
    .requiredOption('-s, --subject <subject>', 'subject')
    .requiredOption('-m, --message <body>', 'body')
    .option('--from <address>', 'sender, default $GT_AGENT or overseer')
    .option('--type <type>', 'task, escalation, notification, reply or handoff')
    .option('--reply-to <id>', 'the message this answers (the reply joins its thread)')
    .option('-p, --priority <priority>', 'low, normal, high or urgent', 'normal')
    .addOption(output())
    .action(act(async (to: Param<typeof mailSend, 1>, o: Param<typeof mailSend, 2>) => (await import('./commands/mail.js')).mailSend(g(), to, o)));
  mail
    .command('inbox [address]')
    .description('list messages')
    .option('--unread', 'only unread ones')
    .addOption(output())
    .action(act(async (address: Param<typeof mailInbox, 1>, o: Param<typeof mailInbox, 2>) => (await import('./commands/mail.js')).mailInbox(g(), address, o)));
  mail
    .command('read <id> [address]')
    .description('show a message and mark it read')
    .addOption(output())
    .action(act(async (id: Param<typeof mailRead, 1>, address: Param<typeof mailRead, 2>, o: Param<typeof mailRead, 3>) => (await import('./commands/mail.js')).mailRead(g(), id, address, o)));

  return program;
}

/** Commands that only read the town: another user than its owner may run them (src/town/owner.ts). */
const READ_ONLY = new Set(['get', 'diff', 'status', 'doctor', 'dashboard', 'issues list', 'issues ready', 'issues show', 'mail inbox']);
/** Commands without a town, or whose town is known only from their manifests (they call actAsTownOwner themselves). */
const OWN_CHECK = new Set(['demo-agent', 'completion', 'apply', 'diff']);

/** Before a command touches its town: as its owner, root acting as the owner, or refused (a change by someone else). */
async function actAsOwner(g: GlobalOptions, command: Command): Promise<void> {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  const name = names.join(' ');
  const opts = command.opts<{ fix?: boolean; filename?: string[] }>();
  if (OWN_CHECK.has(name) && !(name === 'diff' && !opts.filename?.length)) return;
  const { locateTown } = await import('../town/locate.js');
  const root = locateTown(g);
  if (!root) return;
  const access = READ_ONLY.has(name) && !opts.fix ? 'read' : 'write';
  await (await import('../town/owner.js')).actAsTownOwner(root, access, process.argv.slice(2));
}

/** The one error boundary: every failure becomes a message on stderr and an exit code. */
async function main(argv: string[]): Promise<number> {
  (await import('./interrupt.js')).installInterruptHandlers();
  watchStdout();
  const program = buildProgram();
  try {
    // The demo agent is the agent itself, not one of its calls.
    if (process.env.GT_AGENT && argv[2] !== 'demo-agent') await (await import('../agents/heartbeat.js')).recordHeartbeat(process.env);
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof GtFailure) {
      process.stderr.write(`error: ${describeError(err.error)}\n`);
      return exitCodeFor(err.error);
    }
    const refused = systemError(err);
    if (refused) {
      process.stderr.write(`error: ${describeError(refused)}\n`);
      return exitCodeFor(refused);
    }
    process.stderr.write(`internal error (a bug in gt): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 70;
  }
  return commandExitCode;
}

process.exitCode = await main(process.argv);
