import { describe, expect, it } from 'vitest';
import { classifyDgaAnswer, mayBeHeldByDga, nextAttemptAt, parseDuplicateMessage, retryBackoffMs } from './response.js';

const http = (status: number, body: unknown) =>
  classifyDgaAnswer({ kind: 'http', status, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('parseDuplicateMessage', () => {
  it('reads the receipt from DGA duplicate messages, however they are spaced or cased', () => {
    const receipt = 'HsfIKMWBP7a8970dQ9DuUA82ZE694DHI';
    for (const message of [
      `Ya existe un registro en esa fecha, hora para la obra. Comprobante: ${receipt}`,
      `Ya existe un registro en esa fecha, hora para la obra. Comprobante: ${receipt}.`,
      `  YA EXISTE UN REGISTRO en esa fecha, hora para la obra.   comprobante:${receipt}  `,
      `Ya  existe\tun registro en esa fecha, hora para la obra. Comprobante :  ${receipt}.\n`,
    ]) {
      expect(parseDuplicateMessage(message)).toEqual({ duplicate: true, receipt });
    }
  });
  it('tells a duplicate without receipt from other messages', () => {
    expect(parseDuplicateMessage('Ya existe un registro en esa fecha, hora para la obra.')).toEqual({ duplicate: true, receipt: null });
    expect(parseDuplicateMessage('Formato de caudal inválido')).toEqual({ duplicate: false, receipt: null });
    expect(parseDuplicateMessage(null)).toEqual({ duplicate: false, receipt: null });
  });
});

describe('classifyDgaAnswer', () => {
  it('200 with status 00 is sent with its receipt', () => {
    expect(http(200, { status: '00', message: 'OK', data: { numeroComprobante: 'ABC123' } })).toEqual({
      kind: 'sent',
      receipt: 'ABC123',
      duplicate: false,
      message: 'OK',
    });
  });

  it('a duplicate is sent, with the first receipt', () => {
    const outcome = http(400, {
      status: '400',
      message: 'Ya existe un registro en esa fecha, hora para la obra. Comprobante: lKz4sy6qr8ILVTRJd43SZEErwKpdITYJ',
    });
    expect(outcome).toMatchObject({ kind: 'sent', duplicate: true, receipt: 'lKz4sy6qr8ILVTRJd43SZEErwKpdITYJ' });
  });

  it('accepted without a receipt needs a person, never a resend', () => {
    expect(http(200, { status: '00', message: 'OK', data: {} })).toMatchObject({ kind: 'needs_attention', code: 'DGA_RECEIPT_MISSING' });
    expect(http(400, { message: 'Ya existe un registro en esa fecha, hora para la obra.' })).toMatchObject({
      kind: 'needs_attention',
      code: 'DGA_RECEIPT_MISSING',
    });
    expect(http(200, '<html>proxy</html>')).toMatchObject({ kind: 'needs_attention', code: 'DGA_ANSWER_UNREADABLE' });
  });

  it('a wrong informante or refused credentials need an operator', () => {
    expect(http(400, { status: 'error', message: 'Error: Usuario no es el informante registrado en la Obra.' })).toMatchObject({
      kind: 'needs_attention',
      code: 'DGA_INFORMANTE_MISMATCH',
    });
    expect(http(401, { message: 'Unauthorized' })).toMatchObject({ kind: 'needs_attention', code: 'DGA_AUTH_REJECTED' });
    expect(http(403, '')).toMatchObject({ kind: 'needs_attention', code: 'DGA_AUTH_REJECTED' });
    expect(http(400, { message: 'Contraseña incorrecta' })).toMatchObject({ kind: 'needs_attention', code: 'DGA_AUTH_REJECTED' });
  });

  it('other refusals are rejected (retried once a day)', () => {
    expect(http(400, { status: '400', message: 'caudal debe ser numérico con 2 decimales' })).toEqual({
      kind: 'rejected',
      message: 'caudal debe ser numérico con 2 decimales',
      httpStatus: 400,
    });
    expect(http(422, 'Unprocessable')).toMatchObject({ kind: 'rejected', httpStatus: 422 });
    expect(http(200, { status: '99', message: 'Validación falló: fecha futura' })).toMatchObject({ kind: 'rejected', httpStatus: 200 });
  });

  it('server errors, throttling, timeouts and network failures are retryable', () => {
    expect(http(500, { status: '500', message: 'Error interno' })).toMatchObject({ kind: 'retryable', httpStatus: 500 });
    expect(http(503, '<html>Service Unavailable</html>')).toMatchObject({ kind: 'retryable', httpStatus: 503 });
    expect(http(429, '')).toMatchObject({ kind: 'retryable', httpStatus: 429 });
    expect(classifyDgaAnswer({ kind: 'timeout' })).toMatchObject({ kind: 'retryable', httpStatus: null });
    expect(classifyDgaAnswer({ kind: 'network', message: 'ECONNREFUSED' })).toMatchObject({
      kind: 'retryable',
      message: 'network error: ECONNREFUSED',
    });
  });
});

describe('retry schedule', () => {
  it('backs off exponentially from one minute to an hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => retryBackoffMs(n) / 60_000)).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
  });
  it('retries rejections after a day and never retries sent or needs_attention', () => {
    const now = new Date('2026-06-11T17:00:00Z');
    expect(nextAttemptAt({ kind: 'retryable', message: '', httpStatus: 500 }, 3, now)?.toISOString()).toBe('2026-06-11T17:04:00.000Z');
    expect(nextAttemptAt({ kind: 'rejected', message: '', httpStatus: 400 }, 1, now)?.toISOString()).toBe('2026-06-12T17:00:00.000Z');
    expect(nextAttemptAt({ kind: 'sent', receipt: 'X', duplicate: false, message: '' }, 1, now)).toBeNull();
    expect(nextAttemptAt({ kind: 'needs_attention', code: 'DGA_AUTH_REJECTED', message: '', httpStatus: 401 }, 1, now)).toBeNull();
  });
});

describe('mayBeHeldByDga: a retry needs force', () => {
  it.each([
    [{ receipt: null, last_http_status: 200, error_code: 'DGA_RECEIPT_MISSING' }, true],
    [{ receipt: null, last_http_status: 201, error_code: 'DGA_ANSWER_UNREADABLE' }, true],
    [{ receipt: null, last_http_status: 400, error_code: 'DGA_RECEIPT_MISSING' }, true],
    [{ receipt: 'X1', last_http_status: 200, error_code: null }, true],
    [{ receipt: null, last_http_status: 500, error_code: 'DGA_UNAVAILABLE' }, false],
    [{ receipt: null, last_http_status: 500, error_code: 'DGA_ANSWER_UNREADABLE' }, false],
    [{ receipt: null, last_http_status: 200, error_code: 'DGA_REJECTED' }, false],
    [{ receipt: null, last_http_status: 401, error_code: 'DGA_AUTH_REJECTED' }, false],
    [{ receipt: null, last_http_status: null, error_code: 'DGA_TIMEOUT' }, false],
    [{ receipt: null, last_http_status: null, error_code: null }, false],
  ])('%o → %s', (row, expected) => {
    expect(mayBeHeldByDga(row)).toBe(expected);
  });
});
