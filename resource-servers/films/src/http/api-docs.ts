import { readFileSync } from 'node:fs';
import type { RouteTable } from '@usher/kit';

interface OpenApiOperation {
  summary?: string;
  operationId?: string;
  /** Set on operations that need a signed-in user (user content). */
  security?: Record<string, string[]>[];
}

export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** The spec-first contract of this server (src/http/openapi.json). */
export const openApiDocument = JSON.parse(
  readFileSync(new URL('./openapi.json', import.meta.url), 'utf8'),
) as OpenApiDocument;

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A self-contained page (no CDN: it must work on a closed network) listing the documented endpoints. */
function docsPage(document: OpenApiDocument): string {
  const rows = Object.entries(document.paths)
    .flatMap(([path, operations]) =>
      Object.entries(operations).map(
        ([method, operation]) =>
          `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escape(path)}</code></td><td>${escape(operation.summary ?? '')}</td></tr>`,
      ),
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(document.info.title)} API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}</style>
</head><body><h1>${escape(document.info.title)} <small>${escape(document.info.version)}</small></h1>
<p>${escape(document.info.description ?? '')}</p>
<p>The full OpenAPI 3.1 document: <a href="/openapi.json">/openapi.json</a>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>`;
}

export function apiDocsRoutes(routes: RouteTable): void {
  const page = docsPage(openApiDocument);
  routes.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  routes.get('/docs', (_req, res) => {
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'").type('html').send(page);
  });
}
