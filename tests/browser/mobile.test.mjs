// mobile.test.mjs - the search page on a narrow phone (360 px): with
// results, filters and long Dutch words the page never scrolls sideways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSearch, search, showAll, useBrowser } from './helpers.mjs';

const WIDTH = 360;
const env = useBrowser({ viewport: { width: WIDTH, height: 740 }, isMobile: true, hasTouch: true });

/** The document's width, and the elements that stick out to the right. */
async function overflow(page) {
  return page.evaluate(width => ({
    scrollWidth: document.documentElement.scrollWidth,
    wide: [...document.querySelectorAll('body *')]
      .filter(el => el.getBoundingClientRect().right > width + 0.5)
      .slice(0, 5)
      .map(el => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).split(' ')[0]}` : ''}: ${el.textContent.trim().slice(0, 40)}`),
  }), WIDTH);
}

for (const query of ['doelgroeparrangement', 'onderwijszorgarrangementen', 'jeugdhulp']) {
  test(`at ${WIDTH} px the page does not scroll sideways with the results of "${query}"`, async () => {
    const { page } = env;
    await openSearch(page);
    assert.ok((await search(page, query)).length > 0);
    await page.locator('#zoekfilters input[type="checkbox"]').first().waitFor({ state: 'attached' });
    let o = await overflow(page);
    assert.ok(o.scrollWidth <= WIDTH, `scrollWidth ${o.scrollWidth}: ${o.wide.join(' | ')}`);
    await showAll(page);
    o = await overflow(page);
    assert.ok(o.scrollWidth <= WIDTH, `after "Meer resultaten": scrollWidth ${o.scrollWidth}: ${o.wide.join(' | ')}`);
    const field = await page.locator('#zoekveld').boundingBox();
    assert.ok(field.x >= 0 && field.x + field.width <= WIDTH, `the field is at ${JSON.stringify(field)}`);
  });
}

test(`at ${WIDTH} px the filters are folded away above the results, and open with a tap`, async () => {
  const { page } = env;
  await openSearch(page);
  await search(page, 'jeugdhulp');
  const box = page.locator('#zoekfilters input[type="checkbox"]').first();
  await box.waitFor({ state: 'attached' });
  assert.ok(await box.isHidden(), 'the filters are open on a phone');
  const first = await page.locator('#zoekresultaten li').first().boundingBox();
  const field = await page.locator('#zoekveld').boundingBox();
  assert.ok(first.y - field.y < 400, `the first result is ${first.y - field.y} px below the field`);
  await page.locator('#zoekfilters summary').tap();
  await box.waitFor({ state: 'visible' });
  await box.tap(); // a filter redraws the list; the filters stay open
  await page.waitForFunction(() => document.querySelector('#zoekfilters input:checked') !== null);
  assert.ok(await page.locator('#zoekfilters input[type="checkbox"]').first().isVisible());
});

test(`at ${WIDTH} px the results can be tapped`, async () => {
  const { page } = env;
  await openSearch(page);
  const found = await search(page, 'startklas');
  const link = page.locator('#zoekresultaten a').first();
  const box = await link.boundingBox();
  assert.ok(box.height >= 20, `the first result's link is only ${box.height} px high`);
  await Promise.all([page.waitForURL(url => url.pathname === found[0].path), link.tap()]);
});
