/*
 * Parts of the app's source, compiled with the vendored Babel and run in a plain context: the
 * same files the page assembles (each must be in frontend/app/manifest.json), without a browser.
 * The parity scripts use it to run the browser's copy of a server rule against a table of cases.
 *
 *   const { load } = require('./app_source');
 *   const { parseDateText } = load(['core/helpers.jsx', 'shared/cell_input.jsx'], ['parseDateText']);
 */
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');

const APP = path.resolve(__dirname, '..', '..', 'frontend', 'app');
const VENDOR = path.resolve(__dirname, '..', '..', 'frontend', 'vendor');

function load(files, names) {
  const manifest = JSON.parse(fs.readFileSync(path.join(APP, 'manifest.json'), 'utf8'));
  for (const f of files) if (!manifest.scripts.includes(f)) throw new Error(f + ' is not in frontend/app/manifest.json');
  const babelFile = fs.readdirSync(VENDOR).find(n => /^babel-standalone-.*\.js$/.test(n));
  const Babel = require(path.join(VENDOR, babelFile));
  const source = files.map(f => fs.readFileSync(path.join(APP, f), 'utf8')).join('\n');
  const code = Babel.transform(source, { presets: ['react'], sourceType: 'script' }).code;
  const noop = () => undefined;
  const React = { createElement: noop, Fragment: 'fragment', createContext: () => ({}), useState: noop, useEffect: noop,
    useLayoutEffect: noop, useRef: noop, useCallback: noop, useMemo: noop, useContext: noop, useId: noop };
  const context = vm.createContext({ React, window: {}, navigator: { platform: 'node', userAgent: 'node' },
    localStorage: { getItem: () => null, setItem: noop }, console, Intl, Date, Math, JSON, RangeError });
  vm.runInContext(code + '\n;globalThis.__exports = { ' + names.join(', ') + ' };', context, { filename: 'app_source.js' });
  return context.__exports;
}

module.exports = { load };
