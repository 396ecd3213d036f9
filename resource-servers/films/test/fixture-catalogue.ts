import type { FilmRecord } from '../src/data/catalogue-writer.ts';

/**
 * A small catalogue whose every answer can be written out exactly. Ratings straddle the 7.0 limit
 * (7.0 itself is visible, 7.1 is not, null is visible); two films tie at 6.5 with title order and
 * uuid order disagreeing, so the tie-break rule shows.
 */
const film = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const genre = (n: number) => `aaaaaaaa-0000-4000-8000-00000000000${n}`;
const person = (n: number) => `bbbbbbbb-0000-4000-8000-00000000000${n}`;

export const ids = {
  starWars: film(1),
  runningMan: film(2),
  comedyNight: film(3),
  quietDrama: film(4),
  anotherStar: film(5),
  zebra: film(6),
  appleTree: film(7),
  drama: genre(1),
  comedy: genre(2),
  scifi: genre(3),
  anna: person(1),
  boris: person(2),
  clara: person(3),
  david: person(4),
  eve: person(5),
  unknown: '99999999-0000-4000-8000-000000000000',
};

export const genres = {
  drama: { uuid: ids.drama, name: 'Drama', description: 'Serious stories of people' },
  comedy: { uuid: ids.comedy, name: 'Comedy', description: 'Funny films to laugh at' },
  scifi: { uuid: ids.scifi, name: 'Sci-Fi', description: 'Space and time travel' },
};

export const persons = {
  anna: { uuid: ids.anna, full_name: 'Anna Star' },
  boris: { uuid: ids.boris, full_name: 'Boris Runner' },
  clara: { uuid: ids.clara, full_name: 'Clara Writes' },
  david: { uuid: ids.david, full_name: 'David Stars' },
  eve: { uuid: ids.eve, full_name: 'Eve Hidden' },
};

const none = { genre: [], actors: [], writers: [], directors: [] };

export const fixtureFilms: FilmRecord[] = [
  {
    ...none,
    uuid: ids.starWars,
    title: 'Star Wars',
    description: 'A galaxy far away',
    imdb_rating: 8.6,
    genre: [genres.scifi],
    actors: [persons.anna],
    directors: [persons.david],
  },
  {
    ...none,
    uuid: ids.runningMan,
    title: 'The Running Man',
    description: 'A man runs for his life among the stars',
    imdb_rating: 6.5,
    genre: [genres.scifi],
    actors: [persons.boris],
  },
  {
    ...none,
    uuid: ids.comedyNight,
    title: 'Comedy Night',
    description: 'Jokes until dawn',
    imdb_rating: 7.0,
    genre: [genres.comedy],
    writers: [persons.clara],
  },
  {
    ...none,
    uuid: ids.quietDrama,
    title: 'Quiet Drama',
    description: 'Nothing happens',
    imdb_rating: null,
    genre: [genres.drama],
    actors: [persons.anna],
  },
  {
    ...none,
    uuid: ids.anotherStar,
    title: 'Another Star',
    description: 'A quiet evening',
    imdb_rating: 6.5,
    genre: [genres.drama],
    directors: [persons.david],
  },
  {
    ...none,
    uuid: ids.zebra,
    title: 'Zebra Crossing',
    description: 'Runners cross the road',
    imdb_rating: 9.1,
    genre: [genres.comedy],
    actors: [persons.eve, persons.boris],
    writers: [persons.clara],
  },
  {
    ...none,
    uuid: ids.appleTree,
    title: 'Apple Tree',
    description: 'A tree grows',
    imdb_rating: 7.1,
    genre: [genres.drama],
    actors: [persons.eve],
  },
];

export const short = (uuid: string) => {
  const found = fixtureFilms.find((film) => film.uuid === uuid)!;
  return { uuid: found.uuid, title: found.title, imdb_rating: found.imdb_rating };
};
