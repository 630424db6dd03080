import { waitFor } from '@ccsync/testkit';
import type { Recovery } from './drill.ts';
import type { DrillStack } from './stack.ts';

/**
 * Marks a fault now, and returns a function that resolves with the milliseconds from then until
 * the active views held and acknowledged every event up to the mark: what the views had
 * `applied` at that moment (the work a crash or a flush put at risk), or everything `stored` in
 * the history by then. Ingest may go on meanwhile; later events do not move the mark.
 */
export async function recoveryFromNow(
  stack: DrillStack,
  mark: 'applied' | 'stored',
  timeoutMs = 120_000,
): Promise<() => Promise<number>> {
  const target = mark === 'applied' ? await stack.checkpoint() : await stack.lastSeq();
  const faultAt = performance.now();
  return async () => {
    await waitFor(async () => (await stack.appliedThrough()) >= target, {
      timeoutMs,
      intervalMs: 50,
      description: `the views to hold every event up to ${target} again`,
    });
    return performance.now() - faultAt;
  };
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** `max 9.8 s, median 4.1 s over 5`, or the one sample. */
export function describeRecovery({ samplesMs }: Recovery): string {
  if (samplesMs.length === 0) return 'n/a';
  const sorted = [...samplesMs].sort((a, b) => a - b);
  if (sorted.length === 1) return seconds(sorted[0] ?? 0);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  return `max ${seconds(sorted.at(-1) ?? 0)}, median ${seconds(median)}`;
}
