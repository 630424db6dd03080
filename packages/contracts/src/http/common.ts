import { z } from 'zod';

/** The one error shape every service replies with (Fastify's own, so framework errors match). */
export const ErrorReply = z.object({
  statusCode: z.number().int(),
  code: z.string(),
  error: z.string(),
  message: z.string(),
});
export type ErrorReply = z.infer<typeof ErrorReply>;

export const HealthReply = z.object({
  status: z.literal('ok'),
  service: z.string(),
  version: z.string(),
  uptimeSeconds: z.number(),
});
export type HealthReply = z.infer<typeof HealthReply>;

export const ReadyReply = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.enum(['up', 'down'])),
});
export type ReadyReply = z.infer<typeof ReadyReply>;

/** An IANA timezone name that this runtime knows, such as Europe/Berlin. */
export const TimeZone = z.string().refine(
  (name) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'an IANA timezone such as Europe/Berlin' },
);
