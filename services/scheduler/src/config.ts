import { BaseEnv, port } from '@ccsync/service-kit';
import type { z } from 'zod';

export const SchedulerEnv = BaseEnv.extend({
  SCHEDULER_PORT: port(3003),
});
export type SchedulerEnv = z.infer<typeof SchedulerEnv>;
