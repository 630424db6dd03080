import { ConfigError, parseEnv } from '@ccsync/service-kit';
import { describe, expect, it } from 'vitest';
import { GatewayEnv } from './config.ts';

describe('GATEWAY_CORS_ORIGINS', () => {
  it('allows no other origin by default', () => {
    expect(parseEnv(GatewayEnv, {}).GATEWAY_CORS_ORIGINS).toEqual([]);
    expect(parseEnv(GatewayEnv, { GATEWAY_CORS_ORIGINS: '' }).GATEWAY_CORS_ORIGINS).toEqual([]);
  });

  it('reads a comma-separated list, normalised as browsers send Origin', () => {
    const env = parseEnv(GatewayEnv, {
      GATEWAY_CORS_ORIGINS: ' https://dash.example , HTTP://LocalHost:5173/,https://stats.example:443,',
    });
    expect(env.GATEWAY_CORS_ORIGINS).toEqual([
      'https://dash.example',
      'http://localhost:5173',
      'https://stats.example',
    ]);
  });

  it.each([
    ['*'],
    ['dash.example'],
    ['https://dash.example/app'],
    ['https://dash.example?x=1'],
    ['https://user@dash.example'],
    ['ftp://dash.example'],
  ])('refuses %s, naming it', (value) => {
    const attempt = () => parseEnv(GatewayEnv, { GATEWAY_CORS_ORIGINS: `https://ok.example,${value}` });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      `Invalid configuration:\n  GATEWAY_CORS_ORIGINS.1: "${value}" is not an origin such as https://dash.example`,
    );
  });
});
