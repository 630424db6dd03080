import type { UsageEntry } from '@ccsync/contracts';
import { describe, expect, it } from 'vitest';
import { parseTranscripts } from '../transcript/parse-transcript.ts';
import { CCUSAGE_OFFLINE_PRICING } from './default-table.ts';
import { messageCost } from './message-cost.ts';

/** Costs per message as ccusage 20.0.24 printed them (docs/ccusage-parity.md, examples tiered, cost_sources). */
const costs = (lines: string[]) =>
  parseTranscripts({ 'proj/s1.jsonl': lines.join('\n') }).map((entry: UsageEntry) =>
    messageCost(entry, CCUSAGE_OFFLINE_PRICING),
  );

const line = (id: string, model: string, usage: string, extra = '') =>
  `{"type":"assistant","timestamp":"2026-06-01T10:00:00.000Z","sessionId":"s1","requestId":"r${id}"${extra},"message":{"id":"${id}","model":"${model}","usage":${usage}}}`;

describe('messageCost', () => {
  it('tiers each category separately above 200k tokens, and 1-hour writes at 2 × input', () => {
    expect(
      costs([
        line('t1', 'claude-sonnet-4-20250514', '{"input_tokens":300000,"output_tokens":0}'),
        line(
          't2',
          'claude-sonnet-4-20250514',
          '{"input_tokens":150000,"output_tokens":0,"cache_read_input_tokens":150000}',
        ),
        line(
          't3',
          'claude-sonnet-4-20250514',
          '{"input_tokens":0,"output_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":300000}}',
        ),
        line('t4', 'claude-opus-4-6', '{"input_tokens":300000,"output_tokens":0}'),
      ]).map((cost) => cost.costUSD),
    ).toEqual([1.2, 0.495, 2.4, 1.5000000000000002]);
  });

  it('prices 5-minute writes at the cache-write rate and 1-hour writes at twice the input rate', () => {
    const [cost] = costs([
      line(
        'c1',
        'claude-sonnet-4-20250514',
        '{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":999,"cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":2000}}',
      ),
    ]);
    expect(cost?.costUSD).toBe(0.01575);
  });

  it('uses costUSD as is, prices fast mode with the multiplier, and leaves synthetic and unknown models at 0', () => {
    expect(
      costs([
        line('u1', 'claude-sonnet-4-20250514', '{"input_tokens":100,"output_tokens":50}', ',"costUSD":1.25'),
        line('u2', '<synthetic>', '{"input_tokens":100,"output_tokens":50}'),
        line('u3', 'my-custom-model', '{"input_tokens":100,"output_tokens":50}'),
        line('u4', 'claude-opus-4-6', '{"input_tokens":100,"output_tokens":50,"speed":"fast"}'),
        line('u5', 'claude-sonnet-4-20250514', '{"input_tokens":100,"output_tokens":50,"speed":"fast"}'),
      ]),
    ).toEqual([
      { costUSD: 1.25, unpriced: false },
      { costUSD: 0, unpriced: false },
      { costUSD: 0, unpriced: true },
      { costUSD: 0.0105, unpriced: false },
      { costUSD: 0.0010500000000000002, unpriced: false },
    ]);
  });
});
