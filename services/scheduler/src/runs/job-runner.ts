import { randomBytes } from 'node:crypto';
import {
  type AccountId,
  type CronJob,
  type CronJobExecutedV1,
  type ExecuteCronJobReply,
  newEvent,
} from '@ccsync/contracts';
import { eventIdOf } from '@ccsync/service-kit';
import type { JobStore } from '../jobs/job-store.ts';
import { type KindContext, NO_OUTPUT, type Outcome, runKind } from './job-kinds.ts';
import { type HeldClaim, type RunClaim, type RunClaims, scheduledRunId } from './run-claims.ts';

export interface JobRunnerOptions {
  readonly claims: RunClaims;
  readonly store: JobStore;
  readonly context: KindContext;
  /** How often a held run's lease is renewed; three missed renewals mean its replica is gone. */
  readonly leaseMs: number;
}

const LOST: Outcome = {
  ...NO_OUTPUT,
  status: 'lost',
  error: 'the scheduler replica running it stopped before it finished',
};
const SKIPPED: Outcome = { ...NO_OUTPUT, status: 'skipped', error: 'the previous run was still going' };

/** How often storing a run's event is tried before the run is left for the sweep to record. */
const APPEND_ATTEMPTS = 5;

/**
 * Runs jobs: claims each run in NATS KV so it happens once across replicas, keeps the claim's
 * lease while it runs, records the result as a CronJobExecuted event, retries by the job's policy,
 * and takes over runs whose replica stopped renewing them.
 */
export class JobRunner {
  readonly #owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly #abort = new AbortController();
  readonly #running = new Set<Promise<unknown>>();
  readonly #options: JobRunnerOptions;

  constructor(options: JobRunnerOptions) {
    this.#options = options;
  }

  /** A scheduled tick: runs on the one replica whose claim is created first. */
  async tick(account: AccountId, job: CronJob, scheduledAt: Date): Promise<void> {
    const runId = scheduledRunId(account, job.name, scheduledAt);
    const held = await this.#options.claims.claim(runId, this.#claim(account, job, scheduledAt, 'schedule', 1));
    if (held === undefined) return;
    if (job.overlap === 'skip' && this.#busy(account, job, runId)) {
      await this.#record(account, held, this.#data(job, held, new Date().toISOString(), SKIPPED));
      return;
    }
    await this.#track(this.#attempts(account, job, held));
  }

  /** Runs a job now. With `wait`, resolves with its result; else as soon as it has started. */
  async runNow(account: AccountId, job: CronJob, wait: boolean): Promise<ExecuteCronJobReply> {
    const scheduledAt = new Date();
    const runId = `${account}.${job.name}.m${scheduledAt.getTime()}-${randomBytes(3).toString('hex')}`;
    const held = await this.#options.claims.claim(runId, this.#claim(account, job, scheduledAt, 'manual', 1));
    if (held === undefined) throw new Error(`run ${runId} exists already`);
    const done = this.#track(this.#attempts(account, job, held));
    const result = wait ? await done : null;
    return { job: job.name, runId, scheduledAt: scheduledAt.toISOString(), result };
  }

