// keyboard.test.mjs - the search page with the keyboard alone: / and Ctrl+K
// to the field, the arrows through the results, Enter to open one, Escape to
// clear, and "Meer resultaten".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, announced, openSearch, search, statusText, useBrowser, waitForFocus } from './helpers.mjs';

const env = useBrowser();

const FIRST_LINK = '#zoekresultaten li.search-result:nth-child(1) .search-result-title a';
const SECOND_LINK = '#zoekresultaten li.search-result:nth-child(2) .search-result-title a';

/** Takes the focus away from the search field, to a link elsewhere on the page. */
async function focusElsewhere(page) {
  await page.locator('nav.browse a').first().focus();
  await waitForFocus(page, 'nav.browse a');
}

test('/ focuses the search field from elsewhere on the page', async () => {
  const { page } = env;
  await openSearch(page);
  await focusElsewhere(page);
  await page.keyboard.press('/');
  await waitForFocus(page, '#zoekveld');
  assert.equal(await page.inputValue('#zoekveld'), '', 'the / was typed into the field');
  // In the field, / is just a character.
  await page.keyboard.type('a/b');
  assert.equal(await page.inputValue('#zoekveld'), 'a/b');
});

test('Ctrl+K focuses the search field and selects what is in it', async () => {
  const { page } = env;
  await openSearch(page);
  await search(page, 'startklas');
  await focusElsewhere(page);
  await page.keyboard.press('Control+k');
  await waitForFocus(page, '#zoekveld');
  const selected = await page.$eval('#zoekveld', f => f.value.slice(f.selectionStart, f.selectionEnd));
  assert.equal(selected, 'startklas', 'the query is not selected, so typing would not replace it');
  // Ctrl+K also works from inside the field.
  await page.keyboard.press('Control+k');
  await waitForFocus(page, '#zoekveld');
});

test('ArrowDown moves from the field through the results, ArrowUp back', async () => {
  const { page } = env;
  await openSearch(page);
  await search(page, 'startklas');
  await page.locator('#zoekveld').focus();
  await page.keyboard.press('ArrowDown');
  await waitForFocus(page, FIRST_LINK);
  await page.keyboard.press('ArrowDown');
  await waitForFocus(page, SECOND_LINK);
  await page.keyboard.press('ArrowUp');
  await waitForFocus(page, FIRST_LINK);
  await page.keyboard.press('ArrowUp');
  await waitForFocus(page, '#zoekveld');
  assert.equal(await page.inputValue('#zoekveld'), 'startklas');
  // The page did not scroll by the arrows instead: focus moved, nothing else.
  assert.equal(new URL(page.url()).pathname, '/zoeken/');
});

test('Enter on a focused result opens it', async () => {
  const { page } = env;
  await openSearch(page);
  const found = await search(page, 'startklas');
  await page.locator('#zoekveld').focus();
  await page.keyboard.press('ArrowDown');
  await waitForFocus(page, FIRST_LINK);
  await Promise.all([page.waitForURL(url => url.pathname === found[0].path), page.keyboard.press('Enter')]);
  const want = found[0].title.trim();
  assert.equal((await page.locator('h1').first().textContent()).trim(), want);
  // Back again, the query is still there (it is in the address).
  await page.goBack();
  await page.locator('li.search-result').first().waitFor();
  assert.equal(await page.inputValue('#zoekveld'), 'startklas');
});

test('Escape clears the field and the results', async () => {
  const { page } = env;
  await openSearch(page);
  await search(page, 'startklas');
  await page.locator('#zoekveld').focus();
  await page.keyboard.press('ArrowDown');
  await waitForFocus(page, FIRST_LINK);
  await page.keyboard.press('Escape');
  await waitForFocus(page, '#zoekveld');
  assert.equal(await page.inputValue('#zoekveld'), '');
  await page.waitForFunction(() => document.querySelectorAll('#zoekresultaten li').length === 0);
  assert.equal(await statusText(page), '');
  assert.ok(await page.locator('#zoekmeer').isHidden());
  assert.equal(new URL(page.url()).search, '', 'the query stays in the address');
});

test('Escape also clears the search from a filter', async () => {
  const { page } = env;
  await openSearch(page);
  await search(page, 'startklas');
  await page.locator('#zoekfilters input[type="checkbox"]').first().focus();
  await page.keyboard.press('Escape');
  await waitForFocus(page, '#zoekveld');
  assert.equal(await page.inputValue('#zoekveld'), '');
  await page.waitForFunction(() => document.querySelectorAll('#zoekresultaten li').length === 0);
});

test('"Meer resultaten" shows the next results and moves the focus to the first new one', async () => {
  const { page } = env;
  await openSearch(page);
  await search(page, 'jeugdhulp');
  const total = await announced(page);
  assert.ok(total > 20, `only ${total} results`);
  const items = page.locator('#zoekresultaten li.search-result');
  assert.equal(await items.count(), 10);
  const more = page.locator('#zoekmeer');
  assert.ok(await more.isVisible());
  assert.equal((await more.textContent()).trim(), 'Meer resultaten');
  const first = await page.$$eval('#zoekresultaten a', as => as.map(a => a.getAttribute('href')));
  await more.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#zoekresultaten li.search-result').length === 20);
  await waitForFocus(page, '#zoekresultaten li.search-result:nth-child(11) .search-result-title a');
  const after = await page.$$eval('#zoekresultaten a', as => as.map(a => a.getAttribute('href')));
  assert.deepEqual(after.slice(0, 10), first, 'the first ten changed');
  assert.equal(new Set(after).size, after.length, 'a result is shown twice');
  while (await more.isVisible()) {
    const n = await items.count();
    await more.click();
    await page.waitForFunction(m => document.querySelectorAll('#zoekresultaten li.search-result').length > m, n);
  }
  assert.equal(await items.count(), total, 'not every result announced is shown');
  assert.equal(await announced(page), total);
});

test('on any other page / focuses the header search field, and Enter searches on the search page', async () => {
  const { page } = env;
  await page.goto(`${BASE}/modellen/`);
  await page.locator('nav a').first().focus();
  await page.keyboard.press('/');
  await waitForFocus(page, '#kopzoekveld');
  await page.keyboard.type('startklas');
  await Promise.all([page.waitForURL(url => url.pathname === '/zoeken/'), page.keyboard.press('Enter')]);
  await page.locator('li.search-result').first().waitFor();
  assert.equal(await page.inputValue('#zoekveld'), 'startklas');
  assert.ok(await announced(page) > 0, await statusText(page));
});
