#!/usr/bin/env node
/*
 * Communications -> Search content over real imported mail, in real headless Chromium
 * (tests/test_frontend_mail_search.py imports a generated mbox and names a word in MAIL_SEARCH_CONFIG):
 * switch to Search content, type the word as a person would, see the hits grouped by investor,
 * open one and read the message. Screenshots at desktop and phone size; zero console errors.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const harness = require('./harness');
const { base, outDir, step, watch, shot, expect, runBrowser } = harness.open('browser_mail_search', { shotPrefix: 'mail-search-', shotDelay: 250 });
const { newContext, phoneOverflow } = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.MAIL_SEARCH_CONFIG || '', 'utf8'));
const signIn = (page, where) => harness.signIn(page, base, cfg.username, cfg.password, where);

async function searchContent(page) {
  await signIn(page, '/communications');
  await page.getByRole('heading', { name: 'Communications' }).waitFor();
  await page.getByRole('button', { name: 'Search content' }).click();
  await page.getByRole('searchbox', { name: 'Search content' }).click();
  await page.keyboard.type(cfg.word, { delay: 25 });
  await page.locator('.cm-hit').first().waitFor();
}

runBrowser(async (browser) => {
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  watch(page, cfg.username);
  await searchContent(page);
  const groups = await page.locator('.cm-hit-group').evaluateAll(els => els.map(e => e.getAttribute('aria-label')));
  expect(groups.length >= 1 && groups.every(g => cfg.investors.includes(g)), 'hits are grouped under ' + JSON.stringify(groups) + ', expected among ' + JSON.stringify(cfg.investors));
  const hits = await page.locator('.cm-hit').count();
  expect(hits === cfg.hits, hits + ' hits shown, the API found ' + cfg.hits);
  await shot(page, '01-hits');
  await page.locator('.cm-hit-row').first().click();
  await page.locator('.cm-hit-body').first().waitFor();
  // The message opens in place: its headers and its text (the word may be in either its subject or its body).
  await page.waitForFunction(() => {
    const b = document.querySelector('.cm-hit-body .mail-detail');
    return b && b.querySelector('.mail-headers') && !b.querySelector('.mail-loading') && b.innerText.trim().length > 80;
  }, null, { timeout: 15000 });
  await shot(page, '02-open');
  step('Search content found "' + cfg.word + '" in ' + hits + ' messages under ' + groups.join(', ') + ', and opened one');
  const phone = await newContext(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  watch(p, cfg.username + ' (phone)');
  await searchContent(p);
  await p.screenshot({ path: path.join(outDir, 'mail-search-phone.png') });
  await phoneOverflow(p, 'Communications -> Search content');
  expect((await p.getByRole('searchbox', { name: 'Search content' }).boundingBox()).width > 250, 'the search field is too narrow to read on the phone');
  await phone.close();
  step('the phone shows the hits; nothing scrolls sideways');
});
