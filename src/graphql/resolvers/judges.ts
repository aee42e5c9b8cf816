import type { Resolvers } from '../generated/types.js';
import { BadInputError } from '../../errors.js';
import { idOf } from '../../globalId.js';
import { resultAgreement } from '../../judges/agreement.js';
import { listJudgeSecrets, setJudgeSecret } from '../../judges/secrets.js';
import { listJudgeTemplates, upsertJudgeTemplate } from '../../judges/templates.js';
import { referenced } from './referenced.js';

export const judgeResolvers: Resolvers = {
  Query: {
    judgeTemplates: (_, args, ctx) =>
      listJudgeTemplates(ctx.db, { name: args.name, allVersions: args.allVersions ?? false }),
    judgeSecrets: (_, __, ctx) => listJudgeSecrets(ctx.db),
    judgeAgreement: (_, args, ctx) =>
      resultAgreement(ctx.db, idOf('MetricResult', args.a, 'a'), idOf('MetricResult', args.b, 'b')),
  },
  Mutation: {
    upsertJudgeTemplate: (_, { input }, ctx) =>
      upsertJudgeTemplate(ctx.db, {
        ...input,
        kind: input.kind ?? 'SCORE',
        system: input.system ?? '',
        labels: labelsOf(input.labels),
      }),
    setJudgeSecret: (_, args, ctx) => setJudgeSecret(ctx.db, args.name, args.value),
  },
  JudgeTemplate: {
    labels: (row) => row.labels ?? null,
  },
  JudgeAgreement: {
    a: (agreement, _, ctx) => referenced(ctx.loaders.metricResult, agreement.resultA, 'result'),
    b: (agreement, _, ctx) => referenced(ctx.loaders.metricResult, agreement.resultB, 'result'),
  },
};

function labelsOf(labels: unknown): Record<string, number> | null {
  if (labels === undefined || labels === null) return null;
  if (typeof labels !== 'object' || Array.isArray(labels))
    throw new BadInputError('labels must be a JSON object of label -> number', { field: 'labels' });
  return labels as Record<string, number>;
}
