// Bundles the compiled CLI (dist/src/cli/main.js) into dist/bundle/: one module graph in a few
// files instead of hundreds, which cuts gt's start-up by about a third. Commands stay separate
// chunks, loaded only when used.
import { build } from 'esbuild';
import { chmod, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// Chunk names change with their content: start clean so no stale chunk lingers.
await rm(path.join(root, 'dist', 'bundle'), { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'dist', 'src', 'cli', 'main.js')],
  outdir: path.join(root, 'dist', 'bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // CommonJS dependencies (commander) call require(); give the ESM bundle a real one.
  banner: { js: "import { createRequire as __gtCreateRequire } from 'node:module'; const require = __gtCreateRequire(import.meta.url);" },
});
// The bin entry: executable, as npm would leave it (it is rebuilt after npm links it).
await chmod(path.join(root, 'dist', 'bundle', 'main.js'), 0o755);
