import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { BENCH_PARTS, runBench, type BenchOptions } from './bench.js';

export const BENCH_USAGE =
  'bench [--json] [--points N] [--requests N] [--sample N] [--history-hours N] [--csv-rows N] [--ingest-readings N] [--import-rows N] [--scale-points N] [--dga-points N] [--only queries|ingest|import|scale] [--quick]';

/** Options of `smarthydro bench`; unknown options are an error. */
export function parseBenchArgs(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      points: { type: 'string', default: '10000' },
      requests: { type: 'string', default: '1000' },
      sample: { type: 'string' },
      'history-hours': { type: 'string' },
      'csv-rows': { type: 'string' },
      'ingest-readings': { type: 'string' },
      'import-rows': { type: 'string' },
      'scale-points': { type: 'string' },
      'dga-points': { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, v: string | undefined, min: number) => {
    if (v === undefined) return undefined;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer of at least ${min} (got "${v}")`);
    return n;
  };
  const only = values.only;
  if (only !== undefined && !BENCH_PARTS.includes(only as never)) {
    throw new Error(`--only must be "queries", "ingest", "import" or "scale" (got "${only}")`);
  }
  return {
    json: values.json,
    ...(only ? { only: only as (typeof BENCH_PARTS)[number] } : {}),
    points: int('points', values.points, 1)!,
    requests: int('requests', values.requests, 1)!,
    sample: int('sample', values.sample, 1),
    historyHours: int('history-hours', values['history-hours'], 1),
    csvRows: int('csv-rows', values['csv-rows'], 1),
    ingestReadings: int('ingest-readings', values['ingest-readings'], 1000),
    importRows: int('import-rows', values['import-rows'], 1000),
    scalePoints: int('scale-points', values['scale-points'], 10),
    dgaPoints: int('dga-points', values['dga-points'], 1),
    quick: values.quick,
  };
}

/** `smarthydro bench …` and `npm run bench -- …` land here. */
export async function benchCommand(args: string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(args);
  } catch (err) {
    console.error(`${(err as Error).message}\nusage: smarthydro ${BENCH_USAGE}`);
    return 2;
  }
  return runBench(loadConfig(), opts);
}

// `node dist/tools/bench/cli.js …` (npm run bench) or `node --import tsx tools/bench/cli.ts …`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}
