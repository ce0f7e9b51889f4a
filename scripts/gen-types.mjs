// Derives src/generated/manifest-types.ts from schemas/*.schema.json, so that
// the schemas stay the single source of truth for every field.
// `node scripts/gen-types.mjs --check` fails when the committed file is stale.
import { compileFromFile } from 'json-schema-to-typescript';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, 'src/generated/manifest-types.ts');
const kinds = ['town', 'rig', 'swarm', 'plugin'];

export async function generate() {
  const parts = ['// Generated from schemas/*.schema.json by scripts/gen-types.mjs. Do not edit.\n'];
  const seen = new Set();
  for (const kind of kinds) {
    const ts = await compileFromFile(path.join(root, 'schemas', `${kind}.schema.json`), {
      cwd: path.join(root, 'schemas'),
      bannerComment: '',
      additionalProperties: false,
      declareExternallyReferenced: true,
      style: { singleQuote: true },
    });
    // Shared definitions appear in every kind's output; keep the first copy.
    const blocks = ts.split(/\n(?=(?:\/\*\*[\s\S]*?\*\/\n)?export )/);
    for (const block of blocks) {
      const name = /export (?:interface|type) (\w+)/.exec(block)?.[1];
      if (!name || seen.has(name)) continue;
      seen.add(name);
      parts.push(block.trim() + '\n');
    }
  }
  return parts.join('\n');
}

const text = await generate();
if (process.argv.includes('--check')) {
  const current = await readFile(out, 'utf8').catch(() => '');
  if (current !== text) {
    console.error('src/generated/manifest-types.ts is stale: run npm run gen:types');
    process.exit(1);
  }
} else {
  await writeFile(out, text);
}
