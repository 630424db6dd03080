import { Counter, Gauge, Histogram, type NatsConnection, natsIsUp } from '@ccsync/service-kit';
import type { Registry } from 'prom-client';

/** What operators watch on ingest, besides the HTTP metrics every service has. */
export interface IngestMetrics {
  readonly recordsAccepted: Counter;
  readonly duplicateBatches: Counter;
  readonly publishSeconds: Histogram;
}

export function createIngestMetrics(registry: Registry, nc: NatsConnection): IngestMetrics {
  new Gauge({
    name: 'ccsync_nats_connected',
    help: '1 while the NATS connection answers, 0 otherwise',
    registers: [registry],
    async collect() {
      this.set((await natsIsUp(nc, 250)) ? 1 : 0);
    },
  });
  return {
    recordsAccepted: new Counter({
      name: 'ccsync_ingest_records_accepted_total',
      help: 'Usage records stored in JetStream, by source',
      labelNames: ['source'],
      registers: [registry],
    }),
    duplicateBatches: new Counter({
      name: 'ccsync_ingest_duplicate_batches_total',
      help: 'Batches JetStream had stored before (resent after a lost reply)',
      registers: [registry],
    }),
    publishSeconds: new Histogram({
      name: 'ccsync_ingest_publish_duration_seconds',
      help: 'From publish to JetStream ack',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}
