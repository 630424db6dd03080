import { type Names, oneUsageForm, SimpleUsageCommand, type SimpleUsageOutcome } from '@ccsync/contracts';
import { deviceForPush, Errors, errorOutcome, type Logger, type NatsConnection } from '@ccsync/service-kit';
import { z } from 'zod';
import { simpleUsageEntry, type UsageRecorder } from './usage-recorder.ts';

const ValidCommand = SimpleUsageCommand.refine(({ usage }) => oneUsageForm[0](usage), oneUsageForm[1]);

/**
 * Records the simple usage form the gateway takes (REST and WebSocket), so ingest stays the only
 * writer of history. A queue group shares the requests among ingest replicas. Returns an unsubscribe.
 */
export function startSimpleUsageResponder(nc: NatsConnection, names: Names, record: UsageRecorder, logger: Logger) {
  const subscription = nc.subscribe(names.ingestUsageRequests, {
    queue: 'ingest',
    callback: (_error, message) => {
      void (async () => {
        let outcome: SimpleUsageOutcome;
        try {
          const command = ValidCommand.safeParse(message.json());
          if (!command.success) throw new Errors.Validation(z.prettifyError(command.error));
          const { principal, deviceId, usage } = command.data;
          const device = deviceForPush(principal, deviceId);
          const entries = [simpleUsageEntry(usage, usage.idempotencyKey)];
          outcome = {
            ok: true,
            reply: await record({ account: principal.account, device, source: 'api', entries }, logger),
          };
        } catch (error) {
          outcome = errorOutcome(error);
          if (outcome.code === 'CCSYNC_INTERNAL') logger.error({ err: error }, 'recording update_usage failed');
        }
        message.respond(JSON.stringify(outcome));
      })();
    },
  });
  return () => subscription.unsubscribe();
}
