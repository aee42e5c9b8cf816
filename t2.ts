import { generateSample } from './src/tint/generate.js';
import { validateTIntSpec } from './src/tint/spec.js';
import { verifyTrace } from './src/tint/verify.js';
for (const op of ['add','sub','mul','div','mod','sort','gcd','median']) {
  for (const [label, noise] of [['static', {static: {doc: 1, char: 0.3, line: 0.3}}], ['static-char-.9', {static: {doc: 1, char: 0.9}}], ['static-line-.9', {static: {doc: 1, line: 0.9}}], ['dyn.2', {dynamic: {doc: 1, p: 0.2}}], ['dyn.4', {dynamic: {doc: 1, p: 0.4}}], ['clean', {}]] as const) {
    const spec = validateTIntSpec({ op, n: 10, digits: [1,5], ...noise });
    const counts: Record<string, number> = {}; let changed = 0; let t0 = performance.now(); let vf = 0;
    for (let i = 0; i < 2000; i++) {
      const s = generateSample(spec, 'train', i);
      const m = s.metadata.tint;
      const didChange = (m.static && (m.static.digitsReplaced + m.static.linesDeleted) > 0) || (m.dynamic && m.dynamic.digitsCorrupted > 0);
      if (label !== 'clean' && !didChange) continue;
      changed++;
      const v = verifyTrace(s.prompt, s.response)!;
      counts[v.class] = (counts[v.class] ?? 0) + 1; vf += v.validFraction;
    }
    console.log(op.padEnd(7), label.padEnd(15), changed, JSON.stringify(counts), (vf/changed).toFixed(3), ((performance.now()-t0)/2000*1000).toFixed(0)+'us');
  }
}
