#!/usr/bin/env node
/*
 * Admin -> Service tokens -> AI assistants (MCP), in real headless Chromium against a running server
 * (tests/test_frontend_mcp.py seeds one investor and names the admin in MCP_CONFIG): the endpoint
 * URL is this server's, "Create a token for an assistant" with "Log notes" ticked makes a token with
 * grid:read and intake:write (the table shows it), the pasted configuration holds it, and that
 * token really speaks MCP: initialize, tools/list with log_note, and a get_investor call. Each
 * client's snippet in turn. Screenshots at 1440x900, 820x1180 and 390x844; nothing scrolls sideways
 * on the phone. Zero console errors.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const harness = require('./harness');
const { base, outDir, step, watch, shot, expect, runBrowser } = harness.open('browser_mcp', { shotPrefix: 'mcp-', shotDelay: 250 });
const { newContext, phoneOverflow, atSmallSizes } = require('./grid_page')(base, expect);
const cfg = JSON.parse(fs.readFileSync(process.env.MCP_CONFIG || '', 'utf8'));
const signIn = (page, where) => harness.signIn(page, base, cfg.username, cfg.password, where);

async function rpc(ctx, token, id, method, params) {
  const resp = await ctx.request.post(base + '/api/mcp', {
    headers: { 'X-API-Key': token, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    data: JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }),
  });
  expect(resp.status() === 200, method + ' answered ' + resp.status() + ': ' + await resp.text());
  const body = await resp.json();
  expect(body.id === id && body.result, method + ' did not succeed: ' + JSON.stringify(body));
  return body.result;
}

runBrowser(async (browser) => {
  const ctx = await newContext(browser, { viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  watch(page, cfg.username);
  await signIn(page, '/admin/tokens');
  const card = page.locator('.mcp-card');
  await card.getByRole('heading', { name: 'AI assistants (MCP)' }).waitFor();
  const url = await card.locator('.mcp-endpoint input').inputValue();
  expect(url === base + '/api/mcp', 'the endpoint reads ' + url + ', not ' + base + '/api/mcp');
  const placeholder = await card.locator('.mcp-config pre').innerText();
  expect(placeholder.includes('<your token>') && placeholder.includes(base + '/api/mcp'), 'the snippet before a token: ' + placeholder);
  await card.scrollIntoViewIfNeeded();
  await shot(page, '01-card');
  step('the card names this server\'s endpoint and a placeholder config');

  await card.getByLabel('Token name').fill('Claude for Ann');
  await card.locator('label.checkbox', { hasText: 'Log notes' }).click();
  await card.getByRole('button', { name: 'Create a token for an assistant' }).click();
  await card.getByText('Copy the token for “Claude for Ann” now').waitFor();
  const token = await card.locator('.callout .copy-field input').inputValue();
  expect(/^vcrm_/.test(token), 'no token shown: ' + token);
  const snippet = JSON.parse(await card.locator('.mcp-config pre').innerText());
  const server = snippet.mcpServers['venture-crm'];
  expect(server.type === 'http' && server.url === base + '/api/mcp' && server.headers['X-API-Key'] === token,
    'the streamable HTTP config does not hold the new token: ' + JSON.stringify(snippet));
  const row = page.locator('table tr', { hasText: 'Claude for Ann' });
  await row.waitFor();
  const chips = await row.locator('.chip').allInnerTexts();
  expect(chips.join(' ') === 'grid:read intake:write', 'the new token\'s scopes: ' + chips.join(' '));
  await shot(page, '02-created');
  step('one click made a grid:read + intake:write token and filled it into the config');

  const init = await rpc(ctx, token, 1, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'browser-test', version: '1' } });
  expect(init.serverInfo.name === 'venture-crm', 'initialize: ' + JSON.stringify(init));
  const tools = (await rpc(ctx, token, 2, 'tools/list')).tools.map(t => t.name);
  expect(tools.includes('log_note') && tools.includes('get_investor'), 'tools: ' + tools.join(', '));
  const found = await rpc(ctx, token, 3, 'tools/call', { name: 'get_investor', arguments: { name: cfg.investor } });
  expect(!found.isError && found.structuredContent.name === cfg.investor, 'get_investor: ' + JSON.stringify(found));
  step('the token speaks MCP: initialize, ' + tools.length + ' tools, get_investor found ' + cfg.investor);

  await card.getByRole('button', { name: 'Claude Code' }).click();
  const code = await card.locator('.mcp-config pre').innerText();
  expect(code.startsWith('claude mcp add --transport http venture-crm ' + base + '/api/mcp') && code.includes('X-API-Key: ' + token), 'Claude Code: ' + code);
  await card.getByRole('button', { name: 'Claude Desktop' }).click();
  const desktop = JSON.parse(await card.locator('.mcp-config pre').innerText()).mcpServers['venture-crm'];
  expect(desktop.command === 'npx' && desktop.args.includes('mcp-remote') && desktop.env.VCRM_TOKEN === token, 'Claude Desktop: ' + JSON.stringify(desktop));
  await shot(page, '03-desktop');
  step('the Claude Code and Claude Desktop snippets hold the token too');

  await atSmallSizes(browser, async (p, label) => {
    watch(p, cfg.username + ' (' + label + ')');
    await signIn(p, '/admin/tokens');
    const c = p.locator('.mcp-card');
    await c.getByRole('heading', { name: 'AI assistants (MCP)' }).waitFor();
    await c.scrollIntoViewIfNeeded();
    await p.waitForTimeout(300);
    await p.screenshot({ path: path.join(outDir, 'mcp-' + label + '.png') });
    await c.getByRole('button', { name: 'Claude Desktop' }).click();
    await p.waitForTimeout(200);
    await c.locator('.mcp-config').screenshot({ path: path.join(outDir, 'mcp-' + label + '-config.png') });
    if (label === 'phone') await phoneOverflow(p, 'Admin -> Service tokens');
  });
  step('tablet and phone screenshots; nothing scrolls sideways on the phone');
});
