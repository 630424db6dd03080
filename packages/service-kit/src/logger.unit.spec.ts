import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from './logger.ts';

describe('redactUrl', () => {
  it('hides tokens passed in a query string', () => {
    expect(redactUrl('/ws?token=secret&x=1')).toBe('/ws?token=[REDACTED]&x=1');
    expect(redactUrl('/ws?a=1&access_token=secret')).toBe('/ws?a=1&access_token=[REDACTED]');
    expect(redactUrl('/api/usage')).toBe('/api/usage');
    expect(redactUrl('redis://:hunter2@cache:6379/0')).toBe('redis://:[REDACTED]@cache:6379/0');
    expect(redactUrl('redis://app:hunter2@cache:6379')).toBe('redis://app:[REDACTED]@cache:6379');
    expect(redactUrl('nats://token-abc@nats:4222')).toBe('nats://[REDACTED]@nats:4222');
    expect(redactUrl('redis://cache:6379')).toBe('redis://cache:6379');
  });
});

describe('the logger', () => {
  it('never writes a token, whether in a header, a query string or a field', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('test', { LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, sink);
    logger.info(
      { req: { method: 'GET', url: '/ws?token=s3cret-1', headers: { authorization: 'Bearer s3cret-2' } } },
      'a',
    );
    logger.info(
      { headers: { authorization: 'Bearer s3cret-3' }, token: 's3cret-4', device: { token: 's3cret-5' } },
      'b',
    );
    const written = lines.join('');
    expect(written).not.toMatch(/s3cret/);
    expect(JSON.parse(lines[0] ?? '{}').req).toEqual({ method: 'GET', url: '/ws?token=[REDACTED]' });
    expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ token: '[REDACTED]', device: { token: '[REDACTED]' } });
  });
});
