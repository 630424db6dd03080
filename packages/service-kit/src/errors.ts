import createError from '@fastify/error';

/*
 * Every error a ccsync service replies with, defined once with a stable code. The reply shape is
 * Fastify's own ({ statusCode, code, error, message }), so framework errors look the same.
 */
export const Errors = {
  Unauthorized: createError('CCSYNC_UNAUTHORIZED', 'A valid bearer token is required', 401),
  Forbidden: createError('CCSYNC_FORBIDDEN', 'This token may not %s', 403),
  DeviceRequired: createError('CCSYNC_DEVICE_REQUIRED', 'Name the device: this token is not bound to one', 400),
  NotFound: createError('CCSYNC_NOT_FOUND', '%s', 404),
  Conflict: createError('CCSYNC_CONFLICT', '%s', 409),
  /** A setting that is read at start only: it changes in the environment, with a restart. */
  RestartRequired: createError('CCSYNC_RESTART_REQUIRED', '%s', 409),
  Validation: createError('CCSYNC_VALIDATION', '%s', 400),
  /** An event larger than the NATS server takes in one message: sending it again cannot help. */
  EventTooLarge: createError('CCSYNC_EVENT_TOO_LARGE', '%s', 413),
  StoreUnavailable: createError('CCSYNC_STORE_UNAVAILABLE', 'The event store is unavailable; retry later', 503),
  SchedulerUnavailable: createError(
    'CCSYNC_SCHEDULER_UNAVAILABLE',
    'No scheduler is running to answer; start one and retry',
    503,
  ),
  ViewsUnavailable: createError('CCSYNC_VIEWS_UNAVAILABLE', 'The views store is unavailable; retry later', 503),
} as const;

/**
 * An error as a request/reply answer over NATS, in the shape the HTTP error handler gives it.
 * Only ccsync's own errors say what went wrong; anything unexpected is "Internal error".
 */
export function errorOutcome(error: unknown): { ok: false; statusCode: number; code: string; message: string } {
  const { statusCode = 500, code, message } = error as Error & { statusCode?: number; code?: unknown };
  if (typeof code === 'string' && code.startsWith('CCSYNC_') && code !== 'CCSYNC_INTERNAL') {
    return { ok: false, statusCode, code, message };
  }
  return { ok: false, statusCode: 500, code: 'CCSYNC_INTERNAL', message: 'Internal error' };
}

/**
 * The other side of `errorOutcome`: another service's answer as an error to throw, so the one
 * HTTP error handler gives it the one error shape.
 */
export function outcomeError({ statusCode, code, message }: { statusCode: number; code: string; message: string }) {
  return Object.assign(new Error(message), { statusCode, code });
}
