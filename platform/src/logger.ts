import { pino, type Logger } from 'pino';

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

export interface LoggerOptions {
  service: string;
  level?: string;
  /**
   * Where lines go: a stream (tests read them back), or a file path or descriptor written through
   * pino's buffered asynchronous destination. Defaults to stdout, buffered.
   */
  destination?: NodeJS.WritableStream | string | number;
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

export function createLogger({ service, level = 'info', destination = 1 }: LoggerOptions): Logger {
  const options = {
    level,
    base: { service },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const stream =
    typeof destination === 'string' || typeof destination === 'number'
      ? bufferedDestination(destination)
      : (destination as pino.DestinationStream);
  return pino(options, stream);
}
