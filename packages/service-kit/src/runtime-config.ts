import { type Names, RuntimeSettings } from '@ccsync/contracts';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from './logger.ts';

const KEY = 'settings';
/** Two admins saving at once: the later one re-reads and applies its change on top. */
const MAX_ATTEMPTS = 10;

/**
 * The settings that can change at run time, in a NATS KV bucket: every replica watches it, so a
 * change made through any one of them is in force on all of them within moments.
 */
export class RuntimeConfig {
  #settings: RuntimeSettings = {};
  readonly #listeners: ((settings: RuntimeSettings) => void)[] = [];
  #stop: (() => void) | undefined;

  private readonly kv: KV;
  private readonly logger: Logger;

  private constructor(kv: KV, logger: Logger) {
    this.kv = kv;
    this.logger = logger;
  }

  static async open(nc: NatsConnection, names: Names, logger: Logger, replicas = 1): Promise<RuntimeConfig> {
    const config = new RuntimeConfig(await new Kvm(nc).create(names.configBucket, { history: 10, replicas }), logger);
    config.#settings = await config.#read();
    const watcher = await config.kv.watch({ key: KEY });
    config.#stop = () => watcher.stop();
    (async () => {
      for await (const entry of watcher) {
        const parsed = RuntimeSettings.safeParse(entry.operation === 'PUT' ? entry.json() : {});
        if (!parsed.success) {
          config.logger.warn({ revision: entry.revision }, 'ignoring unreadable runtime settings');
          continue;
        }
        config.#settings = parsed.data;
        for (const listener of config.#listeners) listener(parsed.data);
      }
    })().catch((error: unknown) => config.logger.warn({ err: error }, 'runtime settings watch ended'));
    return config;
  }

  /** The settings someone set; unset ones take their defaults where they are used. */
  current(): RuntimeSettings {
    return this.#settings;
  }

  /** Calls `listener` now and on every change. */
  onChange(listener: (settings: RuntimeSettings) => void): void {
    this.#listeners.push(listener);
    listener(this.#settings);
  }

  /**
   * Sets settings (`null` clears one) and returns them as stored. A concurrent change by another
   * replica is never overwritten: the update is a compare-and-set on the key's revision.
   */
  async update(change: Readonly<Record<string, unknown>>): Promise<RuntimeSettings> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await this.kv.get(KEY);
      const stored = entry === null || entry.operation !== 'PUT' ? {} : RuntimeSettings.catch({}).parse(entry.json());
      const merged = Object.fromEntries(
        Object.entries({ ...stored, ...change }).filter(([, value]) => value !== null && value !== undefined),
      );
      const next = RuntimeSettings.parse(merged);
      try {
        if (entry === null) await this.kv.create(KEY, JSON.stringify(next));
        else await this.kv.update(KEY, JSON.stringify(next), entry.revision);
        this.#settings = next;
        return next;
      } catch (error) {
        // Someone else wrote first (wrong last revision, or the key now exists): read again.
        this.logger.debug({ err: error }, 'runtime settings changed meanwhile; retrying');
      }
    }
    throw new Error(`runtime settings: gave up after ${MAX_ATTEMPTS} conflicting updates`);
  }

  async #read(): Promise<RuntimeSettings> {
    const entry = await this.kv.get(KEY);
    if (entry === null || entry.operation !== 'PUT') return {};
    return RuntimeSettings.catch({}).parse(entry.json());
  }

  close(): void {
    this.#stop?.();
  }
}
