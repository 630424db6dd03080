import type { LiveChannel } from './live.ts';

/** The REST data the page shows, each loaded by one function. */
export type Resource = 'block' | 'devices' | 'daily' | 'cron';
export const RESOURCES: readonly Resource[] = ['block', 'devices', 'daily', 'cron'];

/** What a change on each channel makes stale. */
export const STALE_AFTER: Readonly<Record<LiveChannel, readonly Resource[]>> = {
  usage: ['devices', 'daily'],
  blocks: ['block'],
  presence: ['devices'],
  cron: ['cron'],
};

/** Changes that arrive together (a push of many entries, a replay) are read back with one request. */
const SETTLE_MS = 150;

/**
 * Reloads resources from REST when changes say they are stale, so what the page shows is always a
 * reply of the API. Requests are gathered for a moment; one resource is never loaded twice at once,
 * and a change during a load loads it again afterwards, so the last load always follows the last change.
 */
export class Refresher {
  readonly #load: (resource: Resource) => Promise<void>;
  readonly #due = new Set<Resource>();
  readonly #loading = new Map<Resource, Promise<void>>();
  readonly #again = new Set<Resource>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(load: (resource: Resource) => Promise<void>) {
    this.#load = load;
  }

  /** Loads these soon, together with whatever else becomes stale meanwhile. */
  soon(resources: Iterable<Resource>): void {
    if (this.#stopped) return;
    for (const resource of resources) this.#due.add(resource);
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      const due = [...this.#due];
      this.#due.clear();
      for (const resource of due) void this.now(resource);
    }, SETTLE_MS);
  }

  /** Loads one now, or once more after the load under way. */
  now(resource: Resource): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const running = this.#loading.get(resource);
    if (running !== undefined) {
      this.#again.add(resource);
      return running;
    }
    const load = this.#load(resource).finally(() => {
      this.#loading.delete(resource);
      if (this.#again.delete(resource)) void this.now(resource);
    });
    this.#loading.set(resource, load);
    return load;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
