#!/usr/bin/env node
/*
 * The browser's view engine (frontend/app/shared/view_engine.jsx) on a table of cases, so it
 * cannot drift from backend/grid/view_engine.py: tests/test_view_engine.py writes the cases
 * (canonical filters as the server stores them, the columns as the server serves them, a fixed
 * today) and compares every answer with the server's.
 *
 *   node tests/frontend/view_engine_parity.js cases.json   -> prints a JSON array of booleans
 *
 * The engine and the files it needs are compiled with the vendored Babel and run in a plain
 * context: the same source the page assembles, without a browser.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');

const APP = path.resolve(__dirname, '..', '..', 'frontend', 'app');
const VENDOR = path.resolve(__dirname, '..', '..', 'frontend', 'vendor');
// What the engine reads from the rest of the app (helpers, dates, filter-group shapes).
const FILES = ['core/helpers.jsx', 'core/time.jsx', 'shared/filters.jsx', 'shared/view_engine.jsx'];

const manifest = JSON.parse(fs.readFileSync(path.join(APP, 'manifest.json'), 'utf8'));
for (const f of FILES) if (!manifest.scripts.includes(f)) throw new Error(f + ' is not in frontend/app/manifest.json');
const babelFile = fs.readdirSync(VENDOR).find(n => /^babel-standalone-.*\.js$/.test(n));
const Babel = require(path.join(VENDOR, babelFile));

const source = FILES.map(f => fs.readFileSync(path.join(APP, f), 'utf8')).join('\n');
const code = Babel.transform(source, { presets: ['react'], sourceType: 'script' }).code;
const noop = () => undefined;
const React = { createElement: noop, Fragment: 'fragment', createContext: () => ({}), useState: noop, useEffect: noop,
  useLayoutEffect: noop, useRef: noop, useCallback: noop, useMemo: noop, useContext: noop, useId: noop };
const context = vm.createContext({ React, window: {}, navigator: { platform: 'node', userAgent: 'node' },
  localStorage: { getItem: () => null, setItem: noop }, console, Intl, Date, Math, JSON });
vm.runInContext(code + '\n;globalThis.__engine = { veCompileGroup };', context, { filename: 'view_engine_bundle.js' });
const { veCompileGroup } = context.__engine;

const { columns, today, cases } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const todayDay = Math.floor(Date.UTC(+today.slice(0, 4), +today.slice(5, 7) - 1, +today.slice(8, 10)) / 86400000);
const out = cases.map(({ group, column_id, cell, missing }) => {
  const test = veCompileGroup(group, columns, todayDay, 1) || (() => true);
  const value = cell && cell.$nan ? NaN : cell;  // JSON has no NaN: the table sends a marker
  return test(missing ? {} : { [column_id]: value });
});
process.stdout.write(JSON.stringify(out));
