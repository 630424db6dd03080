import { describe, expect, it } from 'vitest';
import { CommandRefused, mapCommandLine, splitCommandLine } from './command-line.ts';

const programs = { ccusage: '/usr/local/bin/ccusage', claude: 'claude' };

describe('splitCommandLine', () => {
  it('splits words and quoted strings as a shell would', () => {
    expect(splitCommandLine(`claude -p "what's new?" --model 'sonnet'`)).toEqual([
      'claude',
      '-p',
      "what's new?",
      '--model',
      'sonnet',
    ]);
    expect(splitCommandLine('  ccusage   daily  ')).toEqual(['ccusage', 'daily']);
    expect(splitCommandLine('claude -p "a; b | c"')).toEqual(['claude', '-p', 'a; b | c']);
  });

  it.each([
    ['ccusage daily; id', '";"'],
    ['ccusage daily && id', '"&"'],
    ['ccusage daily | sh', '"|"'],
    ['ccusage daily > out', '">"'],
    ['ccusage $(id)', '"\\$"'],
    ['claude -p "$(id)"', '"\\$"'],
    ['claude -p "`id`"', '"`"'],
    ['claude -p "a\\"b"', '"\\\\"'],
    ['ccusage daily *', '"\\*"'],
    ['ccusage ~/x', '"~"'],
  ])('refuses %s, naming %s', (line, named) => {
    expect(() => splitCommandLine(line)).toThrow(CommandRefused);
    expect(() => splitCommandLine(line)).toThrow(new RegExp(named));
  });

  it('refuses line breaks, control characters and unclosed quotes', () => {
    expect(() => splitCommandLine('ccusage daily\nid')).toThrow(/control characters/);
    expect(() => splitCommandLine('claude -p "open')).toThrow(/unclosed/);
  });
});

describe('mapCommandLine', () => {
  it('maps ccusage daily, with its allowed flags, to a ccusage job', () => {
    expect(mapCommandLine('ccusage daily', programs)).toEqual({ kind: 'ccusage', args: {} });
    expect(mapCommandLine('ccusage', programs)).toEqual({ kind: 'ccusage', args: {} });
    expect(
      mapCommandLine('/usr/local/bin/ccusage claude daily --json -O -s 20260101 --until 20260131 -z UTC', programs),
    ).toEqual({
      kind: 'ccusage',
      args: { offline: true, since: '20260101', until: '20260131', timezone: 'UTC' },
    });
    expect(mapCommandLine('ccusage --since 20260101', programs)).toEqual({
      kind: 'ccusage',
      args: { since: '20260101' },
    });
  });

  it('maps claude -p to a claude job', () => {
    expect(mapCommandLine('claude -p "Good morning" --model sonnet --max-turns 2', programs)).toEqual({
      kind: 'claude',
      args: { prompt: 'Good morning', model: 'sonnet', maxTurns: 2 },
    });
    expect(mapCommandLine('claude --print hello --output-format json', programs)).toEqual({
      kind: 'claude',
      args: { prompt: 'hello' },
    });
  });

  it("maps the seed's sync examples to a sync job", () => {
    expect(mapCommandLine('claude usage sync', programs)).toEqual({ kind: 'sync', args: {} });
    expect(mapCommandLine('ccusage sync', programs)).toEqual({ kind: 'sync', args: {} });
  });

  it.each([
    ['', /empty/],
    ['rm -rf /', /not a program jobs may run/],
    ['/bin/ccusage daily', /not a program jobs may run/],
    ['./claude -p hi', /not a program jobs may run/],
    ['ccusage monthly', /only "ccusage daily"/],
    ['ccusage daily --config /etc/shadow', /--config is not allowed/],
    ['ccusage daily --since', /needs a value/],
    ['claude "hi"', /print mode/],
    ['claude -p', /needs a prompt/],
    ['claude -p hi there', /one quoted argument/],
    ['claude -p hi --dangerously-skip-permissions', /not allowed/],
    ['claude -p hi --output-format text', /always use --output-format json/],
  ])('refuses %j', (line, reason) => {
    expect(() => mapCommandLine(line, programs)).toThrow(reason);
  });
});
