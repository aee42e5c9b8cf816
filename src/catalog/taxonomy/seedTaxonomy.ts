/**
 * Seeds the built-in components and algorithms (design section 6) on a fresh database. Rows that
 * already exist are left alone, so a user's edits to a seeded record survive restarts.
 */
import { inArray } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { algorithms, components } from '../../db/schema.js';
import { ALGORITHM_SEEDS, COMPONENT_SEEDS } from './seedData.js';
import { upsertAlgorithm } from './taxonomy.js';

export async function seedTaxonomy(db: Db): Promise<{ components: number; algorithms: number }> {
  const insertedComponents = await db
    .insert(components)
    .values(
      COMPONENT_SEEDS.map((c) => ({
        key: c.key,
        stage: c.stage,
        name: c.name,
        description: c.description,
        qualityEffect: c.quality,
        diversityEffect: c.diversity,
        complexityEffect: c.complexity,
        rationale: c.rationale,
        citation: c.citation,
        builtin: true,
      })),
    )
    .onConflictDoNothing({ target: components.key })
    .returning({ id: components.id });

  const existing = await db
    .select({ key: algorithms.key })
    .from(algorithms)
    .where(
      inArray(
        algorithms.key,
        ALGORITHM_SEEDS.map((a) => a.key),
      ),
    );
  const present = new Set(existing.map((a) => a.key));
  let insertedAlgorithms = 0;
  for (const seed of ALGORITHM_SEEDS) {
    if (present.has(seed.key)) continue;
    await upsertAlgorithm(db, seed, { builtin: true });
    insertedAlgorithms += 1;
  }
  return { components: insertedComponents.length, algorithms: insertedAlgorithms };
}
