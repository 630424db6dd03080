import type { ActiveBlockReply, CcusageBlock } from '@ccsync/contracts';
import { describe, expect, it } from 'vitest';
import { clock, type FrameOptions, type MonitorState, renderFrame } from './frame.ts';

const START = Date.parse('2026-11-21T09:00:00.000Z');
const MINUTE = 60_000;
const NOW = START + 150 * MINUTE;

const block: CcusageBlock = {
  id: '2026-11-21T09:00:00.000Z',
  startTime: '2026-11-21T09:00:00.000Z',
  endTime: '2026-11-21T14:00:00.000Z',
  actualEndTime: new Date(NOW - 2 * MINUTE).toISOString(),
  isActive: true,
  isGap: false,
  entries: 42,
  tokenCounts: {
    inputTokens: 12_000,
    outputTokens: 3_500,
    cacheCreationInputTokens: 40_000,
    cacheReadInputTokens: 1_200_000,
  },
  totalTokens: 1_255_500,
  costUSD: 14.956,
  models: ['claude-sonnet-4-5-20250929'],
  burnRate: { costPerHour: 6.5, tokensPerMinute: 9_000.4, tokensPerMinuteForIndicator: 110.7 },
  projection: { remainingMinutes: 150, totalCost: 31.21, totalTokens: 2_605_560 },
};
const reply: ActiveBlockReply = {
  account: 'default' as ActiveBlockReply['account'],
  block,
  devices: [
    { device: 'laptop', entries: 30, totalTokens: 1_000_000, costUSD: 11.5 },
    { device: 'a-very-long-device-name-from-a-container', entries: 12, totalTokens: 255_500, costUSD: 3.456 },
  ] as ActiveBlockReply['devices'],
  burn: { windowMinutes: 10, tokensPerMinute: 2_345.6, costPerHour: 1.234 },
};
const state = (overrides: Partial<MonitorState> = {}): MonitorState => ({
  limit: { planName: 'Pro', tokenLimit: 19_000, costLimitUSD: 18, source: 'plan' },
  reply,
  lastBlock: block,
  readAtMs: NOW,
  online: new Set(['laptop']),
  connection: { kind: 'live' },
  problem: undefined,
  ...overrides,
});
const frame = (s: MonitorState, options: Partial<FrameOptions> = {}) =>
  renderFrame(s, { width: 100, nowMs: NOW, color: false, unicode: true, ...options });

describe('the monitor frame', () => {
  it('shows the block’s numbers as the API has them, formatted as the CLI formats them', () => {
    const text = frame(state()).join('\n');
    expect(text).toContain('1,255,500');
    expect(text).toContain('$14.96');
    expect(text).toContain('42 messages');
    expect(text).toContain('81.6% of the Pro limit used');
    expect(text).toContain('15,500 / 19,000');
    expect(text).toContain('2,346 tokens/min');
    expect(text).toContain('$1.23/h');
    expect(text).toContain('9,000 tokens/min');
    expect(text).toContain('2,605,560 tokens');
    expect(text).toContain('$31.21');
    expect(text).toContain(`at ${clock(Date.parse(block.endTime))}`);
    expect(text).toContain('in 2h 30m 00s');
    expect(text).toMatch(/● laptop\s+1,000,000\s+\$11\.50\s+79\.6%/);
    expect(text).toMatch(/a-very-long-device-name-from-a-container\s+255,500\s+\$3\.46\s+20\.4%/);
  });

  it('warns when the projection passes the limit before the reset', () => {
    // 15,500 + 110.7 × 150 = 32,105 input + output tokens at the reset.
    expect(frame(state()).join('\n')).toContain(
      `! Projection exceeds the Pro limit before reset: 32,105 of 19,000 tokens (limit at ${clock(NOW + (3_500 / 110.7) * MINUTE)})`,
    );
    const roomy = frame(state({ limit: { planName: 'Max5', tokenLimit: 88_000, costLimitUSD: 35, source: 'plan' } }));
    expect(roomy.join('\n')).not.toContain('!');
  });

  it('says when the limit is passed', () => {
    const over = state({ limit: { planName: 'Custom', tokenLimit: 10_000, costLimitUSD: 200, source: 'p90' } });
    const text = frame(over).join('\n');
    expect(text).toContain('! Over the Custom limit: 15,500 of 10,000 tokens');
    expect(text).toContain('155.0%');
    expect(text).toContain('(P90 of past blocks)');
  });

  it.each([100, 72, 50, 38, 30, 24])('fits every line in %i columns and keeps the key numbers', (width) => {
    const lines = frame(state(), { width });
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
    const text = lines.join('\n');
    for (const needle of ['1,255,500', '$14.96', '1,000,000', '$11.50']) expect(text).toContain(needle);
  });

  it('uses no escape sequence without color, and colors with it', () => {
    expect(frame(state()).join('\n')).not.toContain('\x1b');
    expect(frame(state(), { color: true }).join('\n')).toContain('\x1b[');
  });

  it('draws ASCII bars where the locale is not UTF-8', () => {
    const text = frame(state(), { unicode: false }).join('\n');
    expect(text).not.toMatch(/[█░●…]/);
    expect(text).toContain('* laptop');
  });

  it('keeps within the height: spacers go first, then device rows, summed up, and the footer stays', () => {
    const full = frame(state());
    const height = full.length - full.filter((line) => line === '').length;
    const tight = frame(state(), { height });
    expect(tight).toHaveLength(height);
    expect(tight).not.toContain('');
    expect(tight.join('\n')).toContain('1,000,000');
    expect(tight.join('\n')).toContain('255,500');

    const lines = frame(state(), { height: height - 1 });
    expect(lines).toHaveLength(height - 1);
    expect(lines.join('\n')).toContain('... and 2 more devices');
    expect(lines.join('\n')).not.toContain('1,000,000');
    expect(lines.at(-1)).toContain('q quit');
  });

  it('says when no block is active, with the last block’s end, once the block’s time is up', () => {
    const later = Date.parse(block.endTime) + 30 * MINUTE;
    const text = frame(state(), { nowMs: later }).join('\n');
    expect(text).toContain('No active 5-hour block');
    expect(text).toContain('ended 30m 00s ago');
    expect(text).toContain('1,255,500 tokens');
    expect(text).not.toContain('Burn rate');
  });

  it('shows the connection state', () => {
    const reconnecting = state({
      connection: { kind: 'reconnecting', atMs: NOW + 4_000, reason: 'gateway unreachable' },
    });
    expect(frame(reconnecting).join('\n')).toContain('reconnecting in 4s (gateway unreachable)');
    expect(frame(state()).at(-1)).toMatch(/q quit {2}live {2}read \d\d:\d\d:\d\d/);
  });
});
