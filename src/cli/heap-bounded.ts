import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * The JavaScript heap the legacy import runs with. Without a limit V8 sizes the heap from the machine's
 * memory and lets it grow to several times what is alive before collecting: the import of 1,000,000 rows
 * peaked at 307 MB RSS on PostgreSQL; in a worker with a heap of 256 MB the process (main thread included)
 * peaked at 229 MB and ran faster. What the import keeps alive does not grow with the file (it streams), so
 * the bound holds for any file size.
 */
export const IMPORT_HEAP_MB = 256;

/**
 * Runs `export function <name>(args, deps)` of `moduleUrl` (a command) in a worker thread whose old
 * generation is limited to `heapMb`, with this process's stdout and stderr; resolves with its exit code.
 * A command that needs more than that stops with a message naming the setting to raise.
 */
export function runHeapBounded(moduleUrl: URL, name: string, args: string[], heapMb: number): Promise<number> {
  // The error crosses to this thread as plain fields (what main's handler reads: name, code, port, address,
  // the inner errors of an AggregateError), and is rebuilt here.
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const plain = (e) => e && typeof e === 'object'
      ? { name: e.name, message: e.message, stack: e.stack, code: e.code, port: e.port, hostname: e.hostname, address: e.address,
          errors: Array.isArray(e.errors) ? e.errors.map(plain) : undefined }
      : { message: String(e) };
    // From source (npm run dev, the tests) the command is TypeScript: this thread loads it through tsx too.
    (workerData.url.endsWith('.ts') ? import('tsx/esm/api').then((tsx) => tsx.register()) : Promise.resolve())
      .then(() => import(workerData.url))
      .then(async (m) => {
        const { loadConfig } = await import(workerData.configUrl);
        const io = { out: process.stdout, err: process.stderr, tty: workerData.tty };
        return m[workerData.name](workerData.args, { config: loadConfig(), io });
      })
      .then((code) => parentPort.postMessage({ code }), (err) => parentPort.postMessage({ error: plain(err) }))
      // Its output reaches the parent asynchronously: written out before the thread ends, and the parent answers
      // only once it has ended (a handle left open by the command does not keep it waiting).
      .then(() => new Promise((r) => process.stdout.write('', r)))
      .then(() => new Promise((r) => process.stderr.write('', r)))
      .finally(() => process.exit(0));`;
  const configUrl = new URL(`../config${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, {
      eval: true,
      workerData: { url: moduleUrl.href, configUrl, name, args, tty: Boolean(process.stderr.isTTY) },
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
    });
    let outcome: { code: number } | { error: Error } | undefined;
    worker.on('message', (m: { code?: number; error?: PlainError }) => {
      outcome = m.error !== undefined ? { error: rebuild(m.error) } : { code: m.code ?? 1 };
    });
    worker.on('error', (err: Error & { code?: string }) => {
      outcome ??= {
        error: err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new Error(`the command needed more than its ${heapMb} MB heap; raise it with SMARTHYDRO_IMPORT_HEAP_MB (e.g. ${heapMb * 2})`)
          : err,
      };
    });
    worker.on('exit', () => {
      if (outcome === undefined) resolve(1);
      else if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.code);
    });
  });
}

interface PlainError {
  name?: string;
  message?: string;
  stack?: string;
  code?: unknown;
  port?: unknown;
  hostname?: unknown;
  address?: unknown;
  errors?: PlainError[];
}

function rebuild(e: PlainError): Error {
  const err = e.errors ? new AggregateError(e.errors.map(rebuild), e.message) : new Error(e.message);
  const { errors: _inner, message: _message, ...fields } = e;
  return Object.assign(err, Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
}
