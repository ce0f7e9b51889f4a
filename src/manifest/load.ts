import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments, LineCounter, isMap, isSeq, isScalar, isPair, type Document, type Node } from 'yaml';
import { fail, type Diagnostic } from '../errors.js';

export type PathSegment = string | number;

/** One YAML document of the input, with what is needed to point at any of its fields. */
export interface SourceDoc {
  /** As shown to people: relative to the cwd when below it, `<stdin>` for standard input. */
  file: string;
  /** Directory that relative paths inside the document are taken from. */
  baseDir: string;
  /** 1-based position of the document in its file. */
  index: number;
  value: unknown;
  locate(at: PathSegment[], key?: boolean): { line: number; col: number };
}

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);

/**
 * Reads every manifest document from files, directories (their *.yaml, *.yml, *.json) and `-`
 * (stdin). YAML errors go to `diagnostics`; the documents that did parse are still returned, so
 * that every error in the input is reported in one go.
 */
export async function loadSources(paths: string[], diagnostics: Diagnostic[], readStdin: () => Promise<string> = readAllStdin): Promise<SourceDoc[]> {
  const docs: SourceDoc[] = [];
  for (const p of paths) {
    if (p === '-') {
      parseText(await readStdin(), '<stdin>', process.cwd(), docs, diagnostics);
      continue;
    }
    for (const file of await expand(p)) {
      parseText(await readFile(file, 'utf8'), displayPath(file), path.dirname(path.resolve(file)), docs, diagnostics);
    }
  }
  return docs;
}

async function expand(p: string): Promise<string[]> {
  let st;
  try {
    st = await stat(p);
  } catch {
    fail({ kind: 'usage', message: `${p}: no such file or directory` });
  }
  if (!st.isDirectory()) return [p];
  const entries = (await readdir(p)).filter((n) => MANIFEST_EXT.has(path.extname(n)) && !n.startsWith('.')).sort();
  if (!entries.length) fail({ kind: 'usage', message: `${p}: directory holds no *.yaml, *.yml or *.json files` });
  return entries.map((n) => path.join(p, n));
}

export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file));
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.resolve(file);
}

export function parseText(text: string, file: string, baseDir: string, out: SourceDoc[], diagnostics: Diagnostic[]): void {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const documents: Document[] = Array.isArray(parsed) ? parsed : [];
  let index = 0;
  for (const doc of documents) {
    index += 1;
    const problems = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'DUPLICATE_KEY')];
    if (problems.length) {
      for (const e of problems) {
        const pos = lineCounter.linePos(e.pos[0]);
        diagnostics.push({ file, line: pos.line, col: pos.col, message: `YAML: ${firstLine(e.message)}` });
      }
      continue;
    }
    if (doc.contents === null) continue;
    const contents = doc.contents;
    out.push({
      file,
      baseDir,
      index,
      value: doc.toJS({ maxAliasCount: 100 }),
      locate: (at, key = false) => lineCounter.linePos(offsetOf(contents, at, key)),
    });
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** Start offset of the node at `at`, or of its deepest existing ancestor; `key` points at a map key instead of its value. */
function offsetOf(root: Node, at: PathSegment[], key: boolean): number {
  let node: Node = root;
  for (let i = 0; i < at.length; i++) {
    const seg = at[i];
    const last = i === at.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      if (last && key && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
      if (!pair.value) return (pair.key as Node).range?.[0] ?? 0;
      node = pair.value as Node;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg] as Node;
    } else break;
  }
  return node.range?.[0] ?? 0;
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
