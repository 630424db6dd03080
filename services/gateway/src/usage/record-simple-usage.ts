import { type Names, type SimpleUsageCommand, SimpleUsageOutcome } from '@ccsync/contracts';
import { Errors, errorOutcome, type NatsConnection } from '@ccsync/service-kit';

/** How long ingest may take to store the usage and answer. */
const REQUEST_TIMEOUT_MS = 5000;

export type SimpleUsageRecorder = (command: SimpleUsageCommand) => Promise<SimpleUsageOutcome>;

/**
 * Ingest is the only writer of history: the seed's simple usage forms that arrive at the gateway
 * (`POST /api/usage/:deviceId` and the WebSocket's `update_usage`) are recorded there over NATS
 * request/reply, which any ingest replica answers. No answer is the 503 ingest gives when it
 * cannot store.
 */
export function simpleUsageRecorder(nc: NatsConnection, names: Names): SimpleUsageRecorder {
  return async (command) => {
    const response = await nc
      .request(names.ingestUsageRequests, JSON.stringify(command), { timeout: REQUEST_TIMEOUT_MS })
      .catch(() => undefined);
    const outcome = SimpleUsageOutcome.safeParse(response?.json());
    return outcome.success ? outcome.data : errorOutcome(new Errors.StoreUnavailable());
  };
}
