import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { currentRequestId } from './request-context.ts';

export type { Logger };

/** Paths whose values never reach a log line. */
export const redactedPaths = [
  'password',
  '*.password',
  'old_password',
  'new_password',
  '*.new_password',
  '*.old_password',
  'client_secret',
  '*.client_secret',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'access_token',
  'refresh_token',
  'id_token',
  '*.access_token',
  '*.refresh_token',
  'req.headers.authorization',
  'req.headers.Authorization',
  'req.headers.cookie',
  'req.body.password',
  'req.body.client_secret',
  'req.body.refresh_token',
  'req.body.code',
  'err.config.headers.authorization',
  'err.config.headers.Authorization',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'privateJwk',
  '*.privateJwk',
];

/** JSON lines (production, files, pipes) or pino-pretty's readable lines (a person at a terminal). */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Default: pretty when stdout is a terminal and no destination is given, JSON otherwise. */
  format?: LogFormat;
  /**
   * Where lines go: a stream (tests read them back), or a file path or descriptor written through
   * pino's buffered asynchronous destination. Defaults to stdout, buffered.
   */
  destination?: NodeJS.WritableStream | string | number;
  /** Colours in pretty lines (default on). */
  colorize?: boolean;
}

/**
 * Lines are buffered (4 KiB) and written asynchronously, as pino recommends for throughput: a
 * write per request line costs the token endpoint about a tenth of its speed. The buffer is flushed
 * every second and when the process exits.
 */
function bufferedDestination(dest: string | number): pino.DestinationStream {
  const stream = pino.destination({ dest, sync: false, minLength: 4096 });
  // A quiet service still shows its lines within a second.
  const flusher = setInterval(() => stream.flush(), 1000);
  flusher.unref();
  process.once('exit', () => {
    clearInterval(flusher);
    try {
      stream.flushSync();
    } catch {
      // nothing left to flush, or the descriptor is gone
    }
  });
  return stream;
}

/**
 * Readable lines, one per record (the launcher prefixes each with the service's name), coloured
 * unless NO_COLOR is set: under `npm start` stdout is a pipe to the launcher, which asks for colour.
 */
function prettyDestination(destination: NodeJS.WritableStream | string | number, colorize: boolean) {
  return pretty({
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    sync: true,
    ...(typeof destination === 'object' ? { destination } : { destination: destination }),
  });
}

/** The current request's id on every line, whether or not the code that logs remembered `req.log`. */
function requestIdMixin(): Record<string, unknown> {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}

export function createLogger({ service, level = 'info', destination, format, colorize }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: requestIdMixin,
  };
  const target = destination ?? 1;
  const chosen = format ?? (destination === undefined && process.stdout.isTTY ? 'pretty' : 'json');
  if (chosen === 'pretty') return pino(options, prettyDestination(target, colorize ?? true));
  const stream =
    typeof target === 'string' || typeof target === 'number'
      ? bufferedDestination(target)
      : (target as pino.DestinationStream);
  return pino(options, stream);
}
