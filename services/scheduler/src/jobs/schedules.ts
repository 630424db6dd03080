import type { AccountId, CronJob } from '@ccsync/contracts';
import type { Logger } from '@ccsync/service-kit';
import type { Cron } from 'croner';
import { cronOf } from './define-job.ts';

/** Longer timers are re-armed in steps: Node's setTimeout holds at most about 24.8 days. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type OnTick = (account: AccountId, job: CronJob, scheduledAt: Date) => void;

/**
 * One timer per enabled job, at its next tick as croner reads its schedule. The tick's time is the
 * schedule's, not the moment the timer fired, so every replica names the same run the same way.
 */
export class Schedules {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #onTick: OnTick;
  readonly #logger: Logger;

  constructor(onTick: OnTick, logger: Logger) {
    this.#onTick = onTick;
    this.#logger = logger;
  }

  /** Schedules a job afresh, or stops it when it was deleted or disabled. */
  set(account: AccountId, id: string, job: CronJob | undefined): void {
    const key = `${account}.${id}`;
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
    if (job === undefined || !job.enabled) return;
    let cron: Cron;
    try {
      cron = cronOf(job);
    } catch (error) {
      this.#logger.warn({ err: error, account, job: id }, 'not scheduling a job whose schedule is invalid');
      return;
    }
    this.#arm(key, account, job, cron, new Date());
  }

  #arm(key: string, account: AccountId, job: CronJob, cron: Cron, after: Date): void {
    const next = cron.nextRun(after);
    if (next === null) return;
    const delay = next.getTime() - Date.now();
    const timer = setTimeout(
      () => {
        if (delay > MAX_TIMER_MS) return this.#arm(key, account, job, cron, after);
        this.#arm(key, account, job, cron, next);
        this.#onTick(account, job, next);
      },
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    );
    this.#timers.set(key, timer);
  }

  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
