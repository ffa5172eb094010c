// helpers.mjs - what the browser tests share: Chromium, a fresh page per
// test, and typing a query into the search page the way a user does.
// tests/test_browser.sh builds the handbook, serves it and sets HANDBOOK_URL.
import { after, afterEach, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const BASE = (process.env.HANDBOOK_URL ?? '').replace(/\/+$/, '');
if (!BASE) throw new Error('HANDBOOK_URL is not set: run the browser tests with tests/test_browser.sh');
export const ORIGIN = new URL(BASE).origin;

export const WAIT = 5000; // ms: the longest a user would wait for anything here

// The only way Chromium is started here: the Debian package, never a download.
export const LAUNCH = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  timeout: 30000,
};

/** Registers the hooks of a test file: one browser for the file, a fresh
 *  context and page for every test (env.page). Every request and page error
 *  is recorded; a test fails when its page asked another host for anything
 *  or threw. contextOptions are those of browser.newContext. */
export function useBrowser(contextOptions = {}) {
  const env = { browser: null, context: null, page: null, requests: [], errors: [], dialogs: [] };
  before(async () => {
    env.browser = await chromium.launch(LAUNCH);
  });
  after(async () => {
    await env.browser?.close();
  });
  beforeEach(async () => {
    env.requests = [];
    env.errors = [];
    env.dialogs = [];
    env.context = await env.browser.newContext({ locale: 'nl-NL', ...contextOptions });
    env.context.setDefaultTimeout(WAIT);
    env.context.setDefaultNavigationTimeout(10000);
    env.context.on('request', request => env.requests.push(request.url()));
    env.page = await env.context.newPage();
    env.page.on('pageerror', error => env.errors.push(String(error)));
    env.page.on('dialog', dialog => {
      env.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
  });
  afterEach(async () => {
    await env.context?.close();
    const foreign = env.requests.filter(url => !sameOrigin(url));
    assert.deepEqual(foreign, [], 'requests to another host than the test server');
    assert.deepEqual(env.errors, [], 'errors thrown in the page');
    assert.deepEqual(env.dialogs, [], 'dialogs opened by the page');
  });
  return env;
}

export function sameOrigin(url) {
  try {
    return new URL(url).origin === ORIGIN;
  } catch {
    return false;
  }
}

/** Opens the search page (with ?q= when query is given) and waits until
 *  search.js has shown the form. */
export async function openSearch(page, query) {
  const url = `${BASE}/zoeken/${query === undefined ? '' : `?q=${encodeURIComponent(query)}`}`;
  if (query === undefined) {
    await page.goto(url);
  } else {
    // The search runs as soon as the page starts; watch the status from the start.
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForFunction(() => {
      const status = document.getElementById('zoekstatus');
      return status !== null && status.textContent !== '';
    });
  }
  await page.locator('#zoekveld').waitFor({ state: 'visible' });
}

/** Marks the start of a search: the status region is watched, and the search
 *  counts as done once the status is written while the address says ?q=query
 *  (search.js writes the address when a search starts and the status when
 *  its results are in, and an older search never writes after a newer one
 *  started). Returns a function that waits for that. */
async function expectSearch(page, query) {
  await page.evaluate(q => {
    window.__searchDone = false;
    const status = document.getElementById('zoekstatus');
    const expected = q.trim() === '' ? '' : q;
    window.__searchObserver?.disconnect();
    window.__searchObserver = new MutationObserver(() => {
      if ((new URLSearchParams(location.search).get('q') ?? '') === expected) {
        window.__searchDone = true;
        window.__searchObserver.disconnect();
      }
    });
    window.__searchObserver.observe(status, { childList: true, characterData: true, subtree: true });
  }, query);
  return () => page.waitForFunction(() => window.__searchDone === true, null, { timeout: WAIT });
}

/** Puts query into the search field (all at once, or key by key when
 *  typing) and waits until its results are shown. Returns the results shown,
 *  or with all, every result ("Meer resultaten" clicked until it goes). */
export async function search(page, query, { typing = false, all = false } = {}) {
  const done = await expectSearch(page, query);
  const field = page.locator('#zoekveld');
  if (typing) {
    await field.fill('');
    await field.pressSequentially(query, { delay: 30 });
  } else {
    await field.fill(query);
  }
  await done();
  return all ? showAll(page) : results(page);
}

/** Clicks "Meer resultaten" until every result is shown; returns them. */
export async function showAll(page) {
  const more = page.locator('#zoekmeer');
  const items = page.locator('#zoekresultaten li.search-result');
  while (await more.isVisible()) {
    const before = await items.count();
    await more.click();
    await page.waitForFunction(n => document.querySelectorAll('#zoekresultaten li.search-result').length > n,
      before, { timeout: WAIT });
  }
  return results(page);
}

/** The results as a user sees them. */
export async function results(page) {
  return page.$$eval('#zoekresultaten li.search-result', items => items.map(li => {
    const a = li.querySelector('.search-result-title a');
    const href = a?.getAttribute('href') ?? '';
    const url = new URL(href, location.href);
    return {
      href,
      path: url.pathname,
      hash: decodeURIComponent(url.hash.slice(1)),
      title: a?.textContent ?? '',
      section: li.querySelector('.search-result-section')?.textContent ?? '',
      snippet: li.querySelector('.search-result-snippet')?.textContent ?? '',
      marks: [...li.querySelectorAll('mark')].map(m => m.textContent),
    };
  }));
}

export async function statusText(page) {
  return (await page.locator('#zoekstatus').textContent()).trim();
}

/** The number of results the status announces, or null. */
export async function announced(page) {
  const text = await statusText(page);
  if (text === '1 resultaat') return 1;
  const m = /^(\d+) resultaten$/.exec(text);
  return m ? Number(m[1]) : null;
}

/** Folds a word the way the index does, for comparing highlighted words. */
export function fold(word) {
  return word.normalize('NFKD').toLowerCase().replace(/\p{M}/gu, '').normalize('NFC');
}

/** Waits until the focus is on the element that matches selector. */
export async function waitForFocus(page, selector) {
  await page.waitForFunction(s => document.activeElement?.matches(s) === true, selector, { timeout: WAIT });
}
