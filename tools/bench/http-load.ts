import { Worker } from 'node:worker_threads';

/**
 * Sequential GETs over one keep-alive connection (node:http, the body read and dropped), from a worker
 * thread so the load generator does not share the server's event loop. Each figure is the time from
 * sending the request to the last byte of the answer; `pauseMs` between requests makes it a dashboard
 * polling rather than a tight loop.
 * Returns the latency of each request in ms.
 */
export function httpLoad(
  url: string,
  headers: Record<string, string>,
  warmup: number,
  n: number,
  pauseMs = 0,
): Promise<number[]> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const http = require('node:http');
    const { url, headers, warmup, n, pauseMs } = workerData;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const one = () => new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = http.get(url, { headers, agent }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error('GET ' + url + ' answered ' + res.statusCode));
          else resolve(performance.now() - t0);
        });
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    (async () => {
      for (let i = 0; i < warmup; i++) await one();
      const samples = [];
      while (samples.length < n) {
        samples.push(await one());
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
      agent.destroy();
      parentPort.postMessage(samples);
    })().catch((err) => { throw err; });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { url, headers, warmup, n, pauseMs } });
    w.once('message', (samples: number[]) => {
      resolve(samples);
      void w.terminate();
    });
    w.once('error', reject);
  });
}
