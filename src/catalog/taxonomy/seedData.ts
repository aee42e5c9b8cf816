/**
 * Seed data for the generation-algorithm taxonomy.
 *
 * Components: one per row of the QDC effect table in design.md section 6, which follows
 * Havrilla et al. 2024, "Surveying the Effects of Quality, Diversity, and Complexity in Synthetic
 * Data From LLMs" (arXiv:2412.02980). Table cells map as up -> UP, down -> DOWN, ~ -> NONE,
 * ? -> DEPENDS; nuanced cells are mapped to the nearest effect and the nuance is kept in
 * `rationale`. Three components beyond the table (explanation-prompting, programmatic-generation,
 * noise-injection) are added because Orca and TInt cannot be described without them.
 *
 * Algorithms: the list in design.md section 6; titles, arXiv ids and the numbers in `config`
 * come from each algorithm's own paper. Numbers not reported (or not certain) are left out.
 */
import type { AlgorithmSeed, ComponentSeed } from './seedTypes.js';

const SURVEY = 'Havrilla et al. 2024, arXiv:2412.02980';

export const COMPONENT_SEEDS: readonly ComponentSeed[] = [
  // ---- rows of the design.md section 6 table -------------------------------------------------
  {
    key: 'seed-data',
    stage: 'SEED_DATA',
    name: 'Seed data (size, coverage)',
    description:
      'Human-written or existing examples that prompt, anchor or are transformed by the generator.',
    quality: 'UP',
    diversity: 'DEPENDS',
    complexity: 'DEPENDS',
    rationale:
      "Clean seeds raise quality (up only if clean); diversity is bounded by the seeds' coverage; complexity follows whatever the seeds contain.",
    citation: SURVEY,
  },
  {
    key: 'stronger-generator',
    stage: 'GENERATOR',
    name: 'Stronger generator model',
    description: 'Use a more capable teacher model (e.g. GPT-4 instead of ChatGPT) to write the data.',
    quality: 'UP',
    diversity: 'DEPENDS',
    complexity: 'UP',
    rationale:
      'Stronger models give more correct and more elaborate responses; diversity depends on the model and prompting, not on strength itself.',
    citation: 'Mukherjee et al. 2023, arXiv:2306.02707',
  },
  {
    key: 'high-temperature-sampling',
    stage: 'SAMPLING',
    name: 'Higher temperature / top-p',
    description: 'Decode with higher temperature or nucleus mass to spread generations out.',
    quality: 'DOWN',
    diversity: 'UP',
    complexity: 'NONE',
    rationale:
      'Flatter sampling explores more of the output distribution (more diverse) but samples more low-probability errors; complexity is largely unaffected.',
    citation: SURVEY,
  },
  {
    key: 'attribute-conditioning',
    stage: 'CONDITIONING',
    name: 'Attribute / topic / persona conditioning',
    description:
      'Condition each generation on sampled attributes (topic, style, length, persona) to steer coverage.',
    quality: 'NONE',
    diversity: 'UP',
    complexity: 'NONE',
    rationale:
      'Varying the conditioning attributes spreads outputs over the attribute space while leaving correctness and difficulty roughly unchanged.',
    citation: 'Yu et al. 2023, arXiv:2306.15895',
  },
  {
    key: 'template-self-prompting',
    stage: 'PROMPTING',
    name: 'Template-only self-prompting of aligned models',
    description:
      'Feed an aligned chat model only its pre-query template so it writes a user query itself, then answer it (Magpie).',
    quality: 'NONE',
    diversity: 'UP',
    complexity: 'DEPENDS',
    rationale:
      "Seed-free queries are drawn from the aligned model's own user distribution (diverse, no seed bottleneck); difficulty depends on the model and needs filtering.",
    citation: 'Xu et al. 2024, arXiv:2406.08464',
  },
  {
    key: 'in-depth-evolution',
    stage: 'EVOLUTION',
    name: 'In-depth evolution',
    description:
      'Rewrite an instruction to be harder: add constraints, deepen, concretize, increase reasoning steps, complicate input.',
    quality: 'DOWN',
    diversity: 'NONE',
    complexity: 'UP',
    rationale:
      'Each evolution step raises difficulty but risks unanswerable or broken instructions (down risk to quality); the topic stays the same.',
    citation: 'Xu et al. 2023, arXiv:2304.12244',
  },
  {
    key: 'in-breadth-evolution',
    stage: 'EVOLUTION',
    name: 'In-breadth evolution / mutation',
    description:
      'Mutate an instruction into a new, related one on a rarer topic or skill of similar difficulty.',
    quality: 'NONE',
    diversity: 'UP',
    complexity: 'NONE',
    rationale:
      'Mutation moves instructions to new topics and skills (more coverage) without deliberately changing difficulty or correctness.',
    citation: 'Xu et al. 2023, arXiv:2304.12244',
  },
  {
    key: 'pool-bootstrapping-dedup',
    stage: 'PROMPTING',
    name: 'Pool bootstrapping with dedup',
    description:
      'Prompt with in-context examples sampled from a growing task pool and add only new tasks that are not near-duplicates of the pool (Self-Instruct).',
    quality: 'NONE',
    diversity: 'UP',
    complexity: 'NONE',
    rationale:
      'Mixing generated tasks back into the prompts and rejecting near-duplicates keeps the pool expanding; it neither checks correctness nor targets difficulty.',
    citation: 'Wang et al. 2022, arXiv:2212.10560',
  },
  {
    key: 'answer-augmentation',
    stage: 'AUGMENTATION',
    name: 'Answer augmentation (k rationales, keep correct)',
    description:
      'Sample k solutions or rationales per question and keep those whose final answer is correct.',
    quality: 'UP',
    diversity: 'UP',
    complexity: 'NONE',
    rationale:
      'Several correct reasoning paths per question add both verified answers and varied solutions; the questions themselves are unchanged.',
    citation: 'Yu et al. 2023, arXiv:2309.12284',
  },
  {
    key: 'rephrasing-backward-questions',
    stage: 'AUGMENTATION',
    name: 'Rephrasing / backward questions',
    description:
      'Rephrase questions and build backward questions that mask a known quantity and ask for it from the answer (MetaMath).',
    quality: 'NONE',
    diversity: 'UP',
    complexity: 'UP',
    rationale:
      'New phrasings and inverted reasoning directions add variety, and backward questions demand harder multi-step reasoning; correctness is inherited, not improved.',
    citation: 'Yu et al. 2023, arXiv:2309.12284',
  },
  {
    key: 'llm-judge-filter',
    stage: 'FILTERING',
    name: 'LLM-judge or reward-model quality filter',
    description: 'Score each sample with an LLM judge or reward model and keep those above a threshold.',
    quality: 'UP',
    diversity: 'DOWN',
    complexity: 'DOWN',
    rationale:
      'Keeps samples the judge rates well (quality up) but shrinks and homogenises the set; judges may prefer easier samples (down? for complexity, uncertain).',
    citation: 'Chen et al. 2023, arXiv:2307.08701',
  },
  {
    key: 'ground-truth-verification',
    stage: 'FILTERING',
    name: 'Ground-truth verification / rejection sampling',
    description:
      'Keep only generations whose answer matches a known label or passes an executable check (unit tests, exact answer).',
    quality: 'UP',
    diversity: 'DOWN',
    complexity: 'DOWN',
    rationale:
      'Verified samples are correct, but problems the model cannot yet solve drop out, biasing the data toward easier and more similar problems.',
    citation: 'Zelikman et al. 2022, arXiv:2203.14465',
  },
  {
    key: 'self-consistency-pseudo-labels',
    stage: 'LABELING',
    name: 'Self-consistency pseudo-labels',
    description:
      'Sample several reasoning paths per unlabeled question and keep those agreeing with the majority-vote answer.',
    quality: 'UP',
    diversity: 'DOWN',
    complexity: 'NONE',
    rationale:
      'Majority agreement is a proxy for correctness when no labels exist, but it drops low-agreement questions and minority reasoning paths; difficulty mostly unchanged.',
    citation: 'Huang et al. 2022, arXiv:2210.11610',
  },
  {
    key: 'diversity-filter',
    stage: 'FILTERING',
    name: 'Diversity filter',
    description:
      'Drop samples too close to already-kept ones: ROUGE-L overlap, embedding nearest-neighbour distance threshold, cluster or tag coverage.',
    quality: 'NONE',
    diversity: 'UP',
    complexity: 'NONE',
    rationale:
      'Removing near-duplicates raises the spread of what is kept without judging correctness or difficulty.',
    citation: 'Liu et al. 2023, arXiv:2312.15685',
  },
  {
    key: 'complexity-filter',
    stage: 'FILTERING',
    name: 'Complexity filter',
    description:
      'Rank or keep samples by a complexity signal: a trained complexity scorer, number of intent tags, or length.',
    quality: 'NONE',
    diversity: 'DEPENDS',
    complexity: 'UP',
    rationale:
      'Selects harder samples; diversity depends on whether complex samples concentrate in a few domains (e.g. coding, math) or span many.',
    citation: 'Lu et al. 2023, arXiv:2308.07074',
  },
  {
    key: 'quality-diversity-search',
    stage: 'SEARCH',
    name: 'Quality-diversity search (MAP-Elites)',
    description:
      'Keep an archive of the best sample per cell of a descriptor grid and mutate archive members to fill and improve cells.',
    quality: 'UP',
    diversity: 'UP',
    complexity: 'DEPENDS',
    rationale:
      'Quality rises within each cell (up per cell) while the grid forces coverage of all descriptor combinations; complexity depends on the chosen descriptors and fitness.',
    citation: 'Samvelyan et al. 2024, arXiv:2402.16822',
  },
  // ---- additions needed by specific algorithms -------------------------------------------------
  {
    key: 'explanation-prompting',
    stage: 'PROMPTING',
    name: 'Explanation-eliciting system prompts',
    description:
      'Ask the teacher through system messages for step-by-step explanations instead of bare answers (Orca explanation tuning).',
    quality: 'UP',
    diversity: 'NONE',
    complexity: 'UP',
    rationale:
      'Added for Orca (not in the table): detailed reasoning traces carry more teacher signal and make targets longer and richer; the query set is unchanged.',
    citation: 'Mukherjee et al. 2023, arXiv:2306.02707',
  },
  {
    key: 'programmatic-generation',
    stage: 'GENERATOR',
    name: 'Programmatic generation',
    description:
      'Seed-free generation by a program that samples inputs and executes a known algorithm to write exact traces and answers (e.g. TInt).',
    quality: 'UP',
    diversity: 'DEPENDS',
    complexity: 'DEPENDS',
    rationale:
      'Added for TInt (not in the table): outputs are correct by construction; diversity is bounded by the programmed tasks and input ranges, complexity is set by parameters (operand length, algorithm).',
    citation: 'Havrilla & Iyer 2024, arXiv:2402.04004',
  },
  {
    key: 'noise-injection',
    stage: 'AUGMENTATION',
    name: 'Noise injection',
    description:
      'Corrupt a controlled fraction of samples: static noise (digit/line corruption after tracing) or dynamic noise (errors that propagate through computation).',
    quality: 'DOWN',
    diversity: 'NONE',
    complexity: 'NONE',
    rationale:
      'Added for TInt (not in the table): lowers quality by design (static noise local, dynamic noise propagating and far more harmful); adds only spurious surface variety, task complexity unchanged.',
    citation: 'Havrilla & Iyer 2024, arXiv:2402.04004',
  },
];

