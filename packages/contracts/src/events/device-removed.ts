import { z } from 'zod';

/**
 * DeviceRemoved v1: a device (the envelope names it) was removed from its account. Its earlier
 * events stay in the history, and views built from the history leave them out; what it sends
 * after its removal counts again.
 */
export const DeviceRemovedV1 = z.object({
  reason: z.string().max(200).optional(),
});
export type DeviceRemovedV1 = z.infer<typeof DeviceRemovedV1>;
