#!/usr/bin/env node
/*
 * Tasks as a person uses them, in real headless Chromium against a running server seeded by
 * tests/test_frontend_tasks.py (TASKS_CONFIG: the admin's login and the investors' ids): right-click
 * an investor in the grid -> "Follow up in…" -> In 3 days makes the admin's task (the server has
 * it, due three office days on); the Tasks page shows it under This week beside the seeded overdue
 * and today tasks; ticking it done reaches the server, Undo reopens it, ticking again leaves the
 * list; a quick-add with the investor picked by typing and "Next week"; a title edited in place;
 * Everyone's tasks shows a colleague's; the investor panel lists the investor's open tasks and
 * makes one with its own "Follow up in…". Screenshots at 1440x900, 820x1180 and 390x844; nothing
 * scrolls sideways on the phone. Zero console errors.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const harness = require('./harness');
const { base, outDir, step, watch, shot, expect, runBrowser } = harness.open('browser_tasks', { shotPrefix: 'tasks-', shotDelay: 250 });
const { cellSel, newContext, apiFor, waitCell, phoneOverflow, atSmallSizes } = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.TASKS_CONFIG || '', 'utf8'));
const signIn = (page, where) => harness.signIn(page, base, cfg.username, cfg.password, where);

const plus = (iso, n) => { const d = new Date(iso + 'T12:00:00Z'); d.setUTCDate(d.getUTCDate() + n); return d.toISOString().slice(0, 10); };

async function waitFor(what, fn, timeout = 5000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(what + ' (timed out)');
}

runBrowser(async (browser) => {
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  watch(page, cfg.username, (kind, text, r) => kind === 'request' && /ERR_ABORTED/.test(text) && r.method() === 'GET');
  await signIn(page, '/grid');
  const token = await page.evaluate(() => localStorage.getItem('vcrm.token'));
  const api = apiFor(ctx, token);
  const { today } = await (await ctx.request.get(base + '/api/tasks?limit=1', { headers: { Authorization: 'Bearer ' + token } })).json();
  expect(/^\d{4}-\d{2}-\d{2}$/.test(today || ''), 'the task list has no today: ' + today);
  const northwind = cfg.ids['Northwind Endowment'];

  /* ---------------- the grid's row menu: Follow up in… -> In 3 days ---------------- */
  await page.locator('.gv-row .gv-cell[data-c="0"]', { hasText: 'Northwind Endowment' }).first().waitFor();
  const r = await page.locator('.gv-row', { has: page.locator('.gv-cell[data-c="0"]', { hasText: 'Northwind Endowment' }) }).first().getAttribute('data-r');
  await waitCell(page, Number(r), 0, 'Northwind Endowment');
  await page.locator(cellSel(r, 0)).click({ button: 'right' });
  const menu = page.getByRole('menu', { name: /Actions for Northwind Endowment/ });
  await menu.waitFor();
  await menu.getByRole('menuitem', { name: 'Follow up in…' }).click();
  const pop = page.getByRole('dialog', { name: 'Follow up with Northwind Endowment' });
  await pop.waitFor();
  expect(await pop.getByLabel('Task title').inputValue() === 'Follow up with Northwind Endowment', 'the follow-up has no default title');
  await shot(page, '01-row-menu-follow-up');
  await pop.getByRole('button', { name: /In 3 days/ }).click();
  await page.locator('.toast', { hasText: 'Follow-up with Northwind Endowment' }).waitFor();
  const made = await waitFor('the follow-up reached the server', async () => (await api.get('/api/tasks?investor_id=' + northwind))[0]);
  expect(made.title === 'Follow up with Northwind Endowment' && made.due === plus(today, 3) && !made.done && made.source === 'manual',
    'the server has ' + JSON.stringify(made));
  step('right-click -> Follow up in… -> In 3 days: the server has it, due ' + made.due);

  /* ---------------- the Tasks page: groups, tick done, Undo ---------------- */
  await page.locator('.nav-item', { hasText: 'Tasks' }).click();
  await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
  const week = page.getByRole('region', { name: 'This week' });
  await week.getByText('Follow up with Northwind Endowment').waitFor();
  await page.getByRole('region', { name: 'Overdue' }).getByText('Send Halcyon the data room link').waitFor();
  await page.getByRole('region', { name: 'Today' }).getByText('Call Juniper about the side letter').waitFor();
  await page.getByRole('region', { name: 'Later' }).getByText('Draft the Q4 LP update').waitFor();
  expect(await page.getByText("Ben's intro to Cobalt").count() === 0, 'My tasks shows a colleague\'s task');
  const row = page.locator('.tk-row', { hasText: 'Follow up with Northwind Endowment' });
  expect((await row.locator('.tk-inv').getAttribute('href')) === '#/grid?investor=' + northwind, 'the task does not link to its investor');
  await shot(page, '02-my-tasks');
  step('Tasks: the follow-up under This week, with the overdue, today and later ones');

  await row.getByRole('checkbox').check();
  await page.locator('.toast', { hasText: 'Done: Follow up with Northwind Endowment' }).waitFor();
  await waitFor('the tick reached the server', async () => (await api.get('/api/tasks?status=done&investor_id=' + northwind)).length === 1);
  await shot(page, '03-ticked');
  await page.locator('.toast', { hasText: 'Done: Follow up with Northwind Endowment' }).getByRole('button', { name: 'Undo' }).click();
  await waitFor('Undo reopened the task', async () => (await api.get('/api/tasks?investor_id=' + northwind)).length === 1);
  await row.getByRole('checkbox').check();
  await waitFor('ticked again', async () => (await api.get('/api/tasks?status=done&investor_id=' + northwind)).length === 1);
  await row.waitFor({ state: 'detached', timeout: 5000 });
  step('ticked done (the server agrees), Undo reopened it, ticked again it left the list');

  /* ---------------- quick-add, inline edit, everyone's ---------------- */
  const add = page.getByRole('form', { name: 'Add a task' });
  await add.getByLabel('Investor').fill('cobalt');
  await page.getByRole('option', { name: 'Cobalt Pension Trust' }).click();
  await add.getByRole('button', { name: 'Next week' }).click();
  expect(await add.getByLabel('What to do').getAttribute('placeholder') === 'Follow up with Cobalt Pension Trust', 'the title does not default to the investor');
  await add.getByLabel('What to do').fill('Send Cobalt the LPA');
  await add.getByRole('button', { name: 'Add task' }).click();
  await week.getByText('Send Cobalt the LPA').waitFor();
  const lpa = await waitFor('the quick-add reached the server', async () => (await api.get('/api/tasks?investor_id=' + cfg.ids['Cobalt Pension Trust']))
    .find(t => t.title === 'Send Cobalt the LPA'));
  expect(lpa.due === plus(today, 7), 'Next week gave ' + lpa.due);
  const typed = page.locator('.tk-row', { hasText: 'Send Cobalt the LPA' });
  await typed.getByRole('button', { name: 'Send Cobalt the LPA', exact: true }).click();
  await page.locator('.tk-row .tk-title-input').fill('Send Cobalt the signed LPA');
  await page.keyboard.press('Enter');
  await waitFor('the edited title reached the server', async () => (await api.get('/api/tasks?investor_id=' + cfg.ids['Cobalt Pension Trust']))
    .some(t => t.title === 'Send Cobalt the signed LPA'));
  step('quick-add with the investor picked by typing and Next week; the title edited in place');

  await page.getByRole('button', { name: 'Everyone’s' }).click();
  await page.locator('.tk-row', { hasText: "Ben's intro to Cobalt" }).waitFor();
  expect(await page.locator('.tk-row', { hasText: "Ben's intro to Cobalt" }).getByLabel(/Owner of/).inputValue() !== '', 'a colleague\'s task shows no owner');
  await shot(page, '04-everyone');
  await page.getByRole('button', { name: 'Done', exact: true }).click();
  await page.locator('.tk-row.is-done', { hasText: 'Follow up with Northwind Endowment' }).waitFor();
  await shot(page, '05-done');
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.getByRole('button', { name: 'My tasks' }).click();
  step('everyone’s tasks show a colleague’s; the Done list has the ticked one');

  /* ---------------- the investor panel ---------------- */
  await page.goto(base + '/#/grid?investor=' + cfg.ids['Halcyon Family Office']);
  const panel = page.getByRole('region', { name: 'Tasks for this investor' });
  await panel.getByText('Send Halcyon the data room link').waitFor();
  await panel.getByRole('button', { name: 'Follow up in…' }).click();
  const panelPop = page.getByRole('dialog', { name: 'Follow up with Halcyon Family Office' });
  await panelPop.getByRole('button', { name: /Tomorrow/ }).click();
  await panel.getByText('Follow up with Halcyon Family Office').waitFor();
  const halcyon = await api.get('/api/tasks?owner=all&investor_id=' + cfg.ids['Halcyon Family Office']);
  expect(halcyon.some(t => t.title === 'Follow up with Halcyon Family Office' && t.due === plus(today, 1)), 'the panel made ' + JSON.stringify(halcyon));
  await shot(page, '06-panel');
  await panel.locator('.tk-mini-row', { hasText: 'Send Halcyon the data room link' }).getByRole('checkbox').check();
  await waitFor('the panel tick reached the server', async () => (await api.get('/api/tasks?status=done&investor_id=' + cfg.ids['Halcyon Family Office'])).length === 1);
  step('the panel lists the investor\'s open tasks, ticks one done and makes a follow-up for tomorrow');

  await atSmallSizes(browser, async (p, label) => {
    watch(p, cfg.username + ' (' + label + ')', (kind, text, rq) => kind === 'request' && /ERR_ABORTED/.test(text) && rq.method() === 'GET');
    await signIn(p, '/tasks');
    await p.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(outDir, 'tasks-' + label + '.png') });
    if (label === 'phone') {
      await phoneOverflow(p, 'Tasks');
      await p.locator('.tk-due').first().click();
      await p.getByRole('dialog', { name: /Due day of/ }).waitFor();
      await p.waitForTimeout(200);
      await p.screenshot({ path: path.join(outDir, 'tasks-phone-due.png') });
      await p.keyboard.press('Escape');
      await phoneOverflow(p, 'Tasks with the due picker');
    }
  });
  step('tablet and phone screenshots; nothing scrolls sideways on the phone');
});
