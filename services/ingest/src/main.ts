import { runService } from '@ccsync/service-kit';
import { startIngest } from './app.ts';
import { IngestEnv } from './config.ts';

await runService('ingest', IngestEnv, startIngest);
