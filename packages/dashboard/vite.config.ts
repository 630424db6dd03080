import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The gateway `npm run dev` sends API calls and the socket to. */
const gateway = process.env.CCSYNC_GATEWAY_URL ?? 'http://127.0.0.1:3000';

/*
 * `npm run build` writes the page to dist/, which the gateway serves at `/` (index.html) and
 * `/assets/` (hashed, so cached for good). `npm run dev` serves it with hot reload and forwards
 * the API and the socket to a running gateway.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2024',
    sourcemap: true,
    // Every browser that runs es2024 preloads modules itself.
    modulePreload: { polyfill: false },
    // Every asset is a file under /assets/: the page's policy allows no data: URIs.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/api': gateway,
      '/v1': gateway,
      '/ws': {
        target: gateway,
        ws: true,
        // The gateway refuses sockets opened by pages of other origins: present this one as its own.
        changeOrigin: true,
        configure: (proxy) => proxy.on('proxyReqWs', (request) => request.setHeader('origin', gateway)),
      },
    },
  },
});
