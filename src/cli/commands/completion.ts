import type { Command } from 'commander';
import { completionScript, type Shell } from '../completion.js';
import { print } from '../options.js';

/** `gt completion bash|zsh|fish` (commander checks the shell): the script for this gt's commands and options. */
export function completionCommand(program: Command, shell: Shell): number {
  print(completionScript(program, shell).trimEnd());
  return 0;
}
