/** Application errors carry a stable `code`; the HTTP error handler maps them to problem+json. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, 404, details);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, 409, details);
  }
}

/** Invalid input; `field` names the offending field as the client sent it. */
export class ValidationError extends AppError {
  constructor(message: string, readonly field?: string, details?: Record<string, unknown>) {
    super('VALIDATION_FAILED', message, 400, { ...details, ...(field ? { field } : {}) });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'authentication required: send Authorization: Bearer <token or API key>') {
    super('UNAUTHORIZED', message, 401);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'your role may not do this') {
    super('FORBIDDEN', message, 403);
  }
}

/** Too many attempts: try again after `retryAfterSeconds` (sent as Retry-After). */
export class TooManyRequestsError extends AppError {
  constructor(code: string, message: string, readonly retryAfterSeconds: number) {
    super(code, message, 429, { retry_after_s: retryAfterSeconds });
  }
}
