import { createReadStream } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SECOND_MS } from '../lib/time.js';

/** What the command writes to; a test passes its own. */
export interface CommandIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** A progress bar redrawn in place on a terminal, a line every `every` rows otherwise. */
  tty: boolean;
}

export const EXIT = { usage: 2, data: 65, noInput: 66, cannotCreate: 73, inUse: 75 } as const;

/** The prologue every command shares: its io, a `fail` that names the command, and its parsed arguments (or the usage exit code). */
export function startCommand<O extends NonNullable<ParseArgsConfig['options']>>(
  name: string,
  usage: string,
  args: string[],
  options: O,
  given?: CommandIo,
) {
  const io = given ?? { out: process.stdout, err: process.stderr, tty: Boolean(process.stderr.isTTY) };
  const fail = (code: number, message: string): number => {
    io.err.write(`smarthydro ${name}: ${message}\n`);
    return code;
  };
  try {
    const parsed = parseArgs({ args, allowPositionals: true, strict: true, options });
    return { io, fail, parsed };
  } catch (err) {
    return fail(EXIT.usage, `${(err as Error).message}\nusage: smarthydro ${usage}`);
  }
}

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} kB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** `[#####.....]  45%  12.3 MB / 27.0 MB  85,000 lines/s  ETA 0:12` (ETA from the bytes read so far). */
export function formatProgress(
  p: { lines: number; bytes: number; totalBytes: number; elapsedMs: number },
  width = 24,
  unit = 'lines',
  amount: (n: number) => string = human,
): string {
  const fraction = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 1;
  const filled = Math.round(fraction * width);
  const seconds = Math.max(p.elapsedMs / SECOND_MS, 0.001);
  const rate = Math.round(p.lines / seconds);
  const eta = fraction > 0 ? (seconds / fraction) * (1 - fraction) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ` +
    `${amount(p.bytes)} / ${amount(p.totalBytes)}  ${rate.toLocaleString('en-US')} ${unit}/s  ETA ${clock(eta)}`;
}

/** The file's chunks; opened only when read, closed when the reader stops early. */
export async function* readLazily(path: string): AsyncGenerator<Buffer> {
  const stream = createReadStream(path);
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    stream.destroy();
  }
}
