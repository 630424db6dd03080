import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * Lets pages on the listed origins call the API from a browser. With none listed nothing is
 * registered, so no response carries a CORS header and only same-origin pages can read them.
 *
 * Registered before rate limiting and authentication: browsers send preflights without the
 * bearer token, so they are answered here, and errors such as 401 and 429 keep the headers a
 * page needs to read them.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, {
    // Always an array: a single string would be sent to every caller as the allowed origin.
    origin: [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // Tokens travel in the Authorization header, never in cookies. Requested headers are allowed
    // as asked: the origin list is what decides who may call.
    credentials: false,
    exposedHeaders: ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    maxAge: 600,
  });
}
