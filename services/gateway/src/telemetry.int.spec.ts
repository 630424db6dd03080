import { DeviceUsage } from '@ccsync/contracts';
import type { Ingest } from '@ccsync/ingest';
import { usageEntry, useTestNamespace, waitFor } from '@ccsync/testkit';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtobufLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtobufMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from './app.ts';
import { startTestStack, type TestStack } from './test-stack.ts';

/*
 * Claude Code's own telemetry, exported by the real OpenTelemetry JS exporters (OTLP/HTTP, JSON
 * and protobuf), lands as usage; and a device that also sends transcripts is counted once.
 */
const ns = useTestNamespace();
let stack: TestStack;
let ingest: Ingest;
let gateway: Gateway;

beforeAll(async () => {
  stack = await startTestStack(ns);
  ({ ingest, gateway } = stack);
});
afterAll(() => stack?.close());

const headers = () => ({ Authorization: `Bearer ${ns.adminToken}` });

/** Emits Claude Code's events through a real SDK logger and exporter, and flushes them. */
async function exportClaudeCodeEvents(device: string, exporter: LogRecordExporter, requests: number[][]) {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'claude-code', 'host.name': device }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const events = provider.getLogger('com.anthropic.claude_code.events');
  events.emit({
    eventName: 'claude_code.user_prompt',
    body: 'claude_code.user_prompt',
    attributes: { 'event.name': 'user_prompt', prompt_length: 12 },
  });
  for (const [index, [input, output, cacheRead, cacheCreation]] of requests.entries()) {
    events.emit({
      eventName: 'claude_code.api_request',
      body: 'claude_code.api_request',
      attributes: {
        'event.name': 'api_request',
        'event.timestamp': `2026-11-20T10:0${index}:00.000Z`,
        'session.id': 'telemetry-session',
        model: 'claude-sonnet-4-5-20250929',
        input_tokens: input ?? 0,
        output_tokens: output ?? 0,
        cache_read_tokens: cacheRead ?? 0,
        cache_creation_tokens: cacheCreation ?? 0,
        cost_usd: 0.25,
        duration_ms: 1200,
      },
    });
  }
  await provider.forceFlush();
  await provider.shutdown();
}

const shown = async (device: string) => {
  const response = await fetch(`${gateway.url}/api/usage/${device}`, {
    headers: { authorization: `Bearer ${ns.adminToken}` },
  });
  return response.status === 200 ? DeviceUsage.parse(await response.json()) : undefined;
};

