/** The seeded PRNG of randomized tests (mulberry32), so they are reproducible. Returns floats in [0, 1). */
export { mulberry32 as prng } from '../../src/mulberry32.js';
