import { type AgentPushResult, waitFor } from '@ccsync/testkit';
import { type DrillDevice, push } from './devices.ts';
import type { DrillContext } from './drill.ts';
import type { DrillStack } from './stack.ts';
import type { DrillCorpus } from './transcripts.ts';

/** Histories growing slice by slice, each device pushing after each slice, as `watch` would. */
export interface LiveIngest {
  /** Slices written and pushed by every device so far. */
  readonly pushed: number;
  readonly pushing: boolean;
  /** The summaries of the pushes that have ended so far. */
  readonly results: readonly AgentPushResult[];
  /** Every push's summary, once the last slice is pushed; rejects when a push fails. */
  readonly done: Promise<AgentPushResult[]>;
  /** Resolves once `slices` slices are pushed, or the ingest has ended. */
  after(slices: number): Promise<void>;
}

/**
 * Starts writing the corpus slice by slice, every device running `ccsync push` after each one,
 * so that faults injected meanwhile land in the middle of a steady ingest.
 */
export function startLiveIngest(
  context: DrillContext,
  stack: DrillStack,
  devices: readonly DrillDevice[],
  corpus: DrillCorpus,
  batchSize: number,
): LiveIngest {
  let pushed = 0;
  let pushing = true;
  const results: AgentPushResult[] = [];
  const run = async () => {
    for (let slice = 0; slice < corpus.slices; slice++) {
      await corpus.writeSlice(slice);
      await Promise.all(
        devices.map(async (device) => results.push(await push(context, device, stack.ingest.url, { batchSize }))),
      );
      pushed++;
    }
    return results;
  };
  const done = run().finally(() => {
    pushing = false;
  });
  done.catch(() => undefined);
  return {
    get pushed() {
      return pushed;
    },
    get pushing() {
      return pushing;
    },
    results,
    done,
    after: (slices) =>
      waitFor(() => pushed >= slices || !pushing, {
        timeoutMs: 120_000,
        description: `${slices} slices to be pushed`,
      }).then(() => undefined),
  };
}

/**
 * Waits until the projector has applied a random share of what is stored but not yet applied,
 * so a fault strikes at a random point of its work; returns at once when nothing is pending.
 */
export async function randomPointOfProjection(stack: DrillStack): Promise<void> {
  const [applied, stored] = await Promise.all([stack.checkpoint(), stack.lastSeq()]);
  const target = applied + Math.floor(Math.random() * (stored - applied + 1));
  await waitFor(async () => (await stack.checkpoint()) >= target, {
    timeoutMs: 60_000,
    intervalMs: 5,
    description: `the views to apply event ${target}`,
  });
}
