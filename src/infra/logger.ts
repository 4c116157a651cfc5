import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** JSON logs; credentials are redacted wherever they appear in logged objects. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'smarthydro' },
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.password',
        '*.provider_token',
        '*.dga_password',
        '*.token',
        'password',
        'token',
      ],
      censor: '[redacted]',
    },
  });
}
