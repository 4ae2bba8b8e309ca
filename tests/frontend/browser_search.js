#!/usr/bin/env node
/*
 * Search and questions as a person uses them, in real headless Chromium against a running server
 * (tests/test_frontend_search.py seeds investors and notes, waits for the indexer, and names them
 * in SEARCH_BROWSER_CONFIG): `/` opens the search palette over the grid; typing a word finds the
 * notes grouped under each investor, with the word marked; Enter opens the first hit's investor
 * panel; Ctrl-K opens it again from another screen, Esc closes it; "Ask a question instead" hands
 * the text to Ask. On Ask, an example chip and a typed question answer with a table, the plan in
 * words and its badge; Save as view names it, and the grid opens the view showing the same
 * investors. Screenshots at 1440x900, 820x1180 and 390x844 (search-*.png); nothing scrolls
 * sideways on the phone. Zero console errors.
 *
 *   SEARCH_BROWSER_CONFIG=cfg.json node tests/frontend/browser_search.js http://127.0.0.1:PORT OUT_DIR
 */
'use strict';
const fs = require('fs');
const path = require('path');

const harness = require('./harness');
const { base, outDir, step, watch, shot, expect, runBrowser } = harness.open('browser_search', { shotPrefix: 'search-', shotDelay: 250 });
const { newContext, squash, cellSel, phoneOverflow, atSmallSizes } = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.SEARCH_BROWSER_CONFIG || '', 'utf8'));
const VIEW_NAME = 'Stale investors (90 days)';
const t0 = Date.now();

const signIn = (page, p) => harness.signIn(page, base, cfg.username, cfg.password, p);
const palette = page => page.locator('.sp-panel');
const groupNames = page => page.locator('.sp-group-name').allInnerTexts();
// The Ask screen's answer, as the names in its first column.
const answerNames = async page => (await page.locator('.ask-table tbody tr td:first-child').allInnerTexts()).map(squash).sort();
// A 422 for a question it cannot read is an answer the screen shows, not a failure.
// The grid's long poll is cut short when a reload leaves the page.
const allow = (kind, text, r) => (kind === 'console' && /status of 422/.test(text))
  || (kind === 'request' && /ERR_ABORTED/.test(text) && r.method() === 'GET' && /\/api\/fundraising\/changes\?/.test(r.url()));

async function typeAndWait(page, word) {
  await page.keyboard.type(word, { delay: 40 });
  await page.waitForFunction(w => {
    const marks = [...document.querySelectorAll('.sp-hit mark')].map(m => m.textContent.toLowerCase());
    return marks.includes(w) && !document.querySelector('.sp-results.is-stale');
  }, word.toLowerCase(), { timeout: 15000 });
}

