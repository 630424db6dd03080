import type { TestProject } from 'vitest/node';
import { startInfra } from './infra.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    natsUrl: string;
    redisUrl: string;
  }
}

/** One real NATS and one real Redis per test run; every test file isolates itself by namespace. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const infra = await startInfra();
  project.provide('natsUrl', infra.natsUrl);
  project.provide('redisUrl', infra.redisUrl);
  return () => infra.stop();
}
