import type { FilmRecord } from '../data/catalogue-writer.ts';

/** mulberry32: a tiny seeded PRNG, so the demo catalogue is the same on every machine. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A version-4-shaped UUID drawn from the PRNG. */
function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(random() * 4)]!;
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const genreNames = [
  ['Action', 'Fights, chases and explosions'],
  ['Adventure', 'Journeys into the unknown'],
  ['Animation', 'Drawn, modelled or rendered frame by frame'],
  ['Comedy', 'Films made to make you laugh'],
  ['Crime', 'Heists, detectives and the underworld'],
  ['Documentary', 'Real people and real events'],
  ['Drama', 'Serious stories of people and their choices'],
  ['Family', 'For every age'],
  ['Fantasy', 'Magic, myths and other worlds'],
  ['History', 'The past brought to the screen'],
  ['Horror', 'Fear, monsters and the uncanny'],
  ['Music', 'Musicians, concerts and songs'],
  ['Mystery', 'Puzzles to be solved'],
  ['Romance', 'Love stories'],
  ['Sci-Fi', 'Science fiction: space, time and technology'],
  ['Sport', 'Athletes and competitions'],
  ['Thriller', 'Suspense and danger'],
  ['War', 'Soldiers and battles'],
  ['Western', 'The frontier'],
  ['Biography', 'Lives of remarkable people'],
] as const;

const firstNames = [
  'Ada',
  'Alan',
  'Anna',
  'Boris',
  'Clara',
  'David',
  'Elena',
  'Felix',
  'Grace',
  'Hugo',
  'Irene',
  'James',
  'Kira',
  'Leo',
  'Maria',
  'Nina',
  'Oscar',
  'Paula',
  'Quentin',
  'Rosa',
  'Sergei',
  'Tanya',
  'Victor',
  'Wanda',
  'Yuri',
  'Zoe',
];
const lastNames = [
  'Anderson',
  'Baker',
  'Chen',
  'Dubois',
  'Evans',
  'Fischer',
  'Garcia',
  'Hughes',
  'Ivanova',
  'Jensen',
  'Kowalski',
  'Lopez',
  'Morozov',
  'Novak',
  'Olsen',
  'Petrov',
  'Quinn',
  'Rossi',
  'Smirnova',
  'Tanaka',
  'Ueda',
  'Volkov',
  'Walsh',
  'Xu',
  'Young',
  'Zimmer',
];
const adjectives = [
  'Silent',
  'Last',
  'Hidden',
  'Broken',
  'Golden',
  'Dark',
  'Lost',
  'Burning',
  'Frozen',
  'Secret',
  'Electric',
  'Wild',
  'Distant',
  'Crimson',
  'Endless',
  'Hollow',
  'Midnight',
  'Shattered',
  'Velvet',
  'Iron',
];
const nouns = [
  'Star',
  'River',
  'City',
  'Empire',
  'Garden',
  'Storm',
  'Mirror',
  'Road',
  'Kingdom',
  'Ocean',
  'Signal',
  'Harbor',
  'Forest',
  'Machine',
  'Winter',
  'Desert',
  'Island',
  'Crown',
  'Shadow',
  'Planet',
];
const places = ['Paris', 'Tokyo', 'a small town', 'the Arctic', 'Mars', 'Lisbon', 'the jungle', 'New York', 'Siberia'];
const plots = [
  'a detective chases a thief',
  'two friends build a rocket',
  'a family hides a secret',
  'a soldier returns home',
  'a musician loses her voice',
  'a crew is stranded',
  'an orphan finds a dragon',
  'rivals race for treasure',
];

/** How many films the demo catalogue holds. */
export const demoFilmCount = 5000;

/** The demo catalogue: deterministic (seeded PRNG, no network), `count` films with genres and persons. */
export function* demoCatalogue(count = demoFilmCount, seed = 20261123): Generator<FilmRecord> {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const genres = genreNames.map(([name, description]) => ({ uuid: uuidFrom(random), name, description }));
  const persons = Array.from({ length: Math.max(50, Math.floor(count / 2)) }, () => ({
    uuid: uuidFrom(random),
    full_name: `${pick(firstNames)} ${pick(lastNames)}`,
  }));
  const some = <T>(items: readonly T[], min: number, max: number): T[] => {
    const wanted = min + Math.floor(random() * (max - min + 1));
    const chosen = new Set<T>();
    while (chosen.size < wanted) chosen.add(pick(items));
    return [...chosen];
  };
  for (let index = 0; index < count; index += 1) {
    const unrated = random() < 0.03;
    yield {
      uuid: uuidFrom(random),
      title: `The ${pick(adjectives)} ${pick(nouns)}${index % 7 === 0 ? ` ${Math.floor(index / 7) + 2}` : ''}`,
      description: `In ${pick(places)}, ${pick(plots)}.`,
      imdb_rating: unrated ? null : Math.round((1 + random() * 9) * 10) / 10,
      genre: some(genres, 1, 3),
      actors: some(persons, 2, 5),
      writers: some(persons, 1, 2),
      directors: some(persons, 1, 1),
    };
  }
}
