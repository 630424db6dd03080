import {
  type AccountId,
  type DeviceId,
  type DomainEvent,
  ErrorReply,
  newEvent,
  RateLimitsRequest,
  type RateLimitWindows,
  RecordRateLimitsReply,
} from '@ccsync/contracts';
import { deviceForPush, Errors, type EventHistory, eventIdOf, type HttpServer, principalOf } from '@ccsync/service-kit';

/**
 * How far ahead of this server's clock an observation may claim to be. The newest observation of
 * a window wins, so one device with its clock far ahead would hide every later figure.
 */
const MAX_AHEAD_MS = 5 * 60_000;

/**
 * One observation as a RateLimitsObserved event. Its id is a digest of the account, the device,
 * the instant and the windows (in name order), so the same observation sent again is stored once.
 */
export function rateLimitsEvent(
  account: AccountId,
  device: DeviceId,
  observedAt: string,
  windows: RateLimitWindows,
  now = new Date().toISOString(),
): DomainEvent<'RateLimitsObserved'> {
  const figures = Object.keys(windows)
    .sort()
    .map((name) => [name, windows[name]?.usedPercentage, windows[name]?.resetsAt]);
  return newEvent('RateLimitsObserved', {
    id: eventIdOf('RateLimitsObserved', account, device, observedAt, JSON.stringify(figures)),
    occurredAt: observedAt,
    recordedAt: now,
    account,
    device,
    data: { observedAt, windows },
  });
}

/**
 * `POST /v1/rate-limits`: Claude Code's official rate-limit figures as a device saw them (its
 * status line), recorded as a RateLimitsObserved event for every device of the account to see.
 */
export function registerRateLimitRoutes(app: HttpServer, history: EventHistory): void {
  app.post(
    '/v1/rate-limits',
    {
      schema: {
        body: RateLimitsRequest,
        response: { 202: RecordRateLimitsReply, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 503: ErrorReply },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const device = deviceForPush(principal, request.body.device);
      const { observedAt, windows } = request.body;
      if (Date.parse(observedAt) > Date.now() + MAX_AHEAD_MS) {
        throw new Errors.Validation(
          `body/observedAt is more than ${MAX_AHEAD_MS / 60_000} minutes ahead of the server's clock`,
        );
      }
      const event = rateLimitsEvent(principal.account, device, observedAt, windows);
      const stored = await history.append(event, request.log);
      return reply.status(202).send({ eventId: event.id, ...stored });
    },
  );
}
