// nojs.test.mjs - the search page in a browser without JavaScript: it says
// so, hides the form that could not work, and offers the browse pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, useBrowser } from './helpers.mjs';

const env = useBrowser({ javaScriptEnabled: false });

test('without JavaScript the search page shows the noscript message and the browse links', async () => {
  const { page } = env;
  await page.goto(`${BASE}/zoeken/`);
  const message = page.locator('.search-noscript');
  assert.ok(await message.isVisible(), 'the noscript message is not shown');
  assert.match(await message.textContent(), /JavaScript/);
  assert.ok(await page.locator('form.search-form').isHidden(), 'a search form that cannot work is shown');
  const browse = page.locator('nav.browse');
  assert.ok(await browse.isVisible(), 'nav.browse is not shown');
  const links = await browse.locator('a').evaluateAll(as => as.map(a => a.getAttribute('href')));
  for (const path of ['/praktijkvoorbeelden/', '/modellen/', '/procesgids/', '/begrippen/', '/regios/', '/scholen/'])
    assert.ok(links.includes(path), `no browse link to ${path}: ${links.join(' ')}`);
  for (const href of links) {
    const response = await page.request.get(new URL(href, BASE).href);
    assert.equal(response.status(), 200, `${href} is a dead link`);
  }
  assert.ok(!env.requests.some(u => u.includes('/zoekindex/')), 'the index was loaded without JavaScript');
});

test('without JavaScript a query in the address leaves the page usable', async () => {
  const { page } = env;
  await page.goto(`${BASE}/zoeken/?q=startklas`);
  assert.ok(await page.locator('.search-noscript').isVisible());
  assert.ok(await page.locator('nav.browse').isVisible());
  assert.equal(await page.locator('li.search-result').count(), 0);
});
