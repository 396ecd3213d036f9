import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createTestStores,
  machineToken,
  type ProviderProcess,
  registerMachineClient,
  startProviderProcess,
  type TestStores,
} from '@usher/test-support';
import { openApiDocument } from '../src/http/api-docs.ts';
import { cataloguePaths, userContentOperations } from './films-operations.ts';
import { fixtureFilms, ids, short } from './fixture-catalogue.ts';
import { json, startFilms, type RunningFilms } from './films-harness.ts';

const resource = 'http://films.ugc.test';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { loc: string[]; msg: string }[];
}

interface Paged<T> {
  items: T[];
  total: number;
  page: number;
  size: number;
  pages: number;
}

interface Review {
  id: string;
  film_id: string;
  user_id: string;
  text: string;
  created: string;
  updated: string;
  likes: number;
  dislikes: number;
}

interface Progress {
  film: { uuid: string; title: string; imdb_rating: number | null };
  position: number;
  duration: number | null;
  finished: boolean;
  updated: string;
}

const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('films user-generated content (CONTRACTS 3.4) with real tokens from a real provider', () => {
  let stores: TestStores;
  let filmStores: TestStores;
  let provider: ProviderProcess;
  let films: RunningFilms;
  /** pro_read: may open every film. */
  let alice: string;
  /** No permission: films rated above 7.0 are hidden from him. */
  let bob: string;
  /** ugc_moderate, no subscription. */
  let moderator: string;
  /** all_all. */
  let admin: string;

  before(async () => {
    stores = await createTestStores();
    provider = await startProviderProcess(stores);
    const created = provider.cli('permissions', 'create', 'ugc_moderate', '--resource', resource);
    const aliceSecret = registerMachineClient(provider, resource, 'ugc-alice', ['pro_read']);
    const bobSecret = registerMachineClient(provider, resource, 'ugc-bob', []);
    assert.equal(created.status, 0, created.stderr);
    const moderatorSecret = registerMachineClient(provider, resource, 'ugc-moderator', ['ugc_moderate']);
    const adminSecret = registerMachineClient(provider, resource, 'ugc-admin', ['all_all']);
    [alice, bob, moderator, admin] = await Promise.all([
      machineToken(provider, 'ugc-alice', aliceSecret, resource),
      machineToken(provider, 'ugc-bob', bobSecret, resource),
      machineToken(provider, 'ugc-moderator', moderatorSecret, resource),
      machineToken(provider, 'ugc-admin', adminSecret, resource),
    ]);
    filmStores = await createTestStores();
    films = await startFilms(filmStores, { issuer: provider.url, resource, films: fixtureFilms });
  });

  after(async () => {
    await films?.stop();
    await provider?.kill();
    await stores?.dispose();
    await filmStores?.dispose();
  });

  const call = (method: string, pathname: string, token?: string, body?: unknown) =>
    fetch(films.url + pathname, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  /** The answer's JSON after checking its status. */
  const expect = async <T = unknown>(response: Promise<Response>, status: number): Promise<T> => {
    const answer = await response;
    const text = await answer.text();
    assert.equal(answer.status, status, `${answer.url}: ${answer.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  const problem = async (response: Promise<Response>, status: number, detail: string) => {
    const answer = await response;
    assert.equal(answer.status, status, answer.url);
    assert.match(answer.headers.get('content-type')!, /^application\/problem\+json/);
    const body = await json<Problem>(answer);
    assert.equal(body.status, status);
    assert.equal(body.detail, detail);
    return { body, headers: answer.headers };
  };

  const forbidden = async (response: Promise<Response>) => {
    const { headers } = await problem(response, 403, 'Not enough permissions');
    assert.equal(headers.get('www-authenticate'), 'Bearer error="insufficient_scope"');
  };

  const invalid = async (response: Promise<Response>, loc: string[][]) => {
    const { body } = await problem(response, 422, 'Request parameters are invalid');
    assert.deepEqual(
      body.errors!.map((error) => error.loc),
      loc,
    );
    for (const error of body.errors!) assert.ok(error.msg.length > 0);
    return body.errors!;
  };

  const concrete = (path: string) => path.replace('{film_id}', ids.comedyNight).replace('{id}', ids.unknown);

  test('every endpoint needs a signed-in user: no token is 401 invalid_token in problem+json', async () => {
    for (const [method, path] of userContentOperations) {
      const response = call(method.toUpperCase(), concrete(path), undefined, method === 'get' ? undefined : {});
      const { body, headers } = await problem(response, 401, 'A bearer token is required');
      assert.match(headers.get('www-authenticate')!, /^Bearer error="invalid_token"/, `${method} ${path}`);
      assert.equal(body.type, 'https://usher.dev/problems/invalid-token');
    }
    // A bad token stays the kit's 401, never anonymous.
    const bad = await call('GET', '/api/v1/bookmarks', `${alice}x`);
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate')!, /^Bearer error="invalid_token"/);
  });

  test('bookmarks: add once (201, then 200 with the same one), newest first in pages, remove one or all', async () => {
    const first = await expect<{ id: string; film: unknown; created: string }>(
      call('POST', '/api/v1/bookmarks', alice, { film_id: ids.starWars }),
      201,
    );
    assert.match(first.id, uuidShape);
    assert.deepEqual(first.film, short(ids.starWars));
    assert.match(first.created, isoTime);
    assert.deepEqual(
      await expect(call('POST', '/api/v1/bookmarks/', alice, { film_id: ids.starWars.toUpperCase() }), 200),
      first,
    );
    await expect(call('POST', '/api/v1/bookmarks', alice, { film_id: ids.zebra }), 201);
    await expect(call('POST', '/api/v1/bookmarks', alice, { film_id: ids.quietDrama }), 201);

    const page = await expect<Paged<{ film: { uuid: string } }>>(call('GET', '/api/v1/bookmarks', alice), 200);
    assert.deepEqual(
      page.items.map((item) => item.film.uuid),
      [ids.quietDrama, ids.zebra, ids.starWars],
    );
    assert.deepEqual({ ...page, items: [] }, { items: [], total: 3, page: 0, size: 10, pages: 1 });
    const second = await expect<Paged<{ film: { uuid: string } }>>(
      call('GET', '/api/v1/bookmarks?page[size]=2&page[number]=1', alice),
      200,
    );
    assert.deepEqual(
      second.items.map((item) => item.film.uuid),
      [ids.starWars],
    );
    assert.deepEqual({ ...second, items: [] }, { items: [], total: 3, page: 1, size: 2, pages: 2 });
    assert.deepEqual(await expect(call('GET', '/api/v1/bookmarks?page[size]=2&page[number]=7', alice), 200), {
      items: [],
      total: 3,
      page: 7,
      size: 2,
      pages: 2,
    });
    // A page number far past any offset the database could take is still just an empty page.
    const far = await expect<Paged<unknown>>(
      call('GET', '/api/v1/bookmarks?page[number]=99999999999999999999', alice),
      200,
    );
    assert.deepEqual(far.items, []);

    // Someone else's bookmarks are neither listed nor removable.
    assert.deepEqual(await expect(call('GET', '/api/v1/bookmarks', bob), 200), {
      items: [],
      total: 0,
      page: 0,
      size: 10,
      pages: 0,
    });
    await problem(call('DELETE', `/api/v1/bookmarks/${ids.quietDrama}`, bob), 404, 'bookmark not found');

    await expect(call('DELETE', `/api/v1/bookmarks/${ids.zebra}`, alice), 204);
    await problem(call('DELETE', `/api/v1/bookmarks/${ids.zebra}`, alice), 404, 'bookmark not found');
    await problem(call('DELETE', `/api/v1/bookmarks/${ids.unknown}`, alice), 404, 'film not found');
    await invalid(call('DELETE', '/api/v1/bookmarks/nope', alice), [['path', 'film_id']]);
    assert.equal((await expect<Paged<unknown>>(call('GET', '/api/v1/bookmarks', alice), 200)).total, 2);

    await expect(call('POST', '/api/v1/bookmarks', bob, { film_id: ids.comedyNight }), 201);
    await expect(call('DELETE', '/api/v1/bookmarks', alice), 204);
    assert.equal((await expect<Paged<unknown>>(call('GET', '/api/v1/bookmarks', alice), 200)).total, 0);
    assert.equal((await expect<Paged<unknown>>(call('GET', '/api/v1/bookmarks', bob), 200)).total, 1);
    await expect(call('DELETE', '/api/v1/bookmarks', bob), 204);
  });

  test('bookmarks: 422 for a malformed body, 404 for an unknown film, 403 for a film the rule hides', async () => {
    const missing = await invalid(call('POST', '/api/v1/bookmarks', alice, {}), [['body', 'film_id']]);
    assert.equal(missing[0]!.msg, 'field required');
    await invalid(call('POST', '/api/v1/bookmarks', alice, { film_id: 'nope' }), [['body', 'film_id']]);
    await invalid(call('POST', '/api/v1/bookmarks', alice, { film_id: 42 }), [['body', 'film_id']]);
    await invalid(call('POST', '/api/v1/bookmarks', alice, [ids.zebra]), [['body', 'film_id']]);
    // No JSON content type: no body at all.
    await invalid(call('POST', '/api/v1/bookmarks', alice), [['body', 'film_id']]);
    const malformed = await call('POST', '/api/v1/bookmarks', alice, '{"film_id":');
    assert.equal(malformed.status, 400);
    assert.match(malformed.headers.get('content-type')!, /^application\/problem\+json/);

    await problem(call('POST', '/api/v1/bookmarks', alice, { film_id: ids.unknown }), 404, 'film not found');
    await forbidden(call('POST', '/api/v1/bookmarks', bob, { film_id: ids.starWars }));
    await forbidden(call('POST', '/api/v1/bookmarks', bob, { film_id: ids.appleTree }));
    // 7.0 itself and unrated films are open to everyone.
    await expect(call('POST', '/api/v1/bookmarks', bob, { film_id: ids.comedyNight }), 201);
    await expect(call('POST', '/api/v1/bookmarks', bob, { film_id: ids.quietDrama }), 201);
    await expect(call('DELETE', '/api/v1/bookmarks', bob), 204);
  });

  test('film likes: one per user and film (a new one replaces), counts, the own list, removal', async () => {
    const like = await expect<{ film_id: string; like_type: number; created: string }>(
      call('PUT', `/api/v1/films/${ids.starWars}/like`, alice, { like_type: 0 }),
      200,
    );
    assert.equal(like.film_id, ids.starWars);
    assert.equal(like.like_type, 0);
    assert.match(like.created, isoTime);
    await expect(call('PUT', `/api/v1/films/${ids.comedyNight}/like`, bob, { like_type: 0 }), 200);
    await expect(call('PUT', `/api/v1/films/${ids.comedyNight}/like`, alice, { like_type: 0 }), 200);
    assert.deepEqual(await expect(call('GET', `/api/v1/films/${ids.comedyNight}/likes`, bob), 200), {
      film_id: ids.comedyNight,
      likes: 2,
      dislikes: 0,
    });
    // The singular alias, and a dislike replacing the like.
    const dislike = await expect<{ like_type: number }>(
      call('PUT', `/api/v1/film/${ids.comedyNight}/like/`, alice, { like_type: 1 }),
      200,
    );
    assert.equal(dislike.like_type, 1);
    assert.deepEqual(await expect(call('GET', `/api/v1/film/${ids.comedyNight}/likes`, alice), 200), {
      film_id: ids.comedyNight,
      likes: 1,
      dislikes: 1,
    });
    assert.deepEqual(await expect(call('GET', `/api/v1/films/${ids.zebra}/likes`, alice), 200), {
      film_id: ids.zebra,
      likes: 0,
      dislikes: 0,
    });

    const own = await expect<Paged<{ film_id: string; like_type: number }>>(
      call('GET', '/api/v1/film-likes', alice),
      200,
    );
    assert.deepEqual(
      own.items.map(({ film_id, like_type }) => ({ film_id, like_type })),
      [
        { film_id: ids.comedyNight, like_type: 1 },
        { film_id: ids.starWars, like_type: 0 },
      ],
    );
    assert.deepEqual({ ...own, items: [] }, { items: [], total: 2, page: 0, size: 10, pages: 1 });
    const bobs = await expect<Paged<{ film_id: string }>>(call('GET', '/api/v1/film-likes?page[size]=1', bob), 200);
    assert.deepEqual(
      bobs.items.map((item) => item.film_id),
      [ids.comedyNight],
    );

    await expect(call('DELETE', `/api/v1/films/${ids.comedyNight}/like`, alice), 204);
    await problem(call('DELETE', `/api/v1/films/${ids.comedyNight}/like`, alice), 404, 'like not found');
    await problem(call('DELETE', `/api/v1/films/${ids.starWars}/like`, bob), 404, 'like not found');
    await problem(call('DELETE', `/api/v1/films/${ids.unknown}/like`, alice), 404, 'film not found');
    assert.deepEqual(await expect(call('GET', `/api/v1/films/${ids.comedyNight}/likes`, alice), 200), {
      film_id: ids.comedyNight,
      likes: 1,
      dislikes: 0,
    });
    await expect(call('DELETE', `/api/v1/films/${ids.comedyNight}/like`, bob), 204);
    await expect(call('DELETE', `/api/v1/films/${ids.starWars}/like`, alice), 204);
  });

  test('film likes: 422 before 404 before 403', async () => {
    await invalid(call('PUT', `/api/v1/films/${ids.starWars}/like`, bob, { like_type: 2 }), [['body', 'like_type']]);
    await invalid(call('PUT', `/api/v1/films/${ids.starWars}/like`, bob, { like_type: '0' }), [['body', 'like_type']]);
    await invalid(call('PUT', '/api/v1/films/nope/like', bob, {}), [
      ['path', 'film_id'],
      ['body', 'like_type'],
    ]);
    await invalid(call('GET', '/api/v1/films/nope/likes', bob), [['path', 'film_id']]);
    await problem(call('PUT', `/api/v1/films/${ids.unknown}/like`, bob, { like_type: 0 }), 404, 'film not found');
    await problem(call('GET', `/api/v1/films/${ids.unknown}/likes`, bob), 404, 'film not found');
    await forbidden(call('PUT', `/api/v1/films/${ids.starWars}/like`, bob, { like_type: 0 }));
    await forbidden(call('GET', `/api/v1/films/${ids.starWars}/likes`, bob));
    await invalid(call('GET', '/api/v1/film-likes?page[size]=101', bob), [['query', 'page[size]']]);
  });

  test('reviews: create, read (one, per film, own), edit by the author only, review likes', async () => {
    const review = await expect<Review>(
      call('POST', '/api/v1/reviews', alice, { film_id: ids.comedyNight, text: 'Funny enough' }),
      201,
    );
    assert.match(review.id, uuidShape);
    assert.deepEqual(
      { ...review, id: '', created: '', updated: '' },
      {
        id: '',
        film_id: ids.comedyNight,
        user_id: 'ugc-alice',
        text: 'Funny enough',
        created: '',
        updated: '',
        likes: 0,
        dislikes: 0,
      },
    );
    assert.match(review.created, isoTime);
    const bobsReview = await expect<Review>(
      call('POST', '/api/v1/reviews', bob, { film_id: ids.comedyNight, text: 'Not for me' }),
      201,
    );
    const hiddenReview = await expect<Review>(
      call('POST', '/api/v1/reviews', alice, { film_id: ids.starWars, text: 'A classic' }),
      201,
    );

    // Reviews are public to every signed-in user who may open the film.
    assert.deepEqual(await expect(call('GET', `/api/v1/reviews/${review.id}`, bob), 200), review);
    const ofFilm = await expect<Paged<Review>>(call('GET', `/api/v1/reviews/film/${ids.comedyNight}`, bob), 200);
    assert.deepEqual(
      ofFilm.items.map((item) => item.id),
      [bobsReview.id, review.id],
    );
    assert.deepEqual({ ...ofFilm, items: [] }, { items: [], total: 2, page: 0, size: 10, pages: 1 });
    const own = await expect<Paged<Review>>(call('GET', '/api/v1/reviews', alice), 200);
    assert.deepEqual(
      own.items.map((item) => item.id),
      [hiddenReview.id, review.id],
    );
    assert.deepEqual(
      (await expect<Paged<Review>>(call('GET', '/api/v1/reviews?page[size]=1&page[number]=1', alice), 200)).items,
      [review],
    );
    await forbidden(call('GET', `/api/v1/reviews/film/${ids.starWars}`, bob));
    await forbidden(call('GET', `/api/v1/reviews/${hiddenReview.id}`, bob));
    assert.equal(
      (await expect<Review>(call('GET', `/api/v1/reviews/${hiddenReview.id}`, alice), 200)).text,
      'A classic',
    );
    await problem(call('GET', `/api/v1/reviews/film/${ids.unknown}`, bob), 404, 'film not found');
    await problem(call('GET', `/api/v1/reviews/${ids.unknown}`, bob), 404, 'review not found');

    // Only the author edits; someone else's review answers like an unknown one.
    const edited = await expect<Review>(
      call('PUT', `/api/v1/reviews/${review.id}`, alice, { text: 'Very funny' }),
      200,
    );
    assert.equal(edited.text, 'Very funny');
    assert.equal(edited.created, review.created);
    assert.ok(edited.updated >= review.updated);
    await problem(call('PUT', `/api/v1/reviews/${review.id}`, bob, { text: 'Hijacked' }), 404, 'review not found');
    await problem(call('PUT', `/api/v1/reviews/${review.id}`, admin, { text: 'Hijacked' }), 404, 'review not found');
    await problem(call('PUT', `/api/v1/reviews/${ids.unknown}`, alice, { text: 'Nothing' }), 404, 'review not found');
    assert.equal((await expect<Review>(call('GET', `/api/v1/reviews/${review.id}`, alice), 200)).text, 'Very funny');

    // Review likes: one per user and review, counted on the review.
    const liked = await expect<Review>(call('POST', `/api/v1/reviews/${review.id}/likes`, bob, { like_type: 0 }), 200);
    assert.deepEqual([liked.likes, liked.dislikes], [1, 0]);
    const disliked = await expect<Review>(
      call('POST', `/api/v1/reviews/${review.id}/likes`, alice, { like_type: 1 }),
      200,
    );
    assert.deepEqual([disliked.likes, disliked.dislikes], [1, 1]);
    const changed = await expect<Review>(
      call('POST', `/api/v1/reviews/${review.id}/likes`, bob, { like_type: 1 }),
      200,
    );
    assert.deepEqual([changed.likes, changed.dislikes], [0, 2]);
    await expect(call('DELETE', `/api/v1/reviews/${review.id}/likes`, bob), 204);
    await problem(call('DELETE', `/api/v1/reviews/${review.id}/likes`, bob), 404, 'like not found');
    await problem(call('DELETE', `/api/v1/reviews/${ids.unknown}/likes`, bob), 404, 'review not found');
    await problem(call('POST', `/api/v1/reviews/${ids.unknown}/likes`, bob, { like_type: 0 }), 404, 'review not found');
    await forbidden(call('POST', `/api/v1/reviews/${hiddenReview.id}/likes`, bob, { like_type: 0 }));
    const counted = await expect<Review>(call('GET', `/api/v1/reviews/${review.id}`, bob), 200);
    assert.deepEqual([counted.likes, counted.dislikes], [0, 1]);
  });

  test('reviews: deleted by the author or a holder of ugc_moderate or all_all; anyone else 403', async () => {
    const write = async (token: string, text: string) =>
      (await expect<Review>(call('POST', '/api/v1/reviews', token, { film_id: ids.runningMan, text }), 201)).id;
    const first = await write(alice, 'First');
    const second = await write(alice, 'Second');
    const third = await write(bob, 'Third');
    await expect(call('POST', `/api/v1/reviews/${first}/likes`, bob, { like_type: 0 }), 200);

    await forbidden(call('DELETE', `/api/v1/reviews/${first}`, bob));
    await expect(call('DELETE', `/api/v1/reviews/${first}`, moderator), 204);
    await problem(call('GET', `/api/v1/reviews/${first}`, alice), 404, 'review not found');
    await problem(call('DELETE', `/api/v1/reviews/${first}`, moderator), 404, 'review not found');
    await expect(call('DELETE', `/api/v1/reviews/${second}`, admin), 204);
    await expect(call('DELETE', `/api/v1/reviews/${third}`, bob), 204);
    assert.equal(
      (await expect<Paged<Review>>(call('GET', `/api/v1/reviews/film/${ids.runningMan}`, alice), 200)).total,
      0,
    );
    await invalid(call('DELETE', '/api/v1/reviews/nope', moderator), [['path', 'id']]);
  });

  test('reviews: 422 for a malformed body, id or page, before 404 and 403', async () => {
    const post = (body: unknown, token = alice) => call('POST', '/api/v1/reviews', token, body);
    const fields = await invalid(post({}), [
      ['body', 'film_id'],
      ['body', 'text'],
    ]);
    assert.deepEqual(
      fields.map((field) => field.msg),
      ['field required', 'field required'],
    );
    await invalid(post({ film_id: ids.comedyNight, text: '' }), [['body', 'text']]);
    await invalid(post({ film_id: ids.comedyNight, text: '   ' }), [['body', 'text']]);
    await invalid(post({ film_id: ids.comedyNight, text: 'x'.repeat(5001) }), [['body', 'text']]);
    await invalid(post({ film_id: ids.comedyNight, text: 5 }), [['body', 'text']]);
    await invalid(post({ film_id: ids.comedyNight, text: 'nul \u0000 inside' }), [['body', 'text']]);
    // 5000 characters, counted as characters (not UTF-16 units).
    const long = await expect<Review>(post({ film_id: ids.comedyNight, text: '🎬'.repeat(5000) }), 201);
    await expect(call('DELETE', `/api/v1/reviews/${long.id}`, alice), 204);
    await invalid(post({ film_id: ids.unknown, text: '' }, bob), [['body', 'text']]);
    await invalid(post({ film_id: ids.starWars, text: '' }, bob), [['body', 'text']]);
    await problem(post({ film_id: ids.unknown, text: 'Hello' }, bob), 404, 'film not found');
    await forbidden(post({ film_id: ids.starWars, text: 'Hello' }, bob));
    await invalid(call('PUT', '/api/v1/reviews/nope', alice, { text: '' }), [
      ['path', 'id'],
      ['body', 'text'],
    ]);
    await invalid(call('POST', `/api/v1/reviews/${ids.unknown}/likes`, alice, { like_type: -1 }), [
      ['body', 'like_type'],
    ]);
    await invalid(call('GET', '/api/v1/reviews/film/nope?page[number]=-1', alice), [
      ['path', 'film_id'],
      ['query', 'page[number]'],
    ]);
    await invalid(call('GET', '/api/v1/reviews?page[size]=0', alice), [['query', 'page[size]']]);
    await invalid(call('GET', '/api/v1/reviews?page[size]=', alice), [['query', 'page[size]']]);
    await invalid(call('GET', '/api/v1/reviews?page[number]=x&page[size]=1.5', alice), [
      ['query', 'page[number]'],
      ['query', 'page[size]'],
    ]);
  });

  test('progress: finished at 95% or when said, the unfinished list, the history appended and cleared', async () => {
    const report = (film: string, body: unknown, token = alice) =>
      call('PUT', `/api/v1/films/${film}/progress`, token, body);
    const started = await expect<Progress>(report(ids.starWars, { position: 100, duration: 1000 }), 200);
    assert.deepEqual(
      { ...started, updated: '' },
      { film: short(ids.starWars), position: 100, duration: 1000, finished: false, updated: '' },
    );
    assert.match(started.updated, isoTime);
    assert.equal(
      (await expect<Progress>(report(ids.starWars, { position: 949, duration: 1000 }), 200)).finished,
      false,
    );
    await expect(report(ids.quietDrama, { position: 10 }), 200);
    await expect(report(ids.zebra, { position: 5, duration: 7200 }), 200);
    // The unfinished list: most recently watched first.
    const unfinished = async () =>
      (await expect<Paged<Progress>>(call('GET', '/api/v1/progress/unfinished', alice), 200)).items.map(
        (item) => item.film.uuid,
      );
    assert.deepEqual(await unfinished(), [ids.zebra, ids.quietDrama, ids.starWars]);
    await expect(report(ids.starWars, { position: 500, duration: 1000 }), 200);
    assert.deepEqual(await unfinished(), [ids.starWars, ids.zebra, ids.quietDrama]);

    // 95% of the duration (included) finishes the film; so does `finished: true`.
    const done = await expect<Progress>(report(ids.starWars, { position: 950, duration: 1000 }), 200);
    assert.equal(done.finished, true);
    assert.equal(
      (await expect<Progress>(report(ids.quietDrama, { position: 20, finished: true }), 200)).finished,
      true,
    );
    assert.equal(
      (await expect<Progress>(report(ids.appleTree, { position: 1000, duration: 1000, finished: false }), 200))
        .finished,
      true,
    );
    assert.deepEqual(await unfinished(), [ids.zebra]);
    const page = await expect<Paged<Progress>>(call('GET', '/api/v1/progress/unfinished?page[size]=1', alice), 200);
    assert.deepEqual({ ...page, items: [] }, { items: [], total: 1, page: 0, size: 1, pages: 1 });
    assert.deepEqual(page.items[0], await expect(call('GET', `/api/v1/films/${ids.zebra}/progress`, alice), 200));
    assert.deepEqual(await expect(call('GET', `/api/v1/film/${ids.starWars}/progress/`, alice), 200), done);
    // Without a duration, the duration is unknown and the position alone decides nothing.
    const unknownLength = await expect<Progress>(report(ids.runningMan, { position: 123456 }), 200);
    assert.deepEqual([unknownLength.duration, unknownLength.finished], [null, false]);

    // Every report is appended to the history, newest first.
    const history = await expect<Paged<{ film: { uuid: string }; position: number; watched_at: string }>>(
      call('GET', '/api/v1/history?page[size]=3', alice),
      200,
    );
    assert.deepEqual(
      history.items.map((item) => [item.film.uuid, item.position]),
      [
        [ids.runningMan, 123456],
        [ids.appleTree, 1000],
        [ids.quietDrama, 20],
      ],
    );
    assert.deepEqual(history.items[0]!.film, short(ids.runningMan));
    assert.match(history.items[0]!.watched_at, isoTime);
    assert.deepEqual({ ...history, items: [] }, { items: [], total: 9, page: 0, size: 3, pages: 3 });
    const last = await expect<Paged<{ position: number }>>(
      call('GET', '/api/v1/history?page[size]=3&page[number]=2', alice),
      200,
    );
    assert.deepEqual(
      last.items.map((item) => item.position),
      [10, 949, 100],
    );

    // Another user sees none of it.
    await problem(call('GET', `/api/v1/films/${ids.quietDrama}/progress`, moderator), 404, 'progress not found');
    assert.equal((await expect<Paged<unknown>>(call('GET', '/api/v1/history', bob), 200)).total, 0);
    assert.equal((await expect<Paged<unknown>>(call('GET', '/api/v1/progress/unfinished', bob), 200)).total, 0);

    await expect(report(ids.comedyNight, { position: 1 }, bob), 200);
    await expect(call('DELETE', '/api/v1/history', alice), 204);
    assert.deepEqual(await expect(call('GET', '/api/v1/history', alice), 200), {
      items: [],
      total: 0,
      page: 0,
      size: 10,
      pages: 0,
    });
    // Clearing the history keeps progress, and keeps other users' history.
    assert.equal((await expect<Progress>(call('GET', `/api/v1/films/${ids.zebra}/progress`, alice), 200)).position, 5);
    assert.equal((await expect<Paged<unknown>>(call('GET', '/api/v1/history', bob), 200)).total, 1);
  });

  test('progress: 422 for malformed seconds, 404 for an unknown film or no progress, 403 for a hidden film', async () => {
    const report = (film: string, body: unknown, token = bob) =>
      call('PUT', `/api/v1/films/${film}/progress`, token, body);
    await invalid(report(ids.comedyNight, {}), [['body', 'position']]);
    await invalid(report(ids.comedyNight, { position: -1 }), [['body', 'position']]);
    await invalid(report(ids.comedyNight, { position: 1.5 }), [['body', 'position']]);
    await invalid(report(ids.comedyNight, { position: '10' }), [['body', 'position']]);
    await invalid(report(ids.comedyNight, { position: 2 ** 31 }), [['body', 'position']]);
    await expect(report(ids.comedyNight, { position: 2 ** 31 - 1 }), 200);
    await invalid(report(ids.comedyNight, { position: 10, duration: -5 }), [['body', 'duration']]);
    await invalid(report(ids.comedyNight, { position: 10, duration: 2 ** 31 }), [['body', 'duration']]);
    await invalid(report(ids.comedyNight, { position: 10, finished: 'yes' }), [['body', 'finished']]);
    const over = await invalid(report(ids.comedyNight, { position: 11, duration: 10 }), [['body', 'position']]);
    assert.match(over[0]!.msg, /duration/);
    await invalid(report('nope', { position: -1 }), [
      ['path', 'film_id'],
      ['body', 'position'],
    ]);
    await invalid(report(ids.starWars, { position: -1 }), [['body', 'position']]);
    await problem(report(ids.unknown, { position: 1 }), 404, 'film not found');
    await forbidden(report(ids.starWars, { position: 1 }));
    await forbidden(call('GET', `/api/v1/films/${ids.starWars}/progress`, bob));
    await problem(call('GET', `/api/v1/films/${ids.unknown}/progress`, bob), 404, 'film not found');
    await problem(call('GET', `/api/v1/films/${ids.anotherStar}/progress`, bob), 404, 'progress not found');
    await invalid(call('GET', '/api/v1/films/nope/progress', bob), [['path', 'film_id']]);
    await invalid(call('GET', '/api/v1/history?page[size]=101', bob), [['query', 'page[size]']]);
    await invalid(call('GET', '/api/v1/progress/unfinished?page[number]=-1', bob), [['query', 'page[number]']]);
    // Refused reports left nothing behind: the history holds the accepted ones only.
    const history = await expect<Paged<{ position: number }>>(call('GET', '/api/v1/history', bob), 200);
    assert.deepEqual(
      history.items.map((item) => item.position),
      [2 ** 31 - 1, 1],
    );
  });

  test('user content is never cached and says so', async () => {
    await expect(call('POST', '/api/v1/bookmarks', alice, { film_id: ids.anotherStar }), 201);
    for (let round = 0; round < 2; round += 1) {
      const response = await call('GET', '/api/v1/bookmarks', alice);
      assert.equal(response.headers.get('x-cache'), null);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal((await json<Paged<unknown>>(response)).total, 1 - round);
      if (round === 0) await expect(call('DELETE', `/api/v1/bookmarks/${ids.anotherStar}`, alice), 204);
    }
  });

  test('the OpenAPI document lists exactly the user-content operations the router serves', async () => {
    const documented = Object.entries(openApiDocument.paths)
      .filter(([path]) => !(cataloguePaths as readonly string[]).includes(path))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`))
      .sort();
    assert.deepEqual(documented, userContentOperations.map(([method, path]) => `${method} ${path}`).sort());
    // Every documented operation is routed: with no token each answers the user-content 401, not 404.
    for (const [method, path] of userContentOperations) {
      const response = await call(method.toUpperCase(), concrete(path));
      assert.equal(response.status, 401, `${method} ${path}`);
    }
    const page = await (await films.get('/docs')).text();
    for (const [, path] of userContentOperations) assert.ok(page.includes(`<code>${path}</code>`), path);
  });

  test('provider hung: a token served as degraded anonymous is 401, a token with a cached key keeps working', async () => {
    provider.hang();
    // Past the key refresh cooldown, an unseen kid makes the kit ask the provider, which cannot answer.
    await new Promise((resolve) => setTimeout(resolve, 150));
    try {
      const [, payload, signature] = alice.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'never-published' })).toString(
        'base64url',
      );
      const degraded = call('GET', '/api/v1/bookmarks', [header, payload, signature].join('.'));
      const { headers } = await problem(degraded, 401, 'The token cannot be verified now: the provider is unreachable');
      assert.equal(headers.get('x-auth-degraded'), '1');
      assert.match(headers.get('www-authenticate')!, /^Bearer error="invalid_token"/);
      await expect(call('GET', '/api/v1/bookmarks', alice), 200);
    } finally {
      provider.resume();
    }
  });
});
