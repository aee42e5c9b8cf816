/**
 * The judge templates every catalog starts with (version 1 of each; seeded by src/judges). The
 * texts are the published prompts, with the sample's fields put where the original put them.
 */
import type { JudgeTemplateContent } from './judgeTemplate.js';

export interface BuiltinTemplate extends JudgeTemplateContent {
  name: string;
  description: string;
  citation: string;
}

export const ALPAGASUS_TEMPLATE = 'alpagasus-quality';
export const DEITA_COMPLEXITY_TEMPLATE = 'deita-complexity';
export const DEITA_QUALITY_TEMPLATE = 'deita-quality';
export const MT_BENCH_PAIRWISE_TEMPLATE = 'mt-bench-pairwise';

export const BUILTIN_TEMPLATES: readonly BuiltinTemplate[] = [
  {
    name: ALPAGASUS_TEMPLATE,
    kind: 'SCORE',
    description:
      'AlpaGasus accuracy rating, 0-5: the system prompt and rating request of its ChatGPT rating script; ' +
      'the instruction/input/response triplet with an empty input (catalog samples have one prompt). The first ' +
      'number of the answer is the score (AlpaGasus reads the first line).',
    citation:
      'Chen et al. 2023, AlpaGasus: Training a Better Alpaca with Fewer Data, arXiv 2307.08701; ' +
      'prompt from gpt4life/alpagasus rating/chatgpt_rating.py',
    system:
      'We would like to request your feedback on the performance of AI assistant in response to the instruction and the given input displayed following.',
    user:
      '###Instruction:\n{prompt}\n\n### Input:\n\n\n### Response:\n{response}\n\n' +
      'Please rate according to the accuracy of the response to the instruction and the input. Each assistant receives a score on a scale of 0 to 5, where a higher score indicates higher level of the accuracy. Please first output a single line containing value indicating the scores. In the subsequent line, please provide a comprehensive explanation of your evaluation, avoiding any potential bias. \n\n',
    scoreFormat: '{score}',
    labels: null,
    minScore: 0,
    maxScore: 5,
  },
  {
    name: DEITA_COMPLEXITY_TEMPLATE,
    kind: 'SCORE',
    description:
      "Deita's complexity prompt, 1-6, sent as the user message. Deita's own scorer is a fine-tuned model whose " +
      'score is the expectation over the logits of the tokens 1-6; here the generated number is the score.',
    citation:
      'Liu et al. 2024, What Makes Good Data for Alignment? (Deita), arXiv 2312.15685; ' +
      'prompt from hkust-nlp/deita src/deita/selection/scorer/llama_scorer.py',
    system: '',
    user: 'You are a helpful assistant. Please identify the complexity score of the following user query. \n##Query: {prompt}  \n##Complexity: ',
    scoreFormat: '{score}',
    labels: null,
    minScore: 1,
    maxScore: 6,
  },
  {
    name: DEITA_QUALITY_TEMPLATE,
    kind: 'SCORE',
    description:
      "Deita's quality prompt, 1-6, sent as the user message; the generated number is the score (see deita-complexity).",
    citation:
      'Liu et al. 2024, What Makes Good Data for Alignment? (Deita), arXiv 2312.15685; ' +
      'prompt from hkust-nlp/deita src/deita/selection/scorer/llama_scorer.py',
    system: '',
    user: 'You are a helpful assistant. Please identify the quality score of the Response corresponding to the Question. \n #Question#:\n{prompt}\n#Response#:\n{response} \n##Quality: ',
    scoreFormat: '{score}',
    labels: null,
    minScore: 1,
    maxScore: 6,
  },
  {
    name: MT_BENCH_PAIRWISE_TEMPLATE,
    kind: 'PAIRWISE',
    description:
      "MT-Bench's pairwise judge (pair-v2): assistant A is the sample's response, B the reference version's " +
      'response to the same prompt. [[A]] = 1 (the sample wins), [[B]] = 0, [[C]] (tie) = 0.5.',
    citation:
      'Zheng et al. 2023, Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena, arXiv 2306.05685; ' +
      'prompt pair-v2 from lm-sys/FastChat fastchat/llm_judge/data/judge_prompts.jsonl',
    system:
      'Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user question displayed below. You should choose the assistant that follows the user\'s instructions and answers the user\'s question better. Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of their responses. Begin your evaluation by comparing the two responses and provide a short explanation. Avoid any position biases and ensure that the order in which the responses were presented does not influence your decision. Do not allow the length of the responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible. After providing your explanation, output your final verdict by strictly following this format: "[[A]]" if assistant A is better, "[[B]]" if assistant B is better, and "[[C]]" for a tie.',
    user: "[User Question]\n{prompt}\n\n[The Start of Assistant A's Answer]\n{response}\n[The End of Assistant A's Answer]\n\n[The Start of Assistant B's Answer]\n{base_response}\n[The End of Assistant B's Answer]",
    scoreFormat: '[[{score}]]',
    labels: { A: 1, B: 0, C: 0.5 },
    minScore: 0,
    maxScore: 1,
  },
];
