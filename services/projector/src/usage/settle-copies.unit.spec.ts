import { DeviceId, type UsageDelta, type UsageEntry, zeroTotals } from '@ccsync/contracts';
import { generateTranscriptCorpus } from '@ccsync/testkit';
import { CCUSAGE_OFFLINE_PRICING, dailyReport, parseTranscript } from '@ccsync/usage';
import { describe, expect, it } from 'vitest';
import { type KnownMessages, settleCopies } from './settle-copies.ts';

const pricing = CCUSAGE_OFFLINE_PRICING;

/** One device's entries in ccusage's order: its files by path, then lines. */
function deviceEntries(files: readonly { path: string; content: string }[]): UsageEntry[] {
  return [...files]
    .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)))
    .flatMap((file) => parseTranscript(file.path, file.content));
}

/** A deterministic batch size sequence, so events of every size are exercised. */
const batchSizes = (seed: number) => {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return 1 + (state % 40);
  };
};

describe('settleCopies', () => {
  it.each([1, 7, 42, 99])(
    'applied batch by batch and device by device, adds up to the batch report’s totals (seed %i)',
    (seed) => {
      const corpus = generateTranscriptCorpus({ seed, devices: 3, sessionsPerDevice: 5 });
      const known: KnownMessages = { messages: new Map(), replays: new Map() };
      const totals: UsageDelta = zeroTotals();
      const all: UsageEntry[] = [];
      const nextSize = batchSizes(seed);
      for (const device of corpus.devices) {
        const entries = deviceEntries(device.files);
        all.push(...entries);
        for (let start = 0; start < entries.length; ) {
          const size = nextSize();
          const settlement = settleCopies(
            known,
            DeviceId.parse(device.name),
            entries.slice(start, start + size),
            pricing,
          );
          for (const delta of settlement.deltas.values()) {
            for (const field of Object.keys(totals) as (keyof UsageDelta)[]) totals[field] += delta[field];
          }
          start += size;
        }
      }
      const expected = dailyReport(all, { timezone: 'UTC', pricing }).totals;
      const { totalCost, ...tokens } = totals;
      expect(tokens).toEqual({
        entries: expect.any(Number),
        inputTokens: expected.inputTokens,
        outputTokens: expected.outputTokens,
        cacheCreationTokens: expected.cacheCreationTokens,
        cacheReadTokens: expected.cacheReadTokens,
        totalTokens: expected.totalTokens,
      });
      expect(Math.abs(totalCost - expected.totalCost)).toBeLessThan(1e-9);
    },
  );

  it('moves a message to the device of a larger later copy, and ignores a smaller one', () => {
    const known: KnownMessages = { messages: new Map(), replays: new Map() };
    const copy = (output: number): UsageEntry => ({
      id: `entry-${output}-aaaa`,
      timestamp: '2026-11-20T10:00:00.000Z',
      messageId: 'msg_1',
      requestId: 'req_1',
      sessionId: 's',
      isSidechain: false,
      model: 'claude-opus-4-6',
      usage: { inputTokens: 0, outputTokens: output, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
    });
    const laptop = DeviceId.parse('laptop');
    const desktop = DeviceId.parse('desktop');
    expect(settleCopies(known, laptop, [copy(10)], pricing).deltas.get(laptop)).toMatchObject({
      entries: 1,
      outputTokens: 10,
    });
    const moved = settleCopies(known, desktop, [copy(30)], pricing).deltas;
    expect(moved.get(laptop)).toMatchObject({ entries: -1, outputTokens: -10 });
    expect(moved.get(desktop)).toMatchObject({ entries: 1, outputTokens: 30 });
    expect(settleCopies(known, laptop, [copy(20)], pricing).deltas.size).toBe(0);
  });
});
