/**
 * The role each operation needs (issue 21 item 9), in one declared map that the authorization
 * plugin enforces and test/auth.roles.test.ts compares with the schema: a mutation missing here
 * is refused for every key (FORBIDDEN) and fails that test. Queries need the reader role.
 * `startsJob` marks mutations that queue a job, which count against QDC_MAX_JOBS_PER_KEY.
 * Finer rules live in the domain: editing a built-in taxonomy entry needs admin (taxonomy
 * resolvers), whatever the map says for the mutation.
 */
import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { roleAllows, type Role } from '../auth/apiKeys.js';

export interface MutationRule {
  role: Role;
  startsJob?: boolean;
}

export const MUTATION_ROLES: Readonly<Record<string, MutationRule>> = {
  ping: { role: 'writer' },
  createDataset: { role: 'writer' },
  updateDataset: { role: 'writer' },
  createVersion: { role: 'writer' },
  recordGenerationRun: { role: 'writer' },
  recordSampleScores: { role: 'writer' },
  upsertComponent: { role: 'writer' },
  upsertAlgorithm: { role: 'writer' },
  upsertJudgeTemplate: { role: 'writer' },
  setJudgeSecret: { role: 'writer' },
  cancelJob: { role: 'writer' },
  computeMetrics: { role: 'writer', startsJob: true },
  embedVersion: { role: 'writer', startsJob: true },
  findOverlap: { role: 'writer', startsJob: true },
  generateTIntDataset: { role: 'writer', startsJob: true },
  projectVersion: { role: 'writer', startsJob: true },
};

export const QUERY_ROLE: Role = 'reader';

/** The root fields an operation selects, through fragments too (each fragment read once). */
export function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const fragments = new Map(
    document.definitions.flatMap((d) =>
      d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [],
    ),
  );
  const names = new Set<string>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return [...names];
}

/**
 * The role an operation needs: reader for a query, the highest declared role of its root fields
 * for a mutation; `undeclared` names a mutation missing from MUTATION_ROLES (refused for all).
 */
export function requiredRole(
  document: DocumentNode,
  operation: OperationDefinitionNode,
): { role: Role; what: string } | { undeclared: string } {
  let role: Role = QUERY_ROLE;
  let what = `this ${operation.operation}`;
  if (operation.operation === 'query') return { role, what };
  for (const name of rootFieldNames(document, operation)) {
    if (name === '__typename') continue;
    const rule = MUTATION_ROLES[name];
    if (!rule) return { undeclared: name };
    if (!roleAllows(role, rule.role)) {
      role = rule.role;
      what = `the mutation ${name}`;
    }
  }
  return { role, what };
}
