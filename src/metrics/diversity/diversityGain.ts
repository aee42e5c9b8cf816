/**
 * diversity.diversity_gain (MetaMath, Yu et al. 2023): how far a version's samples lie from a
 * base version — the mean over the version's samples of the minimum squared Euclidean distance to
 * any base sample. For unit vectors ||a - b||^2 = 2 (1 - a.b) = 2 x cosine distance, range [0, 4].
 */
import { EXACT_LIMIT_PARAM, SPACE_PARAM } from '../embedding/embeddingParams.js';
import type { MetricDefinition } from '../types.js';
import { nearestNeighbourMeanAccumulator, type NearestMeanState } from './nearestNeighbourMean.js';

export type DiversityGainParams = { space: string; base: number; exactLimit: number };

export const diversityGainMetric: MetricDefinition<DiversityGainParams, NearestMeanState> = {
  key: 'diversity.diversity_gain',
  axis: 'DIVERSITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  input: 'embedding',
  description:
    "Diversity gain over a base version: mean over this version's samples of the minimum squared Euclidean distance " +
    "(2 x cosine distance for unit vectors) to the base version's samples, in one embedding space. 0 = nothing new. " +
    'Exact scan of the base up to exactLimit vectors, HNSW beyond (APPROXIMATE). Per sample: its gain.',
  citation:
    'Yu et al. 2023, "MetaMath: Bootstrap Your Own Mathematical Questions for Large Language Models" (arXiv 2309.12284), section 3.4.',
  params: {
    space: SPACE_PARAM,
    base: {
      type: 'version',
      description:
        'The base version (global or numeric id) the new samples are compared with; it must be embedded in the same space.',
    },
    exactLimit: EXACT_LIMIT_PARAM,
  },
  sampleValue: "Minimum squared Euclidean distance to the base version's samples.",
  exactMerge: true,
  create(params, _prepared, environment) {
    if (!environment.versionNeighbours)
      throw new Error("diversity.diversity_gain needs a runner that can search the base version's vectors");
    const open = environment.versionNeighbours.bind(environment);
    return nearestNeighbourMeanAccumulator(
      () => open(Number(params.base), params.exactLimit),
      (distance) => 2 * distance,
    );
  },
};