runBrowser(async (browser) => {
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  watch(page, cfg.username, allow);
  await signIn(page, '/grid');
  await page.locator(cellSel(0, 0)).waitFor();

  /* ---------------- `/` opens the palette over the grid; a word finds the notes by investor ---------------- */
  await page.locator(cellSel(0, 0)).click();  // the grid has the keyboard: `/` must still search, not edit a cell
  await page.keyboard.press('/');
  await palette(page).waitFor();
  expect(await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('sp-input')), 'the palette input does not have the focus');
  expect((await page.locator('.sp-input').inputValue()) === '', 'the `/` went into the search box');
  await shot(page, '01-palette-empty');
  await typeAndWait(page, cfg.word);
  const groups = await groupNames(page);
  expect(cfg.both.every(n => groups.includes(n)), 'the hits are not grouped under ' + cfg.both.join(' and ') + ': ' + JSON.stringify(groups));
  expect(await page.locator('.sp-hit[aria-selected="true"]').count() === 1, 'no hit is highlighted');
  expect(/Keyword search|Hybrid search/.test(await page.locator('.sp-foot').innerText()), 'the search mode is not shown');
  await shot(page, '02-palette-results');
  // ↓ moves the highlight to the second hit, ↑ back to the first.
  await page.keyboard.press('ArrowDown');
  expect(await page.locator('.sp-hit').nth(1).getAttribute('aria-selected') === 'true', '↓ did not move to the second hit');
  await page.keyboard.press('ArrowUp');
  expect(await page.locator('.sp-hit').nth(0).getAttribute('aria-selected') === 'true', '↑ did not move back to the first hit');
  const first = squash(await page.locator('.sp-group-name').first().innerText());
  await page.keyboard.press('Enter');
  await palette(page).waitFor({ state: 'detached' });
  await page.waitForFunction(() => /^#\/grid\?investor=/.test(location.hash));
  await page.waitForFunction(n => { const el = document.querySelector('.rp-name'); return el && el.value === n; }, first);
  await shot(page, '03-investor-panel');
  step('`/` over the grid opened the palette; "' + cfg.word + '" found notes under ' + groups.join(' and ') + '; Enter opened ' + first + '’s panel');

  /* ---------------- Ctrl-K from another screen; no results; Esc ---------------- */
  await page.goto(base + '/#/communications');
  await page.getByRole('heading', { name: 'Communications' }).waitFor();
  await page.keyboard.press('Control+K');
  await palette(page).waitFor();
  await typeAndWait(page, cfg.only);
  expect(JSON.stringify(await groupNames(page)) === JSON.stringify([cfg.onlyInvestor]), 'a word in one note is not under ' + cfg.onlyInvestor + ' alone');
  await page.locator('.sp-input').fill('');
  await page.keyboard.type('xqzzyvnotaword', { delay: 20 });
  await page.locator('.sp-state').getByText(/Nothing matches/).waitFor({ timeout: 15000 });
  await shot(page, '04-palette-none');
  await page.keyboard.press('Escape');
  await palette(page).waitFor({ state: 'detached' });
  step('Ctrl-K opened it on Communications; "' + cfg.only + '" found only ' + cfg.onlyInvestor + '; no results shown; Esc closed it');

  /* ---------------- the palette hands a question to Ask ---------------- */
  await page.getByRole('button', { name: /^Search/ }).first().click();
  await palette(page).waitFor();
  await page.keyboard.type(cfg.question, { delay: 15 });
  await page.getByRole('button', { name: /Ask a question instead/ }).click();
  await page.waitForFunction(() => location.hash.startsWith('#/ask'));
  await page.locator('.ask-answer').waitFor({ timeout: 20000 });
  expect((await page.locator('#ask-question').inputValue()) === cfg.question, 'Ask did not get the question from the palette');
  expect(JSON.stringify(await answerNames(page)) === JSON.stringify(cfg.stale), 'the answer lists ' + JSON.stringify(await answerNames(page)) + ', not ' + JSON.stringify(cfg.stale));
  step('"Ask a question instead" answered "' + cfg.question + '" on Ask');

  /* ---------------- Ask: an example chip, then the typed question ---------------- */
  await page.goto(base + '/#/ask');
  await page.reload();  // a fresh Ask screen, without the answer above
  await page.getByRole('heading', { name: 'Ask', exact: true }).waitFor();
  await page.locator('.ask-answer').waitFor({ state: 'detached' });
  await shot(page, '05-ask-empty');
  // `/` typed into a field is a character, not the shortcut.
  await page.locator('#ask-question').click();
  await page.keyboard.type('a/b');
  expect((await page.locator('#ask-question').inputValue()) === 'a/b' && await palette(page).count() === 0, 'typing `/` in a field opened the palette');
  await page.locator('#ask-question').fill('');
  await page.locator('.ask-box .ask-chip').first().click();
  await page.locator('.ask-answer, .ask-refused').first().waitFor({ timeout: 20000 });
  const chipText = squash(await page.locator('.ask-box .ask-chip').first().innerText());
  step('the example chip "' + chipText + '" was ' + (await page.locator('.ask-answer').count() ? 'answered' : 'refused with examples'));
  await page.locator('#ask-question').fill('');
  await page.locator('#ask-question').click();
  await page.keyboard.type(cfg.question, { delay: 10 });
  await page.keyboard.press('Enter');
  await page.waitForFunction(q => { const h = document.querySelector('.ask-answer h2'); return h && h.textContent === q; }, cfg.question, { timeout: 20000 });
  const names = await answerNames(page);
  expect(JSON.stringify(names) === JSON.stringify(cfg.stale), 'the answer lists ' + JSON.stringify(names) + ', not ' + JSON.stringify(cfg.stale));
  const explanation = squash(await page.locator('.ask-explain').innerText());
  expect(/90 days/.test(explanation), 'the plan in words does not say "90 days": ' + explanation);
  expect(/Built-in question|Answered by the local model/.test(await page.locator('.ask-badge').innerText()), 'no badge says who answered');
  const link = page.locator('.ask-table a.ask-inv').first();
  await link.waitFor();
  expect(/^#\/grid\?investor=/.test(await link.getAttribute('href')), 'an investor in the answer does not link to its panel');
  await page.getByText('Show the plan').click();
  expect(/"entity"/.test(await page.locator('.ask-plan-json').innerText()), 'the plan JSON is not shown');
  await shot(page, '06-ask-answer', { fullPage: true });
  step('typed "' + cfg.question + '": ' + names.join(', ') + '; explained: ' + explanation);

  /* ---------------- Save as view, then open it in the grid ---------------- */
  await page.getByRole('button', { name: 'Save as view' }).click();
  const nameField = page.getByLabel('View name');
  await nameField.fill(VIEW_NAME);
  await shot(page, '07-ask-save');
  await page.getByRole('button', { name: 'Save view' }).click();
  await page.locator('.ask-saved').getByText('Saved as “' + VIEW_NAME + '”').waitFor();
  await shot(page, '08-ask-saved');
  await page.getByRole('link', { name: 'Open in the grid' }).click();
  await page.waitForFunction(() => location.hash.startsWith('#/grid'));
  await page.locator('.vtab.is-active').getByText(VIEW_NAME).waitFor();
  await page.waitForFunction(n => document.querySelector('.gv-scroll') && document.querySelector('.gv-scroll').getAttribute('data-rows') === String(n), cfg.stale.length);
  const gridNames = [];
  for (let r = 0; r < cfg.stale.length; r++) gridNames.push(squash(await page.locator(cellSel(r, 0)).innerText()));
  expect(JSON.stringify(gridNames.sort()) === JSON.stringify(cfg.stale), 'the saved view shows ' + JSON.stringify(gridNames) + ', not ' + JSON.stringify(cfg.stale));
  await shot(page, '09-grid-view');
  step('saved "' + VIEW_NAME + '"; the grid opened it with ' + gridNames.join(', '));

  /* ---------------- a question it cannot read ---------------- */
  await page.goto(base + '/#/ask');
  await page.locator('#ask-question').waitFor();
  await page.locator('#ask-question').fill('purple elephants dancing');
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  await page.locator('.ask-refused').waitFor({ timeout: 20000 });
  expect(await page.locator('.ask-refused .ask-chip').count() > 0, 'a refused question offers no examples');
  await shot(page, '10-ask-refused');
  step('a question it cannot read shows the error and example questions');
  await ctx.close();

  /* ---------------- tablet and phone ---------------- */
  await atSmallSizes(browser, async (p, label) => {
    watch(p, cfg.username + ' (' + label + ')', allow);
    const snap = name => p.screenshot({ path: path.join(outDir, 'search-' + label + '-' + name + '.png') });
    await signIn(p, '/ask');
    await p.getByRole('button', { name: /^Search/ }).first().click();
    await palette(p).waitFor();
    await typeAndWait(p, cfg.word);
    await p.waitForTimeout(250);
    await snap('01-palette');
    if (label === 'phone') {
      const box = await palette(p).boundingBox();
      expect(box && box.width >= p.viewportSize().width - 1 && box.height >= p.viewportSize().height - 1, 'the palette is not a full-screen sheet on the phone');
    }
    await p.getByRole('button', { name: 'Close search' }).click();
    await palette(p).waitFor({ state: 'detached' });
    await p.locator('#ask-question').fill(cfg.question);
    await p.getByRole('button', { name: 'Ask', exact: true }).click();
    await p.locator('.ask-answer').waitFor({ timeout: 20000 });
    await p.waitForTimeout(250);
    await snap('02-ask');
    await p.locator('.ask-answer-foot').scrollIntoViewIfNeeded();
    await snap('03-answer');
    if (label === 'phone') await phoneOverflow(p, 'Ask', { stillPage: true });
    step(label + ' screenshots taken' + (label === 'phone' ? '; nothing scrolls sideways' : ''));
  });
  return 'in ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s';
});
