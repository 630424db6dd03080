import { PROJECTION_LAYOUT, type ProjectionVersion, projectorConsumerVersion, viewKeys } from '@ccsync/contracts';
import type { ProjectionRegistry } from '@ccsync/service-kit';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { type ProjectionRunner, type RunnerDeps, startProjectionRunner } from './runner.ts';

export interface SupervisorDeps extends RunnerDeps {
  readonly registry: ProjectionRegistry;
}

export interface ProjectionSupervisor {
  stop(): Promise<void>;
}

/** How often the registry is checked without a notice, which also notices Redis losing its data. */
const TICK_MS = 1000;
/** How long a replaced version's keys stay after the switch, for reads that began before it. */
const RETIRE_GRACE_MS = 5000;

/**
 * Keeps this replica applying every projection version that should be applied: the active one,
 * and one being rebuilt beside it. It also makes the decisions of the version's life, each an
 * atomic step in the registry that any replica may take:
 * - no active version (a first start, or Redis lost its data): a new one, active at once;
 * - the active views written by an older layout: a rebuild;
 * - a rebuild that has applied and acknowledged the whole history: reads switch to it;
 * - a replaced version: its consumer and keys are removed after a grace period.
 */
export function startSupervisor(deps: SupervisorDeps): ProjectionSupervisor {
  const { nc, jsm, redis, names, logger, registry } = deps;
  const runners = new Map<number, ProjectionRunner>();
  let stopping = false;

  const announceChange = () => nc.publish(names.projectionsChangedSubject, '');

  /** The active views are gone while its consumer is past events: someone removed its keys. */
  const viewsLost = async (version: number) => {
    if ((await redis.exists(viewKeys(names, version).checkpoint)) === 1) return false;
    try {
      return (await jsm.consumers.info(names.eventStream, names.projectorConsumer(version))).ack_floor.stream_seq > 0;
    } catch {
      return false;
    }
  };

  /** Takes the registry's decisions, then returns the versions this replica must apply. */
  const decide = async (): Promise<{ wanted: ProjectionVersion[]; active: number | undefined }> => {
    let active = await registry.activeVersion();
    if (active === undefined) {
      active = await registry.replaceActive(jsm, 'no views in Redis: a first start, or Redis lost its data');
      logger.warn({ version: active }, 'building the views from the start of the history');
      announceChange();
    } else if (await viewsLost(active)) {
      const lost = active;
      active = await registry.replaceActive(jsm, `the views of version ${lost} were lost from Redis`, lost);
      logger.warn({ version: active, lost }, 'the views are gone from Redis; rebuilding them from the history');
      announceChange();
    }
    const versions = await registry.list();
    const current = versions.find((entry) => entry.version === active);
    const building = versions.some((entry) => entry.state === 'building');
    if (current !== undefined && current.layout < PROJECTION_LAYOUT && !building) {
      const { version } = await registry.requestRebuild(
        jsm,
        `layout ${PROJECTION_LAYOUT} replaces layout ${current.layout}`,
      );
      logger.info({ version, from: current.version }, 'rebuilding the views in a new layout');
      announceChange();
      return decide();
    }
    const wanted = versions.filter((entry) => entry.state !== 'retired' && entry.layout === PROJECTION_LAYOUT);
    return { wanted, active };
  };

  const startRunner = async (entry: ProjectionVersion, active: number | undefined) => {
    const runner = await startProjectionRunner(deps, entry.version, entry.version === active);
    runners.set(entry.version, runner);
    // A loop that fails (its consumer deleted, NATS gone for good) is started again by the next
    // tick if the version is still wanted.
    runner.done.catch((error: unknown) => {
      if (runners.get(entry.version) === runner) runners.delete(entry.version);
      void runner.stop();
      if (!stopping) logger.error({ err: error, version: entry.version }, 'a projection loop failed');
    });
  };

  /**
   * A rebuild has caught up when it has applied everything the active version has: reads never
   * go back when they switch. Under steady ingest both keep moving, so "no events pending" might
   * never be seen; the active version's ack floor is a target the rebuild, applying larger
   * batches, reaches.
   */
  const switchWhenCaughtUp = async (runner: ProjectionRunner, active: number | undefined) => {
    let target = (await jsm.streams.info(names.eventStream)).state.last_seq;
    if (active !== undefined) {
      const live = await jsm.consumers.info(names.eventStream, names.projectorConsumer(active)).catch(() => undefined);
      if (live !== undefined) target = Math.min(target, live.ack_floor.stream_seq);
    }
    if ((await runner.appliedThrough()) < target) return;
    if (!(await registry.activate(runner.version))) return;
    logger.info({ version: runner.version }, 'the rebuilt views have caught up; reads switched to them');
    announceChange();
  };

  /** Removes replaced versions' consumers and keys, and consumers of versions the registry forgot. */
  const cleanUp = async (versions: ProjectionVersion[]) => {
    const activeSince = versions.find((entry) => entry.state === 'active')?.activatedAt;
    const graceOver =
      activeSince !== null && activeSince !== undefined && Date.now() - Date.parse(activeSince) > RETIRE_GRACE_MS;
    // A consumer the registry does not know is left over from before Redis lost its data. Only
    // those below every registered version qualify: a version being created right now by another
    // replica is numbered above every consumer that exists, so it is never taken for one.
    const lowest = Math.min(...versions.map((entry) => entry.version));
    const doomed: number[] = [];
    if (versions.length > 0) {
      for await (const consumer of jsm.consumers.list(names.eventStream)) {
        const version = projectorConsumerVersion(names, consumer.name);
        if (version !== undefined && version < lowest) doomed.push(version);
      }
    }
    if (graceOver) doomed.push(...versions.filter((entry) => entry.state === 'retired').map((entry) => entry.version));
    for (const version of new Set(doomed)) {
      // One replica removes a version; the lock expires in case it dies halfway.
      const lock = `${names.redisPrefix}projections:removing:${version}`;
      if ((await redis.set(lock, '1', 'EX', 60, 'NX')) !== 'OK') continue;
      await jsm.consumers.delete(names.eventStream, names.projectorConsumer(version)).catch((error: unknown) => {
        if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)) throw error;
      });
      let removed = 0;
      const stream = redis.scanStream({ match: `${names.redisPrefix}v${version}:*`, count: 1000 });
      for await (const batch of stream as AsyncIterable<string[]>) {
        if (batch.length > 0) removed += await redis.unlink(...batch);
      }
      await registry.forget(version);
      logger.info({ version, keys: removed }, 'removed a replaced projection version');
    }
  };

  const tick = async () => {
    const { wanted, active } = await decide();
    const wantedVersions = new Set(wanted.map((entry) => entry.version));
    for (const [version, runner] of runners) {
      if (wantedVersions.has(version)) runner.announce = version === active;
      else {
        runners.delete(version);
        await runner.stop();
      }
    }
    for (const entry of wanted) if (!runners.has(entry.version)) await startRunner(entry, active);
    for (const entry of wanted) {
      const runner = runners.get(entry.version);
      if (entry.state === 'building' && runner !== undefined) await switchWhenCaughtUp(runner, active);
    }
    await cleanUp(await registry.list());
  };

  // Ticks never overlap: a notice during a tick asks for one more right after it.
  let running: Promise<void> | undefined;
  let again = false;
  const requestTick = () => {
    if (stopping) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    running = tick()
      .catch((error: unknown) => logger.warn({ err: error }, 'checking the projection versions failed; retrying'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          requestTick();
        }
      });
  };
  const subscription = nc.subscribe(names.projectionsChangedSubject, { callback: () => requestTick() });
  const timer = setInterval(requestTick, TICK_MS);
  requestTick();

  return {
    async stop() {
      stopping = true;
      clearInterval(timer);
      subscription.unsubscribe();
      await running;
      await Promise.all([...runners.values()].map((runner) => runner.stop()));
    },
  };
}
