/**
 * Exit codes a script can rely on. 0 means everything read was acknowledged by the server or is
 * safely in the spool; every failure class has its own code.
 */
export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  Usage: 2,
  /** No server or token configured, or a config file that cannot be read. */
  NotConfigured: 3,
  /** The server refused the token (401) or what it may do (403). */
  AuthRefused: 4,
  /** The server rejected the data as invalid (400, 413, 415): a bug or a version mismatch. */
  Rejected: 5,
  /** The server was unreachable and the data could not be spooled either. */
  SpoolFailed: 6,
  /** No Claude Code data directory was found. */
  NoTranscripts: 7,
  /** Another ccsync process held the state directory for too long. */
  Busy: 8,
  /** The gateway could not be reached, or failed to answer a read (reports, monitor). */
  Unavailable: 9,
  /** Claude Code's settings file is not valid JSON, or not a shape hooks can be merged into; it was left untouched. */
  ClaudeSettingsInvalid: 10,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: its message is for the user, its code for scripts. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
  }
}
