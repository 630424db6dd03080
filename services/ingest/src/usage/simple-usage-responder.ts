import { type Names, oneUsageForm, SimpleUsageCommand, type SimpleUsageOutcome } from '@ccsync/contracts';
import { deviceForPush, type Logger, type NatsConnection } from '@ccsync/service-kit';
import { z } from 'zod';
import { simpleUsageEntry, type UsageRecorder } from './usage-recorder.ts';

const ValidCommand = SimpleUsageCommand.refine(({ usage }) => oneUsageForm[0](usage), oneUsageForm[1]);

/**
 * Records the gateway's WebSocket `update_usage` requests, so ingest stays the only writer of
 * history. A queue group shares the requests among ingest replicas. Returns an unsubscribe.
 */
export function startSimpleUsageResponder(nc: NatsConnection, names: Names, record: UsageRecorder, logger: Logger) {
  const subscription = nc.subscribe(names.ingestUsageRequests, {
    queue: 'ingest',
    callback: (_error, message) => {
      void (async () => {
        let outcome: SimpleUsageOutcome;
        try {
          const command = ValidCommand.safeParse(message.json());
          if (!command.success)
            throw Object.assign(new Error(z.prettifyError(command.error)), {
              statusCode: 400,
              code: 'CCSYNC_VALIDATION',
            });
          const { principal, deviceId, usage } = command.data;
          const device = deviceForPush(principal, deviceId);
          const entries = [simpleUsageEntry(usage, usage.idempotencyKey)];
          outcome = {
            ok: true,
            reply: await record({ account: principal.account, device, source: 'api', entries }, logger),
          };
        } catch (error) {
          const {
            statusCode = 500,
            code = 'CCSYNC_INTERNAL',
            message: text,
          } = error as Error & { statusCode?: number; code?: string };
          outcome = {
            ok: false,
            statusCode,
            code,
            message: statusCode >= 500 && code === 'CCSYNC_INTERNAL' ? 'Internal error' : text,
          };
        }
        message.respond(JSON.stringify(outcome));
      })();
    },
  });
  return () => subscription.unsubscribe();
}
