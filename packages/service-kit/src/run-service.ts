import type { z } from 'zod';
import { type BaseEnv, ConfigError, parseEnv } from './config.ts';
import { createLogger, type Logger } from './logger.ts';

/** What a started service hands back: the one thing its main needs to stop it. */
export interface RunningService {
  /** Stop accepting work, finish what is in flight, drain NATS, close Redis. */
  close(): Promise<void>;
}

/**
 * The `main` of every service: parse the environment (exiting with a readable message when it is
 * wrong), start, and on SIGTERM or SIGINT shut down gracefully and exit 0. A second signal, or a
 * shutdown that outlives SHUTDOWN_TIMEOUT_MS, exits at once with 1.
 */
export async function runService<S extends z.ZodType<BaseEnv>>(
  name: string,
  schema: S,
  start: (env: z.infer<S>, logger: Logger) => Promise<RunningService>,
): Promise<void> {
  let env: z.infer<S>;
  try {
    env = parseEnv(schema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(name, env);

  let service: RunningService | undefined;
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    // A signal during start-up has nothing to drain yet.
    if (service === undefined) process.exit(0);
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS).unref();
    try {
      await service.close();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  try {
    service = await start(env, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  }
}
