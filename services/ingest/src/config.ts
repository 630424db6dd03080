import { BaseEnv, port, StreamEnv } from '@ccsync/service-kit';
import { z } from 'zod';

export const IngestEnv = BaseEnv.extend({
  INGEST_PORT: port(3001),
  /** Larger request bodies get 413. A full 5,000-entry batch is about 2.5 MB. */
  INGEST_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(8 * 1024 * 1024),
  ...StreamEnv,
  /** Requests a minute one token may make; more get 429 with Retry-After. 0 turns the limit off. */
  INGEST_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().nonnegative().default(1200),
  /** How long a publish may wait for JetStream's ack before the client is told to retry. */
  INGEST_PUBLISH_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
});
export type IngestEnv = z.infer<typeof IngestEnv>;
