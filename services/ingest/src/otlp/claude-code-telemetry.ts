import { createHash } from 'node:crypto';
import { type CounterPoint, DeviceId, type UsageEntry } from '@ccsync/contracts';
import { z } from 'zod';

/*
 * Claude Code's own OpenTelemetry export (CLAUDE_CODE_ENABLE_TELEMETRY=1). Each API call is a log
 * event `claude_code.api_request` whose attributes carry the model, the four token counts and the
 * cost; that is exactly one usage entry. OTLP/JSON and decoded OTLP/protobuf share this shape.
 */
const AnyValue = z
  .object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: z.union([z.string(), z.number()]).optional(),
    doubleValue: z.number().optional(),
  })
  .passthrough();
const KeyValue = z.object({ key: z.string(), value: AnyValue.optional() });
const Attributes = z.array(KeyValue).optional();

const LogRecord = z.object({
  timeUnixNano: z.union([z.string(), z.number()]).optional(),
  observedTimeUnixNano: z.union([z.string(), z.number()]).optional(),
  eventName: z.string().optional(),
  body: AnyValue.optional(),
  attributes: Attributes,
});

export const LogsRequest = z.object({
  resourceLogs: z
    .array(
      z.object({
        resource: z.object({ attributes: Attributes }).optional(),
        scopeLogs: z.array(z.object({ logRecords: z.array(LogRecord).optional() })).optional(),
      }),
    )
    .optional(),
});
export type LogsRequest = z.infer<typeof LogsRequest>;

type Scalar = string | number | boolean;

function attributeMap(attributes: z.infer<typeof Attributes>): Map<string, Scalar> {
  const map = new Map<string, Scalar>();
  for (const { key, value } of attributes ?? []) {
    const scalar = value?.stringValue ?? value?.doubleValue ?? value?.boolValue ?? value?.intValue;
    if (scalar !== undefined)
      map.set(key, typeof scalar === 'string' && value?.intValue !== undefined ? Number(scalar) : scalar);
  }
  return map;
}

const count = (value: Scalar | undefined): number | undefined => {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
};

function isApiRequest(record: z.infer<typeof LogRecord>, attributes: Map<string, Scalar>): boolean {
  const name = attributes.get('event.name');
  return (
    name === 'api_request' ||
    name === 'claude_code.api_request' ||
    record.eventName === 'claude_code.api_request' ||
    record.body?.stringValue === 'claude_code.api_request'
  );
}

function timestampOf(record: z.infer<typeof LogRecord>, attributes: Map<string, Scalar>): string | undefined {
  const stamped = attributes.get('event.timestamp');
  if (typeof stamped === 'string' && !Number.isNaN(Date.parse(stamped))) return new Date(stamped).toISOString();
  const nanos = record.timeUnixNano ?? record.observedTimeUnixNano;
  if (nanos === undefined || BigInt(nanos) === 0n) return undefined;
  return new Date(Number(BigInt(nanos) / 1_000_000n)).toISOString();
}

/** The device a resource names: `ccsync.device`, else `host.name`. */
export function resourceDevice(attributes: Map<string, Scalar>): DeviceId | undefined {
  const name = attributes.get('ccsync.device') ?? attributes.get('host.name');
  const parsed = DeviceId.safeParse(typeof name === 'string' ? name.replace(/[^A-Za-z0-9._-]/g, '-') : undefined);
  return parsed.success ? parsed.data : undefined;
}

export interface TelemetryUsage {
  /** From the resource; the caller decides whether a token may name it. */
  readonly device: DeviceId | undefined;
  readonly entries: UsageEntry[];
}

/**
 * One usage entry per `api_request` event, grouped by the resource that sent it; every other
 * event is ignored. An entry's id hashes the event, so an exporter's retry is recognised.
 */
export function usageFromLogs(request: LogsRequest): TelemetryUsage[] {
  const groups: TelemetryUsage[] = [];
  for (const resourceLogs of request.resourceLogs ?? []) {
    const resource = attributeMap(resourceLogs.resource?.attributes);
    const entries: UsageEntry[] = [];
    for (const scope of resourceLogs.scopeLogs ?? []) {
      for (const record of scope.logRecords ?? []) {
        const attributes = attributeMap(record.attributes);
        if (!isApiRequest(record, attributes)) continue;
        const timestamp = timestampOf(record, attributes);
        const input = count(attributes.get('input_tokens'));
        const output = count(attributes.get('output_tokens'));
        if (timestamp === undefined || input === undefined || output === undefined) continue;
        const model = attributes.get('model');
        const session = attributes.get('session.id');
        const cost = attributes.get('cost_usd');
        const usage = {
          inputTokens: input,
          outputTokens: output,
          cacheCreationInputTokens: count(attributes.get('cache_creation_tokens')) ?? 0,
          cacheReadInputTokens: count(attributes.get('cache_read_tokens')) ?? 0,
        };
        const identity = JSON.stringify([
          timestamp,
          record.timeUnixNano ?? null,
          session ?? null,
          model ?? null,
          usage,
        ]);
        entries.push({
          id: createHash('sha256').update(`otlp\0${identity}`).digest('base64url').slice(0, 32),
          timestamp,
          isSidechain: false,
          ...(typeof model === 'string' && model.length > 0 ? { model: model.slice(0, 256) } : {}),
          ...(typeof session === 'string' && session.length > 0 ? { sessionId: session.slice(0, 256) } : {}),
          ...(typeof cost === 'number' && cost >= 0 ? { costUSD: cost } : {}),
          usage,
        });
      }
    }
    if (entries.length > 0) groups.push({ device: resourceDevice(resource), entries });
  }
  return groups;
}

