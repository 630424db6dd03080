import { runService } from '@ccsync/service-kit';
import { startGateway } from './app.ts';
import { GatewayEnv } from './config.ts';

await runService('gateway', GatewayEnv, startGateway);
