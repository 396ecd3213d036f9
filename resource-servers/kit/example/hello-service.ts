/**
 * A complete resource server on the kit, the one the kit's README shows: settings (hello-config.ts),
 * token checks, its own error body, an open route, a signed-in route, a permission, a validated
 * body and an event stream that ends when its token is revoked or expires. Run it with
 * `node --import tsx resource-servers/kit/example/hello-service.ts` (kit/test/hello-service.test.ts does).
 */
import {
  createServiceApp,
  openEventStream,
  requirePermission,
  requireUser,
  startTokenChecks,
  validate,
  type ErrorAnswer,
  type ErrorRenderer,
} from '@usher/kit';
import { createServiceMetrics, openKeyValueStore, runService } from '@usher/platform';
import { z } from 'zod';
import { loadHelloConfig } from './hello-config.ts';

/** Its error body is `{"error": "<code>"}`: the kit names what went wrong, each service writes it its own way. */
const helloErrors: ErrorRenderer = {
  render(failure): ErrorAnswer {
    const error = (status: number, code: string, headers: Record<string, string> = {}) => ({
      status,
      body: { error: code },
      headers,
    });
    switch (failure.kind) {
      case 'unauthenticated':
        return error(401, 'sign-in-required', { 'WWW-Authenticate': 'Bearer' });
      case 'invalid-token':
        return error(401, failure.code === 'USHER_TOKEN_EXPIRED' ? 'token-expired' : 'token-invalid', {
          'WWW-Authenticate': 'Bearer error="invalid_token"',
        });
      case 'forbidden':
        return error(403, 'not-allowed', { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' });
      case 'validation-failed':
        return { status: 400, body: { error: 'bad-input', fields: failure.errors.map((field) => field.name) } };
      case 'method-not-allowed':
        return error(405, 'method-not-allowed', { Allow: failure.allow.join(', ') });
      case 'not-found':
        return error(404, 'not-found');
      case 'malformed-body':
        return error(400, 'bad-json');
      case 'body-too-large':
        return error(413, 'too-large');
      case 'unavailable':
        return error(503, 'unavailable');
      case 'internal':
        return error(500, 'internal');
    }
  },
};

const greeting = validate({ body: z.object({ name: z.string().min(1).max(40) }) });

await runService({
  name: 'hello',
  loadConfig: () => loadHelloConfig(),
  async start(config, logger) {
    const store = openKeyValueStore(config.REDIS_URL, config.REDIS_PREFIX);
    const tokens = await startTokenChecks(config, { store, logger });
    const { app } = createServiceApp({
      logger,
      metrics: createServiceMetrics('hello'),
      renderer: helloErrors,
      readiness: { store },
      auth: { verifier: tokens.verifier },
      routes(routes) {
        // Anyone; a verified caller by name.
        routes.get('/hello', (req, res) => {
          res.json({ hello: req.auth?.subject?.sub ?? 'stranger' });
        });
        routes.get('/secret', requirePermission({ any: ['hello_read'] }), (_req, res) => {
          res.json({ secret: 'the cake is in the fridge' });
        });
        routes.post('/greetings', requireUser(), greeting, (req, res) => {
          res.status(201).json({ greeting: `Hello, ${greeting.input(req).body.name}!` });
        });
        // One event a second, until the token is revoked or expires (or the client leaves).
        routes.get('/ticks', requireUser(), (req, res) => {
          const stream = openEventStream(req, res, { revocations: tokens.revocations });
          let count = 0;
          const ticker = setInterval(() => stream.send({ id: String(++count), data: { tick: count } }), 1000);
          stream.signal.addEventListener('abort', () => clearInterval(ticker));
        });
      },
    });
    return {
      handler: app,
      port: config.port,
      host: config.host,
      describe: { url: config.publicUrl, resource: config.resource, issuer: config.issuer },
      async release() {
        await tokens.stop();
        await store.close();
      },
    };
  },
});
