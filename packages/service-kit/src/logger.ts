import pino, { type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { BaseEnv } from './config.ts';

export type { Logger } from 'pino';

/** Request fields that may carry credentials. They never reach a log line. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'token',
  '*.token',
];

/**
 * Strips credentials from a URL: `?token=` (WebSocket clients may pass one) and the password,
 * or a token-like user, of a connection URL such as `redis://:secret@host`.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/([?&](?:token|access_token)=)[^&#]*/gi, '$1[REDACTED]')
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i, (_match, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return `${scheme}${colon < 0 ? '' : userinfo.slice(0, colon + 1)}[REDACTED]@`;
    });
}

/** The one logger setup: JSON lines in production, readable lines for people in development. */
export function createLogger(
  service: string,
  env: Pick<BaseEnv, 'LOG_LEVEL' | 'LOG_FORMAT'>,
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level: env.LOG_LEVEL,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    serializers: {
      req: (req: { method?: string; url?: string; id?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url === undefined ? undefined : redactUrl(req.url),
      }),
    },
  };
  if (env.LOG_FORMAT === 'pretty') {
    return pino(options, pinoPretty({ sync: true, ignore: 'pid,hostname,name', translateTime: 'HH:MM:ss.l' }));
  }
  return destination === undefined ? pino(options) : pino(options, destination);
}
