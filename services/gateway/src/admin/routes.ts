import { ErrorReply, type Names, ProjectionsReply, RebuildReply, viewKeys } from '@ccsync/contracts';
import {
  assertOperator,
  type HttpServer,
  type NatsConnection,
  type ProjectionRegistry,
  principalOf,
  type Redis,
} from '@ccsync/service-kit';
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';

const managers = new WeakMap<NatsConnection, Promise<JetStreamManager>>();

/**
 * The connection's JetStream manager, made once: making one asks the server whether JetStream is
 * there, which a route should not repeat on every request.
 */
export function jetStreamManagerOf(nc: NatsConnection): Promise<JetStreamManager> {
  let manager = managers.get(nc);
  if (manager === undefined) {
    manager = jetstreamManager(nc);
    // A failed attempt (JetStream not up yet) is not remembered.
    manager.catch(() => managers.delete(nc));
    managers.set(nc, manager);
  }
  return manager;
}

/** The event stream's size. Ingest creates the stream on start: until then the history is empty. */
export async function historyState(
  jsm: JetStreamManager,
  names: Names,
): Promise<{ readonly messages: number; readonly last_seq: number }> {
  return jsm.streams.info(names.eventStream).then(
    (stream) => stream.state,
    (error: unknown) => {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)
        return { messages: 0, last_seq: 0 };
      throw error;
    },
  );
}

/** The rate is averaged over this many whole seconds before now. */
const RATE_WINDOW_SECONDS = 10;

interface AdminDeps {
  readonly nc: NatsConnection;
  readonly redis: Redis;
  readonly names: Names;
  readonly registry: ProjectionRegistry;
}

/**
 * The projection versions, for operators (the server's admin token: they span every account):
 * - `GET /api/admin/projections`: each version's state, checkpoint, lag and apply rate;
 * - `POST /api/admin/projections/rebuild`: builds a new version from the whole history beside the
 *   active one; reads switch to it when it has caught up.
 */
export function registerAdminRoutes(app: HttpServer, { nc, redis, names, registry }: AdminDeps) {
  const jsm = () => jetStreamManagerOf(nc);

  app.get(
    '/api/admin/projections',
    { schema: { response: { 200: ProjectionsReply, 401: ErrorReply, 403: ErrorReply } } },
    async (request) => {
      assertOperator(principalOf(request), 'see the projections of every account');
      const streams = await jsm();
      const state = await historyState(streams, names);
      const lastSeq = state.last_seq;
      const projections = await Promise.all(
        (await registry.list()).map(async (entry) => {
          const keys = viewKeys(names, entry.version);
          const consumer = await streams.consumers
            .info(names.eventStream, names.projectorConsumer(entry.version))
            .catch(() => undefined);
          const acknowledgedThrough = consumer?.ack_floor.stream_seq ?? 0;
          const lagEvents = Math.max(lastSeq - acknowledgedThrough, 0);
          let lagSeconds = 0;
          if (lagEvents > 0) {
            const oldest = await streams.streams
              .getMessage(names.eventStream, { seq: acknowledgedThrough + 1 })
              .catch(() => null);
            if (oldest !== null) lagSeconds = Math.max((Date.now() - Date.parse(oldest.timestamp)) / 1000, 0);
          }
          const now = Math.floor(Date.now() / 1000);
          const seconds = Array.from({ length: RATE_WINDOW_SECONDS }, (_, index) =>
            keys.appliedInSecond(now - 1 - index),
          );
          const [checkpoint, ...counts] = await redis.mget(keys.checkpoint, ...seconds);
          const applied = counts.reduce((sum, count) => sum + Number(count ?? 0), 0);
          return {
            ...entry,
            checkpoint: checkpoint === null || checkpoint === undefined ? null : Number(checkpoint),
            acknowledgedThrough,
            lagEvents,
            lagSeconds,
            eventsPerSecond: applied / RATE_WINDOW_SECONDS,
          };
        }),
      );
      return { projections, stream: { events: state.messages, lastSeq } };
    },
  );

  app.post(
    '/api/admin/projections/rebuild',
    { schema: { response: { 202: RebuildReply, 401: ErrorReply, 403: ErrorReply } } },
    async (request, reply) => {
      assertOperator(principalOf(request), 'rebuild the projections of every account');
      const rebuild = await registry.requestRebuild(await jsm(), 'requested through the API');
      // Projectors also look every second; the notice makes them start now.
      nc.publish(names.projectionsChangedSubject, '');
      request.log.info({ version: rebuild.version, created: rebuild.created }, 'projection rebuild requested');
      return reply.code(202).send(rebuild);
    },
  );
}
