import { AccountId, CronJobId, CronJobKind, type Names } from '@ccsync/contracts';
import type { NatsConnection } from '@ccsync/service-kit';
import { type KV, Kvm } from '@nats-io/kv';
import { z } from 'zod';

/**
 * A run as the replica holding it records it. `running` with a lease the holder keeps renewing;
 * `done` once its CronJobExecuted is stored.
 */
export const RunClaim = z.object({
  state: z.enum(['running', 'done']),
  account: AccountId,
  job: CronJobId,
  kind: CronJobKind,
  scheduledAt: z.iso.datetime(),
  trigger: z.enum(['schedule', 'manual']),
  attempt: z.number().int().positive(),
  owner: z.string(),
  leaseUntil: z.number().int(),
});
export type RunClaim = z.infer<typeof RunClaim>;

export interface HeldClaim {
  readonly runId: string;
  claim: RunClaim;
  revision: number;
}

/** Runs are kept this long, long past any retry, then the bucket forgets them. */
const KEPT_MS = 2 * 24 * 60 * 60 * 1000;

/** The key of a scheduled run: the same on every replica, so only one can create it. */
export function scheduledRunId(account: AccountId, job: string, scheduledAt: Date): string {
  return `${account}.${job}.${scheduledAt.getTime()}`;
}

/**
 * Claims on runs in a NATS KV bucket. Creating a run's key succeeds on exactly one replica, which
 * is how each tick runs once however many schedulers there are; every later change is a
 * compare-and-set on the key's revision, so a run is never taken over twice.
 */
export class RunClaims {
  private readonly kv: KV;
  readonly #running = new Map<string, HeldClaim>();

  private constructor(kv: KV) {
    this.kv = kv;
  }

  static async open(nc: NatsConnection, names: Names, replicas: number): Promise<RunClaims> {
    return new RunClaims(await new Kvm(nc).create(names.cronRunsBucket, { history: 1, ttl: KEPT_MS, replicas }));
  }

  /** Creates the run's key; undefined when another replica created it first. */
  async claim(runId: string, claim: RunClaim): Promise<HeldClaim | undefined> {
    try {
      const revision = await this.kv.create(runId, JSON.stringify(claim));
      return { runId, claim, revision };
    } catch {
      return undefined;
    }
  }

  /** Writes a held claim's new state; false when someone else changed it meanwhile. */
  async update(held: HeldClaim, claim: RunClaim): Promise<boolean> {
    try {
      held.revision = await this.kv.update(held.runId, JSON.stringify(claim), held.revision);
      held.claim = claim;
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Follows the bucket, so that the claims still running are known without reading every run
   * kept (a job every second leaves thousands a day). Returns a stop.
   */
  async follow(onError: (error: unknown) => void): Promise<() => void> {
    const watcher = await this.kv.watch({ key: '>' });
    void (async () => {
      for await (const entry of watcher) {
        const claim = entry.operation === 'PUT' ? RunClaim.safeParse(entry.json()) : undefined;
        if (claim?.success === true && claim.data.state === 'running') {
          this.#running.set(entry.key, { runId: entry.key, claim: claim.data, revision: entry.revision });
        } else {
          this.#running.delete(entry.key);
        }
      }
    })().catch(onError);
    return () => watcher.stop();
  }

  /** The claims still running whose run id starts with `prefix`, for the sweep and the overlap check. */
  running(prefix = ''): HeldClaim[] {
    return [...this.#running.values()].filter((held) => held.runId.startsWith(prefix)).map((held) => ({ ...held }));
  }
}
