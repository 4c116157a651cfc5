import { Worker } from 'node:worker_threads';

/**
 * Sequential GETs from a worker thread, so the load generator does not share the server's event
 * loop. Returns the latency of each request in milliseconds.
 */
export function httpLoad(url: string, headers: Record<string, string>, warmup: number, n: number): Promise<number[]> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { url, headers, warmup, n } = workerData;
      const one = async () => {
        const t0 = performance.now();
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error('GET ' + url + ' answered ' + res.status);
        return performance.now() - t0;
      };
      for (let i = 0; i < warmup; i++) await one();
      const samples = [];
      for (let i = 0; i < n; i++) samples.push(await one());
      parentPort.postMessage(samples);
    })().catch((err) => { throw err; });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { url, headers, warmup, n } });
    w.once('message', (samples: number[]) => {
      resolve(samples);
      void w.terminate();
    });
    w.once('error', reject);
  });
}
