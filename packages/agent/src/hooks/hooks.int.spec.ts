import { realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN as BIN } from '../test-stack.ts';

/*
 * `ccsync hooks install|uninstall` on real files with the real binary: merged into what is there,
 * never clobbered, and taken out exactly.
 */
let root: string;
let node: string;
let home: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ccsync-hooks-'));
  home = join(root, 'home');
  await mkdir(home, { recursive: true });
  // The Node that runs the binary below: the one the commands must name.
  node = (await execa('node', ['-p', 'process.execPath'], { preferLocal: true })).stdout;
});

/** A fresh HOME and state, so nothing here touches the real ones. */
const env = () => ({
  HOME: home,
  XDG_CONFIG_HOME: join(home, '.config'),
  XDG_STATE_HOME: join(home, '.local', 'state'),
  CLAUDE_CONFIG_DIR: '',
  CCSYNC_STATE_DIR: '',
  CCSYNC_INGEST_URL: '',
  CCSYNC_TOKEN: '',
});

const ccsync = (args: string[], extraEnv: Record<string, string> = {}) =>
  execa('node', [BIN, ...args], { preferLocal: true, reject: false, env: { ...env(), ...extraEnv } });

const pushCommand = () => `${node} ${realpathSync(BIN)} push --quiet`;
const statuslineCommand = () => `${node} ${realpathSync(BIN)} statusline`;
const ourHook = () => ({ type: 'command', command: pushCommand(), timeout: 30, async: true });

const existing = {
  model: 'opus',
  env: { DISABLE_TELEMETRY: '1' },
  permissions: { allow: ['Bash(npm test:*)'], deny: [] },
  hooks: {
    UserPromptSubmit: [{ hooks: [{ type: 'command', command: 'echo "$(date)" >> ~/prompts.log' }] }],
    PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: '~/.claude/guard.sh', timeout: 5 }] }],
  },
};

async function settingsFile(name: string, content: unknown): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'settings.json');
  await writeFile(file, typeof content === 'string' ? content : `${JSON.stringify(content, null, 4)}\n`);
  return file;
}
const json = async (file: string) => JSON.parse(await readFile(file, 'utf8'));

