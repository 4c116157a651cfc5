/** Simulated Novus (TagoIO): device data by device token. */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { applyRequestFault, parseIntParam, serveReadings, type SimContext } from './context.js';
import { SIMULATOR_CHANNELS, simulatorChannel } from './series.js';

interface DataQuery {
  variable?: string | string[];
  variables?: string | string[];
  'variables[]'?: string | string[];
  query?: string;
  qty?: string;
  skip?: string;
  start_date?: string;
  end_date?: string;
  ordination?: string;
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function itemId(token: string, variable: string, tsMs: number): string {
  const seconds = Math.floor(tsMs / 1000).toString(16).padStart(8, '0').slice(-8);
  return seconds + createHash('sha1').update(`${token}|${variable}|${tsMs}`).digest('hex').slice(0, 16);
}

export async function novusRoutes(app: FastifyInstance, { ctx }: { ctx: SimContext }): Promise<void> {
  app.addHook('onRequest', async () => {
    ctx.stats.requests.novus++;
  });

  app.get<{ Querystring: DataQuery }>('/data', async (request, reply) => {
    const header = request.headers.authorization ?? request.headers['device-token'];
    const token = Array.isArray(header) ? header[0] : header;
    if (!token) return reply.code(401).send({ status: false, message: 'Authorization denied' });
    if (await applyRequestFault(ctx, { provider: 'novus', device: token }, request, reply)) return reply;

    const q = request.query;
    const requested = [...asList(q.variable), ...asList(q.variables), ...asList(q['variables[]'])];
    const variables = requested.length > 0 ? [...new Set(requested)] : Object.keys(SIMULATOR_CHANNELS.novus);
    const lastItem = q.query === 'last_item';
    const qty = lastItem ? 1 : q.qty === undefined ? ctx.limits.novusDefaultQty : parseIntParam(q.qty);
    const skip = q.skip === undefined ? 0 : parseIntParam(q.skip);
    const start = q.start_date === undefined ? 0 : Date.parse(q.start_date);
    const end = q.end_date === undefined ? ctx.now() : Date.parse(q.end_date);
    if (qty === undefined || qty < 1 || skip === undefined || skip < 0 || Number.isNaN(start) || Number.isNaN(end)) {
      return reply.code(400).send({ status: false, message: 'Invalid qty, skip, start_date or end_date' });
    }
    const order = !lastItem && q.ordination === 'ascending' ? 'asc' : 'desc';
    const take = Math.min(qty, ctx.limits.novusMaxQty);

    const faults = ctx.faults.takeDataFaults({ provider: 'novus', device: token });
    // One variable pages by index arithmetic; several are merged by time, then paged.
    const single = variables.length === 1;
    const items = variables.flatMap((variable) =>
      serveReadings(ctx, token, variable, faults, {
        startMs: start,
        endMs: end,
        order,
        skip: single ? skip : 0,
        limit: single ? take : skip + take,
      }).map((r) => ({ variable, ...r })),
    );
    items.sort((a, b) => (order === 'asc' ? a.tsMs - b.tsMs : b.tsMs - a.tsMs) || a.variable.localeCompare(b.variable));
    const page = single ? items : items.slice(skip, skip + take);
    return {
      status: true,
      result: page.map((r) => ({
        id: itemId(token, r.variable, r.tsMs),
        time: new Date(r.tsMs).toISOString(),
        variable: r.variable,
        value: r.value,
        unit: simulatorChannel(r.variable)?.unit ?? '',
      })),
    };
  });
}
