import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** The budget for what a browser downloads before the first screen: the entry chunk and what it imports statically. */
export const INITIAL_JS_BUDGET_BYTES = 300 * 1024;

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

export interface BundleSize {
  /** Files loaded at start (entry + static imports), gzip-compressed sizes in bytes. */
  initial: { file: string; gzip: number }[];
  initialJsGzip: number;
  /** The largest lazily loaded chunks (map, charts), for the record. */
  lazy: { file: string; gzip: number }[];
}

const gz = (dir: string, file: string) => gzipSync(readFileSync(join(dir, file)), { level: 9 }).length;

/** Reads Vite's manifest of a built web application and measures its initial JavaScript, gzipped. */
export function measureBundle(webDir: string): BundleSize {
  const manifest = JSON.parse(readFileSync(join(webDir, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const initialKeys = new Set<string>();
  const visit = (key: string) => {
    if (initialKeys.has(key)) return;
    initialKeys.add(key);
    for (const k of manifest[key]?.imports ?? []) visit(k);
  };
  for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key);
  if (initialKeys.size === 0) throw new Error(`no entry chunk in ${webDir}/.vite/manifest.json`);
  const initial = [...initialKeys].map((k) => manifest[k]!.file).filter((f) => f.endsWith('.js')).map((file) => ({ file, gzip: gz(webDir, file) }));
  const lazy = Object.entries(manifest)
    .filter(([k, c]) => !initialKeys.has(k) && c.file.endsWith('.js'))
    .map(([, c]) => ({ file: c.file, gzip: gz(webDir, c.file) }))
    .sort((a, b) => b.gzip - a.gzip);
  return { initial, initialJsGzip: initial.reduce((s, f) => s + f.gzip, 0), lazy };
}

const kB = (n: number) => `${(n / 1024).toFixed(1)} kB`;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? 'dist/web');
  const size = measureBundle(dir);
  for (const f of size.initial) console.log(`initial  ${kB(f.gzip).padStart(9)}  ${f.file}`);
  for (const f of size.lazy) console.log(`lazy     ${kB(f.gzip).padStart(9)}  ${f.file}`);
  const ok = size.initialJsGzip <= INITIAL_JS_BUDGET_BYTES;
  console.log(`initial JavaScript: ${kB(size.initialJsGzip)} gzipped (budget ${kB(INITIAL_JS_BUDGET_BYTES)}) ${ok ? 'OK' : 'OVER BUDGET'}`);
  process.exitCode = ok ? 0 : 1;
}