describe('ccsync hooks install', () => {
  it('merges the hooks and the status line into existing settings, and adds nothing the second time', async () => {
    const file = await settingsFile('merge', existing);
    const original = await readFile(file, 'utf8');

    const first = await ccsync(['hooks', 'install', '--settings', file, '--json']);
    expect(first.exitCode).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      settings: file,
      changed: true,
      backup: `${file}.bak`,
      hooks: { UserPromptSubmit: 'added', Stop: 'added' },
      statusLine: 'added',
      commands: { push: pushCommand(), statusline: statuslineCommand() },
    });
    expect(await json(file)).toEqual({
      ...existing,
      hooks: {
        UserPromptSubmit: [...existing.hooks.UserPromptSubmit, { hooks: [ourHook()] }],
        PreToolUse: existing.hooks.PreToolUse,
        Stop: [{ hooks: [ourHook()] }],
      },
      statusLine: { type: 'command', command: statuslineCommand() },
    });
    expect(await readFile(`${file}.bak`, 'utf8')).toBe(original);

    const installed = await readFile(file, 'utf8');
    const second = await ccsync(['hooks', 'install', '--settings', file, '--json']);
    expect(JSON.parse(second.stdout)).toMatchObject({
      changed: false,
      backup: null,
      hooks: { UserPromptSubmit: 'present', Stop: 'present' },
      statusLine: 'present',
    });
    expect(await readFile(file, 'utf8')).toBe(installed);
    expect(await readFile(`${file}.bak`, 'utf8')).toBe(original);
  });

  it('keeps a status line that is not ccsync’s, and says so', async () => {
    const foreign = { ...existing, statusLine: { type: 'command', command: '~/.claude/statusline.sh', padding: 0 } };
    const file = await settingsFile('foreign', foreign);
    const result = await ccsync(['hooks', 'install', '--settings', file]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('status line: another one is set, and was left as it is');
    const settings = await json(file);
    expect(settings.statusLine).toEqual(foreign.statusLine);
    expect(settings.hooks.Stop).toEqual([{ hooks: [ourHook()] }]);
  });

  it('leaves the status line alone with --no-statusline', async () => {
    const file = await settingsFile('no-statusline', existing);
    const result = await ccsync(['hooks', 'install', '--settings', file, '--no-statusline', '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ changed: true, statusLine: 'skipped' });
    expect(await json(file)).not.toHaveProperty('statusLine');
  });

  it.each([
    ['not JSON', '{ "model": "opus", }', 'is not valid JSON'],
    ['not an object', '["hooks"]', 'is not a JSON object'],
    ['hooks of another shape', '{"hooks":{"Stop":{"command":"x"}}}', '"hooks.Stop" is not a list'],
  ])('refuses a file that is %s, and leaves it untouched', async (name, content, message) => {
    const file = await settingsFile(`invalid-${name.replaceAll(' ', '-')}`, content);
    const result = await ccsync(['hooks', 'install', '--settings', file]);
    expect(result.exitCode).toBe(10);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Nothing was changed');
    expect(await readFile(file, 'utf8')).toBe(content);
    await expect(stat(`${file}.bak`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('writes to Claude Code’s own settings: the first CLAUDE_CONFIG_DIR, else ~/.claude', async () => {
    const configDir = join(root, 'claude-config');
    const byConfigDir = await ccsync(['hooks', 'install', '--json'], {
      CLAUDE_CONFIG_DIR: `${configDir},${join(root, 'second')}`,
    });
    expect(JSON.parse(byConfigDir.stdout)).toMatchObject({ settings: join(configDir, 'settings.json'), backup: null });
    expect(await json(join(configDir, 'settings.json'))).toMatchObject({ hooks: { Stop: [{ hooks: [ourHook()] }] } });

    const byHome = await ccsync(['hooks', 'install', '--json']);
    expect(JSON.parse(byHome.stdout)).toMatchObject({ settings: join(home, '.claude', 'settings.json') });
  });

  it('installs commands that run through Claude Code’s shell: quiet pushes and a status line', async () => {
    const file = await settingsFile('runs', {});
    await ccsync(['hooks', 'install', '--settings', file]);
    const settings = await json(file);
    // Claude Code runs hook and status-line commands with a shell, with its hook JSON on stdin.
    const hook = await execa(settings.hooks.UserPromptSubmit[0].hooks[0].command, {
      shell: true,
      reject: false,
      env: env(),
      input: '{"hook_event_name":"UserPromptSubmit","prompt":"hi"}',
    });
    expect({ exitCode: hook.exitCode, stdout: hook.stdout, stderr: hook.stderr }).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
    const status = await execa(settings.statusLine.command, { shell: true, reject: false, env: env(), input: '{}' });
    expect({ exitCode: status.exitCode, stdout: status.stdout }).toEqual({
      exitCode: 0,
      stdout: 'ccsync: no data yet (run ccsync watch)',
    });
  });
});

describe('ccsync hooks uninstall', () => {
  it('takes out exactly what install added, and nothing else', async () => {
    for (const [name, content] of [
      ['with-existing', existing],
      ['empty', {}],
      ['foreign-statusline', { statusLine: { type: 'command', command: 'mine.sh' } }],
    ] as const) {
      const file = await settingsFile(`uninstall-${name}`, content);
      await ccsync(['hooks', 'install', '--settings', file]);
      const installed = await readFile(file, 'utf8');
      const result = await ccsync(['hooks', 'uninstall', '--settings', file, '--json']);
      expect(result.exitCode).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        settings: file,
        changed: true,
        backup: `${file}.bak`,
        removed: { hooks: 2, statusLine: name !== 'foreign-statusline' },
      });
      expect(await json(file)).toEqual(content);
      expect(await readFile(`${file}.bak`, 'utf8')).toBe(installed);

      const again = await ccsync(['hooks', 'uninstall', '--settings', file, '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, removed: { hooks: 0, statusLine: false } });
    }
  });

  it('changes nothing where there is no settings file', async () => {
    const file = join(root, 'absent', 'settings.json');
    const result = await ccsync(['hooks', 'uninstall', '--settings', file]);
    expect(result.exitCode).toBe(0);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
