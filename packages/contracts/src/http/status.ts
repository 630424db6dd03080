import { z } from 'zod';

/** `GET /api/status`: how the service and its parts are doing, as the caller's account sees it. */
export const StatusReply = z.object({
  service: z.literal('ccsync'),
  version: z.string(),
  startedAt: z.iso.datetime(),
  uptimeSeconds: z.number().int().nonnegative(),
  nats: z.object({ connected: z.boolean() }),
  redis: z.object({ connected: z.boolean() }),
  /** The event history: how many events, and the newest one's stream sequence. */
  history: z.object({ events: z.number().int(), lastSeq: z.number().int() }),
  /** The views reads come from: their version and how far behind the history they are. */
  views: z.object({ version: z.number().int(), checkpoint: z.number().int(), lagEvents: z.number().int() }),
  /** The caller's account: devices with usage, and devices online now. */
  account: z.object({ id: z.string(), devices: z.number().int(), online: z.number().int() }),
  /** WebSocket clients connected to this replica. */
  sockets: z.number().int(),
});
export type StatusReply = z.infer<typeof StatusReply>;