const NumberDataPoint = z.object({
  attributes: Attributes,
  startTimeUnixNano: z.union([z.string(), z.number()]).optional(),
  timeUnixNano: z.union([z.string(), z.number()]).optional(),
  asDouble: z.number().optional(),
  asInt: z.union([z.string(), z.number()]).optional(),
});

export const MetricsRequest = z.object({
  resourceMetrics: z
    .array(
      z.object({
        resource: z.object({ attributes: Attributes }).optional(),
        scopeMetrics: z
          .array(
            z.object({
              metrics: z
                .array(
                  z.object({
                    name: z.string(),
                    sum: z
                      .object({
                        dataPoints: z.array(NumberDataPoint).optional(),
                        aggregationTemporality: z.union([z.number(), z.string()]).optional(),
                      })
                      .optional(),
                  }),
                )
                .optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});
export type MetricsRequest = z.infer<typeof MetricsRequest>;

const TOKEN_TYPES = new Set(['input', 'output', 'cacheRead', 'cacheCreation']);

export interface TelemetryCounters {
  readonly device: DeviceId | undefined;
  readonly points: CounterPoint[];
}

/**
 * Claude Code's usage counters, `claude_code.token.usage` (by `type` and `model`) and
 * `claude_code.cost.usage`, as raw points grouped by the resource that sent them. Whether a point
 * is cumulative or a delta is kept: the projector turns cumulative series into increments.
 */
export function countersFromMetrics(request: MetricsRequest): TelemetryCounters[] {
  const groups: TelemetryCounters[] = [];
  for (const resourceMetrics of request.resourceMetrics ?? []) {
    const points: CounterPoint[] = [];
    for (const scope of resourceMetrics.scopeMetrics ?? []) {
      for (const metric of scope.metrics ?? []) {
        const kind =
          metric.name === 'claude_code.token.usage'
            ? 'tokens'
            : metric.name === 'claude_code.cost.usage'
              ? 'cost'
              : undefined;
        if (kind === undefined || metric.sum === undefined) continue;
        const temporality = metric.sum.aggregationTemporality;
        const cumulative = temporality === 2 || temporality === 'AGGREGATION_TEMPORALITY_CUMULATIVE';
        for (const point of metric.sum.dataPoints ?? []) {
          const attributes = attributeMap(point.attributes);
          const value = point.asDouble ?? (point.asInt === undefined ? undefined : Number(point.asInt));
          const tokenType = attributes.get('type');
          if (value === undefined || !Number.isFinite(value) || value < 0) continue;
          if (kind === 'tokens' && (typeof tokenType !== 'string' || !TOKEN_TYPES.has(tokenType))) continue;
          const startTimeUnixNano = String(point.startTimeUnixNano ?? '0');
          const timeUnixNano = String(point.timeUnixNano ?? '0');
          if (!/^\d{1,20}$/.test(startTimeUnixNano) || !/^\d{1,20}$/.test(timeUnixNano)) continue;
          const identity = JSON.stringify([
            metric.name,
            [...attributes].sort(([a], [b]) => a.localeCompare(b)),
            startTimeUnixNano,
          ]);
          const model = attributes.get('model');
          const session = attributes.get('session.id');
          points.push({
            series: createHash('sha256').update(identity).digest('base64url').slice(0, 32),
            kind,
            ...(kind === 'tokens' ? { tokenType: tokenType as CounterPoint['tokenType'] } : {}),
            ...(typeof model === 'string' && model.length > 0 ? { model: model.slice(0, 256) } : {}),
            ...(typeof session === 'string' && session.length > 0 ? { sessionId: session.slice(0, 256) } : {}),
            startTimeUnixNano,
            timeUnixNano,
            // Token counts are whole; rounding undoes a double's representation of one.
            value: kind === 'tokens' ? Math.round(value) : value,
            cumulative,
          });
        }
      }
    }
    if (points.length > 0)
      groups.push({ device: resourceDevice(attributeMap(resourceMetrics.resource?.attributes)), points });
  }
  return groups;
}
