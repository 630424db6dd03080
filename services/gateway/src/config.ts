import { BaseEnv, port } from '@ccsync/service-kit';
import { z } from 'zod';

export const GatewayEnv = BaseEnv.extend({
  /** REST, WebSocket and (later) the dashboard. */
  GATEWAY_PORT: port(3000),
  GATEWAY_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** Requests a minute one token may make; more get 429 with Retry-After. 0 turns the limit off. */
  GATEWAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().nonnegative().default(600),
  /** A JSON file that overrides or extends ccusage's price table, as on the projector. */
  CCSYNC_PRICING_FILE: z.string().min(1).optional(),
  /** The largest WebSocket message a client may send. */
  GATEWAY_WS_MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024),
});
export type GatewayEnv = z.infer<typeof GatewayEnv>;
