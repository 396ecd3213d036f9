import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestStores, type TestStores } from '@usher/test-support';
import { openApiDocument } from '../src/http/api-docs.ts';
import { cataloguePaths, userContentOperations } from './films-operations.ts';
import { fixtureFilms, genres, ids, persons, short } from './fixture-catalogue.ts';
import { json, startFilms, type RunningFilms } from './films-harness.ts';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { loc: string[]; msg: string }[];
}

describe('films catalogue: the contract of CONTRACTS 3.1 for anonymous callers, and operations', () => {
  let stores: TestStores;
  let films: RunningFilms;

  before(async () => {
    stores = await createTestStores();
    films = await startFilms(stores, { films: fixtureFilms });
  });

  after(async () => {
    await films?.stop();
    await stores?.dispose();
  });

  const body = async (pathname: string, status = 200) => {
    const response = await films.get(pathname);
    assert.equal(response.status, status, `${pathname}: ${response.status}`);
    return json(response);
  };

  const problem = async (pathname: string, status: number, detail: string) => {
    const response = await films.get(pathname);
    assert.equal(response.status, status, pathname);
    assert.match(response.headers.get('content-type')!, /^application\/problem\+json/);
    const answer = await json<Problem>(response);
    assert.equal(answer.status, status);
    assert.equal(answer.detail, detail);
    assert.equal(typeof answer.type, 'string');
    assert.equal(typeof answer.title, 'string');
    return answer;
  };

  const invalid = async (pathname: string, loc: string[][]) => {
    const answer = await problem(pathname, 422, 'Request parameters are invalid');
    assert.deepEqual(
      answer.errors!.map((error) => error.loc),
      loc,
      pathname,
    );
    for (const error of answer.errors!) assert.ok(error.msg.length > 0);
  };

  const uuids = (items: unknown) => (items as { uuid: string }[]).map((item) => item.uuid);

  test('film list: visible films in the default order (-imdb_rating, title, uuid), null lowest', async () => {
    assert.deepEqual(await body('/api/v1/films'), [
      short(ids.comedyNight),
      short(ids.anotherStar),
      short(ids.runningMan),
      short(ids.quietDrama),
    ]);
  });

  test('sorting: explicit keys break ties by uuid ascending in either direction', async () => {
    assert.deepEqual(uuids(await body('/api/v1/films?sort=imdb_rating')), [
      ids.quietDrama,
      ids.runningMan,
      ids.anotherStar,
      ids.comedyNight,
    ]);
    assert.deepEqual(uuids(await body('/api/v1/films?sort=-imdb_rating')), [
      ids.comedyNight,
      ids.runningMan,
      ids.anotherStar,
      ids.quietDrama,
    ]);
    assert.deepEqual(uuids(await body('/api/v1/films?sort=title')), [
      ids.anotherStar,
      ids.comedyNight,
      ids.quietDrama,
      ids.runningMan,
    ]);
    assert.deepEqual(uuids(await body('/api/v1/films?sort=-title')), [
      ids.runningMan,
      ids.quietDrama,
      ids.comedyNight,
      ids.anotherStar,
    ]);
    assert.deepEqual(uuids(await body('/api/v1/genres?sort=-name')), [ids.scifi, ids.drama, ids.comedy]);
    assert.deepEqual(uuids(await body('/api/v1/persons?sort=-full_name')), [
      ids.eve,
      ids.david,
      ids.clara,
      ids.boris,
      ids.anna,
    ]);
  });

  test('paging: pages never overlap, page[size] up to 10000, past the last page is 404', async () => {
    const first = uuids(await body('/api/v1/films?page[size]=3'));
    const second = uuids(await body('/api/v1/films?page[size]=3&page[number]=1'));
    assert.deepEqual([...first, ...second], uuids(await body('/api/v1/films')));
    assert.equal(second.length, 1);
    await problem('/api/v1/films?page[size]=3&page[number]=2', 404, 'films not found');
    await problem('/api/v1/films?page[number]=99999999999999999999', 404, 'films not found');
    assert.equal(uuids(await body('/api/v1/films?page[size]=10000')).length, 4);
    assert.deepEqual(uuids(await body('/api/v1/genres?page[size]=1&page[number]=2')), [ids.scifi]);
    await problem('/api/v1/genres?page[number]=3&page[size]=1', 404, 'genres not found');
    await problem('/api/v1/persons?page[number]=1', 404, 'persons not found');
  });

  test('every malformed parameter is 422 with errors[].loc, all failures at once', async () => {
    await invalid('/api/v1/films?page[number]=-1', [['query', 'page[number]']]);
    await invalid('/api/v1/films?page[number]=1.5', [['query', 'page[number]']]);
    await invalid('/api/v1/films?page[number]=', [['query', 'page[number]']]);
    await invalid('/api/v1/films?page[size]=0', [['query', 'page[size]']]);
    await invalid('/api/v1/films?page[size]=10001', [['query', 'page[size]']]);
    await invalid('/api/v1/films?page[size]=', [['query', 'page[size]']]);
    await invalid('/api/v1/films?page[size]=ten', [['query', 'page[size]']]);
    await invalid('/api/v1/films?page[size]=1&page[size]=2', [['query', 'page[size]']]);
    await invalid('/api/v1/films?sort=rating', [['query', 'sort']]);
    await invalid('/api/v1/films?sort=name', [['query', 'sort']]);
    await invalid('/api/v1/genres?sort=title', [['query', 'sort']]);
    await invalid('/api/v1/persons?sort=-name', [['query', 'sort']]);
    await invalid('/api/v1/films?filter[genre]=drama', [['query', 'filter[genre]']]);
    await invalid('/api/v1/films?filter[person]=1', [['query', 'filter[person]']]);
    await invalid('/api/v1/persons?filter[film]=x', [['query', 'filter[film]']]);
    await invalid('/api/v1/films?page[number]=-1&sort=x', [
      ['query', 'page[number]'],
      ['query', 'sort'],
    ]);
    await invalid('/api/v1/films/search', [['query', 'query']]);
    await invalid('/api/v1/films/search?query=', [['query', 'query']]);
    await invalid(`/api/v1/genres/search?query=${'a'.repeat(257)}`, [['query', 'query']]);
    await invalid('/api/v1/persons/search?query=%20%20', [['query', 'query']]);
    await invalid('/api/v1/films/not-a-uuid', [['path', 'film_id']]);
    await invalid('/api/v1/genres/123', [['path', 'genre_id']]);
    await invalid('/api/v1/persons/123', [['path', 'person_id']]);
    await invalid('/api/v1/persons/123/films?page[size]=0', [
      ['path', 'person_id'],
      ['query', 'page[size]'],
    ]);
    // 422 comes before 404: an out-of-range page with a malformed filter is still 422.
    await invalid(`/api/v1/films?filter[genre]=bad&page[number]=999`, [['query', 'filter[genre]']]);
    // A valid query of 256 characters is accepted (and finds nothing).
    await problem(`/api/v1/genres/search?query=${'a'.repeat(256)}`, 404, 'genres not found');
  });

  test('a search query holding a NUL character is 422, not a database error', async () => {
    await invalid('/api/v1/films/search?query=star%00', [['query', 'query']]);
    await invalid('/api/v1/genres/search?query=%00', [['query', 'query']]);
    await invalid('/api/v1/persons/search?query=anna%00', [['query', 'query']]);
  });

  test('details: exact shapes; unknown ids are 404 with the fixed texts; hidden films are 403', async () => {
    assert.deepEqual(await body(`/api/v1/films/${ids.comedyNight}`), {
      uuid: ids.comedyNight,
      title: 'Comedy Night',
      imdb_rating: 7,
      description: 'Jokes until dawn',
      genre: [{ uuid: ids.comedy, name: 'Comedy' }],
      actors: [],
      writers: [persons.clara],
      directors: [],
    });
    assert.deepEqual(await body(`/api/v1/genres/${ids.scifi}`), genres.scifi);
    assert.deepEqual(await body(`/api/v1/persons/${ids.anna}`), {
      ...persons.anna,
      roles: ['actor'],
      films: [short(ids.quietDrama)],
    });
    // Every film of Eve is above 7.0: details with no films, and her film list is 404.
    assert.deepEqual(await body(`/api/v1/persons/${ids.eve}`), { ...persons.eve, roles: ['actor'], films: [] });
    await problem(`/api/v1/persons/${ids.eve}/films`, 404, 'films not found');
    await problem(`/api/v1/films/${ids.unknown}`, 404, 'film not found');
    await problem(`/api/v1/genres/${ids.unknown}`, 404, 'genre not found');
    await problem(`/api/v1/persons/${ids.unknown}`, 404, 'person not found');
    await problem(`/api/v1/persons/${ids.unknown}/films`, 404, 'person not found');
    const hidden = await films.get(`/api/v1/films/${ids.appleTree}`);
    assert.equal(hidden.status, 403);
    assert.equal(hidden.headers.get('www-authenticate'), 'Bearer error="insufficient_scope"');
    assert.equal((await json<Problem>(hidden)).detail, 'Not enough permissions');
    // An uppercase id is the same film.
    assert.equal((await films.get(`/api/v1/films/${ids.comedyNight.toUpperCase()}`)).status, 200);
  });

  test('filters: by genre, by person in any role, persons by film; a filter matching nothing is 404', async () => {
    assert.deepEqual(uuids(await body(`/api/v1/films?filter[genre]=${ids.drama}`)), [ids.anotherStar, ids.quietDrama]);
    assert.deepEqual(uuids(await body(`/api/v1/films?filter[person]=${ids.clara}`)), [ids.comedyNight]);
    assert.deepEqual(uuids(await body(`/api/v1/films?filter[person]=${ids.anna}&filter[genre]=${ids.drama}`)), [
      ids.quietDrama,
    ]);
    await problem(`/api/v1/films?filter[genre]=${ids.unknown}`, 404, 'films not found');
    await problem(`/api/v1/films?filter[person]=${ids.eve}`, 404, 'films not found');
    assert.deepEqual(uuids(await body(`/api/v1/persons?filter[film]=${ids.starWars}`)), [ids.anna, ids.david]);
    assert.deepEqual(uuids(await body(`/api/v1/persons/${ids.david}/films`)), [ids.anotherStar]);
    assert.deepEqual(uuids(await body(`/api/v1/persons/${ids.boris}/films?sort=title`)), [ids.runningMan]);
    await problem(`/api/v1/persons?filter[film]=${ids.unknown}`, 404, 'persons not found');
  });

  test('search: whole words after stemming, case-insensitive, title matches first, no substrings', async () => {
    // "stars" in a description and "Star" in a title both stem to "star"; the title match ranks first.
    assert.deepEqual(uuids(await body('/api/v1/films/search?query=STAR')), [ids.anotherStar, ids.runningMan]);
    assert.deepEqual(uuids(await body('/api/v1/films/search?query=running')), [ids.runningMan]);
    assert.deepEqual(uuids(await body('/api/v1/films/search?query=star&sort=title')), [
      ids.anotherStar,
      ids.runningMan,
    ]);
    assert.deepEqual(uuids(await body(`/api/v1/films/search?query=star&filter[genre]=${ids.scifi}`)), [ids.runningMan]);
    await problem('/api/v1/films/search?query=sta', 404, 'films not found');
    await problem('/api/v1/films/search?query=galaxy', 404, 'films not found'); // only in a hidden film
    assert.deepEqual(uuids(await body('/api/v1/genres/search?query=funny')), [ids.comedy]);
    assert.deepEqual(uuids(await body('/api/v1/genres/search?query=travels')), [ids.scifi]);
    assert.deepEqual(uuids(await body('/api/v1/persons/search?query=stars&sort=full_name')), [ids.anna, ids.david]);
    assert.deepEqual(uuids(await body('/api/v1/persons/search?query=hidden')), [ids.eve]);
    await problem('/api/v1/persons/search?query=an', 404, 'persons not found');
  });

  test('singular aliases and trailing slashes answer identically', async () => {
    const canonical = await body('/api/v1/films');
    assert.deepEqual(await body('/api/v1/films/'), canonical);
    assert.deepEqual(await body('/api/v1/film'), canonical);
    assert.deepEqual(await body('/api/v1/film/'), canonical);
    assert.deepEqual(await body(`/api/v1/film/${ids.comedyNight}/`), await body(`/api/v1/films/${ids.comedyNight}`));
    assert.deepEqual(await body('/api/v1/film/search/?query=star'), await body('/api/v1/films/search?query=star'));
    assert.deepEqual(await body('/api/v1/genre/'), await body('/api/v1/genres'));
    assert.deepEqual(await body(`/api/v1/genre/${ids.drama}`), genres.drama);
    assert.deepEqual(await body('/api/v1/person'), await body('/api/v1/persons/'));
    assert.deepEqual(await body(`/api/v1/person/${ids.anna}/films/`), await body(`/api/v1/persons/${ids.anna}/films`));
    await problem(`/api/v1/film/${ids.unknown}`, 404, 'film not found');
  });

  test('answers are cached per path, parameters and subscriber flag', async () => {
    const first = await films.get('/api/v1/genres?sort=name&page[size]=2');
    assert.equal(first.headers.get('x-cache'), 'MISS');
    const second = await films.get('/api/v1/genre/?page[size]=2&sort=name');
    assert.equal(second.headers.get('x-cache'), 'HIT');
    assert.deepEqual(await second.json(), await first.json());
    const hidden = await films.get(`/api/v1/films/${ids.zebra}`);
    await hidden.text();
    const again = await films.get(`/api/v1/films/${ids.zebra}`);
    assert.equal(again.status, 403);
    assert.equal(again.headers.get('x-cache'), 'HIT');
    assert.equal(again.headers.get('www-authenticate'), 'Bearer error="insufficient_scope"');
  });

  test('operations: health, readiness, metrics, request ids, problems for unknown routes and bad bodies', async () => {
    assert.deepEqual(await body('/healthz'), { status: 'ok' });
    const ready = await json<{ status: string }>(await films.get('/readyz'));
    assert.equal(ready.status, 'ready');
    const echoed = await films.get('/api/v1/genres', undefined, { 'x-request-id': 'films-test-123' });
    assert.equal(echoed.headers.get('x-request-id'), 'films-test-123');
    const generated = await films.get('/api/v1/genres');
    assert.match(generated.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
    assert.ok(films.logs.text().includes('"requestId":"films-test-123"'));
    await problem('/nowhere', 404, 'Not found');
    await problem('/api/v2/films', 404, 'Not found');
    const malformed = await fetch(`${films.url}/api/v1/films`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"oops',
    });
    assert.equal(malformed.status, 400);
    assert.match(malformed.headers.get('content-type')!, /^application\/problem\+json/);
    const malformedBody = await malformed.text();
    assert.doesNotMatch(malformedBody, /at .*\.js|node_modules/);
    const bad = await films.get('/api/v1/films', 'not-a-token');
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate')!, /^Bearer error="invalid_token"/);
    const metrics = await (await films.get('/metrics')).text();
    assert.match(metrics, /usher_token_checks_total\{outcome="USHER_TOKEN_ABSENT",service="films"\} [1-9]/);
    assert.match(metrics, /usher_films_cache_lookups_total\{result="hit",service="films"\} [1-9]/);
    assert.match(metrics, /usher_http_request_duration_seconds_count\{service="films",/);
  });

  test('/metrics with METRICS_TOKEN: 401 problem without that bearer token, the metrics with it', async () => {
    const token = 'a-metrics-token-of-at-least-32-characters';
    const guarded = await startFilms(stores, { films: fixtureFilms, env: { METRICS_TOKEN: token } });
    try {
      const refused = await guarded.get('/metrics');
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal((await guarded.get('/metrics', 'not-the-token-but-long-enough-to-look-real')).status, 401);
      const read = await guarded.get('/metrics', token);
      assert.equal(read.status, 200);
      assert.match(await read.text(), /usher_http_request_duration_seconds/);
    } finally {
      await guarded.stop();
    }
  });

  test('request metrics are labelled by route template: made-up paths and ids never mint new series', async () => {
    const marker = `probe${Date.now()}`;
    await films.get(`/${marker}/a`);
    await films.get(`/api/v1/films/${marker}`);
    await films.get(`/api/v1/film/${ids.comedyNight}/`);
    await films.get(`/api/v1/persons/${ids.anna}/films`);
    const metrics = await (await films.get('/metrics')).text();
    assert.doesNotMatch(metrics, new RegExp(marker));
    assert.doesNotMatch(metrics, new RegExp(ids.comedyNight));
    const count = (route: string, status: number) =>
      new RegExp(
        `usher_http_request_duration_seconds_count\\{service="films",route="${route}",status="${status}"\\} [1-9]`,
      );
    assert.match(metrics, count('unmatched', 404));
    assert.match(metrics, count('/api/v1/films/\\{film_id\\}', 422));
    assert.match(metrics, count('/api/v1/films/\\{film_id\\}', 200));
    assert.match(metrics, count('/api/v1/persons/\\{person_id\\}/films', 200));
  });

  test('the OpenAPI document and the routes match both ways; /docs lists every path', async () => {
    // Every API operation the app serves is documented, and every documented one is served.
    const servedOperations = films.built.operations
      .filter((operation) => operation.path.startsWith('/api/'))
      .map((operation) => `${operation.method} ${operation.path}`)
      .sort();
    const documentedOperations = Object.entries(openApiDocument.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`))
      .sort();
    assert.deepEqual(servedOperations, documentedOperations);
    // User content has its own routes-versus-document check (user-content.test.ts).
    const userContent = new Set<string>(userContentOperations.map(([, path]) => path));
    const documented = Object.keys(openApiDocument.paths)
      .filter((path) => !userContent.has(path))
      .sort();
    assert.deepEqual(documented, [...cataloguePaths].sort());
    const served = await json<{ openapi: string; paths: Record<string, unknown> }>(await films.get('/openapi.json'));
    assert.equal(served.openapi, '3.1.0');
    assert.deepEqual(Object.keys(served.paths).sort(), Object.keys(openApiDocument.paths).sort());
    const sample: Record<string, string> = { film_id: ids.comedyNight, genre_id: ids.drama, person_id: ids.anna };
    for (const path of documented) {
      const concrete = path.replace(/\{(\w+)\}/g, (_, name: string) => sample[name]!);
      const query = concrete.startsWith('/api/v1/persons') ? 'anna' : 'drama';
      const response = await films.get(concrete.endsWith('/search') ? `${concrete}?query=${query}` : concrete);
      assert.equal(response.status, 200, `${path} answers`);
      for (const method of Object.keys(served.paths[path] as object)) assert.equal(method, 'get');
    }
    const docs = await films.get('/docs');
    assert.match(docs.headers.get('content-type')!, /^text\/html/);
    const page = await docs.text();
    for (const path of documented) assert.ok(page.includes(`<code>${path}</code>`), path);
    assert.doesNotMatch(page, /https?:\/\/(?!localhost)[^"]*\.(js|css)/);
  });
});
