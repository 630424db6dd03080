import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { docsHelmetConfig } from './security-headers.ts';

/** Where swagger-ui is served; the document itself is at `/docs/json`. */
export const DOCS_PREFIX = '/docs';

/**
 * An OpenAPI 3.1 document generated from the zod schemas the routes validate with, so it cannot
 * drift from them, and swagger-ui to read it. Must be registered before any route is declared:
 * the document lists the routes it has seen declared.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  { service, version }: { readonly service: string; readonly version: string },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `ccsync ${service}`, version },
      // Either scheme, as the authentication hook reads the token from either header.
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An admin, viewer, device or metrics token' },
          apiKey: {
            type: 'apiKey',
            in: 'header',
            name: 'X-API-Key',
            description: 'The same token in the header Claudeforge clients send',
          },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    // Public by the same route config the authentication hook reads, so the two cannot disagree.
    // (WebSocket routes are left out by @fastify/websocket: OpenAPI cannot describe them.)
    transform: (input) => {
      const { schema, url } = jsonSchemaTransform(input);
      return input.route.config?.public === true ? { url, schema: { ...schema, security: [] } } : { url, schema };
    },
    transformObject: jsonSchemaTransformObject,
  });

  // In a context of its own, so that only the documentation's routes are made public and get the
  // policy swagger-ui needs. Its assets are served from the package: nothing comes from elsewhere.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = Object.assign({}, route.config, { public: true, helmet: docsHelmetConfig });
    });
    await docs.register(swaggerUi, {
      routePrefix: DOCS_PREFIX,
      theme: { title: `ccsync ${service}` },
      logLevel: 'warn',
    });
  });
}
