import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@usher/platform';
import { createTestStores, storeMode, type TestStores } from '@usher/test-support';
import { demoCatalogue, demoFilmCount } from '../src/seed/demo-catalogue.ts';
import { seedIfEmpty } from '../src/seed/seed-catalogue.ts';
import { fixtureFilms, genres, ids, persons } from './fixture-catalogue.ts';
import { json, startFilms, tempFile, type RunningFilms } from './films-harness.ts';

const fingerprint = (films: Iterable<unknown>) => {
  const hash = createHash('sha256');
  for (const film of films) hash.update(JSON.stringify(film));
  return hash.digest('hex');
};

describe('seed, import CLI and cache invalidation', () => {
  let stores: TestStores;
  let films: RunningFilms;

  before(async () => {
    stores = await createTestStores();
    films = await startFilms(stores);
  });

  after(async () => {
    await films?.stop();
    await stores?.dispose();
  });

  const titles = async (pathname: string) =>
    (await json<{ title: string }[]>(await films.get(pathname))).map((film) => film.title);

  /** Polls until `check` holds: an import reaches a server at once with Redis, within 1 s without. */
  const eventually = async (check: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + (storeMode === 'real' ? 500 : 3000);
    for (;;) {
      if (await check()) return;
      if (Date.now() > deadline) assert.fail(`${what} did not happen in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  test('the demo catalogue is deterministic and holds at least 5,000 films with genres and persons', () => {
    const first = [...demoCatalogue()];
    assert.ok(first.length >= 5000);
    assert.equal(first.length, demoFilmCount);
    assert.equal(fingerprint(first), fingerprint(demoCatalogue()));
    assert.ok(first.every((film) => film.genre.length > 0 && film.actors.length > 0 && film.directors.length > 0));
    assert.ok(first.some((film) => film.imdb_rating === null));
  });

  test('the seed loads on an empty catalogue only, in a few seconds', async () => {
    const started = Date.now();
    const logger = createLogger({ service: 'films', level: 'silent' });
    assert.equal(await seedIfEmpty(films.db.knex, logger), demoFilmCount);
    assert.ok(Date.now() - started < 30_000, `seeding took ${Date.now() - started} ms`);
    assert.equal(await films.built.catalogue.countFilms(), demoFilmCount);
    assert.equal(await seedIfEmpty(films.db.knex, logger), 0);
    const page = await json<unknown[]>(await films.get('/api/v1/films?page[size]=10000'));
    assert.ok(page.length > 1000);
    assert.equal((await films.get('/api/v1/genres')).status, 200);
  });

  test('import --replace of a JSON array swaps the catalogue and invalidates the cache at once', async () => {
    await films.get('/api/v1/films');
    assert.equal((await films.get('/api/v1/films')).headers.get('x-cache'), 'HIT');
    const file = await tempFile('films.json', JSON.stringify(fixtureFilms, null, 2));
    const result = await films.cli('import', file, '--replace');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Imported 7 films \(catalogue replaced\); 0 rows rejected\./);
    await eventually(
      async () => (await titles('/api/v1/films')).join('|') === 'Comedy Night|Another Star|The Running Man|Quiet Drama',
      'the replaced catalogue',
    );
    assert.deepEqual(await json(await films.get(`/api/v1/genres/${ids.comedy}`)), genres.comedy);
  });

  test('import of JSON Lines adds and updates films, reports bad rows with line and index, keeps good ones', async () => {
    const lines = [
      JSON.stringify({
        uuid: '11111111-0000-4000-8000-000000000001',
        title: 'Brand New Film',
        description: 'Fresh',
        imdb_rating: 5.5,
        genre: [{ uuid: ids.drama, name: 'Drama' }],
        actors: [persons.anna],
        writers: [],
        directors: [],
      }),
      JSON.stringify({ uuid: 'not-a-uuid', title: 'Broken' }),
      '{"uuid": "11111111-0000-4000-8000-000000000002", "title": ',
      '',
      JSON.stringify({ uuid: '11111111-0000-4000-8000-000000000003', title: 'Too Good', imdb_rating: 11 }),
      JSON.stringify({ ...fixtureFilms[1], title: 'The Running Man Returns' }),
    ].join('\n');
    const file = await tempFile('films.jsonl', `${lines}\n`);
    const result = await films.cli('import', file);
    assert.equal(result.status, 1, 'rejected rows make the exit status 1');
    assert.match(result.stdout, /Imported 2 films; 3 rows rejected\./);
    assert.match(result.stderr, /rejected: item 1 \(line 2\): uuid: must be a UUID/);
    assert.match(result.stderr, /rejected: item 2 \(line 3\): not valid JSON/);
    assert.match(result.stderr, /rejected: item 3 \(line 5\): imdb_rating/);
    await eventually(async () => (await titles('/api/v1/films')).includes('Brand New Film'), 'the imported film');
    assert.ok((await titles('/api/v1/films')).includes('The Running Man Returns'));
    // The genre named without a description kept its description.
    assert.deepEqual(await json(await films.get(`/api/v1/genres/${ids.drama}`)), genres.drama);
  });

  test('a row whose text holds a NUL character is rejected alone; the rest of the file is imported', async () => {
    const lines = [
      JSON.stringify({ ...fixtureFilms[0], title: 'Nul\u0000Title' }),
      JSON.stringify({ uuid: '11111111-0000-4000-8000-000000000004', title: 'Clean Film', imdb_rating: 4 }),
    ].join('\n');
    const file = await tempFile('nul.jsonl', `${lines}\n`);
    const result = await films.cli('import', file);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /Imported 1 films; 1 rows rejected\./);
    assert.match(result.stderr, /rejected: item 0 \(line 1\): title: must not contain NUL characters/);
    await eventually(async () => (await titles('/api/v1/films')).includes('Clean Film'), 'the clean film');
  });

  test('a malformed JSON array imports nothing; a bad element is reported with its line', async () => {
    const unclosed = await tempFile('broken.json', `[\n${JSON.stringify(fixtureFilms[0])},\n`);
    const broken = await films.cli('import', unclosed, '--replace');
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /not closed.*nothing was imported/);
    assert.ok((await titles('/api/v1/films')).includes('Brand New Film'), 'the catalogue is untouched');

    const elements = [JSON.stringify({ ...fixtureFilms[2], title: 'Comedy Night II' }), '{"uuid": 5}'];
    const file = await tempFile('some.json', `[\n${elements.join(',\n')}\n]\n`);
    const result = await films.cli('import', file);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /rejected: item 1 \(line 3\): uuid/);
    await eventually(async () => (await titles('/api/v1/films')).includes('Comedy Night II'), 'the updated film');

    const usage = await films.cli('import');
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /Usage: npm run films/);
    const missing = await films.cli('import', '/nonexistent/films.json');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot read/);
  });
});
