import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The bare remote runs the toy project's tests (`node test.js`) on every commit pushed to main
 * and logs `<sha> <exit code>` to `pushes.log` beside it: "main is green" is checked from there.
 */
export async function installPushHook(bare: string): Promise<void> {
  const hook = path.join(bare, 'hooks', 'post-receive');
  await writeFile(
    hook,
    `#!/bin/sh
while read old new ref; do
  [ "$ref" = "refs/heads/main" ] || continue
  [ "$new" = "0000000000000000000000000000000000000000" ] && continue
  tmp=$(mktemp -d)
  git archive "$new" | tar -x -C "$tmp"
  (cd "$tmp" && timeout 10 "${process.execPath}" test.js >/dev/null 2>&1)
  echo "$new $?" >> "${path.join(bare, 'pushes.log')}"
  rm -rf "$tmp"
done
exit 0
`,
  );
  await chmod(hook, 0o755);
}
