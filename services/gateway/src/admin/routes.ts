import { CURRENT_PROJECTION_VERSION, ErrorReply, type Names, viewKeys } from '@ccsync/contracts';
import { assertAdmin, type HttpServer, type NatsConnection, principalOf, type Redis } from '@ccsync/service-kit';
import { jetstreamManager } from '@nats-io/jetstream';
import { z } from 'zod';

export const ProjectionsReply = z.object({
  projections: z.array(
    z.object({
      version: z.number().int(),
      active: z.boolean(),
      /** The highest stream sequence applied to the views. */
      checkpoint: z.number().int().nullable(),
      /** Every event up to here is applied and acknowledged. */
      acknowledgedThrough: z.number().int(),
      /** Events in the stream not yet applied and acknowledged. */
      lagEvents: z.number().int(),
      /** How long the oldest of those has waited; 0 when caught up. */
      lagSeconds: z.number(),
    }),
  ),
  stream: z.object({ events: z.number().int(), lastSeq: z.number().int() }),
});

/**
 * `GET /api/admin/projections` (admin): each projection version's state, from its durable
 * consumer and its checkpoint, so an operator sees whether the views are caught up.
 */
export function registerAdminRoutes(
  app: HttpServer,
  { nc, redis, names }: { nc: NatsConnection; redis: Redis; names: Names },
) {
  app.get(
    '/api/admin/projections',
    { schema: { response: { 200: ProjectionsReply, 401: ErrorReply, 403: ErrorReply } } },
    async (request) => {
      assertAdmin(principalOf(request));
      const jsm = await jetstreamManager(nc);
      const stream = await jsm.streams.info(names.eventStream);
      const version = CURRENT_PROJECTION_VERSION;
      const consumer = await jsm.consumers.info(names.eventStream, names.projectorConsumer(version));
      const checkpoint = await redis.get(viewKeys(names, version).checkpoint);
      const acknowledgedThrough = consumer.ack_floor.stream_seq;
      const lagEvents = Math.max(stream.state.last_seq - acknowledgedThrough, 0);
      let lagSeconds = 0;
      if (lagEvents > 0) {
        const oldest = await jsm.streams
          .getMessage(names.eventStream, { seq: acknowledgedThrough + 1 })
          .catch(() => null);
        if (oldest !== null) lagSeconds = Math.max((Date.now() - Date.parse(oldest.timestamp)) / 1000, 0);
      }
      return {
        projections: [
          {
            version,
            active: true,
            checkpoint: checkpoint === null ? null : Number(checkpoint),
            acknowledgedThrough,
            lagEvents,
            lagSeconds,
          },
        ],
        stream: { events: stream.state.messages, lastSeq: stream.state.last_seq },
      };
    },
  );
}
