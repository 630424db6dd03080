import { AccountId, DeviceId } from '@ccsync/contracts';
import { describe, expect, it } from 'vitest';
import {
  adminTokenAuthenticator,
  assertCanRead,
  assertCanWriteMetrics,
  deviceForPush,
  type Principal,
} from './auth.ts';

const account = AccountId.parse('acme');
const laptop = DeviceId.parse('laptop');
const desktop = DeviceId.parse('desktop');
const admin: Principal = { account, scope: 'admin' };
const viewer: Principal = { account, scope: 'viewer' };
const device: Principal = { account, scope: 'device', device: laptop };

const codeOf = (action: () => unknown) => {
  try {
    action();
    return 'allowed';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('who may push as which device', () => {
  it('lets a device token push only as its own device', () => {
    expect(deviceForPush(device, undefined)).toBe(laptop);
    expect(deviceForPush(device, laptop)).toBe(laptop);
    expect(codeOf(() => deviceForPush(device, desktop))).toBe('CCSYNC_FORBIDDEN');
  });

  it('lets an admin push for a device it names, and asks it to name one', () => {
    expect(deviceForPush(admin, desktop)).toBe(desktop);
    expect(codeOf(() => deviceForPush(admin, undefined))).toBe('CCSYNC_DEVICE_REQUIRED');
  });

  it('never lets a viewer push', () => {
    expect(codeOf(() => deviceForPush(viewer, laptop))).toBe('CCSYNC_FORBIDDEN');
  });
});

describe('who may read', () => {
  it('lets admins and viewers read, and not device tokens', () => {
    expect(codeOf(() => assertCanRead(admin))).toBe('allowed');
    expect(codeOf(() => assertCanRead(viewer))).toBe('allowed');
    expect(codeOf(() => assertCanRead(device))).toBe('CCSYNC_FORBIDDEN');
  });
});

describe('who may set live metrics', () => {
  it('lets admins and device tokens set them, and not viewers or the metrics token', () => {
    expect(codeOf(() => assertCanWriteMetrics(admin))).toBe('allowed');
    expect(codeOf(() => assertCanWriteMetrics(device))).toBe('allowed');
    expect(codeOf(() => assertCanWriteMetrics(viewer))).toBe('CCSYNC_FORBIDDEN');
    expect(codeOf(() => assertCanWriteMetrics({ account, scope: 'metrics' }))).toBe('CCSYNC_FORBIDDEN');
  });
});

describe('the bootstrap admin token', () => {
  it('authenticates exactly that token', async () => {
    const authenticator = adminTokenAuthenticator('ccsync_admin_correct-horse-battery-staple', account);
    expect(await authenticator.authenticate('ccsync_admin_correct-horse-battery-staple')).toEqual({
      ...admin,
      bootstrap: true,
    });
    expect(await authenticator.authenticate('ccsync_admin_correct-horse-battery-stapl')).toBeUndefined();
    expect(await authenticator.authenticate('')).toBeUndefined();
  });
});