  /**
   * Takes over runs whose replica stopped renewing their lease: each is retried if its job's
   * policy allows, or recorded as lost. The takeover is a compare-and-set, so one replica wins.
   */
  async sweep(): Promise<void> {
    const { claims, store, leaseMs } = this.#options;
    for (const held of claims.running()) {
      if (held.claim.leaseUntil + 2 * leaseMs > Date.now()) continue;
      const { account, job: name, kind, attempt } = held.claim;
      if (!(await claims.update(held, { ...held.claim, owner: this.#owner, leaseUntil: Date.now() + leaseMs })))
        continue;
      const job = (await store.get(account, name))?.job;
      const retry = job !== undefined && attempt <= job.retries;
      const lost = this.#data({ name, kind }, held, held.claim.scheduledAt, LOST);
      if (!(await this.#record(account, held, lost, !retry)) || !retry) continue;
      const next = { ...held.claim, attempt: attempt + 1, leaseUntil: Date.now() + leaseMs };
      if (await claims.update(held, next)) void this.#track(this.#attempts(account, job, held));
    }
  }

  /** Stops every run in progress (each is recorded as failed) and waits for them to be recorded. */
  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled([...this.#running]);
  }

  #claim(
    account: AccountId,
    job: Pick<CronJob, 'name' | 'kind'>,
    scheduledAt: Date,
    trigger: RunClaim['trigger'],
    attempt: number,
  ): RunClaim {
    return {
      state: 'running',
      account,
      job: job.name,
      kind: job.kind,
      scheduledAt: scheduledAt.toISOString(),
      trigger,
      attempt,
      owner: this.#owner,
      leaseUntil: Date.now() + this.#options.leaseMs,
    };
  }

  /** Whether another run of the job is still going, on any replica. */
  #busy(account: AccountId, job: CronJob, runId: string): boolean {
    const running = this.#options.claims.running(`${account}.${job.name}.`);
    return running.some((held) => held.runId !== runId);
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#running.add(work);
    void work.finally(() => this.#running.delete(work)).catch(() => undefined);
    return work;
  }

  /** Runs a held claim, then its retries while the job's policy allows; resolves with the last result. */
  async #attempts(account: AccountId, job: CronJob, held: HeldClaim): Promise<CronJobExecutedV1> {
    for (;;) {
      const startedAt = new Date().toISOString();
      let renewing: Promise<unknown> = Promise.resolve();
      const renew = setInterval(() => {
        renewing = this.#options.claims.update(held, { ...held.claim, leaseUntil: Date.now() + this.#options.leaseMs });
      }, this.#options.leaseMs / 3);
      let outcome: Outcome;
      try {
        outcome = await runKind(job, account, this.#options.context, this.#abort.signal);
      } catch (error) {
        outcome = { ...NO_OUTPUT, status: 'failed', error: (error as Error).message };
      } finally {
        clearInterval(renew);
        // A renewal still under way would make the claim's next write miss its revision.
        await renewing;
      }
      const retry = outcome.status !== 'succeeded' && held.claim.attempt <= job.retries && !this.#abort.signal.aborted;
      const data = this.#data(job, held, startedAt, outcome);
      const recorded = await this.#record(account, held, data, !retry);
      if (!retry || !recorded) return data;
      const next = { ...held.claim, attempt: held.claim.attempt + 1, leaseUntil: Date.now() + this.#options.leaseMs };
      if (!(await this.#options.claims.update(held, next))) return data;
    }
  }

  #data(job: Pick<CronJob, 'name' | 'kind'>, held: HeldClaim, startedAt: string, outcome: Outcome): CronJobExecutedV1 {
    const finishedAt = new Date();
    return {
      job: job.name,
      kind: job.kind,
      runId: held.runId,
      trigger: held.claim.trigger,
      attempt: held.claim.attempt,
      scheduledAt: held.claim.scheduledAt,
      startedAt,
      finishedAt: finishedAt.toISOString(),
      durationMs: Math.max(0, finishedAt.getTime() - Date.parse(startedAt)),
      ...outcome,
    };
  }

  /**
   * Stores the run's CronJobExecuted event (its id is the run and attempt, so a retried publish is
   * stored once) and, when `last`, marks the claim done. False if the event could not be stored:
   * the claim then stays running, and the sweep records it once its lease runs out.
   */
  async #record(account: AccountId, held: HeldClaim, data: CronJobExecutedV1, last = true): Promise<boolean> {
    const event = newEvent('CronJobExecuted', {
      id: eventIdOf('CronJobExecuted', held.runId, held.claim.attempt),
      occurredAt: data.finishedAt,
      recordedAt: new Date().toISOString(),
      account,
      data,
    });
    const { history, logger } = this.#options.context;
    for (let attempt = 1; ; attempt++) {
      try {
        await history.append(event, logger);
        break;
      } catch (error) {
        if (attempt >= APPEND_ATTEMPTS) {
          logger.error({ err: error, runId: held.runId }, 'could not record a run; the sweep will');
          return false;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
    if (last) await this.#options.claims.update(held, { ...held.claim, state: 'done' });
    return true;
  }
}
