import { BaseEnv, ChangeStreamEnv, port, StreamEnv } from '@ccsync/service-kit';
import { z } from 'zod';

export const ProjectorEnv = BaseEnv.extend({
  PROJECTOR_PORT: port(3002),
  /** The most events the projector applies in one transaction, and pulls at once. */
  PROJECTOR_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** A device counts as online until this long after its last heartbeat (the agent sends one every 30 s). */
  PROJECTOR_PRESENCE_TTL_SECONDS: z.coerce.number().positive().max(3600).default(90),
  /** A JSON file that overrides or extends ccusage's price table. */
  CCSYNC_PRICING_FILE: z.string().min(1).optional(),
  ...StreamEnv,
  ...ChangeStreamEnv,
});
export type ProjectorEnv = z.infer<typeof ProjectorEnv>;
