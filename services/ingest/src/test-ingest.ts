import { createLogger, parseEnv } from '@ccsync/service-kit';
import type { TestNamespace } from '@ccsync/testkit';
import { type Ingest, startIngest } from './app.ts';
import { IngestEnv } from './config.ts';

/** Ingest in this process, in the test file's namespace, on a free port, logging nothing. */
export function startTestIngest(ns: TestNamespace, env: Record<string, string> = {}): Promise<Ingest> {
  const config = parseEnv(IngestEnv, ns.env({ INGEST_PORT: '0', ...env }));
  return startIngest(config, createLogger('ingest', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }));
}
