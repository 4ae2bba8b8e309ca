#!/usr/bin/env node
/*
 * Requests (frontend/app/requests/requests.jsx) in real headless Chromium against a running
 * server whose admin and member tests/test_frontend_requests.py made (named in REQUESTS_CONFIG):
 * the member opens an empty Requests page (the empty state says what it is for), types a request
 * into the form and files it; the admin sees it, sets its status to Planned with a note; the
 * member, back on the page, sees Planned and the note, can no longer edit it, and the filter
 * counts agree. Screenshots at 1440x900, 820x1180 and 390x844; nothing scrolls sideways on the
 * phone. Zero console errors.
 */
'use strict';
const fs = require('fs');

const harness = require('./harness');
const { base, step, watch, shot, expect, runBrowser } = harness.open('browser_requests', { shotPrefix: 'requests-', shotDelay: 250 });
const { newContext, phoneOverflow } = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.REQUESTS_CONFIG || '', 'utf8'));
const signIn = (page, who, where) => harness.signIn(page, base, who.username, cfg.password, where);
const TITLE = 'Bulk-edit tags on investors';
const DETAILS = 'Select a few rows in the grid and add or remove a tag on all of them at once.\nToday we edit every row by hand.';
const NOTE = 'Next sprint, with the new bulk actions.';

const item = (page, title) => page.locator('.fr-item').filter({ has: page.getByRole('heading', { name: title }) });
const countOf = async (page, filter) => Number(await page.locator(`.fr-filter[data-filter="${filter}"] .count`).innerText());

