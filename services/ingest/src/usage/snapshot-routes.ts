import { createHash } from 'node:crypto';
import { ErrorReply, EventId, newEvent, PushUsageReply, SnapshotRequest } from '@ccsync/contracts';
import { deviceForPush, type HttpServer, principalOf } from '@ccsync/service-kit';
import type { EventHistory } from '../history.ts';

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
        response: { 202: PushUsageReply, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 503: ErrorReply },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const device = deviceForPush(principal, request.body.device);
      const { report, timezone } = request.body;
      const now = new Date().toISOString();
      const digest = createHash('sha256').update(
        `UsageSnapshotRecorded\0${principal.account}\0${device}\0${timezone ?? ''}\0`,
      );
      const event = newEvent('UsageSnapshotRecorded', {
        id: EventId.parse(digest.update(JSON.stringify(report)).digest('base64url').slice(0, 32)),
        occurredAt: now,
        recordedAt: now,
        account: principal.account,
        device,
        data: { tool: 'ccusage', report, ...(timezone === undefined ? {} : { timezone }) },
      });
      const stored = await history.append(event, request.log);
      return reply.status(202).send({ eventId: event.id, ...stored, accepted: report.daily.length });
    },
  );
}
