/**
 * NoveltyBench's distinct_k computed outside this process: python3 running a transcription of the
 * reference's `partition_responses` with `equivalence_check_unigram` (novelty-bench
 * src/partition.py) and rouge_score's ROUGE-1 (its tokenizer: lowercase, `[^a-z0-9]+` to a space,
 * whitespace split; no stemmer; F from the clipped unigram overlap). It shares no code with
 * src/metrics/diversity/distinctK.ts. ASCII inputs only: there the two tokenizers agree.
 */
import { execFileSync } from 'node:child_process';

const PYTHON_DISTINCT = String.raw`
import collections, json, re, sys

def tokenize(text):
    text = re.sub(r"[^a-z0-9]+", " ", text.lower())
    return [t for t in re.split(r"\s+", text) if re.match(r"^[a-z0-9]+$", t)]

def rouge1_fmeasure(target, prediction):
    t = collections.Counter(tokenize(target))
    p = collections.Counter(tokenize(prediction))
    overlap = sum(min(t[w], p[w]) for w in t)
    precision = overlap / max(sum(p.values()), 1)
    recall = overlap / max(sum(t.values()), 1)
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0

def partition_responses(responses):
    classes = []
    partition = [-1] * len(responses)
    for i in range(len(responses)):
        if partition[i] >= 0:
            continue
        current = [responses[i]]
        partition[i] = len(classes)
        for j in range(i + 1, len(responses)):
            if partition[j] == -1 and rouge1_fmeasure(current[0], responses[j]) > 0.458:
                current.append(responses[j])
                partition[j] = len(classes)
        classes.append(current)
    return partition

groups = json.load(sys.stdin)
print(json.dumps([max(partition_responses(g)) + 1 for g in groups]))
`;

/** The number of equivalence classes of each group of generations, by the python reference. */
export function referenceDistinctCounts(groups: readonly (readonly string[])[]): number[] {
  const out = execFileSync('python3', ['-c', PYTHON_DISTINCT], {
    input: JSON.stringify(groups),
    encoding: 'utf8',
  });
  return JSON.parse(out) as number[];
}
