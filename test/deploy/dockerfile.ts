/**
 * The Dockerfile and .dockerignore read the way the deployment tests need them: stages with their
 * instructions, what a stage inherits from the stage it is built on, and which paths the build
 * context leaves out. Only the syntax this repository's Dockerfile uses is understood; anything
 * else throws, so a test never passes on a line it did not read.
 */

export interface Instruction {
  /** Upper case: `RUN`, `COPY`, … */
  readonly keyword: string;
  /** The rest of the logical line, continuations joined. */
  readonly args: string;
}

export interface Stage {
  readonly name: string;
  /** The image or stage it is built on, global ARGs substituted. */
  readonly base: string;
  readonly instructions: readonly Instruction[];
}

export interface Copy {
  /** The stage it copies from; undefined for the build context. */
  readonly from: string | undefined;
  readonly sources: readonly string[];
  readonly destination: string;
}

export class Dockerfile {
  readonly globalArgs: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];

  constructor(text: string) {
    const globalArgs: Record<string, string> = {};
    const stages: { name: string; base: string; instructions: Instruction[] }[] = [];
    for (const instruction of logicalLines(text)) {
      if (instruction.keyword === 'FROM') {
        const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
        if (match === null) throw new Error(`unsupported FROM: ${instruction.args}`);
        const base = substitute(match[1] as string, globalArgs);
        stages.push({ name: match[2] ?? `stage-${stages.length}`, base, instructions: [] });
      } else if (stages.length === 0) {
        if (instruction.keyword !== 'ARG') throw new Error(`${instruction.keyword} before the first FROM`);
        Object.assign(globalArgs, parseArg(instruction.args));
      } else {
        stages.at(-1)?.instructions.push(instruction);
      }
    }
    this.globalArgs = globalArgs;
    this.stages = stages;
  }

  stage(name: string): Stage {
    const stage = this.stages.find((candidate) => candidate.name === name);
    if (stage === undefined) throw new Error(`no stage "${name}" in the Dockerfile`);
    return stage;
  }

  /** The stage and the stages it is built on, oldest first. */
  lineage(name: string): Stage[] {
    const stage = this.stage(name);
    const parent = this.stages.find((candidate) => candidate.name === stage.base);
    return parent === undefined ? [stage] : [...this.lineage(parent.name), stage];
  }

  /** Every instruction of a keyword that applies to the stage, inherited ones first. */
  inherited(name: string, keyword: string): Instruction[] {
    return this.lineage(name).flatMap((stage) => stage.instructions.filter((line) => line.keyword === keyword));
  }

  /** The environment the stage's image starts with, as far as this Dockerfile sets it. */
  env(name: string): Record<string, string> {
    return Object.assign({}, ...this.inherited(name, 'ENV').map((line) => parseEnv(line.args)));
  }

  /** The last USER that applies, or undefined (root). */
  user(name: string): string | undefined {
    return this.inherited(name, 'USER').at(-1)?.args;
  }

  healthcheck(name: string): string | undefined {
    return this.inherited(name, 'HEALTHCHECK').at(-1)?.args;
  }

  volumes(name: string): string[] {
    return this.inherited(name, 'VOLUME').flatMap((line) => words(line.args));
  }

  /** The command the image runs, in exec form. */
  cmd(name: string): string[] {
    const line = this.inherited(name, 'CMD').at(-1);
    if (line === undefined) throw new Error(`stage "${name}" has no CMD`);
    return JSON.parse(line.args) as string[];
  }

  /** The stage's own ARG defaults. */
  args(name: string): Record<string, string> {
    const lines = this.stage(name).instructions.filter((line) => line.keyword === 'ARG');
    return Object.assign({}, ...lines.map((line) => parseArg(line.args)));
  }

  /** The stage's own COPY instructions. */
  copies(name: string): Copy[] {
    return this.stage(name)
      .instructions.filter((line) => line.keyword === 'COPY')
      .map((line) => parseCopy(line.args));
  }

  /** The stage's own RUN commands, with `${NAME}` of the stage's ARGs replaced by their defaults. */
  runs(name: string): string[] {
    const args = this.args(name);
    return this.stage(name)
      .instructions.filter((line) => line.keyword === 'RUN')
      .map((line) => line.args.replace(/\$\{(\w+)\}/g, (reference, arg: string) => args[arg] ?? reference));
  }
}

/** Instructions with continuation lines joined and comments (parser directives too) dropped. */
function logicalLines(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    pending += ` ${line.replace(/\\\s*$/, '').trim()}`;
    if (continued) continue;
    const logical = pending.trim();
    pending = '';
    if (logical === '') continue;
    const [keyword = '', ...rest] = logical.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' ') });
  }
  return instructions;
}

/** Words separated by spaces, or a JSON array. */
function words(args: string): string[] {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/).filter((word) => word !== '');
}

function substitute(value: string, args: Readonly<Record<string, string>>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    const resolved = args[name];
    if (resolved === undefined) throw new Error(`ARG ${name} has no default`);
    return resolved;
  });
}

function parseArg(args: string): Record<string, string> {
  const equals = args.indexOf('=');
  return equals === -1 ? {} : { [args.slice(0, equals)]: args.slice(equals + 1) };
}

/** `ENV A=1 B="two words"`, the form this Dockerfile uses. */
function parseEnv(args: string): Record<string, string> {
  const pairs = [...args.matchAll(/(\w+)=("[^"]*"|\S*)/g)];
  const consumed = pairs.map((pair) => pair[0]).join(' ');
  if (consumed !== args.trim().replace(/\s+/g, ' ')) throw new Error(`unsupported ENV: ${args}`);
  return Object.fromEntries(pairs.map(([, name, value = '']) => [name, value.replace(/^"(.*)"$/, '$1')]));
}

function parseCopy(args: string): Copy {
  const parts = words(args);
  const flags = parts.filter((part) => part.startsWith('--'));
  const paths = parts.filter((part) => !part.startsWith('--'));
  for (const flag of flags) {
    if (!/^--(from|chown|chmod)=/.test(flag)) throw new Error(`unsupported COPY flag ${flag}`);
  }
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  const destination = paths.at(-1);
  if (destination === undefined || paths.length < 2) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { from, sources: paths.slice(0, -1), destination };
}

/**
 * A .dockerignore's rules, applied as Docker applies them: patterns relative to the context root,
 * `*` within one path segment, `**` across any number of them, a pattern that matches a folder
 * leaving out everything in it, and the last matching rule deciding (a `!` rule keeps a path in).
 */
export class DockerIgnore {
  readonly #rules: { pattern: RegExp; keep: boolean }[];

  constructor(text: string) {
    this.#rules = text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => ({ keep: line.startsWith('!'), pattern: globPattern(line.replace(/^!/, '')) }));
  }

  /** Whether the build context leaves out this path (relative to the root, `/`-separated). */
  ignores(path: string): boolean {
    const segments = path.split('/');
    const prefixes = segments.map((_, index) => segments.slice(0, index + 1).join('/'));
    let ignored = false;
    for (const rule of this.#rules) {
      if (prefixes.some((prefix) => rule.pattern.test(prefix))) ignored = !rule.keep;
    }
    return ignored;
  }
}

function globPattern(glob: string): RegExp {
  const source = glob
    .replace(/^\/+|\/+$/g, '')
    .split(/(\*\*\/|\*\*|\*|\?)/)
    .map((part) => {
      if (part === '**/') return '(?:.*/)?';
      if (part === '**') return '.*';
      if (part === '*') return '[^/]*';
      if (part === '?') return '[^/]';
      return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`);
}
