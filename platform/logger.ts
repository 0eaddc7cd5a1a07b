// Structured logs (pino) for every process; one place sets the level and the base fields.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(
  name: string,
  level: LevelWithSilent = (process.env.LOG_LEVEL as LevelWithSilent) || 'info',
): Logger {
  return pino({ name, level, base: { pid: process.pid, svc: name }, timestamp: pino.stdTimeFunctions.isoTime });
}