runBrowser(async (browser) => {
  // The member: an empty page that says what it is for, then a request typed and filed.
  const memberCtx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const member = await memberCtx.newPage();
  watch(member, cfg.member.username);
  await signIn(member, cfg.member, '/requests');
  await member.getByRole('heading', { name: 'Feature requests' }).waitFor();
  await member.getByRole('heading', { name: 'No requests yet' }).waitFor();
  expect(await member.locator('.sidebar').getByRole('link', { name: 'Requests' }).getAttribute('aria-current') === 'page',
    'the sidebar does not mark Requests as the current page');
  await shot(member, '01-empty');
  step('an empty Requests page explains itself');

  await member.getByLabel('Title').fill(TITLE);
  await member.getByLabel('Details').fill(DETAILS);
  await member.getByRole('button', { name: 'File request' }).click();
  await item(member, TITLE).waitFor();
  await member.getByText('Request filed').waitFor();
  expect(await member.getByLabel('Title').inputValue() === '', 'the form was not cleared after filing');
  const mine = item(member, TITLE);
  expect((await mine.locator('.fr-pill').innerText()).trim() === 'New', 'a new request is not shown as New');
  expect(await mine.getByText('You', { exact: true }).count() === 1, 'the member\u2019s own request is not marked You');
  expect(await mine.getByRole('button', { name: 'Edit \u201c' + TITLE + '\u201d' }).count() === 1, 'the author cannot edit a new request');
  expect(await mine.locator('select').count() === 0, 'a member is offered the status picker');
  expect(await countOf(member, 'all') === 1 && await countOf(member, 'new') === 1, 'the counts do not show the new request');
  const row = member.locator(`.fr-item[data-request="${await mine.getAttribute('data-request')}"]`);
  await row.getByRole('button', { name: 'Edit \u201c' + TITLE + '\u201d' }).click();  // the author edits it while it is new
  await row.getByLabel('Details').fill(DETAILS + ' It takes an afternoon.');
  await row.getByRole('button', { name: 'Save changes' }).click();
  await row.getByText('It takes an afternoon.').waitFor();
  await member.getByRole('button', { name: 'File request' }).click();  // an empty title is refused in place
  await member.getByText('Give the request a short title.').waitFor();
  await shot(member, '02-filed');
  step('the member typed and filed a request; it is New, theirs, counted, and they edited it');

  // The admin: the member's request with a status picker; Planned, and a note.
  const adminCtx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const admin = await adminCtx.newPage();
  watch(admin, cfg.admin.username);
  await signIn(admin, cfg.admin, '/requests');
  const theirs = item(admin, TITLE);
  await theirs.waitFor();
  expect(await theirs.getByRole('button', { name: /^Edit/ }).count() === 0, 'an admin is offered Edit on someone else\u2019s request');
  await theirs.getByLabel('Status of \u201c' + TITLE + '\u201d').selectOption('planned');
  await admin.getByText('\u201c' + TITLE + '\u201d is now planned.').waitFor();
  await theirs.getByRole('button', { name: 'Add a note' }).click();
  await theirs.getByLabel('Note on \u201c' + TITLE + '\u201d').fill(NOTE);
  await theirs.getByRole('button', { name: 'Save note' }).click();
  await theirs.locator('.fr-note-text', { hasText: NOTE }).waitFor();
  expect((await theirs.locator('.fr-pill').innerText()).trim() === 'Planned', 'the admin\u2019s list does not show Planned');
  expect(await countOf(admin, 'planned') === 1 && await countOf(admin, 'new') === 0, 'the counts did not follow the status');
  await shot(admin, '03-admin-planned');
  step('the admin set the request to Planned and added a note');

  // The member again: Planned with the admin's note, no longer editable; the Planned filter holds it.
  await member.getByRole('button', { name: 'Refresh the list' }).click();
  await item(member, TITLE).locator('.fr-pill', { hasText: 'Planned' }).waitFor();
  const seen = item(member, TITLE);
  await seen.locator('.fr-note-text', { hasText: NOTE }).waitFor();
  expect((await seen.locator('.fr-note-head').innerText()).includes('Planned by ' + cfg.admin.username), 'the note does not say who decided');
  expect(await seen.getByRole('button', { name: /^Edit/ }).count() === 0, 'the author can still edit a planned request');
  await member.getByRole('tab', { name: /Planned/ }).click();
  await member.locator('.fr-filter.is-active[data-filter="planned"]').waitFor();
  await item(member, TITLE).waitFor();
  await member.getByRole('tab', { name: /New/ }).click();
  await member.getByText('Nothing new waiting for a decision.').waitFor();
  await member.getByRole('tab', { name: /All/ }).click();
  await item(member, TITLE).waitFor();
  await shot(member, '04-member-sees-planned');
  step('the member sees Planned and the admin\u2019s note; the filters agree');

  // Tablet and phone: the same page, one column; nothing scrolls sideways on the phone.
  for (const [label, viewport, who] of [['tablet', { width: 820, height: 1180 }, cfg.admin], ['phone', { width: 390, height: 844 }, cfg.member]]) {
    const small = await newContext(browser, { viewport, isMobile: label === 'phone', hasTouch: label === 'phone' });
    const p = await small.newPage();
    watch(p, who.username + ' (' + label + ')');
    await signIn(p, who, '/requests');
    await item(p, TITLE).waitFor();
    await shot(p, label);
    await item(p, TITLE).scrollIntoViewIfNeeded();
    await shot(p, label + '-list');
    if (label === 'phone') {
      await phoneOverflow(p, 'Requests', { stillPage: true });
      await p.locator('.content').evaluate(el => { el.scrollTop = 0; });
      await p.getByRole('button', { name: 'New request' }).click();  // on a phone the form waits behind a button
      await p.getByLabel('Title').waitFor();
      await shot(p, 'phone-form');
      await phoneOverflow(p, 'Requests (the form open)');
      await p.getByRole('button', { name: 'Cancel' }).click();
      await p.getByRole('button', { name: 'New request' }).waitFor();
    }
    await small.close();
  }
  step('tablet and phone screenshots; nothing scrolls sideways on the phone');
  await memberCtx.close();
  await adminCtx.close();
});
