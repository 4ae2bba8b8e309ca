/*
 * What every browser script shares: the Chromium flags this closed network needs, and the
 * first-run setup that creates the admin through the real UI.
 */
'use strict';

// Without the background-networking flags Chromium keeps dialling Google's hosts, which this
// machine's network refuses.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Fill and submit the first-run setup screen; resolves once the account is created.
async function createFirstAdmin(page, base, username, email, password) {
  await page.goto(base + '/');
  await page.getByRole('button', { name: 'Create admin account' }).waitFor({ timeout: 20000 });
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create admin account' }).click();
}

module.exports = { CHROMIUM_ARGS, createFirstAdmin };
