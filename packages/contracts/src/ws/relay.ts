import { z } from 'zod';
import { DeviceId } from '../ids.ts';

/**
 * The events of seed 004's hub, relayed between the clients of one account and never acted on by
 * the server. Each is validated and bounded here, so a client cannot relay what others would
 * choke on. Sizes are in characters; the WebSocket message limit bounds the whole.
 */
export const RoomId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits, ".", "_", ":" or "-"');

export const ChatMessage = z.strictObject({
  content: z.string().min(1).max(32_000),
  sessionId: RoomId,
  projectId: RoomId.optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** A command for a machine to run. The server only relays it, to clients that accept commands. */
export const TerminalCommand = z.strictObject({
  command: z.string().min(1).max(4000),
  sessionId: RoomId,
  /** Lets the runner's `terminal_output` be matched to this command. */
  commandId: z.string().min(1).max(100).optional(),
  workingDir: z.string().min(1).max(1024).optional(),
});

export const TerminalOutput = z.strictObject({
  output: z.string().max(48_000),
  sessionId: RoomId,
  commandId: z.string().min(1).max(100).optional(),
  stream: z.enum(['stdout', 'stderr']).optional(),
  /** Set on the last chunk, when the command has ended. */
  exitCode: z.number().int().optional(),
});

export const FileUpdate = z.strictObject({
  filePath: z.string().min(1).max(1024),
  content: z.string().max(48_000).optional(),
  projectId: RoomId,
  action: z.enum(['create', 'update', 'delete']),
});

export const TtsNotification = z.strictObject({
  message: z.string().min(1).max(1000),
  type: z.enum(['info', 'success', 'warning', 'error']).default('info'),
  priority: z.enum(['normal', 'urgent']).default('normal'),
  /** Who raised it, e.g. `cron:<job>` for the scheduler's notify jobs. */
  source: z.string().max(200).optional(),
});

/** A machine's health as it reports it; answered by the gateway's own status when sent empty. */
export const SystemStatus = z.strictObject({
  status: z.enum(['ok', 'degraded', 'down']),
  message: z.string().max(1000).optional(),
  details: z.record(z.string(), z.union([z.string().max(200), z.number(), z.boolean()])).optional(),
});

/** What each relayed event carries. */
export const RelayPayloads = {
  chat_message: ChatMessage,
  terminal_command: TerminalCommand,
  terminal_output: TerminalOutput,
  file_update: FileUpdate,
  tts_notification: TtsNotification,
  system_status: SystemStatus,
} as const;
export const RelayEventType = z.enum([
  'chat_message',
  'terminal_command',
  'terminal_output',
  'file_update',
  'tts_notification',
  'system_status',
]);
export type RelayEventType = z.infer<typeof RelayEventType>;

/** Who sent a relayed event, as the gateway saw them authenticate (never as the client claims). */
export const RelaySender = z.object({
  /** `<gateway>/<connection>`, or a service such as `scheduler`. */
  connection: z.string().min(1).max(200),
  device: DeviceId.optional(),
});
export type RelaySender = z.infer<typeof RelaySender>;

/** A relayed event on the account's NATS relay subject, as every gateway receives it. */
export const RelayEnvelope = z.object({
  type: RelayEventType,
  payload: z.unknown(),
  from: RelaySender.optional(),
  sentAt: z.iso.datetime().optional(),
});
export type RelayEnvelope = z.infer<typeof RelayEnvelope>;

/** Parses a relayed event's payload by its type; the error is the reason to give the sender. */
export function parseRelayPayload(type: RelayEventType, payload: unknown) {
  return (RelayPayloads[type] as z.ZodType).safeParse(payload);
}

/**
 * Where a relayed event goes: to a session or project room when it names one, to every client of
 * the account otherwise; commands only to clients that accept them.
 */
export function relayRoom(
  type: RelayEventType,
  payload: Record<string, unknown>,
): `session:${string}` | `project:${string}` | undefined {
  switch (type) {
    case 'chat_message':
    case 'terminal_command':
    case 'terminal_output':
      return `session:${String(payload.sessionId)}`;
    case 'file_update':
      return `project:${String(payload.projectId)}`;
    case 'tts_notification':
    case 'system_status':
      return undefined;
  }
}
