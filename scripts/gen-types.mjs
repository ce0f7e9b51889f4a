// Derives src/generated/manifest-types.ts from schemas/*.schema.json, so that
// the schemas stay the single source of truth for every field.
// The types describe a manifest as controllers read it: validation fills in every `default`
// (src/manifest/validate.ts), so a field with a default is required here and code never
// repeats the default with `??`.
// `node scripts/gen-types.mjs --check` fails when the committed file is stale.
import { compile } from 'json-schema-to-typescript';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, 'src/generated/manifest-types.ts');
const schemas = path.join(root, 'schemas');
const kinds = ['town', 'rig', 'swarm', 'plugin'];

/** Every property with a default becomes required, in the schema and in each one it refers to. */
function requireDefaulted(node) {
  if (Array.isArray(node)) return node.map(requireDefaulted);
  if (typeof node !== 'object' || node === null) return node;
  const copy = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, requireDefaulted(v)]));
  if (copy.properties && typeof copy.properties === 'object') {
    const defaulted = Object.keys(copy.properties).filter((k) => copy.properties[k] && 'default' in copy.properties[k]);
    if (defaulted.length) copy.required = [...new Set([...(copy.required ?? []), ...defaulted])];
  }
  return copy;
}

async function readDefaulted(file) {
  return requireDefaulted(JSON.parse(await readFile(file, 'utf8')));
}

/** Resolves `common.schema.json#/...` to the same transformed schema the kinds get. */
const defaultedResolver = {
  order: 1,
  canRead: (file) => /\.schema\.json$/.test(file.url),
  read: async (file) => JSON.stringify(await readDefaulted(file.url.startsWith('file:') ? fileURLToPath(file.url) : file.url)),
};

export async function generate() {
  const parts = ['// Generated from schemas/*.schema.json by scripts/gen-types.mjs. Do not edit.\n'];
  const seen = new Set();
  for (const kind of kinds) {
    const file = path.join(schemas, `${kind}.schema.json`);
    const ts = await compile(await readDefaulted(file), kind, {
      cwd: schemas,
      bannerComment: '',
      additionalProperties: false,
      declareExternallyReferenced: true,
      style: { singleQuote: true },
      $refOptions: { resolve: { defaulted: defaultedResolver } },
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
