#!/usr/bin/env node
/*
 * End-to-end in real headless Chromium against a running server (given as BASE_URL, fresh data):
 * first-run setup -> app frame -> Admin -> Invites: create an invite -> a second browser context
 * accepts it -> the new member signs in and sees no Admin -> the admin sees them in Users ->
 * reload uses the compile cache (Babel not fetched). Fails on any CSP violation or console error.
 *
 *   node tests/frontend/browser_auth.js http://127.0.0.1:PORT OUT_DIR
 */
'use strict';

const harness = require('./harness');
const { PASSWORD, createFirstAdmin } = harness;
const { base, problems, step, watch: watchPage, shot, runBrowser } = harness.open('browser_auth');
const watch = (page, who) => watchPage(page, who);

runBrowser(async (browser) => {
  const admin = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  // Collect CSP violations from inside the page: Chromium reports them as securitypolicyviolation events.
  await admin.addInitScript(() => document.addEventListener('securitypolicyviolation',
    e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI)));
  const page = await admin.newPage();
  watch(page, 'admin');
  let babelFetches = 0;
  page.on('request', r => { if (/\/vendor\/babel/.test(r.url())) babelFetches++; });

  await page.goto(base + '/');
  await page.getByRole('button', { name: 'Create admin account' }).waitFor({ timeout: 20000 });
  step('setup screen rendered');
  await page.getByLabel('Username', { exact: true }).fill('jane');
  await page.getByLabel('Email').fill('jane@northwind.vc');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create admin account' }).click();
  await page.getByRole('navigation', { name: 'Main navigation' }).or(page.locator('aside.sidebar')).first().waitFor();
  await page.getByText('Fundraising grid').first().waitFor();
  await shot(page, 'e2e-01-app-frame');
  step('first admin created, app frame shown');

  await page.goto(base + '/#/admin/invites');
  await page.getByLabel('Email address to invite').fill('lena@northwind.vc');
  await page.getByRole('button', { name: 'Create invite' }).click();
  const link = page.getByLabel('Value to copy').first();
  await link.waitFor();
  const inviteUrl = await link.inputValue();
  if (!inviteUrl.includes('#/accept-invite?token=')) throw new Error('no invite URL shown: ' + inviteUrl);
  await shot(page, 'e2e-02-invite-created');
  step('invite created: ' + inviteUrl.replace(/token=.*/, 'token=…'));

  const invitee = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await invitee.addInitScript(() => document.addEventListener('securitypolicyviolation',
    e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI)));
  const page2 = await invitee.newPage();
  watch(page2, 'invitee');
  await page2.goto(inviteUrl);
  await page2.getByText('lena@northwind.vc').first().waitFor({ timeout: 20000 });
  await shot(page2, 'e2e-03-accept-invite');
  await page2.getByLabel('Username', { exact: true }).fill('lena');
  await page2.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page2.getByLabel('Confirm password').fill(PASSWORD);
  await page2.getByRole('button', { name: 'Create account and sign in' }).click();
  await page2.getByText('Fundraising grid').first().waitFor();
  if (await page2.locator('aside.sidebar').getByText('Admin', { exact: true }).count() !== 0)
    throw new Error('a member sees the Admin navigation');
  await shot(page2, 'e2e-04-member-app');
  step('invite accepted; member signed in without Admin');

  await page.goto(base + '/#/admin/users');
  await page.getByText('lena@northwind.vc').first().waitFor();
  await shot(page, 'e2e-05-users');
  step('admin sees the new member in Users');

  const before = babelFetches;
  await page.reload();
  await page.getByText('lena@northwind.vc').first().waitFor();
  if (babelFetches !== before) throw new Error('reload fetched Babel again: the compile cache missed');
  step(`reload used the compile cache (Babel fetched ${before} time(s) in total, 0 on reload)`);

  // Sign out through the UI, then the old token must be refused by the server.
  const token = await page.evaluate(() => localStorage.getItem('vcrm.token'));
  await page.getByRole('button', { name: /Account menu|jane/ }).first().click();
  await page.getByText('Sign out').click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  // Ask from outside the page, so the expected 401 is not logged as a console error.
  const status = (await admin.request.get(base + '/api/auth/me', { headers: { Authorization: 'Bearer ' + token } })).status();
  if (status !== 401) throw new Error('token still valid after sign-out: ' + status);
  await shot(page, 'e2e-06-signed-out');
  step('sign-out revoked the session');
});
