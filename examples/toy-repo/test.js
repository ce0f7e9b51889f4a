import assert from 'node:assert/strict';
import { add } from './calc.js';

assert.equal(add(2, 3), 5);
console.log('1 passed, 0 failed');
