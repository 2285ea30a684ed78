import { pino } from 'pino';
import type { Config } from './config.js';

export type Logger = pino.Logger;

/** Structured JSON logs on stderr, so stdout stays free for command output (replay writes JSON lines there). */
export function createLogger(level: Config['logLevel'], name = 'forewarn'): Logger {
  return pino({ name, level }, pino.destination(2));
}
