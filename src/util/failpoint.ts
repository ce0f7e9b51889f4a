/**
 * Named points where a test can make this process die at once (SIGKILL, like a power cut or
 * an OOM kill): `GT_FAILPOINT=merge:after-push gt run --once`. Unset, a failpoint does nothing.
 * The crash-safety tests use them to kill gt at each step of a merge.
 */
export function failpoint(name: string): void {
  if (process.env.GT_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
