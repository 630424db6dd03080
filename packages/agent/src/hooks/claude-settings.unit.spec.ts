import { describe, expect, it } from 'vitest';
import {
  installCcsync,
  isCcsyncCommand,
  type JsonObject,
  shellQuote,
  shellWords,
  uninstallCcsync,
} from './claude-settings.ts';

const commands = {
  push: "/opt/node/bin/node '/home/me/my tools/ccsync/bin/ccsync.js' push --quiet",
  statusline: "/opt/node/bin/node '/home/me/my tools/ccsync/bin/ccsync.js' statusline",
};
const ourHook = { type: 'command', command: commands.push, timeout: 30, async: true };

const existing: JsonObject = {
  model: 'opus',
  permissions: { allow: ['Bash(npm test:*)'] },
  hooks: {
    UserPromptSubmit: [{ hooks: [{ type: 'command', command: 'echo prompt >> ~/log' }] }],
    PostToolUse: [{ matcher: 'Edit|Write', hooks: [{ type: 'command', command: 'npx prettier --write' }] }],
  },
};

describe('installCcsync', () => {
  it('adds a hook group per event and the status line, keeping every other key and hook', () => {
    const installed = installCcsync(existing, commands, { statusline: true });
    expect(installed).toEqual({
      changed: true,
      hooks: { UserPromptSubmit: 'added', Stop: 'added' },
      statusLine: 'added',
      settings: {
        model: 'opus',
        permissions: { allow: ['Bash(npm test:*)'] },
        hooks: {
          UserPromptSubmit: [{ hooks: [{ type: 'command', command: 'echo prompt >> ~/log' }] }, { hooks: [ourHook] }],
          PostToolUse: [{ matcher: 'Edit|Write', hooks: [{ type: 'command', command: 'npx prettier --write' }] }],
          Stop: [{ hooks: [ourHook] }],
        },
        statusLine: { type: 'command', command: commands.statusline },
      },
    });
    expect(existing.statusLine).toBeUndefined();
  });

  it('adds nothing the second time, and updates the commands of an install from elsewhere', () => {
    const once = installCcsync(existing, commands, { statusline: true });
    if ('invalid' in once) throw new Error(once.invalid);
    expect(installCcsync(once.settings, commands, { statusline: true })).toEqual({
      ...once,
      changed: false,
      hooks: { UserPromptSubmit: 'present', Stop: 'present' },
      statusLine: 'present',
    });
    const moved = { push: 'node /new/ccsync.js push --quiet', statusline: 'node /new/ccsync.js statusline' };
    const again = installCcsync(once.settings, moved, { statusline: true });
    expect(again).toMatchObject({ changed: true, hooks: { UserPromptSubmit: 'updated', Stop: 'updated' } });
    expect(JSON.stringify(again)).not.toContain('my tools');
  });

  it('keeps another status line, and leaves the status line alone with --no-statusline', () => {
    const foreign = { ...existing, statusLine: { type: 'command', command: '~/.claude/statusline.sh', padding: 0 } };
    const installed = installCcsync(foreign, commands, { statusline: true });
    expect(installed).toMatchObject({ statusLine: 'foreign', settings: { statusLine: foreign.statusLine } });
    const without = installCcsync(existing, commands, { statusline: false });
    expect(without).toMatchObject({ statusLine: 'skipped' });
    expect('invalid' in without ? undefined : without.settings.statusLine).toBeUndefined();
  });

  it('refuses hooks it cannot merge into', () => {
    expect(installCcsync({ hooks: [] }, commands, { statusline: true })).toEqual({
      invalid: '"hooks" is not an object',
    });
    expect(installCcsync({ hooks: { Stop: {} } }, commands, { statusline: true })).toEqual({
      invalid: '"hooks.Stop" is not a list',
    });
  });
});

describe('uninstallCcsync', () => {
  it('takes out exactly what install put in', () => {
    for (const start of [existing, {}, { statusLine: { type: 'command', command: 'mine' } }]) {
      const installed = installCcsync(start, commands, { statusline: true });
      if ('invalid' in installed) throw new Error(installed.invalid);
      const removed = uninstallCcsync(installed.settings);
      expect(removed).toMatchObject({ changed: true, settings: start });
    }
  });

  it('keeps a person’s hooks that only mention ccsync, and changes nothing without ccsync', () => {
    const theirs: JsonObject = {
      hooks: {
        Stop: [
          {
            hooks: [
              { type: 'command', command: 'ccsync push --quiet && say done' },
              { type: 'command', command: 'ccsync push' },
            ],
          },
        ],
      },
    };
    expect(uninstallCcsync(theirs)).toEqual({
      settings: theirs,
      changed: false,
      removedHooks: 0,
      removedStatusLine: false,
    });
  });
});

describe('ccsync commands', () => {
  it('are recognised whatever the path and interpreter, and nothing else is', () => {
    expect(isCcsyncCommand(commands.push, ['push', '--quiet'])).toBe(true);
    expect(isCcsyncCommand('ccsync push --quiet', ['push', '--quiet'])).toBe(true);
    expect(isCcsyncCommand('npx ccsync statusline', ['statusline'])).toBe(true);
    expect(isCcsyncCommand('"/a b/ccsync.js" statusline', ['statusline'])).toBe(true);
    expect(isCcsyncCommand('ccsync statusline --token-limit 5', ['statusline'])).toBe(false);
    expect(isCcsyncCommand('a b ccsync statusline', ['statusline'])).toBe(false);
    expect(isCcsyncCommand('/bin/notccsync statusline', ['statusline'])).toBe(false);
    expect(isCcsyncCommand(42, ['statusline'])).toBe(false);
  });

  it('quote only what needs quoting, and read back as the same words', () => {
    expect(shellQuote('/usr/bin/node')).toBe('/usr/bin/node');
    const odd = "/home/o'neil/my tools/ccsync.js";
    expect(shellWords(`${shellQuote(odd)} push`)).toEqual([odd, 'push']);
    expect(shellWords('a "b \\" c" \'d\'e\\ f')).toEqual(['a', 'b " c', 'de f']);
    expect(shellWords('unbalanced "quote')).toBeUndefined();
  });
});
