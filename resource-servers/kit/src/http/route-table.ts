import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { answerFailure } from './error-answers.ts';
import { markRoute } from './request-log.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One served operation: its method and path template (`/films/{film_id}`), plus aliases answering the same. */
export interface Operation {
  method: HttpMethod;
  path: string;
  aliases: string[];
}

/** Express's `:name` parameters written as OpenAPI's `{name}`. */
const template = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

/**
 * A service's routes, registered here rather than on a bare Express router so the kit knows every
 * path and method: the request metric is labelled by the route template, a known path asked with
 * another method answers 405 with `Allow`, and a test can hold the routes against the OpenAPI document
 * (`operations`). Give several paths to serve aliases: the first is the documented one.
 */
export class RouteTable {
  readonly router = Router();
  private readonly served: Operation[] = [];
  /** The methods of each Express path, for 405 answers. */
  private readonly methodsByPath = new Map<string, Set<string>>();

  get operations(): readonly Operation[] {
    return this.served;
  }

  get(paths: string | readonly string[], ...handlers: RequestHandler[]): this {
    return this.add('get', paths, handlers);
  }

  post(paths: string | readonly string[], ...handlers: RequestHandler[]): this {
    return this.add('post', paths, handlers);
  }

  put(paths: string | readonly string[], ...handlers: RequestHandler[]): this {
    return this.add('put', paths, handlers);
  }

  patch(paths: string | readonly string[], ...handlers: RequestHandler[]): this {
    return this.add('patch', paths, handlers);
  }

  delete(paths: string | readonly string[], ...handlers: RequestHandler[]): this {
    return this.add('delete', paths, handlers);
  }

  private add(method: HttpMethod, paths: string | readonly string[], handlers: RequestHandler[]): this {
    const all = typeof paths === 'string' ? [paths] : [...paths];
    const [documented, ...aliases] = all;
    if (documented === undefined) throw new Error('a route needs a path');
    const label = template(documented);
    this.served.push({ method, path: label, aliases: aliases.map(template) });
    for (const path of all) {
      const methods = this.methodsByPath.get(path) ?? new Set<string>();
      methods.add(method.toUpperCase());
      if (method === 'get') methods.add('HEAD');
      this.methodsByPath.set(path, methods);
    }
    const labelled: RequestHandler = (_req, res, next) => {
      markRoute(res, label);
      next();
    };
    this.router[method](all, labelled, ...handlers);
    return this;
  }

  /**
   * What answers when no route did: 405 with `Allow` for a known path asked with another method, else
   * 404, both through the app's renderer. Mount it after every route.
   */
  unmatched(): Router {
    const allowed = new WeakMap<Request, Set<string>>();
    const router = Router();
    for (const [path, methods] of this.methodsByPath) {
      router.all(path, (req: Request, _res: Response, next: NextFunction) => {
        const found = allowed.get(req) ?? new Set<string>();
        for (const method of methods) found.add(method);
        allowed.set(req, found);
        next();
      });
    }
    router.use((req: Request, res: Response) => {
      const allow = allowed.get(req);
      if (!allow) return answerFailure(req, res, { kind: 'not-found' });
      const methods = [...allow].sort();
      // Express answers OPTIONS of a known path before this; should it not, the answer is the same.
      if (req.method === 'OPTIONS') return void res.set('Allow', methods.join(', ')).status(204).end();
      answerFailure(req, res, { kind: 'method-not-allowed', allow: methods });
    });
    return router;
  }
}
