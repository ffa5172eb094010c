// filters.test.mjs - the filters beside the results (#zoekfilters): values
// with counts that follow the query, checking narrows, unchecking restores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, WAIT, announced, openSearch, search, showAll, statusText, useBrowser } from './helpers.mjs';

const env = useBrowser();

/** The filters as shown: [{legend, values: [{id, label, count, checked}]}]. */
async function readFilters(page) {
  await page.locator('#zoekfilters input[type="checkbox"]').first().waitFor();
  return page.$$eval('#zoekfilters fieldset', sets => sets.map(set => ({
    legend: set.querySelector('legend')?.textContent.trim() ?? '',
    values: [...set.querySelectorAll('input[type="checkbox"]')].map(box => {
      const label = document.querySelector(`label[for="${box.id}"]`);
      const count = label?.querySelector('.count')?.textContent ?? '';
      return {
        id: box.id,
        label: (label?.firstChild?.textContent ?? '').trim(),
        count: /^\((\d+)\)$/.test(count) ? Number(count.slice(1, -1)) : NaN,
        checked: box.checked,
      };
    }),
  })));
}

function value(filters, legend, label) {
  const facet = filters.find(f => f.legend === legend);
  assert.ok(facet, `no filter "${legend}": ${filters.map(f => f.legend).join(', ')}`);
  const v = facet.values.find(x => x.label === label);
  assert.ok(v, `no value "${label}" in "${legend}": ${facet.values.map(x => x.label).join(', ')}`);
  return v;
}

const sum = values => values.reduce((n, v) => n + v.count, 0);

/** Clicks the label of a filter value, as a user does, and waits until the
 *  status announces expected results. */
async function toggle(page, v, expected) {
  await page.locator(`label[for="${v.id}"]`).click();
  const want = expected === 1 ? '1 resultaat' : `${expected} resultaten`;
  await page.waitForFunction(w => document.getElementById('zoekstatus').textContent.trim() === w, want,
    { timeout: WAIT }).catch(async () => assert.fail(`status "${await statusText(page)}", expected "${want}"`));
}

test('filters appear with counts that add up to the results', async () => {
  const { page } = env;
  await openSearch(page);
  await search(page, 'doelgroeparrangement');
  const total = await announced(page);
  assert.ok(total > 10, `${total} results`);
  const filters = page.locator('#zoekfilters');
  assert.ok(await filters.isVisible());
  assert.equal(await filters.getAttribute('role'), 'group');
  const shown = await readFilters(page);
  assert.deepEqual(shown.map(f => f.legend).slice(0, 2), ['Soort pagina', 'Regio']);
  for (const facet of shown) {
    for (const v of facet.values) {
      assert.ok(v.count > 0, `${facet.legend}: ${v.label} (${v.count}) is shown`);
      assert.equal(v.checked, false);
      assert.notEqual(v.label, '');
    }
  }
  // Every page has one kind: the kinds' counts add up to all results.
  assert.equal(sum(shown.find(f => f.legend === 'Soort pagina').values), total);
});

test('checking a value keeps only results with it, unchecking restores them', async () => {
  const { page } = env;
  await openSearch(page);
  const before = await search(page, 'doelgroeparrangement');
  const total = await announced(page);
  const practices = value(await readFilters(page), 'Soort pagina', 'Praktijkvoorbeelden');
  assert.ok(practices.count > 0 && practices.count < total);
  await toggle(page, practices, practices.count);
  assert.ok(await page.isChecked(`#${practices.id}`), 'the box is not checked after the redraw');
  const found = await showAll(page);
  assert.equal(found.length, practices.count);
  for (const r of found) assert.match(r.path, /^\/praktijkvoorbeelden\/[^/]+\/$/, r.href);
  // Its own facet still shows the other kinds, to widen the choice (OR).
  const narrowed = await readFilters(page);
  assert.equal(sum(narrowed.find(f => f.legend === 'Soort pagina').values), total);
  // The other facets count only within the practice examples now.
  const regions = narrowed.find(f => f.legend === 'Regio');
  assert.ok(regions.values.every(v => v.count <= practices.count), JSON.stringify(regions.values));
  await toggle(page, practices, total);
  assert.equal(await page.isChecked(`#${practices.id}`), false);
  assert.deepEqual((await page.$$eval('#zoekresultaten a', as => as.map(a => a.getAttribute('href')))),
    before.map(r => r.href));
});

test('values of one filter add up (OR), different filters narrow each other (AND)', async () => {
  const { page } = env;
  await openSearch(page);
  await search(page, 'doelgroeparrangement');
  let shown = await readFilters(page);
  const practices = value(shown, 'Soort pagina', 'Praktijkvoorbeelden');
  const schools = value(shown, 'Soort pagina', 'Scholen');
  await toggle(page, practices, practices.count);
  await toggle(page, schools, practices.count + schools.count);
  shown = await readFilters(page);
  const parkstad = value(shown, 'Regio', 'Parkstad');
  await toggle(page, parkstad, parkstad.count);
  const found = await showAll(page);
  assert.equal(found.length, parkstad.count);
  for (const r of found) {
    assert.match(r.path, /^\/(praktijkvoorbeelden|scholen)\//, r.href);
    // A page in the region says so.
    const response = await page.request.get(new URL(r.path, BASE).href);
    assert.match(await response.text(), /Parkstad/, `${r.path} does not mention Parkstad`);
  }
});

test('the counts follow the query', async () => {
  const { page } = env;
  await openSearch(page);
  await search(page, 'doelgroeparrangement');
  const first = await readFilters(page);
  await search(page, 'startklas');
  const total = await announced(page);
  // The filters are drawn again for the new results.
  await page.waitForFunction(n => {
    const counts = [...document.querySelectorAll('#zoekfilters fieldset')][0]?.querySelectorAll('.count') ?? [];
    return [...counts].reduce((s, c) => s + Number(c.textContent.slice(1, -1)), 0) === n;
  }, total, { timeout: WAIT });
  const second = await readFilters(page);
  assert.notDeepEqual(second, first);
  assert.equal(sum(second.find(f => f.legend === 'Soort pagina').values), total);
  const models = second.find(f => f.legend === 'Model');
  assert.ok(models, 'no Model filter for startklas');
  assert.ok(models.values.some(v => v.label === 'Startklas'), JSON.stringify(models.values));
});

test('a checked filter that leaves nothing says so, and stays to be unchecked', async () => {
  const { page } = env;
  await openSearch(page);
  await search(page, 'startklas');
  const startTotal = await announced(page);
  const terms = value(await readFilters(page), 'Soort pagina', 'Begrippen');
  await toggle(page, terms, terms.count);
  // A query with results, but none of them a term.
  await search(page, 'leerlingenvervoer');
  const status = await statusText(page);
  assert.equal(status, 'Geen resultaten met deze filters');
  assert.ok(await page.isChecked(`#${terms.id}`), 'the checked filter disappeared');
  assert.equal(await page.locator('li.search-result').count(), 0);
  await page.locator(`label[for="${terms.id}"]`).click();
  await page.locator('li.search-result').first().waitFor();
  assert.ok(await announced(page) > 0);
  assert.ok(startTotal > 0);
});
