/** Topic samples for search tests: each topic's texts share words that no other topic uses. */
import type { TestServer } from './testServer.js';
import { runJob } from './jobs.js';
import { fromGlobalId, toGlobalId } from '../../src/globalId.js';

export const TOPICS = {
  bread: {
    prompt: 'How do I bake sourdough bread at home?',
    response:
      'Feed the sourdough starter, mix flour and water, knead the dough, proof overnight and bake the loaf in a hot oven.',
  },
  quantum: {
    prompt: 'Explain quantum entanglement simply.',
    response:
      'Entangled particles share one quantum state, so measuring one particle instantly tells you about its entangled partner.',
  },
  python: {
    prompt: 'Write a python function that reverses a list.',
    response: 'def reverse_list(items):\n    return items[::-1]  # python slicing with a negative step',
  },
  garden: {
    prompt: 'When should I plant tomato seedlings in the garden?',
    response:
      'Plant tomato seedlings after the last frost, when garden soil is warm, and water the tomato plants deeply.',
  },
  tax: {
    prompt: 'How is income tax calculated on a salary?',
    response:
      'Income tax applies progressive brackets to the taxable salary after deductions and allowances.',
  },
} as const;

export type Topic = keyof typeof TOPICS;

/** Runs embedVersion for a version (global or numeric id) through GraphQL and the real worker; returns the finished job. */
export async function embedThroughApi(server: TestServer, version: string | number, space?: string) {
  const id = typeof version === 'number' ? toGlobalId('DatasetVersion', version) : version;
  const data = await server.ok(
    `mutation ($v: ID!, $s: String) { embedVersion(version: $v, space: $s) { id status progress { total } } }`,
    { v: id, s: space },
  );
  const jobId = fromGlobalId(data.embedVersion.id).id;
  const job = await runJob(server.database, jobId, server.embedders);
  if (job.status !== 'SUCCEEDED') throw new Error(`embedding job ${jobId} ${job.status}: ${job.error}`);
  return job;
}
