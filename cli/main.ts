#!/usr/bin/env node
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Each file in ./commands is a command: `forewarn <file name> …`, exporting `run` and `summary`. */
export interface Command {
  summary: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((file) => file.endsWith('.js'))
    .map((file) => file.slice(0, -3))
    .sort();
}

async function loadCommand(name: string): Promise<Command> {
  return (await import(join(commandsDir, `${name}.js`))) as Command;
}

async function usage(): Promise<string> {
  const lines = ['usage: forewarn <command> [options]', '', 'commands:'];
  for (const name of commandNames()) lines.push(`  ${name.padEnd(10)} ${(await loadCommand(name)).summary}`);
  lines.push('', 'Run `forewarn <command> --help` for a command’s options.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage());
    return name ? 0 : 2;
  }
  if (!commandNames().includes(name)) {
    console.error(`forewarn: unknown command '${name}'\n\n${await usage()}`);
    return 2;
  }
  return (await loadCommand(name)).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`forewarn: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
