import { generateSample } from './src/tint/generate.js';
import { validateTIntSpec } from './src/tint/spec.js';
import { verifyTrace } from './src/tint/verify.js';
const spec = validateTIntSpec({ op: 'gcd', n: 10, digits: [1,3], static: {doc: 1, char: 0.3, line: 0.0} });
let shown = 0;
for (let i = 0; i < 200 && shown < 2; i++) {
  const s = generateSample(spec, 'train', i);
  const v = verifyTrace(s.prompt, s.response)!;
  if (v.class === 'PROPAGATING') { shown++; console.log(s.prompt, JSON.stringify(v)); 
    const clean = generateSample({...spec, static: null}, 'train', i);
    const a = s.response.split('\n'), b = clean.response.split('\n');
    for (let k = 0; k < Math.max(a.length,b.length); k++) console.log((a[k]===b[k]?'  ':'!!') + (a[k]??'').padEnd(40), b[k]??'');
  }
}
