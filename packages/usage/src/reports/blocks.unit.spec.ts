import { describe, expect, it } from 'vitest';
import { CCUSAGE_OFFLINE_PRICING } from '../pricing/index.ts';
import { parseTranscripts } from '../transcript/parse-transcript.ts';
import { blocksReport } from './blocks.ts';
import { formatCcusageJson } from './ccusage-json.ts';

const pricing = CCUSAGE_OFFLINE_PRICING;
const transcript = (lines: [id: string, ts: string, usage: string, model?: string][]) =>
  parseTranscripts({
    'proj/s1.jsonl': lines
      .map(
        ([id, ts, usage, model = 'claude-sonnet-4-20250514']) =>
          `{"type":"assistant","timestamp":"${ts}","sessionId":"s1","requestId":"r${id}","message":{"id":"${id}","model":"${model}","usage":${usage}}}`,
      )
      .join('\n'),
  });

describe('blocksReport', () => {
  // docs/ccusage-parity.md example `blocks_boundaries`: ccusage 20.0.24's exact output.
  it('starts blocks at the UTC hour, closes them after 5 h, and adds gaps after long pauses', () => {
    const entries = transcript([
      ['b1', '2026-03-01T10:30:00.000Z', '{"input_tokens":1,"output_tokens":0}'],
      ['b2', '2026-03-01T15:00:00.000Z', '{"input_tokens":2,"output_tokens":0}'],
      ['b3', '2026-03-02T10:30:00.000Z', '{"input_tokens":4,"output_tokens":0}'],
      ['b4', '2026-03-02T15:30:00.001Z', '{"input_tokens":8,"output_tokens":0}'],
    ]);
    const report = blocksReport(entries, { now: Date.parse('2026-11-21T00:00:00.000Z'), pricing });
    expect(formatCcusageJson(report).replace(/\s+/g, '')).toBe(
      '{"blocks":[{"actualEndTime":"2026-03-01T15:00:00.000Z","burnRate":null,"costUSD":9e-6,"endTime":"2026-03-01T15:00:00.000Z","entries":2,"id":"2026-03-01T10:00:00.000Z","isActive":false,"isGap":false,"models":["claude-sonnet-4-20250514"],"projection":null,"startTime":"2026-03-01T10:00:00.000Z","tokenCounts":{"cacheCreationInputTokens":0,"cacheReadInputTokens":0,"inputTokens":3,"outputTokens":0},"totalTokens":3},{"actualEndTime":null,"burnRate":null,"costUSD":0,"endTime":"2026-03-02T10:30:00.000Z","entries":0,"id":"gap-2026-03-01T20:00:00.000Z","isActive":false,"isGap":true,"models":[],"projection":null,"startTime":"2026-03-01T20:00:00.000Z","tokenCounts":{"cacheCreationInputTokens":0,"cacheReadInputTokens":0,"inputTokens":0,"outputTokens":0},"totalTokens":0},{"actualEndTime":"2026-03-02T10:30:00.000Z","burnRate":null,"costUSD":0.000012,"endTime":"2026-03-02T15:00:00.000Z","entries":1,"id":"2026-03-02T10:00:00.000Z","isActive":false,"isGap":false,"models":["claude-sonnet-4-20250514"],"projection":null,"startTime":"2026-03-02T10:00:00.000Z","tokenCounts":{"cacheCreationInputTokens":0,"cacheReadInputTokens":0,"inputTokens":4,"outputTokens":0},"totalTokens":4},{"actualEndTime":"2026-03-02T15:30:00.001Z","burnRate":null,"costUSD":0.000024,"endTime":"2026-03-02T20:00:00.000Z","entries":1,"id":"2026-03-02T15:00:00.000Z","isActive":false,"isGap":false,"models":["claude-sonnet-4-20250514"],"projection":null,"startTime":"2026-03-02T15:00:00.000Z","tokenCounts":{"cacheCreationInputTokens":0,"cacheReadInputTokens":0,"inputTokens":8,"outputTokens":0},"totalTokens":8},{"actualEndTime":null,"burnRate":null,"costUSD":0,"endTime":"2026-03-02T15:30:00.001Z","entries":0,"id":"gap-2026-03-02T15:30:00.000Z","isActive":false,"isGap":true,"models":[],"projection":null,"startTime":"2026-03-02T15:30:00.000Z","tokenCounts":{"cacheCreationInputTokens":0,"cacheReadInputTokens":0,"inputTokens":0,"outputTokens":0},"totalTokens":0}]}',
    );
  });

  // docs/ccusage-parity.md example `active`, run by ccusage at 2026-11-21T05:14:35.872Z with --token-limit 300000.
  it('gives the active block its burn rate, projection and limit status', () => {
    const entries = transcript([
      [
        'x1',
        '2026-11-21T02:44:00.000Z',
        '{"input_tokens":1000,"output_tokens":500,"cache_creation_input_tokens":2000,"cache_read_input_tokens":30000}',
      ],
      [
        'x2',
        '2026-11-21T03:44:00.000Z',
        '{"input_tokens":100,"output_tokens":5000,"cache_read_input_tokens":40000}',
        'claude-opus-4-20250514',
      ],
      [
        'x3',
        '2026-11-21T04:44:00.000Z',
        '{"input_tokens":10,"output_tokens":50,"cache_creation_input_tokens":100,"cache_read_input_tokens":50000}',
      ],
    ]);
    const { blocks } = blocksReport(entries, {
      now: new Date('2026-11-21T05:14:35.872Z'),
      tokenLimit: 300_000,
      pricing,
    });
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({
      isActive: true,
      costUSD: 0.47965499999999994,
      models: ['claude-sonnet-4-20250514', 'claude-opus-4-20250514'],
      burnRate: { costPerHour: 0.2398275, tokensPerMinute: 1073, tokensPerMinuteForIndicator: 55.5 },
      projection: { remainingMinutes: 105, totalCost: 0.9, totalTokens: 241425 },
      tokenLimitStatus: { limit: 300000, percentUsed: 80.475, projectedUsage: 241425, status: 'warning' },
      totalTokens: 128760,
    });
    expect(formatCcusageJson({ blocks })).toContain('"tokensPerMinute": 1073.0');
  });

  it('keeps only the active block with `active`, and has no limit status without a completed block for `max`', () => {
    const entries = transcript([
      ['y1', '2026-11-20T01:00:00.000Z', '{"input_tokens":7,"output_tokens":0}'],
      ['y2', '2026-11-21T04:00:00.000Z', '{"input_tokens":1,"output_tokens":0}'],
      ['y3', '2026-11-21T04:30:00.000Z', '{"input_tokens":1,"output_tokens":0}'],
    ]);
    const now = Date.parse('2026-11-21T05:00:00.000Z');
    const active = blocksReport(entries, { now, active: true, tokenLimit: 'max', pricing }).blocks;
    expect(active.map((block) => [block.id, block.tokenLimitStatus])).toEqual([
      ['2026-11-21T04:00:00.000Z', undefined],
    ]);
    // `max` takes the largest completed block (7 tokens) as the limit.
    const all = blocksReport(entries, { now, tokenLimit: 'max', pricing }).blocks;
    expect(all.find((block) => block.isActive)?.tokenLimitStatus).toMatchObject({ limit: 7, status: 'exceeds' });
  });
});
