// The container health check: `node deploy/docker/healthcheck.mjs [path]`, where path is /health
// (liveness, the default) or /ready (NATS and Redis reachable).
//
// One image runs any of the four services, chosen by its command, and a health check cannot see the
// command. So it asks every service's port and passes when the service listening here answers 200;
// the other ports refuse the connection at once. Plain Node, so the image needs no curl or wget.
const PORTS = { GATEWAY_PORT: 3000, INGEST_PORT: 3001, PROJECTOR_PORT: 3002, SCHEDULER_PORT: 3003 };
const path = process.argv[2] ?? '/health';

const answers = Object.entries(PORTS).map(async ([variable, fallback]) => {
  // An empty variable counts as unset, as the services read it.
  const port = process.env[variable] || fallback;
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`port ${port} answered ${path} with ${response.status}`);
});

try {
  await Promise.any(answers);
} catch (error) {
  // Docker keeps this output with the health status (`docker inspect`).
  const reasons = error instanceof AggregateError ? error.errors : [error];
  console.error(reasons.map((reason) => reason.cause?.message ?? reason.message).join('; '));
  process.exit(1);
}
