import { runService } from '@ccsync/service-kit';
import { startProjector } from './app.ts';
import { ProjectorEnv } from './config.ts';

await runService('projector', ProjectorEnv, startProjector);
