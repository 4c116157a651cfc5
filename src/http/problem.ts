import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, TooManyRequestsError } from '../errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  request_id: string;
  field?: string;
  [key: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
) {
  const body: Problem = {
    type: `https://smarthydro.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    instance: request.url,
    request_id: String(request.id),
    ...extra,
  };
  return reply.status(status).type('application/problem+json').send(body);
}

/** AJV error → a sentence naming the field as the client spelled it. */
function validationDetail(err: FastifyError): { field: string; detail: string } {
  const v = err.validation?.[0];
  if (!v) return { field: '', detail: err.message };
  const params = v.params as Record<string, unknown>;
  let field = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (typeof params.missingProperty === 'string') field = field ? `${field}.${params.missingProperty}` : params.missingProperty;
  if (typeof params.additionalProperty === 'string') {
    const f = field ? `${field}.${params.additionalProperty}` : params.additionalProperty;
    return { field: f, detail: `${f} is not a known field` };
  }
  if (!field) field = err.validationContext ?? 'body';
  const where = err.validationContext && err.validationContext !== 'body' ? ` (in ${err.validationContext})` : '';
  let message = v.message ?? 'is invalid';
  if (v.keyword === 'required') message = 'is required';
  if (v.keyword === 'enum' && Array.isArray(params.allowedValues)) message = `must be one of ${params.allowedValues.join(', ')}`;
  return { field, detail: `${field} ${message}${where}` };
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AppError) {
    if (err.status >= 500) request.log.error({ err }, 'request failed');
    if (err instanceof TooManyRequestsError) reply.header('retry-after', String(err.retryAfterSeconds));
    const { field, ...rest } = err.details ?? {};
    return sendProblem(reply, request, err.status, err.code, err.message, {
      ...(field ? { field } : {}),
      ...(Object.keys(rest).length ? { details: rest } : {}),
    });
  }
  if (err.validation) {
    const { field, detail } = validationDetail(err);
    return sendProblem(reply, request, 400, 'VALIDATION_FAILED', detail, { field });
  }
  const status = err.statusCode ?? 500;
  if (status < 500) {
    return sendProblem(reply, request, status, err.code ?? 'BAD_REQUEST', err.message);
  }
  request.log.error({ err }, 'unhandled error');
  return sendProblem(reply, request, 500, 'INTERNAL', `internal error; quote request id ${request.id} when reporting it`);
}
