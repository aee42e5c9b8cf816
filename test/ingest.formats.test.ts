import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalizeSample, type SampleInput } from '../src/catalog/canonicalSample.js';
import { BadInputError } from '../src/errors.js';
import {
  FORMAT_EXAMPLE_MAPPING,
  FORMAT_EXAMPLES,
  FORMATS,
  RecordError,
  detectFormat,
  mapRecord,
  parseFieldMapping,
  parseFormat,
  type FieldMapping,
  type FormatName,
} from '../src/ingest/formats.js';

function throwsRecord(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RecordError, `expected a RecordError, got ${String(error)}`);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

function throwsBadInput(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof BadInputError, `expected a BadInputError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

const GSM8K_QUESTION =
  'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?';
const GSM8K_ANSWER =
  'Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May.\n#### 72';

describe('mapRecord: prompt_response', () => {
  it('reads the catalog shape and moves extra keys into metadata', () => {
    const record = {
      prompt: 'What is 2+2?',
      response: '4',
      reference: '4',
      messages: null,
      metadata: { source: 'arith', difficulty: 1 },
      id: 'row-7',
    };
    assert.deepEqual(mapRecord('prompt_response', record), {
      prompt: 'What is 2+2?',
      response: '4',
      reference: '4',
      messages: null,
      metadata: { source: 'arith', difficulty: 1, id: 'row-7' },
    });
    assert.deepEqual(record.metadata, { source: 'arith', difficulty: 1 }, 'the record is not mutated');
  });

  it('maps an exported record back unchanged: nulls stay nulls, nothing extra in metadata', () => {
    const exported = { prompt: 'Hi', response: null, reference: null, messages: null, metadata: null };
    assert.deepEqual(mapRecord('prompt_response', exported), exported);
  });

  it('leaves metadata undefined without extras or a metadata key, absent fields stay absent', () => {
    assert.deepEqual(mapRecord('prompt_response', { prompt: 'p' }), { prompt: 'p' });
  });

  it('keeps messages and their extra keys as they are', () => {
    const messages = [
      { role: 'user', content: 'Hi', name: 'ann' },
      { role: 'assistant', content: 'Hello' },
    ];
    assert.deepEqual(mapRecord('prompt_response', { prompt: 'Hi', messages }), { prompt: 'Hi', messages });
  });
});

describe('mapRecord: openai', () => {
  it('reads messages (extra keys kept) and does not derive prompt/response', () => {
    const record = {
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Capital of France?', name: 'ann' },
        { role: 'assistant', content: 'Paris.', weight: 1 },
      ],
      tools: [],
    };
    assert.deepEqual(mapRecord('openai', record), {
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Capital of France?', name: 'ann' },
        { role: 'assistant', content: 'Paris.', weight: 1 },
      ],
      metadata: { tools: [] },
    });
  });

  it('reads optional prompt/response/reference/metadata like prompt_response', () => {
    const record = {
      messages: [{ role: 'user', content: 'Hi' }],
      prompt: null,
      response: 'Hello',
      reference: 'Hello',
      metadata: { lang: 'en' },
      split: 'train',
    };
    assert.deepEqual(mapRecord('openai', record), {
      messages: [{ role: 'user', content: 'Hi' }],
      prompt: null,
      response: 'Hello',
      reference: 'Hello',
      metadata: { lang: 'en', split: 'train' },
    });
  });

  it('rejects missing messages and malformed messages', () => {
    throwsRecord(() => mapRecord('openai', { prompt: 'p' }), '"messages" is missing');
    throwsRecord(() => mapRecord('openai', { messages: null }), '"messages" must be an array (got null)');
    throwsRecord(
      () => mapRecord('openai', { messages: { role: 'user' } }),
      '"messages" must be an array (got object)',
    );
    throwsRecord(
      () =>
        mapRecord('openai', {
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: 3 },
          ],
        }),
      '"messages[1].content" must be a string (got number)',
    );
    throwsRecord(
      () => mapRecord('openai', { messages: ['hi'] }),
      '"messages[0]" must be a JSON object (got string)',
    );
    throwsRecord(
      () => mapRecord('openai', { messages: [{ content: 'a' }] }),
      '"messages[0].role" must be a string (got undefined)',
    );
  });
});

describe('mapRecord: prompt_completion', () => {
  it('maps completion to response', () => {
    assert.deepEqual(
      mapRecord('prompt_completion', {
        prompt: 'Translate to French: cheese',
        completion: 'fromage',
        id: 17,
      }),
      { prompt: 'Translate to French: cheese', response: 'fromage', metadata: { id: 17 } },
    );
  });

  it('reads an optional reference and metadata', () => {
    assert.deepEqual(
      mapRecord('prompt_completion', { prompt: 'p', completion: 'c', reference: 'r', metadata: { a: 1 } }),
      { prompt: 'p', response: 'c', reference: 'r', metadata: { a: 1 } },
    );
  });

  it('requires a string prompt', () => {
    throwsRecord(() => mapRecord('prompt_completion', { completion: 'c' }), '"prompt" is missing');
    throwsRecord(
      () => mapRecord('prompt_completion', { prompt: 1, completion: 'c' }),
      '"prompt" must be a string (got number)',
    );
    throwsRecord(
      () => mapRecord('prompt_completion', { prompt: 'p', completion: {} }),
      '"completion" must be a string (got object)',
    );
  });
});

describe('mapRecord: alpaca', () => {
  it('joins instruction and input with a blank line', () => {
    assert.deepEqual(
      mapRecord('alpaca', {
        instruction: 'Summarize the text.',
        input: 'The quick brown fox jumps over the lazy dog.',
        output: 'A fox jumps over a dog.',
      }),
      {
        prompt: 'Summarize the text.\n\nThe quick brown fox jumps over the lazy dog.',
        response: 'A fox jumps over a dog.',
      },
    );
  });

  it('uses the instruction alone when input is empty, blank, null or absent', () => {
    const expected = { prompt: 'Give three tips for staying healthy.', response: '1. Eat well.' };
    for (const input of ['', '  \n', null, undefined]) {
      const record: Record<string, unknown> = {
        instruction: 'Give three tips for staying healthy.',
        output: '1. Eat well.',
      };
      if (input !== undefined) record.input = input;
      assert.deepEqual(mapRecord('alpaca', record), expected, `input ${JSON.stringify(input)}`);
    }
  });

  it('moves other keys into metadata and checks types', () => {
    assert.deepEqual(
      mapRecord('alpaca', { instruction: 'i', input: '', output: 'o', text: 'full', metadata: { src: 'a' } }),
      {
        prompt: 'i',
        response: 'o',
        metadata: { src: 'a', text: 'full' },
      },
    );
    throwsRecord(() => mapRecord('alpaca', { output: 'o' }), '"instruction" is missing');
    throwsRecord(
      () => mapRecord('alpaca', { instruction: 'i', input: 5, output: 'o' }),
      '"input" must be a string (got number)',
    );
    throwsRecord(
      () => mapRecord('alpaca', { instruction: 'i', output: ['o'] }),
      '"output" must be a string (got array)',
    );
  });
});

describe('mapRecord: question_answer', () => {
  it('takes the GSM8K final answer after #### as the reference', () => {
    assert.deepEqual(mapRecord('question_answer', { question: GSM8K_QUESTION, answer: GSM8K_ANSWER }), {
      prompt: GSM8K_QUESTION,
      response: GSM8K_ANSWER,
      reference: '72',
    });
  });

  it('uses the last #### and falls back to the trimmed answer', () => {
    assert.deepEqual(mapRecord('question_answer', { question: 'q', answer: 'a #### b\n####  1,000 \n' }), {
      prompt: 'q',
      response: 'a #### b\n####  1,000 \n',
      reference: '1,000',
    });
    assert.deepEqual(mapRecord('question_answer', { question: 'q', answer: '  42\n' }), {
      prompt: 'q',
      response: '  42\n',
      reference: '42',
    });
  });

  it('moves other keys into metadata and checks types', () => {
    assert.deepEqual(mapRecord('question_answer', { question: 'q', answer: '#### 3', id: 9 }), {
      prompt: 'q',
      response: '#### 3',
      reference: '3',
      metadata: { id: 9 },
    });
    throwsRecord(
      () => mapRecord('question_answer', { question: 'q', answer: 72 }),
      '"answer" must be a string (got number)',
    );
    throwsRecord(() => mapRecord('question_answer', { answer: 'a' }), '"question" is missing');
  });
});

describe('mapRecord: sharegpt', () => {
  it('maps roles, adds the system message and keeps extra turn keys', () => {
    const record = {
      id: 'conv-1',
      system: 'You are helpful.',
      conversations: [
        { from: 'human', value: 'Hi' },
        { from: 'gpt', value: 'Hello!', weight: 0 },
        { from: 'bing', value: 'Searching.' },
        { from: 'system', value: 'Be brief.' },
        { from: 'chatgpt', value: 'OK.' },
      ],
    };
    assert.deepEqual(mapRecord('sharegpt', record), {
      messages: [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!', weight: 0 },
        { role: 'bing', content: 'Searching.' },
        { role: 'system', content: 'Be brief.' },
        { role: 'chatgpt', content: 'OK.' },
      ],
      metadata: { id: 'conv-1' },
    });
  });

  it('skips an empty system and merges a top-level metadata object with the extra keys', () => {
    assert.deepEqual(
      mapRecord('sharegpt', {
        id: 7,
        system: '',
        conversations: [{ from: 'human', value: 'Hi' }],
        metadata: { a: 1 },
      }),
      { messages: [{ role: 'user', content: 'Hi' }], metadata: { a: 1, id: 7 } },
    );
  });

  it('rejects malformed conversations', () => {
    throwsRecord(() => mapRecord('sharegpt', { id: 1 }), '"conversations" is missing');
    throwsRecord(
      () => mapRecord('sharegpt', { conversations: 'hi' }),
      '"conversations" must be an array (got string)',
    );
    throwsRecord(
      () => mapRecord('sharegpt', { conversations: [null] }),
      '"conversations[0]" must be a JSON object (got null)',
    );
    throwsRecord(
      () =>
        mapRecord('sharegpt', {
          conversations: [
            { from: 'human', value: 'a' },
            { from: 'gpt', value: null },
          ],
        }),
      '"conversations[1].value" must be a string (got null)',
    );
    throwsRecord(
      () => mapRecord('sharegpt', { conversations: [{ value: 'a' }] }),
      '"conversations[0].from" must be a string (got undefined)',
    );
    throwsRecord(
      () => mapRecord('sharegpt', { conversations: [{ from: 'human', value: 'a', role: 'user' }] }),
      '"conversations[0]" has both "from"/"value" and "role"',
    );
    throwsRecord(
      () => mapRecord('sharegpt', { conversations: [], system: 1 }),
      '"system" must be a string (got number)',
    );
  });
});

describe('mapRecord: metadata and record checks', () => {
  it('merges extra keys into a copy of the metadata object', () => {
    const metadata = { a: 1, nested: { b: 2 } };
    const out = mapRecord('prompt_response', { prompt: 'p', metadata, c: 3 });
    assert.deepEqual(out.metadata, { a: 1, nested: { b: 2 }, c: 3 });
    assert.notEqual(out.metadata, metadata);
    assert.deepEqual(metadata, { a: 1, nested: { b: 2 } });
    assert.equal(
      mapRecord('prompt_response', { prompt: 'p', metadata }).metadata,
      metadata,
      'no copy without extras',
    );
    assert.deepEqual(mapRecord('prompt_response', { prompt: 'p', metadata: null, c: 3 }).metadata, { c: 3 });
  });

  it('rejects a key both at top level and inside metadata', () => {
    throwsRecord(
      () =>
        mapRecord('prompt_completion', {
          prompt: 'p',
          completion: 'c',
          metadata: { source: 'x' },
          source: 'y',
        }),
      '"source" is both a top-level key and a key of "metadata"',
    );
  });

  it('rejects a metadata key that is not an object', () => {
    throwsRecord(
      () => mapRecord('prompt_response', { prompt: 'p', metadata: [1] }),
      '"metadata" must be a JSON object (got array)',
    );
    throwsRecord(
      () => mapRecord('alpaca', { instruction: 'i', metadata: 'x' }),
      '"metadata" must be a JSON object (got string)',
    );
  });

  it('rejects wrong text types', () => {
    throwsRecord(
      () => mapRecord('prompt_response', { prompt: 'p', response: 5 }),
      '"response" must be a string (got number)',
    );
    throwsRecord(
      () => mapRecord('prompt_response', { prompt: { text: 'p' } }),
      '"prompt" must be a string (got object)',
    );
    throwsRecord(
      () => mapRecord('prompt_response', { prompt: 'p', reference: true }),
      '"reference" must be a string (got boolean)',
    );
    throwsRecord(
      () => mapRecord('prompt_response', { prompt: 'p', messages: 'hi' }),
      '"messages" must be an array (got string)',
    );
  });

  it('rejects records that are not JSON objects', () => {
    for (const format of FORMATS) {
      const mapping: FieldMapping | undefined = format === 'mapping' ? { prompt: 'q' } : undefined;
      throwsRecord(() => mapRecord(format, [1, 2], mapping), 'record is not a JSON object (got array)');
      throwsRecord(() => mapRecord(format, null, mapping), 'record is not a JSON object (got null)');
      throwsRecord(() => mapRecord(format, 'text', mapping), 'record is not a JSON object (got string)');
      throwsRecord(() => mapRecord(format, 42, mapping), 'record is not a JSON object (got number)');
      throwsRecord(() => mapRecord(format, true, mapping), 'record is not a JSON object (got boolean)');
    }
  });

  it('keeps a "__proto__" key as a plain metadata key', () => {
    const record: unknown = JSON.parse('{"prompt":"p","__proto__":{"x":1}}');
    const metadata = mapRecord('prompt_response', record).metadata as Record<string, unknown>;
    assert.ok(Object.hasOwn(metadata, '__proto__'));
    assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value, { x: 1 });
  });
});

describe('mapRecord: mapping', () => {
  const record = {
    id: 'q-1',
    data: { instruction: 'Name the capital of France.', lang: 'en' },
    turns: [{ content: 'ignored' }, { content: 'Paris.' }],
    gold: { text: 'Paris' },
    source: 'web',
  };

  it('reads nested paths and array indexes; other top-level keys go into metadata', () => {
    const mapping = parseFieldMapping('prompt=data.instruction,response=turns.1.content,reference=gold.text');
    assert.deepEqual(mapRecord('mapping', record, mapping), {
      prompt: 'Name the capital of France.',
      response: 'Paris.',
      reference: 'Paris',
      metadata: { id: 'q-1', source: 'web' },
    });
  });

  it('gives null for absent paths and does not follow inherited keys', () => {
    assert.deepEqual(
      mapRecord('mapping', record, {
        prompt: 'data.instruction',
        response: 'turns.5.content',
        reference: 'gold.text.x',
      }),
      {
        prompt: 'Name the capital of France.',
        response: null,
        reference: null,
        metadata: { id: 'q-1', source: 'web' },
      },
    );
    assert.deepEqual(
      mapRecord('mapping', { a: 1, b: 2 }, { prompt: 'constructor', response: 'a.toString' }),
      {
        prompt: null,
        response: null,
        metadata: { b: 2 },
      },
    );
    assert.deepEqual(mapRecord('mapping', { turns: ['x'] }, { prompt: 'turns.length' }), { prompt: null });
  });

  it('reads numeric keys of objects, messages, and merges extras into a mapped metadata object', () => {
    const out = mapRecord(
      'mapping',
      { scores: { '0': 'zero' }, chat: [{ role: 'user', content: 'Hi' }], info: { lang: 'en' }, id: 3 },
      { prompt: 'scores.0', messages: 'chat', metadata: 'info' },
    );
    assert.deepEqual(out, {
      prompt: 'zero',
      messages: [{ role: 'user', content: 'Hi' }],
      metadata: { lang: 'en', id: 3 },
    });
    throwsRecord(
      () => mapRecord('mapping', { q: 'p', info: { id: 1 }, id: 2 }, { prompt: 'q', metadata: 'info' }),
      '"id" is both a top-level key and a key of "info"',
    );
  });

  it('checks mapped values and names the path', () => {
    throwsRecord(
      () => mapRecord('mapping', record, { prompt: 'data' }),
      '"data" must be a string (got object)',
    );
    throwsRecord(
      () => mapRecord('mapping', record, { prompt: 'id', messages: 'turns' }),
      '"turns[0].role" must be a string (got undefined)',
    );
    throwsRecord(
      () => mapRecord('mapping', record, { prompt: 'id', metadata: 'source' }),
      '"source" must be a JSON object (got string)',
    );
  });

  it('requires a mapping for prompt or messages', () => {
    throwsBadInput(
      () => mapRecord('mapping', record),
      /format "mapping" needs a field mapping for prompt or messages/,
    );
    throwsBadInput(
      () => mapRecord('mapping', record, { response: 'x' }),
      /needs a field mapping for prompt or messages/,
    );
    throwsBadInput(() => mapRecord('mapping', record, { prompt: 'a..b' }), /empty segment in path "a..b"/);
    throwsBadInput(
      () => mapRecord('mapping', record, { bogus: 'a' } as FieldMapping),
      /unknown field "bogus"/,
    );
  });

  it('lets a mapping override or extend another format', () => {
    const alpaca = {
      instruction: 'i',
      input: 'x',
      output: 'o',
      meta: { gold: 'g', other: 1 },
      text: 'full prompt',
    };
    assert.deepEqual(mapRecord('alpaca', alpaca, { reference: 'meta.gold' }), {
      prompt: 'i\n\nx',
      response: 'o',
      reference: 'g',
      metadata: { text: 'full prompt' },
    });
    assert.deepEqual(mapRecord('alpaca', alpaca, { prompt: 'text' }), {
      prompt: 'full prompt',
      response: 'o',
      metadata: { instruction: 'i', input: 'x', meta: { gold: 'g', other: 1 } },
    });
    assert.deepEqual(
      mapRecord(
        'question_answer',
        { question: 'q', answer: 'work #### 7', final: '7.0' },
        { reference: 'final' },
      ),
      {
        prompt: 'q',
        response: 'work #### 7',
        reference: '7.0',
      },
    );
    assert.deepEqual(
      mapRecord(
        'sharegpt',
        { system: 's', conversations: [], chat: [{ role: 'user', content: 'u' }] },
        { messages: 'chat' },
      ),
      { messages: [{ role: 'user', content: 'u' }], metadata: { system: 's', conversations: [] } },
    );
  });
});

describe('parseFieldMapping', () => {
  it('parses entries, ignoring surrounding whitespace', () => {
    assert.deepEqual(
      parseFieldMapping('prompt=instruction, response = output.text,reference=turns.0.content'),
      {
        prompt: 'instruction',
        response: 'output.text',
        reference: 'turns.0.content',
      },
    );
    assert.deepEqual(parseFieldMapping('messages=chat,metadata=info'), {
      messages: 'chat',
      metadata: 'info',
    });
  });

  const bad: [string, RegExp][] = [
    [
      'foo=bar',
      /entry "foo=bar": unknown field "foo" \(valid: prompt, response, reference, messages, metadata\)/,
    ],
    ['prompt=', /entry "prompt=": empty path/],
    ['prompt=a..b', /entry "prompt=a\.\.b": empty segment in path "a\.\.b"/],
    ['prompt=a,prompt=b', /entry "prompt=b": duplicate field "prompt"/],
    ['prompt=a,response', /entry "response": missing '='/],
    ['=a', /entry "=a": missing the field name/],
    ['prompt=a,', /has an empty entry/],
    ['  ', /field mapping is empty/],
  ];
  for (const [spec, message] of bad) {
    it(`rejects ${JSON.stringify(spec)}`, () => throwsBadInput(() => parseFieldMapping(spec), message));
  }
});

describe('parseFormat', () => {
  it('accepts every format name, ignoring case, whitespace and - for _', () => {
    for (const name of FORMATS) assert.equal(parseFormat(name), name);
    assert.equal(parseFormat(' OpenAI '), 'openai');
    assert.equal(parseFormat('prompt-response'), 'prompt_response');
  });

  it('lists the valid names for an unknown one', () => {
    throwsBadInput(
      () => parseFormat('jsonl'),
      /unknown format "jsonl" \(valid: prompt_response, prompt_completion, alpaca, question_answer, openai, sharegpt, mapping\)/,
    );
    throwsBadInput(() => parseFormat('toString'), /unknown format/);
  });
});

describe('detectFormat', () => {
  const chat = [
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello' },
  ];
  const table: [string, Record<string, unknown>, FormatName | null][] = [
    [
      'exported record, all five keys',
      { prompt: 'Hi', response: 'Hello', reference: null, messages: null, metadata: null },
      'prompt_response',
    ],
    [
      'exported chat record with a prompt',
      { prompt: 'Hi', response: 'Hello', reference: null, messages: chat, metadata: { a: 1 } },
      'prompt_response',
    ],
    [
      'exported chat record without a prompt',
      { prompt: null, response: 'Hello', reference: null, messages: chat, metadata: null },
      'openai',
    ],
    ['prompt only', { prompt: 'Hi' }, 'prompt_response'],
    ['prompt and response', { prompt: 'Hi', response: 'Hello' }, 'prompt_response'],
    ['prompt with extra keys', { prompt: 'Hi', response: 'Hello', id: 1, source: 'web' }, 'prompt_response'],
    ['prompt with a non-array messages value', { messages: 'oops' }, 'prompt_response'],
    ['openai messages', { messages: chat }, 'openai'],
    ['openai messages with metadata', { messages: chat, metadata: { a: 1 } }, 'openai'],
    ['openai messages with tools', { messages: chat, tools: [] }, 'openai'],
    ['openai messages with a null prompt and extras', { messages: chat, prompt: null, id: 1 }, 'openai'],
    ['messages with a prompt and extras', { messages: chat, prompt: 'Hi', id: 1 }, 'prompt_response'],
    ['sharegpt', { conversations: [{ from: 'human', value: 'Hi' }] }, 'sharegpt'],
    ['sharegpt with system and id', { id: 'x', system: 's', conversations: [] }, 'sharegpt'],
    ['alpaca with input', { instruction: 'i', input: 'x', output: 'o' }, 'alpaca'],
    ['alpaca without input', { instruction: 'i', output: 'o', id: 2 }, 'alpaca'],
    ['gsm8k', { question: GSM8K_QUESTION, answer: GSM8K_ANSWER }, 'question_answer'],
    ['prompt/completion', { prompt: 'p', completion: 'c' }, 'prompt_completion'],
    ['prompt/completion with extras', { prompt: 'p', completion: 'c', id: 3 }, 'prompt_completion'],
    ['instruction without output', { instruction: 'i', id: 1 }, null],
    ['question without answer', { question: 'q' }, null],
    ['text only', { text: 'hello' }, null],
    ['empty object', {}, null],
    ['metadata only', { metadata: { a: 1 } }, null],
    ['conversations not an array', { conversations: 'x' }, null],
  ];
  for (const [name, record, expected] of table) {
    it(`${name} -> ${String(expected)}`, () => assert.equal(detectFormat(record), expected));
  }
});

describe('FORMAT_EXAMPLES', () => {
  it('each example is one JSON line that detects as its format, maps and canonicalizes', () => {
    for (const format of FORMATS) {
      const line = FORMAT_EXAMPLES[format];
      assert.ok(!line.includes('\n'), `${format} example is one line`);
      const record = JSON.parse(line) as Record<string, unknown>;
      assert.equal(detectFormat(record), format === 'mapping' ? null : format, `${format} example detects`);
      const mapping = format === 'mapping' ? parseFieldMapping(FORMAT_EXAMPLE_MAPPING) : undefined;
      const sample = canonicalizeSample(mapRecord(format, record, mapping), format);
      assert.ok(sample.prompt, `${format} example has a prompt`);
      assert.ok(sample.response, `${format} example has a response`);
    }
    const gsm8k = mapRecord('question_answer', JSON.parse(FORMAT_EXAMPLES.question_answer));
    assert.equal(gsm8k.reference, '72');
    assert.deepEqual(
      mapRecord('mapping', JSON.parse(FORMAT_EXAMPLES.mapping), parseFieldMapping(FORMAT_EXAMPLE_MAPPING)),
      {
        prompt: 'Capital of France?',
        response: 'Paris.',
        reference: 'Paris',
        metadata: { id: 'q-17' },
      },
    );
  });
});

describe('round trip through the export shape', () => {
  const originals: SampleInput[] = [
    { prompt: 'What is 2+2?', response: '4' },
    { prompt: 'Prompt only' },
    {
      prompt: 'p',
      response: '',
      reference: 'r',
      metadata: { tags: ['a', 'b'], nested: { z: 1, a: [1, { b: null }] } },
    },
    {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
      ],
    },
    { messages: [{ role: 'system', content: 'Only a system turn' }], metadata: { id: 1 } },
    {
      prompt: 'override',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Yo' },
      ],
      response: 'r',
    },
    {
      messages: [{ role: 'user', content: 'Q', name: 'ann' } as { role: string; content: string }],
      reference: '42',
    },
    { prompt: GSM8K_QUESTION, response: GSM8K_ANSWER, reference: '72', metadata: {} },
  ];
  originals.forEach((original, i) => {
    it(`sample ${i} maps back to the same content hash`, () => {
      const canonical = canonicalizeSample(original, 'x');
      const exported = JSON.parse(
        JSON.stringify({
          prompt: canonical.prompt,
          response: canonical.response,
          reference: canonical.reference,
          messages: canonical.messages,
          metadata: canonical.metadata,
        }),
      ) as Record<string, unknown>;
      const format = detectFormat(exported);
      assert.ok(format === 'prompt_response' || format === 'openai', `detected ${String(format)}`);
      assert.equal(canonicalizeSample(mapRecord(format, exported), 'x').contentHash, canonical.contentHash);
    });
  });
});
