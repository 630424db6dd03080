import { randomUUID } from 'node:crypto';
import {
  CreateCronJobRequest,
  CronJobListReply,
  CronJobParams,
  CronJobView,
  CronRun,
  CronRunsQuery,
  CronRunsReply,
  ErrorReply,
  ExecuteCronJobQuery,
  ExecuteCronJobReply,
  liveKeys,
  type Names,
  type SchedulerCaller,
  SchedulerReply,
  type SchedulerRequest,
  type SyncRequested,
  UpdateCronJobRequest,
} from '@ccsync/contracts';
import {
  assertAdmin,
  Errors,
  type HttpServer,
  type NatsConnection,
  outcomeError,
  type Principal,
  type ProjectionRegistry,
  principalOf,
  type Redis,
} from '@ccsync/service-kit';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';

export interface CronDeps {
  readonly nc: NatsConnection;
  readonly redis: Redis;
  readonly names: Names;
  readonly registry: ProjectionRegistry;
}

/** How long an ordinary job request may take. */
const REQUEST_TIMEOUT_MS = 5000;
/** A run waited for may take as long as the longest job timeout, and a little more. */
const WAIT_TIMEOUT_MS = 3600_000 + 30_000;

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 503: ErrorReply };
/** 202 as soon as a run has started; 200 with its result when the caller waited (`?wait=true`). */
const executeReplies = { 200: ExecuteCronJobReply, 202: ExecuteCronJobReply, ...errors };

/**
 * The body goes to the scheduler as sent: it knows the configured programs, so it validates (and
 * its messages name the fields of the form the body is in). The schema is still declared, for the
 * OpenAPI document.
 */
const validatedByScheduler = () => (data: unknown) => ({ value: data });

/**
 * `/api/cron/jobs` and `POST /api/usage/ccusage`, served by the scheduler over NATS request/reply
 * (any replica answers); run history is read from the views. Admin scope; jobs that run the
 * server's programs are the operator's.
 */
export function registerCronRoutes(app: HttpServer, { nc, redis, names, registry }: CronDeps): void {
  const ask = async (request: SchedulerRequest, reply: FastifyReply) => {
    const timeout = request.op === 'execute' && request.wait ? WAIT_TIMEOUT_MS : REQUEST_TIMEOUT_MS;
    const answer = await nc.request(names.schedulerRequests, JSON.stringify(request), { timeout }).then(
      (message) => SchedulerReply.parse(message.json()),
      () => {
        throw new Errors.SchedulerUnavailable();
      },
    );
    if (!answer.ok) {
      throw outcomeError(answer);
    }
    return reply.status(answer.statusCode).send(answer.body as never);
  };
  const callerOf = (principal: Principal): SchedulerCaller => {
    assertAdmin(principal);
    return { account: principal.account, operator: principal.bootstrap === true };
  };

  app.get('/api/cron/jobs', { schema: { response: { 200: CronJobListReply, ...errors } } }, async (request, reply) => {
    const principal = principalOf(request);
    return ask({ op: 'list', caller: callerOf(principal) }, reply);
  });

  app.post(
    '/api/cron/jobs',
    {
      schema: { body: CreateCronJobRequest, response: { 201: CronJobView, ...errors, 409: ErrorReply } },
      validatorCompiler: validatedByScheduler,
    },
    async (request, reply) => {
      const principal = principalOf(request);
      return ask({ op: 'create', caller: callerOf(principal), job: request.body }, reply);
    },
  );

  app.get(
    '/api/cron/jobs/:id',
    { schema: { params: CronJobParams, response: { 200: CronJobView, ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      return ask({ op: 'get', caller: callerOf(principal), id: request.params.id }, reply);
    },
  );

  app.put(
    '/api/cron/jobs/:id',
    {
      schema: {
        params: CronJobParams,
        body: UpdateCronJobRequest,
        response: { 200: CronJobView, ...errors, 409: ErrorReply },
      },
      validatorCompiler: ({ httpPart }) =>
        httpPart === 'body' ? validatedByScheduler() : (data: unknown) => ({ value: CronJobParams.parse(data) }),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { id } = request.params;
      return ask({ op: 'update', caller: callerOf(principal), id, change: request.body }, reply);
    },
  );

  app.delete(
    '/api/cron/jobs/:id',
    { schema: { params: CronJobParams, response: { 204: z.null(), ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      return ask({ op: 'delete', caller: callerOf(principal), id: request.params.id }, reply);
    },
  );

  app.post(
    '/api/cron/jobs/:id/execute',
    {
      schema: {
        params: CronJobParams,
        querystring: ExecuteCronJobQuery,
        response: executeReplies,
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { wait } = request.query;
      return ask({ op: 'execute', caller: callerOf(principal), id: request.params.id, wait }, reply);
    },
  );

  app.get(
    '/api/cron/jobs/:id/runs',
    { schema: { params: CronJobParams, querystring: CronRunsQuery, response: { 200: CronRunsReply, ...errors } } },
    async (request) => {
      const principal = principalOf(request);
      assertAdmin(principal);
      const keys = await registry.activeKeys();
      const stored = await redis.zrevrange(
        keys.cronRuns(principal.account, request.params.id),
        0,
        request.query.limit - 1,
      );
      return { job: request.params.id, runs: stored.map((run) => CronRun.parse(JSON.parse(run))) };
    },
  );

  /** The seed's "ccusage sync before a first prompt": runs the account's ccusage job now. */
  app.post(
    '/api/usage/ccusage',
    {
      schema: {
        querystring: ExecuteCronJobQuery,
        response: executeReplies,
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { wait } = request.query;
      return ask({ op: 'execute', caller: callerOf(principal), kind: 'ccusage', wait }, reply);
    },
  );

  /** Asks the account's connected agents to push now; `sync_status` goes out on the `sync` channel. */
  app.put(
    '/api/usage/sync',
    { schema: { response: { 202: SyncAccepted, 401: ErrorReply, 403: ErrorReply } } },
    async (request, reply) => {
      const principal = principalOf(request);
      assertAdmin(principal);
      const sync: SyncRequested = {
        account: principal.account,
        requestId: randomUUID(),
        requestedAt: new Date().toISOString(),
        by: 'api',
      };
      nc.publish(names.syncRequestSubject(principal.account), JSON.stringify(sync));
      const online = await redis.scard(liveKeys(names).online(principal.account));
      return reply
        .status(202)
        .send({ requestId: sync.requestId, requestedAt: sync.requestedAt, devicesOnline: online });
    },
  );
}

const SyncAccepted = z.object({
  requestId: z.string(),
  requestedAt: z.iso.datetime(),
  /** Devices sending heartbeats now: the agents that can act on the request. */
  devicesOnline: z.number().int().nonnegative(),
});
