export type { Scheduler } from './app.ts';
export { startScheduler } from './app.ts';
export { SchedulerEnv } from './config.ts';
