import { runService } from '@ccsync/service-kit';
import { startScheduler } from './app.ts';
import { SchedulerEnv } from './config.ts';

await runService('scheduler', SchedulerEnv, startScheduler);
