/**
 * The Observable Plot functions the sample browser's histograms use, imported dynamically with the
 * first histogram (web/src/views/Samples.tsx). Going through this module rather than importing
 * Plot itself dynamically keeps Plot's chunk tree-shaken: a dynamic import of a package keeps
 * every one of its exports.
 */
export { plot, rectY, ruleY } from '@observablehq/plot';
