export type { Gateway } from './app.ts';
export { startGateway } from './app.ts';
export { GatewayEnv } from './config.ts';
