/**
 * The value each GraphQL object type's resolvers receive as their parent: a table row, a domain
 * result, or the shape a parent resolver builds. codegen.ts maps every `<Type>` listed there to
 * `<Type>Parent`, so the generated `Resolvers` types check resolvers against what they really get.
 */
import type { LineageEdge, LineageLinkRow, LineageNode, LineageResult } from '../catalog/lineage.js';
import type { DatasetFilter } from '../catalog/datasets.js';
import type {
  AlgorithmComponentRow,
  AlgorithmRow,
  ComponentRow,
  DatasetRow,
  EmbeddingSpaceRow,
  GenerationRunRow,
  JobRow,
  JudgeTemplateRow,
  MetricDefinitionRow,
  OverlapRunRow,
  ProjectionRow,
  RunInputRow,
  SampleRow,
  ScorerRow,
  VersionRow,
} from '../db/schema.js';
import type { OverlapPair } from '../embeddings/overlaps.js';
import type { ProjectionPoint } from '../embeddings/projections.js';
import type { ResultAgreement } from '../judges/agreement.js';
import type { DatasetHit } from '../embeddings/sampleSearch.js';
import type { SearchHit } from '../embeddings/search.js';
import type { VersionCoverage } from '../embeddings/spaces.js';
import type { NodeType } from '../globalId.js';
import type { ComparisonCell, MetricDelta } from '../metricRuns/analysis.js';
import type { MetricResultView, SampleScoreView } from '../metricRuns/results.js';
import type { PairedScoreHistogram, SampleTableRow, ScoreHistogram } from '../metricRuns/sampleTable.js';
import type { Estimator, MetricDefinition } from '../metrics/types.js';
import type { Connection, EdgeSource, PageInfoSource } from './connection.js';

export type DatasetParent = DatasetRow;
export type DatasetVersionParent = VersionRow;
export type SampleParent = SampleRow;
export type ComponentParent = ComponentRow;
export type AlgorithmParent = AlgorithmRow;
export type AlgorithmStepParent = AlgorithmComponentRow;
export type GenerationRunParent = GenerationRunRow;
export type RunInputParent = RunInputRow;
export type LineageLinkParent = LineageLinkRow;
export type LineageParent = LineageResult;
export type LineageNodeParent = LineageNode;
export type LineageEdgeParent = LineageEdge;
export type JobParent = JobRow;
export type MetricResultParent = MetricResultView;
/** The registry's definitions (`metricDefinitions`) or their stored rows (`MetricResult.definition`). */
export type MetricDefinitionParent = MetricDefinition | MetricDefinitionRow;
export type ScorerParent = ScorerRow;
export type SampleScoreParent = SampleScoreView;
export type MetricDeltaParent = MetricDelta;
export type EmbeddingSpaceParent = EmbeddingSpaceRow;
export type VersionOverlapParent = OverlapRunRow;
export type SampleOverlapParent = OverlapPair;
export type JudgeTemplateParent = JudgeTemplateRow;
export type JudgeAgreementParent = ResultAgreement;
export type ProjectionParent = ProjectionRow;
export type ProjectionPointEdgeParent = EdgeSource<ProjectionPoint>;

/** Each Node type's parent, for `Query.node` and `Node.__resolveType`. */
interface NodeParents {
  Dataset: DatasetParent;
  DatasetVersion: DatasetVersionParent;
  Sample: SampleParent;
  Component: ComponentParent;
  Algorithm: AlgorithmParent;
  GenerationRun: GenerationRunParent;
  Job: JobParent;
  MetricResult: MetricResultParent;
  EmbeddingSpace: EmbeddingSpaceParent;
  VersionOverlap: VersionOverlapParent;
  Projection: ProjectionParent;
}

/** A Node loaded by `Query.node`: the type's parent tagged with its type name. */
export type NodeParent = { [T in NodeType]: NodeParents[T] & { __typename: T } }[NodeType];

export type PageInfoParent = PageInfoSource<unknown>;
/** `Query.datasets` keeps the filter for `totalCount`, which counts only when asked for. */
export type DatasetConnectionParent = Connection<DatasetRow> & { filter?: DatasetFilter | null };
export type DatasetEdgeParent = EdgeSource<DatasetRow>;
export type DatasetVersionEdgeParent = EdgeSource<VersionRow>;
export type SampleEdgeParent = EdgeSource<SampleRow>;
export type JobEdgeParent = EdgeSource<JobRow>;
export type SampleScoreEdgeParent = EdgeSource<SampleScoreView>;
export type SampleOverlapEdgeParent = EdgeSource<OverlapPair>;
export type SampleRowConnectionParent = Connection<SampleTableRow> & { columns: MetricResultView[] };
export type SampleRowEdgeParent = EdgeSource<SampleTableRow>;
export type SampleRowParent = SampleTableRow;
export type ScoreHistogramParent = ScoreHistogram;
export type PairedScoreHistogramParent = PairedScoreHistogram;
/** Both versions of a diff; the counts are computed (once) when a count field is asked for. */
export interface VersionDiffParent {
  base: VersionRow;
  head: VersionRow;
}
export type GenerationRunConnectionParent = Connection<GenerationRunRow>;
export type GenerationRunEdgeParent = EdgeSource<GenerationRunRow>;

export interface VersionComparisonRowParent {
  versionId: number;
  cells: Array<ComparisonCell & { value: number | null; n: number | null; estimator: Estimator | null }>;
}
export interface ParetoPointParent {
  versionId: number;
  x: number;
  y: number;
  xResult: MetricResultView;
  yResult: MetricResultView;
  onFrontier: boolean;
}
export interface ParetoExclusionParent {
  versionId: number;
  reason: string;
}
export type EmbeddingCoverageParent = VersionCoverage & { samples: number };
export type SampleSearchHitParent = SearchHit & { similarity: number };
export type DatasetSearchHitParent = DatasetHit & { similarity: number };
