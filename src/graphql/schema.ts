/** Loads the SDL files in `schema/` and joins each domain's resolvers into one map. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GraphQLScalarType } from 'graphql';
import type { Resolvers } from './generated/types.js';
import { baseResolvers } from './resolvers/base.js';
import { catalogResolvers } from './resolvers/catalog.js';
import { lineageResolvers } from './resolvers/lineage.js';
import { taxonomyResolvers } from './resolvers/taxonomy.js';
import { jobResolvers } from './resolvers/jobs.js';
import { judgeResolvers } from './resolvers/judges.js';
import { metricResolvers } from './resolvers/metrics.js';
import { searchResolvers } from './resolvers/search.js';
import { tintResolvers } from './resolvers/tint.js';
import { explorerResolvers } from './resolvers/explorer.js';
import { projectionResolvers } from './resolvers/projections.js';

export const SCHEMA_DIR = fileURLToPath(new URL('../../schema', import.meta.url));

export function loadTypeDefs(dir = SCHEMA_DIR): string[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort((a, b) => (a === 'base.graphql' ? -1 : b === 'base.graphql' ? 1 : a.localeCompare(b)));
  return files.map((f) => readFileSync(`${dir}/${f}`, 'utf8'));
}

/** Joins the domains' resolver maps; a field resolved in two of them is an error. */
export function mergeResolvers(...maps: Resolvers[]): Resolvers {
  const merged: Record<string, GraphQLScalarType | Record<string, unknown>> = {};
  for (const map of maps) {
    for (const [type, fields] of Object.entries(map)) {
      if (fields instanceof GraphQLScalarType) {
        merged[type] = fields;
        continue;
      }
      const target = (merged[type] ??= {});
      if (target instanceof GraphQLScalarType) throw new Error(`${type} is a scalar and has field resolvers`);
      for (const [field, resolver] of Object.entries(fields)) {
        if (field in target) throw new Error(`resolver ${type}.${field} is defined twice`);
        target[field] = resolver;
      }
    }
  }
  return merged;
}

export const resolvers: Resolvers = mergeResolvers(
  baseResolvers,
  catalogResolvers,
  taxonomyResolvers,
  lineageResolvers,
  jobResolvers,
  metricResolvers,
  tintResolvers,
  searchResolvers,
  judgeResolvers,
  explorerResolvers,
  projectionResolvers,
);
