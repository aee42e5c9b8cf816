/**
 * diversity.chamfer: mean over samples of the cosine distance to the nearest OTHER sample of the
 * same version (the chamfer / nearest-neighbour distance). Exact blocked scan up to `exactLimit`
 * vectors, the space's HNSW index beyond it (estimator APPROXIMATE: a found neighbour may not be
 * the nearest, so the value can only be overestimated).
 */
import { EXACT_LIMIT_PARAM, SPACE_PARAM } from '../embedding/embeddingParams.js';
import type { MetricDefinition } from '../types.js';
import { nearestNeighbourMeanAccumulator, type NearestMeanState } from './nearestNeighbourMean.js';

export type ChamferParams = { space: string; exactLimit: number };

export const chamferMetric: MetricDefinition<ChamferParams, NearestMeanState> = {
  key: 'diversity.chamfer',
  axis: 'DIVERSITY',
  version: 1,
  direction: 'HIGHER_IS_BETTER',
  input: 'embedding',
  description:
    'Mean over samples of the cosine distance (1 - cosine similarity) to the nearest other sample of the version, in one embedding space. ' +
    'Low values mean near-duplicates. Exact blocked scan up to exactLimit vectors, HNSW beyond (estimator APPROXIMATE). ' +
    'Per sample: its nearest-neighbour distance. Details: searchedVectors, unmatched.',
  citation:
    'Nearest-neighbour (chamfer) distance as an embedding diversity measure, e.g. Stasaski & Hearst 2022; surveyed in Havrilla et al. 2024 (arXiv 2412.02980).',
  params: { space: SPACE_PARAM, exactLimit: EXACT_LIMIT_PARAM },
  sampleValue: 'Cosine distance to the nearest other sample of the version.',
  exactMerge: true,
  create(params, _prepared, environment) {
    if (!environment.ownNeighbours)
      throw new Error("diversity.chamfer needs a runner that can search the version's vectors");
    const open = environment.ownNeighbours.bind(environment);
    return nearestNeighbourMeanAccumulator(
      () => open(params.exactLimit),
      (distance) => distance,
    );
  },
};
