import { AgentError, ExitCode } from '../errors.ts';

/** Any name Intl accepts, aliases such as Asia/Kolkata included; a usage error otherwise. */
export function checkedTimeZone(name: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return name;
  } catch {
    throw new AgentError(ExitCode.Usage, `Unknown timezone "${name}": use an IANA name such as Europe/Berlin`);
  }
}

/** The timezone days are grouped in: the flag's, else this machine's (which follows TZ), as ccusage does. */
export function reportTimeZone(flag: string | undefined): string {
  return flag === undefined ? Intl.DateTimeFormat().resolvedOptions().timeZone : checkedTimeZone(flag);
}

/** `--token-limit`: a positive whole number, or "max" for the largest past block (ccusage's rule). */
export function parseTokenLimit(flag: string | undefined): number | 'max' | undefined {
  if (flag === undefined || flag === 'max') return flag;
  const limit = Number(flag);
  if (!(Number.isInteger(limit) && limit > 0)) {
    throw new AgentError(ExitCode.Usage, `--token-limit takes a positive whole number or "max", not "${flag}"`);
  }
  return limit;
}