describe('Claude Code telemetry over OTLP/HTTP', () => {
  it.each([
    ['http/json', (url: string) => new JsonLogExporter({ url, headers: headers() })],
    ['http/protobuf', (url: string) => new ProtobufLogExporter({ url, headers: headers() })],
  ])('lands as usage of the device the resource names (%s)', async (protocol, exporter) => {
    const device = `otel-${protocol.replace('/', '-')}`;
    await exportClaudeCodeEvents(device, exporter(`${ingest.url}/v1/logs`), [
      [100, 20, 3000, 400],
      [50, 10, 0, 0],
    ]);
    const usage = await waitFor(async () => {
      const current = await shown(device);
      return current?.entries === 2 ? current : undefined;
    });
    expect(usage).toMatchObject({
      entries: 2,
      inputTokens: 150,
      outputTokens: 30,
      cacheReadTokens: 3000,
      cacheCreationTokens: 400,
      totalTokens: 3580,
    });
    // Claude Code's own cost_usd is taken as it is, as ccusage takes a line's costUSD.
    expect(usage?.totalCost).toBeCloseTo(0.5, 12);
  });

  it('counts a device that sends transcripts and telemetry once, from its transcripts', async () => {
    const push = await fetch(`${ingest.url}/v1/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ns.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        device: 'both-box',
        entries: [
          usageEntry('both-1', {
            usage: { inputTokens: 7, outputTokens: 1, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
          }),
        ],
      }),
    });
    expect(push.status).toBe(202);
    await waitFor(async () => (await shown('both-box'))?.entries === 1);
    await exportClaudeCodeEvents(
      'both-box',
      new JsonLogExporter({ url: `${ingest.url}/v1/logs`, headers: headers() }),
      [[999, 999, 0, 0]],
    );
    const otherDevice = 'after-both';
    await exportClaudeCodeEvents(
      otherDevice,
      new JsonLogExporter({ url: `${ingest.url}/v1/logs`, headers: headers() }),
      [[1, 1, 0, 0]],
    );
    // Events are applied in order: once the later device shows, the earlier telemetry was applied.
    await waitFor(async () => (await shown(otherDevice))?.entries === 1);
    expect(await shown('both-box')).toMatchObject({ entries: 1, inputTokens: 7, outputTokens: 1 });
  });

  it('records a retried export once, and refuses what is not OTLP', async () => {
    const payload = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'host.name', value: { stringValue: 'retry-box' } }] },
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: '1795300000000000000',
                  attributes: [
                    { key: 'event.name', value: { stringValue: 'api_request' } },
                    { key: 'input_tokens', value: { intValue: '40' } },
                    { key: 'output_tokens', value: { intValue: '2' } },
                    { key: 'model', value: { stringValue: 'claude-opus-4-6' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const send = (body: string, type = 'application/json') =>
      fetch(`${ingest.url}/v1/logs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ns.adminToken}`, 'content-type': type },
        body,
      });
    expect((await send(JSON.stringify(payload))).status).toBe(200);
    expect((await send(JSON.stringify(payload))).status).toBe(200);
    await waitFor(async () => (await shown('retry-box'))?.entries === 1);
    expect((await send('{"resourceLogs":"nope"}')).status).toBe(400);
    expect((await send('garbage', 'application/x-protobuf')).status).toBe(400);
    expect((await send('x', 'text/plain')).status).toBe(415);
    expect(await shown('retry-box')).toMatchObject({ entries: 1, inputTokens: 40 });
  });
});

describe('Claude Code usage counters over OTLP/HTTP metrics', () => {
  /** Claude Code's two counters on a real SDK meter; each call of `exportNow` is one export. */
  function claudeCodeCounters(device: string, exporter: PushMetricExporter) {
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'claude-code', 'host.name': device }),
      readers: [reader],
    });
    const meter = provider.getMeter('com.anthropic.claude_code');
    const tokens = meter.createCounter('claude_code.token.usage', { unit: 'tokens' });
    const cost = meter.createCounter('claude_code.cost.usage', { unit: 'USD' });
    const session = { 'session.id': 'counter-session', model: 'claude-sonnet-4-5-20250929' };
    return {
      use(input: number, output: number, cacheRead: number, usd: number) {
        tokens.add(input, { ...session, type: 'input' });
        tokens.add(output, { ...session, type: 'output' });
        tokens.add(cacheRead, { ...session, type: 'cacheRead' });
        cost.add(usd, session);
      },
      exportNow: () => reader.forceFlush(),
      close: () => provider.shutdown(),
    };
  }

  it.each([
    ['cumulative, http/json', (url: string) => new JsonMetricExporter({ url, headers: headers() })],
    ['cumulative, http/protobuf', (url: string) => new ProtobufMetricExporter({ url, headers: headers() })],
    [
      'delta, http/protobuf',
      (url: string) =>
        new ProtobufMetricExporter({
          url,
          headers: headers(),
          temporalityPreference: AggregationTemporalityPreference.DELTA,
        }),
    ],
  ])('count every token once across repeated exports (%s)', async (name, exporter) => {
    const device = `counters-${name.replace(/[^a-z]+/g, '-')}`;
    const counters = claudeCodeCounters(device, exporter(`${ingest.url}/v1/metrics`));
    counters.use(100, 20, 1000, 0.5);
    await counters.exportNow();
    counters.use(50, 5, 0, 0.25);
    await counters.exportNow();
    // Nothing new: a cumulative export repeats the same totals, a delta export has nothing to add.
    await counters.exportNow();
    await counters.close();
    const usage = await waitFor(async () => {
      const current = await shown(device);
      return current?.inputTokens === 150 ? current : undefined;
    });
    expect(usage).toMatchObject({
      inputTokens: 150,
      outputTokens: 25,
      cacheReadTokens: 1000,
      cacheCreationTokens: 0,
      totalTokens: 1175,
    });
    expect(usage?.totalCost).toBeCloseTo(0.75, 12);
  });

  it('are not shown for a device that also sends telemetry events', async () => {
    await exportClaudeCodeEvents(
      'events-and-counters',
      new JsonLogExporter({ url: `${ingest.url}/v1/logs`, headers: headers() }),
      [[10, 1, 0, 0]],
    );
    await waitFor(async () => (await shown('events-and-counters'))?.entries === 1);
    const counters = claudeCodeCounters(
      'events-and-counters',
      new JsonMetricExporter({ url: `${ingest.url}/v1/metrics`, headers: headers() }),
    );
    counters.use(10_000, 10_000, 0, 9);
    await counters.exportNow();
    await counters.close();
    const marker = claudeCodeCounters(
      'counters-marker',
      new JsonMetricExporter({ url: `${ingest.url}/v1/metrics`, headers: headers() }),
    );
    marker.use(1, 1, 0, 0);
    await marker.exportNow();
    await marker.close();
    await waitFor(async () => (await shown('counters-marker'))?.inputTokens === 1);
    expect(await shown('events-and-counters')).toMatchObject({ entries: 1, inputTokens: 10, outputTokens: 1 });
  });
});

describe('ccusage snapshots', () => {
  const report = (days: [string, number, number, number][]) => {
    const daily = days.map(([date, input, output, cost]) => ({
      date,
      inputTokens: input,
      outputTokens: output,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
      totalTokens: input + output,
      totalCost: cost,
      modelsUsed: ['claude-opus-4-6'],
      modelBreakdowns: [
        {
          modelName: 'claude-opus-4-6',
          inputTokens: input,
          outputTokens: output,
          cacheCreationTokens: 0,
          cacheReadTokens: 0,
          cost,
        },
      ],
    }));
    const sum = (pick: (day: (typeof daily)[number]) => number) => daily.reduce((total, day) => total + pick(day), 0);
    return {
      daily,
      totals: {
        inputTokens: sum((day) => day.inputTokens),
        outputTokens: sum((day) => day.outputTokens),
        cacheCreationTokens: 0,
        cacheReadTokens: 0,
        totalTokens: sum((day) => day.totalTokens),
        totalCost: sum((day) => day.totalCost),
      },
    };
  };
  const snapshot = (device: string, body: unknown) =>
    fetch(`${ingest.url}/v1/snapshots`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ns.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ device, report: body }),
    });

  it('show the latest report of a device that sends nothing else, replacing rather than adding', async () => {
    const first = report([['2026-11-19', 100, 10, 1.5]]);
    expect((await snapshot('snap-box', first)).status).toBe(202);
    await waitFor(async () => (await shown('snap-box'))?.inputTokens === 100);
    const second = report([
      ['2026-11-19', 100, 10, 1.5],
      ['2026-11-20', 40, 4, 0.5],
    ]);
    expect((await snapshot('snap-box', second)).status).toBe(202);
    const usage = await waitFor(async () => {
      const current = await shown('snap-box');
      return current?.inputTokens === 140 ? current : undefined;
    });
    expect(usage).toMatchObject({ inputTokens: 140, outputTokens: 14, totalTokens: 154 });
    expect(usage?.totalCost).toBeCloseTo(2, 12);
  });

  it('never add to a device’s transcript usage, and refuse a report that is not ccusage’s', async () => {
    const push = await fetch(`${ingest.url}/v1/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ns.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ device: 'snap-and-transcripts', entries: [usageEntry('snap-t-1')] }),
    });
    expect(push.status).toBe(202);
    await waitFor(async () => (await shown('snap-and-transcripts'))?.entries === 1);
    expect((await snapshot('snap-and-transcripts', report([['2026-11-19', 5000, 5000, 9]]))).status).toBe(202);
    expect((await snapshot('snap-marker', report([['2026-11-19', 1, 1, 0]]))).status).toBe(202);
    await waitFor(async () => (await shown('snap-marker'))?.inputTokens === 1);
    expect(await shown('snap-and-transcripts')).toMatchObject({ entries: 1, inputTokens: 1, outputTokens: 1 });

    const invalid = await snapshot('snap-box', { daily: [{ date: 'yesterday' }], totals: {} });
    expect(invalid.status).toBe(400);
  });
});
