/**
 * The four services' environment schemas, so deployment files can be checked against what each
 * service actually reads: a variable no schema knows is a typo the service would silently ignore.
 */
import { GatewayEnv } from '@ccsync/gateway';
import { IngestEnv } from '@ccsync/ingest';
import { ProjectorEnv } from '@ccsync/projector';
import { SchedulerEnv } from '@ccsync/scheduler';
import { ConfigError, parseEnv } from '@ccsync/service-kit';

export const SERVICE_ENV = {
  ingest: IngestEnv,
  projector: ProjectorEnv,
  gateway: GatewayEnv,
  scheduler: SchedulerEnv,
} as const;
export type ServiceName = keyof typeof SERVICE_ENV;
export const SERVICE_NAMES = Object.keys(SERVICE_ENV) as ServiceName[];

/** Read by Node or the programs the scheduler runs, not by a service's schema. */
const PROCESS_VARIABLES = new Set(['HOME', 'NODE_OPTIONS', 'TZ', 'DISABLE_AUTOUPDATER']);

/** The variables in `names` that the service does not read. */
export function unknownVariables(service: ServiceName, names: Iterable<string>): string[] {
  const known = new Set(Object.keys(SERVICE_ENV[service].shape));
  return [...names].filter((name) => !known.has(name) && !PROCESS_VARIABLES.has(name));
}

/** The service's own error message for this environment, or undefined when it would start. */
export function configProblems(service: ServiceName, env: Record<string, string>): string | undefined {
  try {
    parseEnv(SERVICE_ENV[service], env);
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}
