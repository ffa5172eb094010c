// safety.test.mjs - what a query can not do: become HTML, run a script, open
// a dialog; and the page never asks another host for anything. (Every test
// here, as in the other files, also fails on a request to another host, an
// error thrown in the page or a dialog: see useBrowser in helpers.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ORIGIN, openSearch, search, showAll, statusText, useBrowser } from './helpers.mjs';

const env = useBrowser();

const ATTACKS = [
  '<img src=x onerror=alert(1)>',
  '</script><script>alert(1)</script>',
  '"><svg onload=alert(1)>',
  "javascript:alert(1)",
  '&lt;b&gt;startklas',
];

/** What the query may have created in the page: elements that are not part
 *  of the search page, and script that ran. */
async function injected(page) {
  return page.evaluate(() => ({
    images: document.querySelectorAll('img[src="x"], svg[onload]').length,
    scripts: [...document.scripts].filter(s => s.textContent.includes('alert')).length,
    handlers: document.querySelectorAll('[onerror], [onload]').length,
    statusElements: document.getElementById('zoekstatus').children.length,
    marked: window.__xss === true,
  }));
}

const CLEAN = { images: 0, scripts: 0, handlers: 0, statusElements: 0, marked: false };

for (const query of ATTACKS) {
  test(`the query ${JSON.stringify(query)} is shown as text only`, async () => {
    const { page } = env;
    await openSearch(page);
    await page.evaluate(() => { window.alert = () => { window.__xss = true; }; });
    const found = await search(page, query);
    assert.deepEqual(await injected(page), CLEAN);
    assert.equal(await page.inputValue('#zoekveld'), query);
    const status = await statusText(page);
    if (found.length === 0) assert.equal(status, `Geen resultaten voor „${query.trim()}”`);
    for (const html of await page.$$eval('li.search-result', items => items.map(li => li.innerHTML)))
      assert.doesNotMatch(html, /<(img|script|svg|iframe)\b/i);
    assert.deepEqual(env.dialogs, []);
  });
}

test('a query in the address is shown as text only', async () => {
  const { page } = env;
  const query = '<img src=x onerror=alert(1)></script><script>alert(2)</script>';
  await openSearch(page, query);
  assert.deepEqual(await injected(page), CLEAN);
  assert.equal(await page.inputValue('#zoekveld'), query);
  assert.equal(await statusText(page), `Geen resultaten voor „${query}”`);
  assert.deepEqual(env.dialogs, []);
});

test('words that every JavaScript object has find nothing and break nothing', async () => {
  const { page } = env;
  await openSearch(page);
  for (const query of ['constructor', '__proto__', 'prototype', 'hasOwnProperty', 'toString']) {
    const found = await search(page, query);
    assert.equal(found.length, 0, `${query}: ${found.map(r => r.path).join(' ')}`);
    assert.equal(await statusText(page), `Geen resultaten voor „${query}”`);
  }
  // And the search still works afterwards.
  assert.ok((await search(page, 'startklas')).length > 0);
});

test('the search page asks only the server it came from for anything', async () => {
  const { page } = env;
  await openSearch(page);
  await search(page, 'jeugdhulp');
  await showAll(page);
  await page.locator('#zoekfilters input[type="checkbox"]').first().check();
  await search(page, 'DGA');
  await search(page, 'arrang', { typing: true });
  await page.locator('#zoekresultaten a').first().click();
  await page.waitForLoadState('load');
  const urls = env.requests;
  assert.ok(urls.some(u => u.includes('/zoekindex/')), 'no request for the index was recorded');
  const foreign = urls.filter(u => new URL(u).origin !== ORIGIN);
  assert.deepEqual(foreign, []);
  // Nothing is fetched through a URL the content could choose either.
  assert.ok(urls.every(u => /^https?:/.test(u)), urls.filter(u => !/^https?:/.test(u)).join(' '));
});
