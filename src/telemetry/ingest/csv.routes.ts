import type { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors.js';
import { errorResponses, IdParams } from '../../http/schemas.js';
import type { CsvImportService } from './csv.service.js';

/** Largest CSV upload; bigger back-fills go through `smarthydro import-csv` or several files. */
export const MAX_CSV_UPLOAD_BYTES = 100 * 1024 * 1024;
/** Rejects listed in the answer; the counts cover all of them. */
export const MAX_REJECTS_LISTED = 1000;

export const CsvImportAnswer = Type.Object({
  point_id: Type.Integer(),
  delimiter: Type.String(),
  layout: Type.Union([Type.Literal('long'), Type.Literal('wide')]),
  lines: Type.Integer({ description: 'data lines read' }),
  accepted: Type.Integer({ description: 'readings accepted by the bus; the processor then stores them or dead-letters them with a reason' }),
  rejected: Type.Integer({ description: 'rejected lines (or cells of a wide line, or header columns)' }),
  rejects: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() }), { description: `the first ${MAX_REJECTS_LISTED}` }),
});
export type CsvImportAnswer = Static<typeof CsvImportAnswer>;

class PayloadTooLargeError extends AppError {
  constructor(limit: number, partly = false) {
    super(
      'PAYLOAD_TOO_LARGE',
      `the CSV is larger than ${limit / 1024 / 1024} MB: split it, or use smarthydro import-csv` +
        (partly ? '; lines before the limit may already be accepted, and sending them again stores nothing twice' : ''),
      413,
      { limit },
    );
  }
}

async function* capped(stream: Readable, limit: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    bytes += buf.length;
    if (bytes > limit) throw new PayloadTooLargeError(limit, true);
    yield buf;
  }
}

// An empty request body reads as an empty file (its header error names the fix).
async function* noBody(): AsyncGenerator<Buffer> {}

/** POST /points/{id}/readings.csv: a streamed CSV back-fill (staff). */
export const csvImportRoutes: FastifyPluginAsync<{ csvImport: CsvImportService; maxBytes?: number }> = async (app, opts) => {
  const limit = opts.maxBytes ?? MAX_CSV_UPLOAD_BYTES;
  // The body stays a stream: the import reads it as it arrives, never whole.
  app.addContentTypeParser(['text/csv', 'application/csv'], (_req, payload, done) => done(null, payload));
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post('/points/:id/readings.csv', {
    schema: {
      tags: ['telemetry'],
      summary:
        'Back-fill readings from a CSV (Content-Type: text/csv, at most 100 MB): long layout timestamp,variable,value or wide ' +
        'timestamp,<variable>,…; "," or ";" (then decimal commas); timestamps without an offset are wall-clock time in `timezone`. ' +
        'Readings go through the processor like collected ones; importing the same file again stores nothing new.',
      params: IdParams,
      querystring: Type.Object({
        timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone of naive timestamps; default America/Santiago' })),
      }),
      response: { 202: CsvImportAnswer, ...errorResponses, 413: Type.Ref('Problem'), 415: Type.Ref('Problem') },
    },
    handler: async (req, reply) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
      const body = req.body as Readable | undefined;
      if (body !== undefined && typeof (body as Partial<Readable>).pipe !== 'function') {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the CSV itself with Content-Type: text/csv', 415);
      }
      const result = await opts.csvImport.import(
        req.principal,
        req.params.id,
        body ? capped(body, limit) : noBody(),
        { timezone: req.query.timezone, keepRejects: MAX_REJECTS_LISTED },
      );
      const answer: CsvImportAnswer = {
        point_id: req.params.id,
        delimiter: result.delimiter,
        layout: result.layout,
        lines: result.lines,
        accepted: result.accepted,
        rejected: result.rejected,
        rejects: result.rejects,
      };
      return reply.status(202).send(answer);
    },
  });
};
