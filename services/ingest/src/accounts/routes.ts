import { randomUUID } from 'node:crypto';
import {
  CreateAccountReply,
  CreateAccountRequest,
  DEFAULT_ACCOUNT,
  ErrorReply,
  EventId,
  IssuedToken,
  IssueTokenRequest,
  newEvent,
  RegisterDeviceReply,
  RegisterDeviceRequest,
  RemoveMachineParams,
  RemoveMachineReply,
  TokenIdParams,
  TokenListReply,
} from '@ccsync/contracts';
import {
  assertAdmin,
  assertOperator,
  Errors,
  type EventHistory,
  eventIdOf,
  type HttpServer,
  principalOf,
  type TokenStore,
} from '@ccsync/service-kit';
import { z } from 'zod';

export interface AccountRouteDeps {
  readonly store: TokenStore;
  readonly history: EventHistory;
}

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply, 503: ErrorReply };

/**
 * Accounts, devices and tokens. Tokens are shown once, in the reply that issues them; the store
 * keeps only their hashes.
 */
export function registerAccountRoutes(app: HttpServer, { store, history }: AccountRouteDeps): void {
  app.post(
    '/v1/accounts',
    { schema: { body: CreateAccountRequest, response: { 201: CreateAccountReply, ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      assertOperator(principal, 'create accounts');
      const { id, name } = request.body;
      const account = id === DEFAULT_ACCOUNT ? undefined : await store.createAccount(id, name ?? id);
      if (account === undefined) throw new Errors.Conflict(`Account "${id}" exists already`);
      const adminToken = await store.issue({ account: id, scope: 'admin', label: 'first admin token' });
      return reply.status(201).send({ account, adminToken });
    },
  );

  app.post(
    '/v1/devices',
    { schema: { body: RegisterDeviceRequest, response: { 201: RegisterDeviceReply, ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      assertAdmin(principal);
      const { device, label } = request.body;
      const token = await store.issue({
        account: principal.account,
        scope: 'device',
        device,
        ...(label === undefined ? {} : { label }),
      });
      // The registry is history too: the device's registration is an event in the stream.
      const now = new Date().toISOString();
      const id = eventIdOf('DeviceRegistered', token.id);
      const event = newEvent('DeviceRegistered', {
        id,
        occurredAt: now,
        recordedAt: now,
        account: principal.account,
        device,
        data: { tokenId: token.id, ...(label === undefined ? {} : { label }) },
      });
      try {
        await history.append(event, request.log);
      } catch (error) {
        // Unrecorded registrations leave no usable token behind.
        await store.revoke(principal.account, token.id);
        throw error;
      }
      return reply.status(201).send({ device, token });
    },
  );

  // Claudeforge's "remove a machine": an event, so every view built from the history (now or by
  // a later rebuild) leaves the device's earlier usage out; and its tokens stop working.
  app.delete(
    '/v1/machines/:hostname',
    { schema: { params: RemoveMachineParams, response: { 202: RemoveMachineReply, ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      assertAdmin(principal);
      const device = request.params.hostname;
      const now = new Date().toISOString();
      const event = newEvent('DeviceRemoved', {
        id: EventId.parse(randomUUID()),
        occurredAt: now,
        recordedAt: now,
        account: principal.account,
        device,
        data: {},
      });
      const { seq } = await history.append(event, request.log);
      const tokens = (await store.list(principal.account)).filter(
        (token) => token.device === device && token.revokedAt === undefined,
      );
      for (const token of tokens) await store.revoke(principal.account, token.id);
      return reply.status(202).send({ device, seq, revokedTokens: tokens.length });
    },
  );

  app.post(
    '/v1/tokens',
    { schema: { body: IssueTokenRequest, response: { 201: IssuedToken, ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      assertAdmin(principal);
      const { scope, label } = request.body;
      const token = await store.issue({ account: principal.account, scope, ...(label === undefined ? {} : { label }) });
      return reply.status(201).send(token);
    },
  );

  app.get('/v1/tokens', { schema: { response: { 200: TokenListReply, ...errors } } }, async (request) => {
    const principal = principalOf(request);
    assertAdmin(principal);
    return { tokens: await store.list(principal.account) };
  });

  app.delete(
    '/v1/tokens/:tokenId',
    { schema: { params: TokenIdParams, response: { 204: z.null(), ...errors } } },
    async (request, reply) => {
      const principal = principalOf(request);
      assertAdmin(principal);
      if (!(await store.revoke(principal.account, request.params.tokenId))) {
        throw new Errors.NotFound(`No token "${request.params.tokenId}" in this account`);
      }
      return reply.status(204).send(null);
    },
  );
}
