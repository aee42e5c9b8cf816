/**
 * quality.tint_trace_validity: the TInt verifier (src/tint/verify.ts) over a version. Each sample
 * whose prompt is a TInt invocation ("mul( 1 2 , 3 4 )") is re-executed and every line of its
 * response judged; other samples are skipped and counted.
 *
 * Value: the mean valid-line fraction. Details: the rate of each class (CLEAN, LOCAL,
 * PROPAGATING), answer accuracy, line totals, and how many samples were skipped.
 */
import { CALL_MODES, type CallMode } from '../../tint/tracer.js';
import { TRACE_CLASSES, verifyTrace, type TraceClass } from '../../tint/verify.js';
import { ExactSum } from '../exactSum.js';
import type { Accumulator, MetricDefinition, MetricOutcome } from '../types.js';

export type TIntValidityParams = { calls: CallMode | 'auto' };

interface TIntValidityState {
  samples: number;
  verified: number;
  validFractions: ExactSum;
  answersCorrect: number;
  classes: Record<TraceClass, number>;
  lines: number;
  validLines: number;
  missingLines: number;
}

function createAccumulator(params: TIntValidityParams): Accumulator<TIntValidityState> {
  return {
    init: () => ({
      samples: 0,
      verified: 0,
      validFractions: new ExactSum(),
      answersCorrect: 0,
      classes: { CLEAN: 0, LOCAL: 0, PROPAGATING: 0 },
      lines: 0,
      validLines: 0,
      missingLines: 0,
    }),
    update(state, batch, emit) {
      for (const sample of batch) {
        state.samples++;
        const verdict = verifyTrace(sample.prompt, sample.response, params.calls);
        if (!verdict) continue;
        state.verified++;
        state.validFractions.add(verdict.validFraction);
        if (verdict.answerCorrect) state.answersCorrect++;
        state.classes[verdict.class]++;
        state.lines += verdict.lines;
        state.validLines += verdict.validLines;
        state.missingLines += verdict.missingLines;
        emit({
          ordinal: sample.ordinal,
          value: verdict.validFraction,
          details: {
            class: verdict.class,
            answerCorrect: verdict.answerCorrect,
            answerPresent: verdict.answerPresent,
            lines: verdict.lines,
            validLines: verdict.validLines,
            wrongLines: verdict.wrongLines,
            missingLines: verdict.missingLines,
            propagatedLines: verdict.propagatedLines,
            ignoredErrorLines: verdict.ignoredErrorLines,
            calls: verdict.calls,
          },
        });
      }
    },
    merge(left, right) {
      left.samples += right.samples;
      left.verified += right.verified;
      left.validFractions.addAll(right.validFractions);
      left.answersCorrect += right.answersCorrect;
      for (const klass of TRACE_CLASSES) left.classes[klass] += right.classes[klass];
      left.lines += right.lines;
      left.validLines += right.validLines;
      left.missingLines += right.missingLines;
      return left;
    },
    finalize(state): MetricOutcome {
      const rate = (count: number) => (state.verified === 0 ? null : count / state.verified);
      const details = {
        cleanRate: rate(state.classes.CLEAN),
        localRate: rate(state.classes.LOCAL),
        propagatingRate: rate(state.classes.PROPAGATING),
        answerAccuracy: rate(state.answersCorrect),
        classes: { ...state.classes },
        lines: state.lines,
        validLines: state.validLines,
        missingLines: state.missingLines,
        skippedNotTInt: state.samples - state.verified,
      };
      if (state.verified === 0) {
        return {
          value: null,
          reason: 'no sample has a TInt prompt (e.g. "mul( 1 2 , 3 4 )")',
          n: 0,
          estimator: 'EXACT',
          details,
        };
      }
      return {
        value: state.validFractions.value / state.verified,
        n: state.verified,
        estimator: 'EXACT',
        details,
      };
    },
  };
}

export const tintTraceValidity: MetricDefinition<TIntValidityParams> = {
  key: 'quality.tint_trace_validity',
  axis: 'QUALITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  description:
    'TInt trace verifier. For each sample whose prompt is a TInt invocation (e.g. "mul( 1 2 , 3 4 )"; other samples are skipped), ' +
    'the prompt is re-executed and every response line judged: a line is valid when it is in the longest common subsequence of ' +
    'the trace and the clean trace, the last line is the answer. Valid-line fraction = valid lines / (response lines + clean ' +
    "lines the response lacks), a Jaccard index of the two traces' lines. A replay that takes over the values the sample wrote tells propagated errors (wrong lines it " +
    'reproduces from earlier wrong values) from ignored ones (right lines it does not reproduce). Class: CLEAN (equals the clean ' +
    'trace), PROPAGATING (wrong answer, or more propagated than ignored errors), else LOCAL. Value: mean valid-line fraction; ' +
    'details: cleanRate, localRate, propagatingRate, answerAccuracy, class counts, line totals, skippedNotTInt.',
  citation:
    'Havrilla & Iyer 2024, "Understanding the Effect of Noise in LLM Training Data with Algorithmic Chains of Thought", arXiv 2402.04004.',
  params: {
    calls: {
      type: 'enum',
      default: 'auto',
      values: ['auto', ...CALL_MODES],
      description:
        'How sub-calls were written (shown, hidden, collapsed). auto tries each per sample and keeps the best-aligned layout; ' +
        "pass the generation's setting when known (auto can read a heavily deleted shown trace as hidden, which counts fewer lines missing).",
    },
  },
  sampleValue:
    'Valid-line fraction of the sample (details: class, answerCorrect, answerPresent, lines, validLines, wrongLines, missingLines, propagatedLines, ignoredErrorLines, calls).',
  exactMerge: true,
  create: (params) => createAccumulator(params),
};
