/**
 * The query of the JSON endpoints: `?cluster=`, `?connector=`, `?state=` (each may repeat: any of the values;
 * different ones: all of them), and `?pretty`. Anything else is an error naming it, so a typo is not
 * silently an unfiltered answer.
 */
import type { JsonFilter } from './json-document.js';

export interface JsonQuery {
  readonly filter: JsonFilter;
  readonly pretty: boolean;
}

const FILTERS = { cluster: 'clusters', connector: 'connectors', state: 'states' } as const;
const KNOWN = [...Object.keys(FILTERS), 'pretty'];

/** A query that cannot be answered; the message says why, for the 400 body. */
export class JsonQueryError extends Error {
  override readonly name = 'JsonQueryError';
}

/** `search`: the request target's part after `?` (empty when there is none). */
export function parseJsonQuery(search: string): JsonQuery {
  if (search === '') return { filter: {}, pretty: false };
  const filter: { -readonly [K in keyof JsonFilter]: Set<string> } = {};
  let pretty = false;
  for (const [key, value] of new URLSearchParams(search)) {
    if (key === 'pretty') {
      if (value === '' || value === 'true' || value === '1') pretty = true;
      else if (value !== 'false' && value !== '0') {
        throw new JsonQueryError(`pretty="${value}": expected no value, true or false`);
      }
      continue;
    }
    const field = FILTERS[key as keyof typeof FILTERS] as (typeof FILTERS)[keyof typeof FILTERS] | undefined;
    if (field === undefined) {
      throw new JsonQueryError(`unknown query parameter "${key}" (known: ${KNOWN.join(', ')})`);
    }
    if (value === '') throw new JsonQueryError(`${key}= needs a value`);
    (filter[field] ??= new Set()).add(key === 'state' ? value.toUpperCase() : value);
  }
  return { filter, pretty };
}
