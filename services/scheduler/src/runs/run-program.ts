import { mkdir } from 'node:fs/promises';
import type { CronRunStatus } from '@ccsync/contracts';
import { execa } from 'execa';

export interface ProgramLimits {
  /** The program's own folder; created when missing. */
  readonly cwd: string;
  /** Its whole environment: nothing of the scheduler's is inherited. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Each of stdout and stderr, in bytes; a program that writes more is stopped. */
  readonly maxOutputBytes: number;
  /** Aborted when the scheduler stops. */
  readonly signal: AbortSignal;
}

export interface ProgramResult {
  readonly status: Extract<CronRunStatus, 'succeeded' | 'failed' | 'timed_out'>;
  readonly exitCode: number | null;
  readonly error?: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputTruncated: boolean;
}

/** How long a program stopped with SIGTERM has before SIGKILL. */
const KILL_GRACE_MS = 2000;

/**
 * Runs a program with an argument array, never through a shell, and within limits: a timeout, an
 * output cap, a clean environment and a working directory of its own. Never throws for anything
 * the program does; the result says what happened.
 */
export async function runProgram(file: string, args: readonly string[], limits: ProgramLimits): Promise<ProgramResult> {
  await mkdir(limits.cwd, { recursive: true, mode: 0o700 });
  const result = await execa(file, args, {
    cwd: limits.cwd,
    env: limits.env,
    extendEnv: false,
    shell: false,
    stdin: 'ignore',
    timeout: limits.timeoutMs,
    cancelSignal: limits.signal,
    forceKillAfterDelay: KILL_GRACE_MS,
    maxBuffer: limits.maxOutputBytes,
    reject: false,
    stripFinalNewline: false,
  });
  const stdout = truncateUtf8(String(result.stdout ?? ''), limits.maxOutputBytes);
  const stderr = truncateUtf8(String(result.stderr ?? ''), limits.maxOutputBytes);
  const output = {
    exitCode: result.exitCode ?? null,
    stdout: stdout.text,
    stderr: stderr.text,
    outputTruncated: result.isMaxBuffer || stdout.truncated || stderr.truncated,
  };
  if (result.timedOut) {
    return { ...output, status: 'timed_out', error: `stopped after its timeout of ${limits.timeoutMs / 1000} s` };
  }
  if (result.isCanceled) return { ...output, status: 'failed', error: 'the scheduler stopped during the run' };
  if (result.isMaxBuffer) {
    return { ...output, status: 'failed', error: `stopped: it wrote more than ${limits.maxOutputBytes} bytes` };
  }
  if ((result as { code?: string }).code === 'ENOENT') {
    return { ...output, status: 'failed', error: `${file} was not found; configure its path` };
  }
  if (result.failed) return { ...output, status: 'failed', error: result.shortMessage };
  return { ...output, status: 'succeeded' };
}

/** Cuts text to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return { text: bytes.subarray(0, end).toString('utf8'), truncated: true };
}
