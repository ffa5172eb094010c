// relevance.test.mjs - the relevance set (relevance.json): queries that
// teachers, care workers and civil servants type, each with the page that a
// reader of the handbook would want first. Each query is typed into the real
// search page; the first result's link (without its #anchor) must be that
// page. The expectations come from reading the content, not from the engine:
// when one fails, fix the ranking, not the expectation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openSearch, search, useBrowser } from './helpers.mjs';

const cases = JSON.parse(readFileSync(new URL('./relevance.json', import.meta.url), 'utf8'));
const env = useBrowser();

test('the relevance set is well formed', () => {
  assert.ok(cases.length >= 24, `${cases.length} queries`);
  const queries = new Set();
  for (const c of cases) {
    assert.equal(typeof c.query, 'string');
    assert.match(c.first, /^\/(?:[a-z0-9-]+\/)*$/, c.query);
    assert.ok(!queries.has(c.query.toLowerCase()), `${c.query} twice`);
    queries.add(c.query.toLowerCase());
  }
});

for (const { query, first } of cases) {
  test(`relevance: "${query}" puts ${first} first`, async () => {
    const { page } = env;
    await openSearch(page);
    const found = await search(page, query);
    assert.ok(found.length > 0, `"${query}" finds nothing`);
    const top = found.slice(0, 3).map((r, i) => `${i + 1}. ${r.path} (${r.title})`).join('; ');
    const at = found.findIndex(r => r.path === first);
    assert.equal(found[0].path, first,
      `"${query}": ${at < 0 ? 'not in the first 10' : `at ${at + 1}`}; first: ${top}`);
  });
}
