import {
  type Names,
  PROJECTION_LAYOUT,
  type ProjectionRegistryKeys,
  ProjectionVersion,
  projectionRegistryKeys,
  projectorConsumerVersion,
  type ViewKeys,
  viewKeys,
} from '@ccsync/contracts';
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import type { Redis } from './redis.ts';

/*
 * The registry's changes are Lua scripts so that two replicas, or a projector and a gateway,
 * can never both create a version or both switch reads: each script runs atomically in Redis.
 * A new number is above both the last one handed out and every projector consumer in JetStream,
 * because after a FLUSHALL the counter starts again while old consumers may still exist.
 */
const NEW_VERSION = `
local function create(state, now)
  local n = math.max(redis.call('INCR', KEYS[3]), tonumber(ARGV[1]))
  redis.call('SET', KEYS[3], n)
  local entry = { version = n, layout = tonumber(ARGV[2]), state = state, reason = ARGV[3], createdAt = now,
    activatedAt = cjson.null }
  if state == 'active' then entry.activatedAt = now end
  redis.call('HSET', KEYS[2], n, cjson.encode(entry))
  return n
end
local function retire(version)
  local json = redis.call('HGET', KEYS[2], version)
  if not json then return end
  local entry = cjson.decode(json)
  entry.state = 'retired'
  redis.call('HSET', KEYS[2], version, cjson.encode(entry))
end
`;

/** Makes a new active version when there is none, or when the active one is `ARGV[5]` (lost). */
const REPLACE_ACTIVE = `${NEW_VERSION}
local active = redis.call('GET', KEYS[1])
if active and active ~= ARGV[5] then return { 0, tonumber(active) } end
if active then retire(active) end
local n = create('active', ARGV[4])
redis.call('SET', KEYS[1], n)
return { 1, n }`;

/** Starts building a new version beside the active one, unless one is being built already. */
const REQUEST_REBUILD = `${NEW_VERSION}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  if cjson.decode(all[i + 1]).state == 'building' then
    if ARGV[5] ~= 'supersede' then return { 0, tonumber(all[i]) } end
    retire(all[i])
  end
end
return { 1, create('building', ARGV[4]) }`;

/** Switches reads to a built version and retires the one it replaces. */
const ACTIVATE = `${NEW_VERSION}
local json = redis.call('HGET', KEYS[2], ARGV[1])
if not json then return 0 end
local entry = cjson.decode(json)
if entry.state ~= 'building' then return 0 end
local active = redis.call('GET', KEYS[1])
if active then retire(active) end
entry.state = 'active'
entry.activatedAt = ARGV[2]
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(entry))
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

/**
 * The projection versions of one namespace: which one reads come from, which one is being built,
 * and the atomic steps between them. Projectors and gateways share it through Redis.
 */
export class ProjectionRegistry {
  readonly keys: ProjectionRegistryKeys;
  readonly #redis: Redis;
  readonly #names: Names;

  constructor(redis: Redis, names: Names) {
    this.#redis = redis;
    this.#names = names;
    this.keys = projectionRegistryKeys(names);
  }

  /** Every version not yet removed, oldest first. */
  async list(): Promise<ProjectionVersion[]> {
    const all = await this.#redis.hgetall(this.keys.versions);
    return Object.values(all)
      .map((json) => ProjectionVersion.parse(JSON.parse(json)))
      .sort((a, b) => a.version - b.version);
  }

  async activeVersion(): Promise<number | undefined> {
    const active = await this.#redis.get(this.keys.active);
    return active === null ? undefined : Number(active);
  }

  /**
   * The keys reads come from now. Before any version exists they are those of version 0, which is
   * never written, so reads find nothing rather than fail.
   */
  async activeKeys(): Promise<ViewKeys> {
    return viewKeys(this.#names, (await this.activeVersion()) ?? 0);
  }

  /**
   * The highest stream sequence applied to the active views; 0 before any. With several projector
   * replicas, an earlier event may still be in flight: `activeAppliedThrough` is the one to wait on.
   */
  async activeCheckpoint(): Promise<number> {
    return Number((await this.#redis.get((await this.activeKeys()).checkpoint)) ?? 0);
  }

  /**
   * Every event up to this stream sequence is applied to the active views and acknowledged (its
   * consumer's ack floor), however many replicas share the work; 0 before any.
   */
  async activeAppliedThrough(jsm: JetStreamManager): Promise<number> {
    const version = await this.activeVersion();
    if (version === undefined) return 0;
    const consumer = await jsm.consumers
      .info(this.#names.eventStream, this.#names.projectorConsumer(version))
      .catch(() => undefined);
    return consumer?.ack_floor.stream_seq ?? 0;
  }

  /**
   * Makes a new version active at once, to be built from the history while it serves reads: there
   * is no active version (a first start, or Redis lost its data), or the active one `lost` its views.
   * Returns the active version, new or not.
   */
  async replaceActive(jsm: JetStreamManager, reason: string, lost?: number): Promise<number> {
    const [, version] = (await this.#redis.eval(
      REPLACE_ACTIVE,
      3,
      ...this.#scriptKeys(),
      ...(await this.#args(jsm, reason)),
      lost ?? '',
    )) as [number, number];
    return version;
  }

  /**
   * Starts building a new version beside the active one; returns it, or the one already building.
   * With `supersede`, a version already building is retired and a new one started: what changed
   * (a device removed) must be known from the first event on.
   */
  async requestRebuild(
    jsm: JetStreamManager,
    reason: string,
    { supersede = false }: { readonly supersede?: boolean } = {},
  ): Promise<{ version: number; created: boolean }> {
    const [created, version] = (await this.#redis.eval(
      REQUEST_REBUILD,
      3,
      ...this.#scriptKeys(),
      ...(await this.#args(jsm, reason)),
      supersede ? 'supersede' : '',
    )) as [number, number];
    return { version, created: created === 1 };
  }

  /** Switches reads to a caught-up building version; false if it is not building (any more). */
  async activate(version: number): Promise<boolean> {
    const switched = await this.#redis.eval(
      ACTIVATE,
      3,
      ...this.#scriptKeys(),
      String(version),
      new Date().toISOString(),
    );
    return switched === 1;
  }

  /** Drops a retired version from the registry once its keys and consumer are gone. */
  async forget(version: number): Promise<void> {
    await this.#redis.hdel(this.keys.versions, String(version));
  }

  #scriptKeys(): [string, string, string] {
    return [this.keys.active, this.keys.versions, this.keys.lastVersion];
  }

  async #args(jsm: JetStreamManager, reason: string): Promise<string[]> {
    const floor = (await highestConsumerVersion(jsm, this.#names)) + 1;
    return [String(floor), String(PROJECTION_LAYOUT), reason, new Date().toISOString()];
  }
}

/** The highest version of any projector consumer in JetStream, 0 when there is none (or no stream yet). */
export async function highestConsumerVersion(jsm: JetStreamManager, names: Names): Promise<number> {
  let highest = 0;
  try {
    for await (const consumer of jsm.consumers.list(names.eventStream)) {
      highest = Math.max(highest, projectorConsumerVersion(names, consumer.name) ?? 0);
    }
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
  }
  return highest;
}
