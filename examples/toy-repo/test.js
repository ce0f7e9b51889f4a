// The toy project's tests: `node test.js`. Tasks append assertions below.
import assert from 'node:assert/strict';
import * as calc from './calc.js';

assert.equal(calc.add(2, 3), 5);
