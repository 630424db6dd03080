export type { Projector } from './app.ts';
export { startProjector } from './app.ts';
export { ProjectorEnv } from './config.ts';
