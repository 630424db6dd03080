import { BaseEnv, ChangeStreamEnv, port } from '@ccsync/service-kit';
import { z } from 'zod';

/**
 * An origin as browsers send it in `Origin`: http or https, host and port. A trailing slash is
 * forgiven and the rest normalised (`HTTPS://Dash.Example:443/` is `https://dash.example`), since
 * the match against `Origin` is exact.
 */
const Origin = z.string().transform((value, ctx) => {
  const url = URL.parse(value);
  const bare =
    url !== null &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.username === '' &&
    url.password === '' &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '';
  if (url === null || !bare) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not an origin such as https://dash.example` });
    return z.NEVER;
  }
  return url.origin;
});

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
  /** How long a socket that sent no token with its upgrade has to send an `auth` message. */
  GATEWAY_WS_AUTH_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** The server pings every socket this often, and drops one that did not answer the last ping. */
  GATEWAY_WS_PING_SECONDS: z.coerce.number().positive().default(25),
  /** Bytes queued for a slow reader before it is told to reconnect and resume (close 4008). */
  GATEWAY_WS_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  /** Messages a socket may send a second, on average (twice that in a burst). */
  GATEWAY_WS_MESSAGES_PER_SECOND: z.coerce.number().positive().default(20),
  /** The most missed messages a resuming client is sent; more, and it is told to reload. */
  GATEWAY_WS_MAX_RECOVERY: z.coerce.number().int().nonnegative().default(10_000),
  ...ChangeStreamEnv,
  /** Comma-separated origins whose pages may call the API from a browser. None: same-origin only. */
  GATEWAY_CORS_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin !== ''),
    )
    .pipe(z.array(Origin))
    .default([]),
});
export type GatewayEnv = z.infer<typeof GatewayEnv>;
