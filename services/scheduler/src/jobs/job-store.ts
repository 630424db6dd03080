import { type AccountId, CronJob, type Names } from '@ccsync/contracts';
import type { Logger, NatsConnection } from '@ccsync/service-kit';
import { type KV, Kvm } from '@nats-io/kv';

/** A change to a job, as every replica sees it. `job` is undefined when it was deleted. */
export type JobChange = { readonly account: AccountId; readonly id: string; readonly job: CronJob | undefined };

/**
 * Jobs in a NATS KV bucket under `<account>.<job>`. Every replica watches the bucket, so a job
 * created, changed or deleted through any gateway is scheduled everywhere at once.
 */
export class JobStore {
  private readonly kv: KV;
  private readonly logger: Logger;

  private constructor(kv: KV, logger: Logger) {
    this.kv = kv;
    this.logger = logger;
  }

  static async open(nc: NatsConnection, names: Names, logger: Logger, replicas: number): Promise<JobStore> {
    return new JobStore(await new Kvm(nc).create(names.cronJobsBucket, { history: 5, replicas }), logger);
  }

  async list(account: AccountId): Promise<CronJob[]> {
    const jobs: CronJob[] = [];
    for await (const key of await this.kv.keys(`${account}.*`)) {
      const job = await this.get(account, key.slice(account.length + 1));
      if (job !== undefined) jobs.push(job.job);
    }
    return jobs.sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(account: AccountId, id: string): Promise<{ job: CronJob; revision: number } | undefined> {
    const entry = await this.kv.get(`${account}.${id}`);
    if (entry === null || entry.operation !== 'PUT') return undefined;
    const job = CronJob.safeParse(entry.json());
    if (!job.success) {
      this.logger.warn({ account, id }, 'ignoring an unreadable stored job');
      return undefined;
    }
    return { job: job.data, revision: entry.revision };
  }

  /** False when a job of that name exists. */
  async create(account: AccountId, job: CronJob): Promise<boolean> {
    try {
      await this.kv.create(`${account}.${job.name}`, JSON.stringify(job));
      return true;
    } catch {
      return false;
    }
  }

  /** False when the job changed since `revision` was read. */
  async replace(account: AccountId, job: CronJob, revision: number): Promise<boolean> {
    try {
      await this.kv.update(`${account}.${job.name}`, JSON.stringify(job), revision);
      return true;
    } catch {
      return false;
    }
  }

  async delete(account: AccountId, id: string): Promise<void> {
    await this.kv.delete(`${account}.${id}`);
  }

  /**
   * Marks something done once per account (creating its default jobs): true only for the one
   * replica, and the one start, that gets there first.
   */
  async firstTime(account: AccountId, what: string): Promise<boolean> {
    try {
      await this.kv.create(`_${what}.${account}`, new Date().toISOString());
      return true;
    } catch {
      return false;
    }
  }

  /** Calls `onChange` for every stored job, then for every change. Returns a stop. */
  async watch(onChange: (change: JobChange) => void): Promise<() => void> {
    const watcher = await this.kv.watch({ key: '*.*' });
    void (async () => {
      for await (const entry of watcher) {
        const dot = entry.key.indexOf('.');
        const account = entry.key.slice(0, dot) as AccountId;
        const id = entry.key.slice(dot + 1);
        if (account.startsWith('_')) continue;
        if (entry.operation !== 'PUT') {
          onChange({ account, id, job: undefined });
          continue;
        }
        const job = CronJob.safeParse(entry.json());
        if (job.success) onChange({ account, id, job: job.data });
        else this.logger.warn({ key: entry.key }, 'ignoring an unreadable stored job');
      }
    })().catch((error: unknown) => this.logger.warn({ err: error }, 'the job watch ended'));
    return () => watcher.stop();
  }
}