export const ALGORITHM_SEEDS: readonly AlgorithmSeed[] = [
  {
    key: 'self-instruct',
    name: 'Self-Instruct',
    paperTitle: 'Self-Instruct: Aligning Language Models with Self-Generated Instructions',
    arxivId: '2212.10560',
    year: 2022,
    description:
      'Bootstraps instructions from 175 human-written seed tasks by prompting GPT-3 with examples drawn from a growing pool, adding only tasks with low ROUGE-L overlap to the pool.',
    components: [
      { component: 'seed-data', config: { seedTasks: 175 } },
      {
        component: 'pool-bootstrapping-dedup',
        config: {
          generator: 'GPT-3 davinci',
          inContextExamples: 8,
          humanInContextExamples: 6,
          generatedInContextExamples: 2,
          rougeLThreshold: 0.7,
          finalSize: 52000,
          instances: 82000,
        },
      },
    ],
  },
  {
    key: 'unnatural-instructions',
    name: 'Unnatural Instructions',
    paperTitle: 'Unnatural Instructions: Tuning Language Models with (Almost) No Human Labor',
    arxivId: '2212.09689',
    year: 2022,
    description:
      'Prompts a model with three seed examples to elicit a fourth, giving a 64K core set, then expands it to about 240K by having the model rephrase each instruction.',
    components: [
      { component: 'seed-data', config: { seedExamples: 15, inContextExamples: 3 } },
      {
        component: 'high-temperature-sampling',
        config: { generator: 'text-davinci-002', topP: 0.99, coreSize: 64000 },
      },
      {
        component: 'rephrasing-backward-questions',
        config: { mode: 'instruction paraphrasing', finalSize: 240000 },
      },
    ],
  },
  {
    key: 'evol-instruct',
    name: 'Evol-Instruct (WizardLM)',
    paperTitle: 'WizardLM: Empowering Large Language Models to Follow Complex Instructions',
    arxivId: '2304.12244',
    year: 2023,
    description:
      'Evolves Alpaca instructions with ChatGPT over several rounds by in-depth (harder) and in-breadth (new topic) rewriting, eliminating failed evolutions.',
    components: [
      { component: 'seed-data', config: { source: 'Alpaca', size: 52000 } },
      {
        component: 'in-depth-evolution',
        config: {
          evolver: 'ChatGPT',
          operations: [
            'add constraints',
            'deepening',
            'concretizing',
            'increase reasoning steps',
            'complicate input',
          ],
          rounds: 4,
        },
      },
      { component: 'in-breadth-evolution', config: { evolver: 'ChatGPT', rounds: 4 } },
      {
        component: 'llm-judge-filter',
        config: {
          role: 'elimination evolving',
          judge: 'ChatGPT (no information gain) + heuristics',
          eliminates: [
            'no information gain over the parent instruction',
            'response the evolver cannot answer (e.g. "sorry", too short)',
            'response of only punctuation and stop words',
            'evolved prompt copies words from the evolving prompt',
          ],
          finalSize: 250000,
        },
      },
    ],
  },
  {
    key: 'tree-instruct',
    name: 'Tree-Instruct',
    paperTitle:
      'Tree-Instruct: A Preliminary Study of the Intrinsic Relationship between Complexity and Alignment',
    arxivId: '2308.05696',
    year: 2023,
    description:
      "Raises instruction complexity in a controlled way by adding a specified number of nodes to the instruction's semantic tree and regenerating the instruction from the modified tree.",
    components: [
      { component: 'seed-data', config: { size: 1000 } },
      {
        component: 'in-depth-evolution',
        config: { method: 'add nodes to semantic tree', addedNodes: [3, 6, 10] },
      },
    ],
  },
  {
    key: 'alpagasus',
    name: 'AlpaGasus',
    paperTitle: 'AlpaGasus: Training A Better Alpaca with Fewer Data',
    arxivId: '2307.08701',
    year: 2023,
    description:
      'Filters the 52K Alpaca set by having ChatGPT rate each response from 0 to 5, keeping about 9K high-scoring samples that train a better model than the full set.',
    components: [
      { component: 'seed-data', config: { source: 'Alpaca', size: 52000 } },
      {
        component: 'llm-judge-filter',
        config: { judge: 'ChatGPT', scale: [0, 5], dimension: 'accuracy', threshold: 4.5, finalSize: 9229 },
      },
    ],
  },
  {
    key: 'instag',
    name: 'InsTag',
    paperTitle: '#InsTag: Instruction Tagging for Analyzing Supervised Fine-tuning of Large Language Models',
    arxivId: '2308.07074',
    year: 2023,
    description:
      'Tags queries with fine-grained intent tags via ChatGPT, then selects complex (many-tag) samples first while requiring new tags for diversity, yielding a 6K set.',
    components: [
      { component: 'seed-data', config: { source: 'open-source SFT datasets' } },
      {
        component: 'complexity-filter',
        config: { measure: 'tag count', tagger: 'ChatGPT', tagVocabulary: 6600, order: 'complexity-first' },
      },
      {
        component: 'diversity-filter',
        config: { measure: 'tag-set coverage (sample must add new tags)', finalSize: 6000 },
      },
    ],
  },
  {
    key: 'deita',
    name: 'Deita',
    paperTitle:
      'What Makes Good Data for Alignment? A Comprehensive Study of Automatic Data Selection in Instruction Tuning',
    arxivId: '2312.15685',
    year: 2023,
    description:
      'Scores samples with trained evol-complexity and evol-quality scorers, ranks by their product and greedily keeps samples whose embedding is far from already-kept ones, giving a 6K set.',
    components: [
      { component: 'seed-data', config: { source: 'pool of open SFT datasets' } },
      {
        component: 'complexity-filter',
        config: { scorer: 'evol-complexity scorer', combinedScore: 'complexity x quality' },
      },
      {
        component: 'llm-judge-filter',
        config: { scorer: 'evol-quality scorer', combinedScore: 'complexity x quality' },
      },
      {
        component: 'diversity-filter',
        config: {
          method: 'Repr Filter (embedding nearest-neighbour)',
          cosineDistanceThreshold: 0.9,
          finalSize: 6000,
        },
      },
    ],
  },
  {
    key: 'orca',
    name: 'Orca',
    paperTitle: 'Orca: Progressive Learning from Complex Explanation Traces of GPT-4',
    arxivId: '2306.02707',
    year: 2023,
    description:
      'Collects step-by-step explanation traces for FLAN-v2 queries using system messages, learning first from ChatGPT as an intermediate teacher and then from GPT-4.',
    components: [
      { component: 'seed-data', config: { source: 'FLAN-v2 collection' } },
      { component: 'explanation-prompting', config: { systemMessages: 16 } },
      {
        component: 'stronger-generator',
        config: {
          teachers: ['ChatGPT', 'GPT-4'],
          chatgptResponses: 5000000,
          gpt4Responses: 1000000,
          progressive: true,
        },
      },
    ],
  },
  {
    key: 'magpie',
    name: 'Magpie',
    paperTitle: 'Magpie: Alignment Data Synthesis from Scratch by Prompting Aligned LLMs with Nothing',
    arxivId: '2406.08464',
    year: 2024,
    description:
      'Prompts Llama-3-Instruct with only its pre-query template so it writes user queries, answers them, and filters the 4M generated pairs down to 300K.',
    components: [
      {
        component: 'template-self-prompting',
        config: { model: 'Llama-3-Instruct (8B Air, 70B Pro)', rawSize: 4000000 },
      },
      { component: 'high-temperature-sampling', config: { temperature: 1.0, topP: 1.0 } },
      { component: 'llm-judge-filter', config: { criteria: ['input quality', 'difficulty', 'reward'] } },
      {
        component: 'diversity-filter',
        config: { method: 'minimum embedding neighbour distance', finalSize: 300000 },
      },
    ],
  },
  {
    key: 'persona-hub',
    name: 'Persona Hub',
    paperTitle: 'Scaling Synthetic Data Creation with 1,000,000,000 Personas',
    arxivId: '2406.20094',
    year: 2024,
    description:
      'Curates a billion personas from web text (text-to-persona, persona-to-persona) and conditions generation on them to create diverse synthetic data such as math problems.',
    components: [
      {
        component: 'attribute-conditioning',
        config: {
          attribute: 'persona',
          personas: 1000000000,
          curation: ['text-to-persona', 'persona-to-persona'],
        },
      },
      { component: 'stronger-generator', config: { model: 'GPT-4', mathProblems: 1070000 } },
    ],
  },
  {
    key: 'metamath',
    name: 'MetaMath',
    paperTitle: 'MetaMath: Bootstrap Your Own Mathematical Questions for Large Language Models',
    arxivId: '2309.12284',
    year: 2023,
    description:
      'Bootstraps GSM8K and MATH training questions by answer augmentation, question rephrasing and backward questions (Self-Verification, FOBAR), giving MetaMathQA (395K).',
    components: [
      { component: 'seed-data', config: { source: ['GSM8K train', 'MATH train'] } },
      {
        component: 'answer-augmentation',
        config: { generator: 'GPT-3.5-Turbo', keep: 'correct final answer' },
      },
      {
        component: 'rephrasing-backward-questions',
        config: { methods: ['rephrasing', 'Self-Verification', 'FOBAR'], generator: 'GPT-3.5-Turbo' },
      },
      {
        component: 'ground-truth-verification',
        config: { check: 'final answer matches label', finalSize: 395000 },
      },
    ],
  },
  {
    key: 'star',
    name: 'STaR',
    paperTitle: 'STaR: Bootstrapping Reasoning With Reasoning',
    arxivId: '2203.14465',
    year: 2022,
    description:
      'Iteratively samples rationales with few-shot prompting, keeps those reaching the correct answer (rationalizing failures with the answer as a hint), and fine-tunes on them.',
    components: [
      {
        component: 'seed-data',
        config: { fewShotRationales: true, datasets: ['arithmetic', 'CommonsenseQA', 'GSM8K'] },
      },
      {
        component: 'answer-augmentation',
        config: { generator: 'GPT-J 6B (model being trained)', rationalization: true },
      },
      {
        component: 'ground-truth-verification',
        config: { check: 'final answer matches label', iterative: true },
      },
    ],
  },
  {
    key: 'rest',
    name: 'ReST',
    paperTitle: 'Reinforced Self-Training (ReST) for Language Modeling',
    arxivId: '2308.08998',
    year: 2023,
    description:
      'Alternates Grow steps that sample a dataset from the current policy with Improve steps that filter it by a reward model at increasing thresholds and fine-tune offline.',
    components: [
      {
        component: 'seed-data',
        config: { task: 'machine translation', source: 'training-set source sentences' },
      },
      { component: 'answer-augmentation', config: { sampler: 'current policy (Grow step)' } },
      {
        component: 'llm-judge-filter',
        config: { scorer: 'learned reward model', thresholds: 'increasing over Improve steps' },
      },
    ],
  },
  {
    key: 'rest-em',
    name: 'ReST-EM',
    paperTitle: 'Beyond Human Data: Scaling Self-Training for Problem-Solving with Language Models',
    arxivId: '2312.06585',
    year: 2023,
    description:
      'Expectation-maximization self-training: sample many solutions per problem, keep those passing a binary correctness check, and fine-tune the base model on them each iteration.',
    components: [
      { component: 'seed-data', config: { datasets: ['MATH', 'APPS'] } },
      {
        component: 'answer-augmentation',
        config: { generator: 'PaLM 2', samplesPerProblem: 32, maxKeptPerProblem: 10 },
      },
      {
        component: 'ground-truth-verification',
        config: { reward: 'binary (answer match / unit tests)', finetuneFrom: 'base model each iteration' },
      },
    ],
  },
  {
    key: 'rainbow-teaming',
    name: 'Rainbow Teaming',
    paperTitle: 'Rainbow Teaming: Open-Ended Generation of Diverse Adversarial Prompts',
    arxivId: '2402.16822',
    year: 2024,
    description:
      'Casts adversarial prompt generation as quality-diversity search: a MAP-Elites archive over risk category x attack style, filled by an LLM mutator and updated by an LLM judge.',
    components: [
      {
        component: 'quality-diversity-search',
        config: { algorithm: 'MAP-Elites', descriptors: ['risk category', 'attack style'] },
      },
      {
        component: 'attribute-conditioning',
        config: { attribute: 'target descriptor cell for the mutator' },
      },
      { component: 'in-breadth-evolution', config: { mutator: 'LLM mutator' } },
      { component: 'diversity-filter', config: { method: 'BLEU similarity to parent', bleuThreshold: 0.6 } },
      { component: 'llm-judge-filter', config: { judge: 'pairwise LLM judge vs. cell incumbent' } },
    ],
  },
  {
    key: 'tint',
    name: 'TInt',
    paperTitle: 'Understanding the Effect of Noise in LLM Training Data with Algorithmic Chains of Thought',
    arxivId: '2402.04004',
    year: 2024,
    description:
      'Programmatically generates traced-integer algorithmic chain-of-thought data (arithmetic and list functions) and injects controlled static or dynamic noise to study its effect.',
    components: [
      {
        component: 'programmatic-generation',
        config: {
          seedFree: true,
          operations: ['add', 'sub', 'mul', 'div', 'mod', 'selection sort', 'gcd', 'median'],
          traceLineCap: 300,
        },
      },
      {
        component: 'noise-injection',
        config: {
          static: { docNoise: [0, 0.2, 0.5, 0.8], charNoise: [0.3, 0.6, 0.9], lineNoise: [0.3, 0.6, 0.9] },
          dynamic: { docNoise: [0, 0.2, 0.5, 0.8], p: [0.2, 0.4] },
        },
      },
    ],
  },
];
