import { componentStage, effect } from '../../db/schema.js';

/** Expected direction of a component's effect on one QDC axis. */
export type Effect = (typeof effect.enumValues)[number];

/** Pipeline stage a generation-algorithm component belongs to. */
export const STAGES = componentStage.enumValues;
export type Stage = (typeof STAGES)[number];

export interface ComponentSeed {
  /** Stable kebab-case key, unique. */
  key: string;
  stage: Stage;
  name: string;
  description: string;
  quality: Effect;
  diversity: Effect;
  complexity: Effect;
  /** One line: why the component moves Q, D and C the way it does (nuance like "if seeds are clean"). */
  rationale: string;
  /** Paper backing the expectation, e.g. "Havrilla et al. 2024, arXiv:2412.02980". */
  citation: string;
}

export interface AlgorithmSeed {
  /** Stable kebab-case key, unique. */
  key: string;
  name: string;
  paperTitle: string;
  /** arXiv identifier without prefix, e.g. "2212.10560". */
  arxivId: string;
  year: number;
  description: string;
  /** Ordered pipeline: component keys with the algorithm-specific configuration. */
  components: { component: string; config?: Record<string, unknown> }[];
}
