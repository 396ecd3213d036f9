import { readFileSync } from 'node:fs';
import Router from '@koa/router';
import { parse } from 'yaml';

interface Parameter {
  name?: string;
  in?: string;
  required?: boolean;
  description?: string;
  $ref?: string;
}

interface Operation {
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
  responses?: Record<string, { $ref?: string; description?: string }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation | Parameter[]>>;
  components: { parameters?: Record<string, Parameter>; responses?: Record<string, { description?: string }> };
}

export const httpMethods = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** The spec-first contract of the admin API (provider/openapi/admin-api.yaml), read once. */
export const adminApiYaml = readFileSync(new URL('../../openapi/admin-api.yaml', import.meta.url), 'utf8');
export const adminApiDocument = parse(adminApiYaml) as OpenApiDocument;

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const refName = (ref: string | undefined) => (ref ? ref.slice(ref.lastIndexOf('/') + 1) : '');

function parameterList(document: OpenApiDocument, parameters: Parameter[]): string {
  if (!parameters.length) return '';
  const items = parameters.map((given) => {
    const parameter = given.$ref ? (document.components.parameters?.[refName(given.$ref)] ?? given) : given;
    const required = parameter.required ? ' (required)' : '';
    return `<li><code>${escape(parameter.name ?? '')}</code> in ${escape(parameter.in ?? '')}${required}${
      parameter.description ? `: ${escape(parameter.description)}` : ''
    }</li>`;
  });
  return `<ul class="params">${items.join('')}</ul>`;
}

/** A self-contained page (no CDN: the network may be closed) listing every operation. */
function docsPage(document: OpenApiDocument): string {
  const base = document.servers?.[0]?.url ?? '';
  const sections = Object.entries(document.paths).flatMap(([path, item]) => {
    const shared = (item.parameters as Parameter[] | undefined) ?? [];
    return httpMethods
      .filter((method) => item[method])
      .map((method) => {
        const operation = item[method] as Operation;
        const body = refName(operation.requestBody?.content?.['application/json']?.schema?.$ref);
        const responses = Object.entries(operation.responses ?? {})
          .map(([status, response]) => {
            const text = response.$ref
              ? (document.components.responses?.[refName(response.$ref)]?.description ?? '')
              : (response.description ?? '');
            return `<li><b>${escape(status)}</b> ${escape(text)}</li>`;
          })
          .join('');
        return `<section><h3><code>${method.toUpperCase()}</code> <code>${escape(base + path)}</code></h3>
<p>${escape(operation.summary ?? '')}</p>${operation.description ? `<p>${escape(operation.description)}</p>` : ''}
${parameterList(document, [...shared, ...(operation.parameters ?? [])])}
${body ? `<p>Body: <code>${escape(body)}</code></p>` : ''}<ul class="responses">${responses}</ul></section>`;
      });
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(document.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem}
section{border-bottom:1px solid #ddd;padding:.5rem 0}h3{margin:.3rem 0;font-size:1rem}ul{margin:.2rem 0}
pre{white-space:pre-wrap}</style>
</head><body><h1>${escape(document.info.title)} <small>${escape(document.info.version)}</small></h1>
<pre>${escape(document.info.description ?? '')}</pre>
<p>The full OpenAPI 3.1 document: <a href="/api/openapi.json">/api/openapi.json</a>
(<a href="/api/openapi.yaml">YAML</a>). Schemas are under <code>components.schemas</code> there.</p>
${sections.join('\n')}
</body></html>`;
}

/** /api/openapi.json, /api/openapi.yaml and /api/docs: public, like any API reference. */
export function apiDocsRoutes(): Router {
  const router = new Router({ prefix: '/api' });
  const page = docsPage(adminApiDocument);
  const json = JSON.stringify(adminApiDocument);
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = json;
  });
  router.get('/openapi.yaml', (ctx) => {
    ctx.type = 'application/yaml';
    ctx.body = adminApiYaml;
  });
  router.get('/docs', (ctx) => {
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    ctx.type = 'html';
    ctx.body = page;
  });
  return router;
}
