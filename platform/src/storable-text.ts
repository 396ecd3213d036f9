/**
 * A character PostgreSQL cannot store as given. `text` and `jsonb` refuse U+0000 outright (a query
 * holding one fails, which would be a 500); an unpaired UTF-16 surrogate has no UTF-8 form, so `text`
 * silently stores U+FFFD in its place and `jsonb` refuses it. Input holding either is refused at the
 * edge, with a 400 naming the field, before any store sees it.
 */
export type UnstorableCharacter = 'nul' | 'unpaired-surrogate';

// With the u flag a surrogate pair is one code point, so \p{Cs} matches only an unpaired half.
const unpairedSurrogate = /\p{Cs}/u;

/** Which character of `text` PostgreSQL cannot store, or null when it can store all of it. */
export function unstorableCharacterIn(text: string): UnstorableCharacter | null {
  if (text.includes('\u0000')) return 'nul';
  return unpairedSurrogate.test(text) ? 'unpaired-surrogate' : null;
}
