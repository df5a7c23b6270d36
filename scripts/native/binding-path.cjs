#!/usr/bin/env node
// Print "<binding path> <napi version> <package dir>": where the tfjs-node loader (node-pre-gyp
// `find`, as in tfjs-node's dist/index.js) looks for tfjs_binding.node. Used by setup-native.sh.
'use strict';
const path = require('path');
const pkg = process.argv[2] || '@tensorflow/tfjs-node';
const pkgJson = require.resolve(`${pkg}/package.json`);
const preGyp = require(require.resolve('@mapbox/node-pre-gyp', { paths: [path.dirname(pkgJson)] }));
const bindingPath = preGyp.find(pkgJson);
const napi = /napi-v(\d+)/.exec(bindingPath);
console.log(`${bindingPath} ${napi ? napi[1] : ''} ${path.dirname(pkgJson)}`);
