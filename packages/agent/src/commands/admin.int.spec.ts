import { ProjectionsReply } from '@ccsync/contracts';
import { usageEntry, useTestNamespace, waitFor } from '@ccsync/testkit';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN as BIN, startTestStack, type TestStack } from '../test-stack.ts';

const ns = useTestNamespace();
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(ns);
  const response = await fetch(`${stack.ingest.url}/v1/usage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ns.adminToken}` },
    body: JSON.stringify({ device: 'laptop', entries: [usageEntry('admin-cli-1'), usageEntry('admin-cli-2')] }),
  });
  expect(response.status).toBe(202);
});
afterAll(() => stack?.close());

const admin = (args: string[], token = ns.adminToken) =>
  execa('node', [BIN, 'admin', ...args, '--gateway', stack.gateway.url, '--token', token, '--json'], {
    reject: false,
  });

describe('ccsync admin', () => {
  it('rebuild --wait rebuilds the views and returns once reads have switched; projections shows it', async () => {
    const before = await waitFor(() => stack.serverUsage('laptop'));
    expect(before?.entries).toBe(2);
    const rebuild = await admin(['rebuild', '--wait']);
    expect(rebuild.exitCode).toBe(0);
    expect(JSON.parse(rebuild.stdout)).toMatchObject({ version: 2, created: true, seconds: expect.any(Number) });

    const listed = await admin(['projections']);
    expect(listed.exitCode).toBe(0);
    const state = ProjectionsReply.parse(JSON.parse(listed.stdout));
    expect(state.projections.find((projection) => projection.state === 'active')?.version).toBe(2);
    expect(await stack.serverUsage('laptop')).toEqual(before);
  });

  it('exits 4 with a clear message when the gateway refuses the token, and 3 without one', async () => {
    const refused = await admin(['projections'], 'ccs_wrong_token');
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain('refused the token (401)');
    const { CCSYNC_ADMIN_TOKEN: _unset, ...env } = process.env;
    const missing = await execa('node', [BIN, 'admin', 'projections', '--gateway', stack.gateway.url], {
      reject: false,
      env,
      extendEnv: false,
    });
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain('An admin token is required');
  });
});
