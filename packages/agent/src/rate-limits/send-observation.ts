import type { DeviceId } from '@ccsync/contracts';
import type { IngestClient, RateLimitsDelivery } from '../push/ingest-client.ts';
import { markRateLimitObservationSent, pendingRateLimitObservation } from './observation-file.ts';

/**
 * Sends the official figures the status line recorded, if the server has not taken them yet
 * (`POST /v1/rate-limits` on ingest, with the device token). Kept pending, quietly, while the
 * server is away or does not offer the route yet; `push` and `watch` try again on their next run.
 * Sending the same observation twice is harmless: the server keeps the newest per window.
 */
export async function sendPendingRateLimits(
  stateDir: string,
  client: IngestClient,
  device: DeviceId,
): Promise<RateLimitsDelivery | 'none'> {
  const observation = pendingRateLimitObservation(stateDir);
  if (observation === undefined) return 'none';
  const delivery = await client.pushRateLimits({ device, ...observation });
  if (delivery === 'unavailable') return delivery;
  try {
    markRateLimitObservationSent(stateDir, observation.observedAt);
  } catch {
    // Unmarked, it is sent again next time, which the server takes as the same observation.
  }
  return delivery;
}
