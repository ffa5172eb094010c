// search.test.mjs - typing into the real search page: results, links to
// sections, highlighting, the status, prefixes, folding, stemming, synonyms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, announced, fold, openSearch, search, showAll, statusText, useBrowser } from './helpers.mjs';

const env = useBrowser();

const paths = list => list.map(r => r.path);

test('results appear as a list of titled links to pages of the handbook', async () => {
  const { page } = env;
  await openSearch(page);
  const found = await search(page, 'startklas', { all: true });
  assert.ok(found.length > 0, 'no results for startklas');
  for (const r of found) {
    assert.match(r.path, /^\/(?:[a-z0-9-]+\/)*$/, `link of ${r.title}`);
    assert.notEqual(r.title.trim(), '', `a result without a title: ${r.href}`);
    assert.ok(!r.href.startsWith('http') || r.href.startsWith(BASE), r.href);
  }
  assert.ok(paths(found).includes('/modellen/startklas/'), paths(found).join(' '));
  assert.ok(paths(found).includes('/praktijkvoorbeelden/startklassen-parkstad/'), paths(found).join(' '));
  // Links are real links: each leads to a page that exists.
  const response = await page.request.get(new URL(found[0].href, BASE).href);
  assert.equal(response.status(), 200);
});

test('a match in a section links to the heading, and the heading exists on the target page', async () => {
  const { page } = env;
  await openSearch(page);
  const found = await search(page, 'leerlingenvervoer');
  const inSections = found.filter(r => r.hash !== '');
  assert.ok(inSections.length > 0, `no result links to a section: ${found.map(r => r.href).join(' ')}`);
  for (const r of inSections) {
    assert.match(r.href, /#[^#]+$/, r.href);
    assert.notEqual(r.section, '', `${r.href}: the section's heading is not shown`);
    const target = await env.context.newPage();
    await target.goto(new URL(r.href, BASE).href);
    const heading = await target.evaluate(id => {
      const el = document.getElementById(id);
      return el === null ? null : { tag: el.tagName, text: el.textContent.trim() };
    }, r.hash);
    await target.close();
    assert.ok(heading !== null, `${r.href}: no element with id "${r.hash}" on the page`);
    assert.match(heading.tag, /^H[1-6]$/, `${r.href}: the anchor is not a heading`);
    assert.equal(heading.text, r.section.trim(), `${r.href}: the heading shown is not the one linked to`);
  }
});

test('matched words are marked in the snippet and the status says how many results there are', async () => {
  const { page } = env;
  await openSearch(page);
  const found = await search(page, 'gezinsplan');
  assert.ok(found.length > 1);
  for (const r of found) {
    const marks = r.marks.map(fold);
    assert.ok(marks.length > 0, `${r.path}: nothing marked`);
    assert.ok(marks.every(m => m.startsWith('gezinsplan')), `${r.path}: marked ${r.marks.join(', ')}`);
    assert.ok(r.snippet.includes(r.marks[r.marks.length - 1]) || r.title.includes(r.marks[0]), r.path);
  }
  // The snippet's marks are <mark> elements inside the snippet.
  assert.ok(await page.locator('.search-result-snippet mark').count() > 0, 'no <mark> in any snippet');
  assert.equal(await announced(page), found.length, `status: "${await statusText(page)}"`);
  const status = page.locator('#zoekstatus');
  assert.equal(await status.getAttribute('aria-live'), 'polite');
  assert.equal(await status.getAttribute('role'), 'status');
});

test('the status says "1 resultaat" for one result and "Geen resultaten" for none', async () => {
  const { page } = env;
  await openSearch(page);
  const one = await search(page, 'Veenendaal');
  assert.equal(one.length, 1);
  assert.equal(await statusText(page), '1 resultaat');
  const none = await search(page, 'xylofoonles');
  assert.equal(none.length, 0);
  assert.equal(await statusText(page), 'Geen resultaten voor „xylofoonles”');
  assert.ok(await page.locator('#zoekfilters').isHidden(), 'filters shown without results');
  assert.ok(await page.locator('#zoekmeer').isHidden(), '"Meer resultaten" shown without results');
});

test('prefix search as you type: "arrang" finds pages about arrangements', async () => {
  const { page } = env;
  await openSearch(page);
  const shown = await search(page, 'arrang', { typing: true });
  assert.ok(shown.length >= 5, `only ${shown.length} results`);
  const found = await showAll(page);
  const all = paths(found);
  assert.ok(all.includes('/integraal-arrangeren/'), all.join(' '));
  assert.ok(all.includes('/begrippen/individueel-arrangement/'), all.join(' '));
  const marks = found.flatMap(r => r.marks).map(fold);
  assert.ok(marks.length > 0);
  // Completions, and compounds that the index counts for them (doelgroeparrangement).
  assert.ok(marks.every(m => m.includes('arrang')), marks.join(', '));
  assert.ok(marks.some(m => m.startsWith('arrangement')) && marks.some(m => m.startsWith('arrangeren')), marks.join(', '));
  assert.equal(await page.inputValue('#zoekveld'), 'arrang');
  assert.equal(new URL(page.url()).searchParams.get('q'), 'arrang');
});

test('folding: letters with diacritics and capitals find the same pages as without', async () => {
  const { page } = env;
  await openSearch(page);
  const plain = paths(await search(page, 'efficienter'));
  assert.ok(plain.length > 0, 'efficienter finds nothing');
  const marked = (await page.locator('mark').allTextContents()).map(m => m.toLowerCase());
  assert.ok(marked.includes('efficiënter'), `marks: ${marked.join(', ')}`);
  assert.deepEqual(paths(await search(page, 'EFFICIËNTER')), plain);
  const client = await search(page, 'clientperspectief');
  assert.ok(paths(client).includes('/begrippen/clientperspectief/'), paths(client).join(' '));
  const accented = await search(page, 'Cliëntperspectief');
  assert.deepEqual(paths(accented), paths(client));
  const een = await search(page, 'één loket');
  assert.ok(paths(een).includes('/begrippen/integrale-toegang/'), paths(een).join(' '));
  const clienten = paths(await search(page, 'clienten', { all: true }));
  assert.ok(clienten.includes('/procesgids/perspectief-van-ouders-en-kind/'), clienten.join(' '));
  assert.deepEqual(paths(await search(page, 'CLIËNTEN', { all: true })), clienten);
  assert.ok((await page.locator('mark').allTextContents()).includes('cliënten'), 'the word "cliënten" is not marked');
});

test('stemming: "arrangementen" finds pages that only say "arrangement"', async () => {
  const { page } = env;
  await openSearch(page);
  const plural = await search(page, 'arrangementen', { all: true });
  const singular = await search(page, 'arrangement', { all: true });
  assert.ok(plural.length > 0);
  assert.deepEqual(paths(plural).sort(), paths(singular).sort());
  // The term page says "arrangement" and never "arrangementen".
  const term = plural.find(r => r.path === '/begrippen/individueel-arrangement/');
  assert.ok(term, paths(plural).join(' '));
  const again = await search(page, 'arrangementen ', { all: true });
  assert.deepEqual(paths(again), paths(plural), 'a finished word must not change the results');
  assert.ok(again.flatMap(r => r.marks).some(m => fold(m) === 'arrangement'), 'the word "arrangement" is not marked');
});

test('synonyms: DGA finds the doelgroeparrangement, and the other way round', async () => {
  const { page } = env;
  await openSearch(page);
  const dga = paths(await search(page, 'DGA', { all: true }));
  const pages = ['/begrippen/doelgroeparrangement/', '/modellen/doelgroeparrangement/'];
  assert.ok(pages.includes(dga[0]), `DGA: ${dga.join(' ')}`);
  assert.ok(pages.every(p => dga.includes(p)), `DGA: ${dga.join(' ')}`);
  // This page says "Doelgroeparrangement Onderwijs-Jeugd" and "DOJ", never "DGA".
  assert.ok(dga.includes('/praktijkvoorbeelden/doelgroeparrangementen-zuid-limburg/'), `DGA: ${dga.join(' ')}`);
  const long = paths(await search(page, 'doelgroeparrangement', { all: true }));
  assert.ok(pages.includes(long[0]), `doelgroeparrangement: ${long.join(' ')}`);
  // This page says "werkgroep DGA" and never "doelgroeparrangement".
  assert.ok(long.includes('/procesgids/werkgroepen-op-elk-niveau/'), `doelgroeparrangement: ${long.join(' ')}`);
});

test('synonyms: SBO finds speciaal basisonderwijs', async () => {
  const { page } = env;
  await openSearch(page);
  const sbo = paths(await search(page, 'SBO', { all: true }));
  assert.equal(sbo[0], '/begrippen/speciaal-basisonderwijs/', `SBO: ${sbo.join(' ')}`);
  assert.ok(sbo.includes('/scholen/sbo-de-wissel/'), `SBO: ${sbo.join(' ')}`);
});

test('synonyms: "speciaal basisonderwijs" finds the SBO term and pages that only say SBO', async () => {
  const { page } = env;
  await openSearch(page);
  const long = paths(await search(page, 'speciaal basisonderwijs', { all: true }));
  assert.equal(long[0], '/begrippen/speciaal-basisonderwijs/', `speciaal basisonderwijs: ${long.join(' ')}`);
  // This page says "Scholen voor SBO en SO", never "basisonderwijs".
  assert.ok(long.includes('/modellen/schoolarrangement/'), `speciaal basisonderwijs: ${long.join(' ')}`);
});

test('a query in the address (?q=) is searched when the page opens', async () => {
  const { page } = env;
  await openSearch(page, 'knooppuntoverleg');
  assert.equal(await page.inputValue('#zoekveld'), 'knooppuntoverleg');
  await page.locator('li.search-result').first().waitFor();
  assert.ok(await announced(page) > 0, await statusText(page));
});
