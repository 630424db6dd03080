import { z } from 'zod';
import type { Names } from '../names.ts';

/**
 * The layout and meaning of the views this code writes. A projector that finds the active views
 * written with an older layout rebuilds them from the history into a new version by itself, so a
 * change of layout is a bump here and nothing else.
 */
export const PROJECTION_LAYOUT = 5;

/**
 * A projection version's life: `building` from stream sequence 1 beside the active one, `active`
 * (reads come from it), then `retired` until its keys and consumer are removed.
 */
export const ProjectionState = z.enum(['building', 'active', 'retired']);
export type ProjectionState = z.infer<typeof ProjectionState>;

/** One projection version as the registry records it. */
export const ProjectionVersion = z.object({
  version: z.number().int().positive(),
  layout: z.number().int().positive(),
  state: ProjectionState,
  /** Why it was built: a rebuild request, a new layout, or views lost from Redis. */
  reason: z.string(),
  createdAt: z.iso.datetime(),
  activatedAt: z.iso.datetime().nullable(),
});
export type ProjectionVersion = z.infer<typeof ProjectionVersion>;

/**
 * The registry of projection versions in Redis. Which version reads come from is one key, so
 * switching to a rebuilt version is one atomic write.
 */
export interface ProjectionRegistryKeys {
  /** The active version's number (string). */
  readonly active: string;
  /** Every version not yet removed (hash: version to the JSON of `ProjectionVersion`). */
  readonly versions: string;
  /** The last version number handed out (string counter). */
  readonly lastVersion: string;
}

export function projectionRegistryKeys(names: Names): ProjectionRegistryKeys {
  const prefix = `${names.redisPrefix}projections:`;
  return { active: `${prefix}active`, versions: `${prefix}versions`, lastVersion: `${prefix}last-version` };
}

/** The version a projector consumer name belongs to, or undefined for any other consumer. */
export function projectorConsumerVersion(names: Names, consumer: string): number | undefined {
  const prefix = names.projectorConsumer(0).slice(0, -1);
  if (!consumer.startsWith(prefix)) return undefined;
  const version = Number(consumer.slice(prefix.length));
  return Number.isInteger(version) && version > 0 ? version : undefined;
}
