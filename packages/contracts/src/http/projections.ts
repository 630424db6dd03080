import { z } from 'zod';
import { ProjectionVersion } from '../views/projections.ts';

/** `GET /api/admin/projections`: one projection version with its progress. */
export const ProjectionStatus = ProjectionVersion.extend({
  /** The highest stream sequence applied to the views. */
  checkpoint: z.number().int().nullable(),
  /** Every event up to here is applied and acknowledged. */
  acknowledgedThrough: z.number().int(),
  /** Events in the stream not yet applied and acknowledged. */
  lagEvents: z.number().int(),
  /** How long the oldest of those has waited; 0 when caught up. */
  lagSeconds: z.number(),
  /** Events applied per second over the last ten seconds, by every replica together. */
  eventsPerSecond: z.number(),
});

export const ProjectionsReply = z.object({
  projections: z.array(ProjectionStatus),
  stream: z.object({ events: z.number().int(), lastSeq: z.number().int() }),
});

export const RebuildReply = z.object({
  version: z.number().int(),
  /** False when a rebuild was already under way: this is that one. */
  created: z.boolean(),
});

export type ProjectionsReply = z.infer<typeof ProjectionsReply>;
export type RebuildReply = z.infer<typeof RebuildReply>;
