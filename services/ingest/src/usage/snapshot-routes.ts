import { ErrorReply, PushUsageReply, SnapshotRequest } from '@ccsync/contracts';
import {
  deviceForPush,
  type EventHistory,
  type HttpServer,
  principalOf,
  usageSnapshotEvent,
} from '@ccsync/service-kit';

/**
 * `POST /v1/snapshots`: a device's whole ccusage daily report, recorded as a UsageSnapshotRecorded
 * event. The same report sent again is stored once.
 */
export function registerSnapshotRoutes(app: HttpServer, history: EventHistory): void {
  app.post(
    '/v1/snapshots',
    {
      schema: {
        body: SnapshotRequest,
        response: {
          202: PushUsageReply,
          400: ErrorReply,
          401: ErrorReply,
          403: ErrorReply,
          413: ErrorReply,
          503: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const device = deviceForPush(principal, request.body.device);
      const { report, timezone } = request.body;
      const event = usageSnapshotEvent(principal.account, device, report, timezone);
      const stored = await history.append(event, request.log);
      return reply.status(202).send({ eventId: event.id, ...stored, accepted: report.daily.length });
    },
  );
}
