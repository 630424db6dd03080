import { type DeviceHeartbeat, ErrorReply, HeartbeatRequest, type Names, WhoAmIReply } from '@ccsync/contracts';
import { deviceForPush, type HttpServer, type NatsConnection, principalOf } from '@ccsync/service-kit';
import { z } from 'zod';

export interface DeviceRouteDeps {
  readonly nc: NatsConnection;
  readonly names: Names;
}

export function registerDeviceRoutes(app: HttpServer, { nc, names }: DeviceRouteDeps): void {
  app.get('/v1/whoami', { schema: { response: { 200: WhoAmIReply, 401: ErrorReply } } }, async (request) => {
    const { account, scope, device } = principalOf(request);
    return device === undefined ? { account, scope } : { account, scope, device };
  });

  // Heartbeats are presence, not history: they go out on core NATS and are never stored.
  app.post(
    '/v1/heartbeat',
    {
      schema: {
        body: HeartbeatRequest,
        response: { 204: z.null(), 400: ErrorReply, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const device = deviceForPush(principal, request.body.device);
      const heartbeat: DeviceHeartbeat = { account: principal.account, device, at: new Date().toISOString() };
      nc.publish(names.presenceSubject(principal.account), JSON.stringify(heartbeat));
      return reply.status(204).send(null);
    },
  );
}
