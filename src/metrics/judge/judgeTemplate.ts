/**
 * Judge prompt templates as pure data: checking them, rendering them for a sample, hashing their
 * content, and parsing the score out of a judge's answer. The catalog stores templates
 * (src/judges/templates.ts); everything here is shared by the connector and the judge metrics.
 */
import { createHash } from 'node:crypto';
import { BadInputError } from '../../errors.js';

export type JudgeTemplateKind = 'SCORE' | 'PAIRWISE';

/** What a template says: the messages, where the score stands in the answer, and its range. */
export interface JudgeTemplateContent {
  kind: JudgeTemplateKind;
  /** System message; '' sends none. */
  system: string;
  /** User message with placeholders: {prompt}, {response}, and {base_response} (PAIRWISE). */
  user: string;
  /** A text with exactly one {score}: the first match in the answer is the score. */
  scoreFormat: string;
  /** Label -> value, e.g. {"A": 1, "B": 0, "C": 0.5}; null when {score} is a number. */
  labels: Record<string, number> | null;
  minScore: number;
  maxScore: number;
}

/** A stored template: its content plus identity. */
export interface JudgeTemplateSpec extends JudgeTemplateContent {
  name: string;
  version: number;
  /** sha256 of the canonical content (templateHash). */
  hash: string;
}

export const SAMPLE_PLACEHOLDERS = ['prompt', 'response', 'base_response'] as const;
export type SamplePlaceholder = (typeof SAMPLE_PLACEHOLDERS)[number];
export const SCORE_PLACEHOLDER = '{score}';

const PLACEHOLDER = /\{\{|\}\}|\{([a-z_]+)\}/g;
const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** The placeholders named in a message ({{ and }} are literal braces). */
export function placeholdersOf(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(PLACEHOLDER)) if (match[1]) found.add(match[1]);
  return [...found];
}

/** Fills the placeholders; {{ and }} become { and }. */
export function renderMessage(text: string, values: Partial<Record<SamplePlaceholder, string>>): string {
  return text.replace(PLACEHOLDER, (whole, name: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const value = values[name as SamplePlaceholder];
    return value === undefined ? whole : value;
  });
}

/** Refuses a template that can never work, naming the field and what is wrong. */
export function checkTemplate(name: string, content: JudgeTemplateContent): void {
  const fail = (field: string, message: string): never => {
    throw new BadInputError(`judge template "${name}": ${message}`, { field, template: name });
  };
  if (!NAME.test(name))
    fail('name', 'the name must be 1-100 lowercase letters, digits, dots, dashes or underscores');
  if (content.kind !== 'SCORE' && content.kind !== 'PAIRWISE') fail('kind', 'kind must be SCORE or PAIRWISE');
  if (content.user.trim() === '') fail('user', 'the user message is empty');
  for (const [field, text] of [
    ['system', content.system],
    ['user', content.user],
  ] as const) {
    const unknown = placeholdersOf(text).filter(
      (p) => !(SAMPLE_PLACEHOLDERS as readonly string[]).includes(p),
    );
    if (unknown.length > 0) {
      fail(
        field,
        `unknown placeholder ${unknown.map((p) => `{${p}}`).join(', ')} in ${field}; the placeholders are ` +
          `${SAMPLE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')} (write {{ and }} for literal braces)`,
      );
    }
  }
  const used = new Set([...placeholdersOf(content.system), ...placeholdersOf(content.user)]);
  if (!used.has('prompt') && !used.has('response'))
    fail(
      'user',
      'the messages contain neither {prompt} nor {response}, so every sample would get the same request',
    );
  if (content.kind === 'PAIRWISE' && !used.has('base_response'))
    fail('user', 'a PAIRWISE template must contain {base_response}');
  if (content.kind === 'SCORE' && used.has('base_response'))
    fail('user', '{base_response} is only filled in PAIRWISE templates');
  const scores = content.scoreFormat.split(SCORE_PLACEHOLDER).length - 1;
  if (scores !== 1) {
    fail(
      'scoreFormat',
      scores === 0
        ? `the score format "${content.scoreFormat}" has no ${SCORE_PLACEHOLDER} placeholder, so no score can be read from an answer`
        : `the score format must contain ${SCORE_PLACEHOLDER} exactly once (found ${scores})`,
    );
  }
  if (
    !Number.isFinite(content.minScore) ||
    !Number.isFinite(content.maxScore) ||
    content.minScore > content.maxScore
  )
    fail('minScore', `the score range [${content.minScore}, ${content.maxScore}] is not a range`);
  if (content.labels !== null) {
    const entries = Object.entries(content.labels);
    if (entries.length === 0) fail('labels', 'labels must name at least one label');
    for (const [label, value] of entries) {
      if (label.trim() === '' || /\s/.test(label))
        fail('labels', `label "${label}" must be non-empty without spaces`);
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        value < content.minScore ||
        value > content.maxScore
      )
        fail(
          'labels',
          `label "${label}" must map to a number within [${content.minScore}, ${content.maxScore}]`,
        );
    }
  }
}

/** sha256 of the canonical content: equal hashes = the same requests and the same parsing. */
export function templateHash(content: JudgeTemplateContent): string {
  const labels = content.labels
    ? Object.fromEntries(Object.entries(content.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : null;
  const canonical = JSON.stringify([
    content.kind,
    content.system,
    content.user,
    content.scoreFormat,
    labels,
    content.minScore,
    content.maxScore,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

/** The chat messages for one sample. */
export function templateMessages(
  template: JudgeTemplateContent,
  values: Partial<Record<SamplePlaceholder, string>>,
): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (template.system !== '')
    messages.push({ role: 'system', content: renderMessage(template.system, values) });
  messages.push({ role: 'user', content: renderMessage(template.user, values) });
  return messages;
}

export type ParsedJudgement =
  | { kind: 'score'; value: number }
  /** A number was found but lies outside the template's range. */
  | { kind: 'out_of_range'; value: number }
  /** The judge declined (an apology or refusal, or the endpoint's content filter). */
  | { kind: 'refusal' }
  | { kind: 'unparseable' };

const NUMBER = '([-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+))';
const REFUSAL =
  /\b(?:I(?:'|’)m sorry|I am sorry|I apologi[sz]e|I (?:can(?:'|’)t|cannot|can not|won(?:'|’)t|am unable to|(?:'|’)m unable to|am not able to)|as an AI\b)/i;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A literal part of the score format: escaped, any run of whitespace matching any (or no) whitespace. */
function literalPattern(text: string): string {
  return text.split(/\s+/).map(escapeRegExp).join('\\s*');
}

/**
 * The parser of a template's answers. The answer's first match of the score format is read:
 * a number (kept when within the range, else out_of_range) or, with labels, one of the labels
 * (case-sensitive, longest first). No match: a refusal when the answer apologises or declines
 * (or the endpoint reports its content filter), else unparseable.
 */
export function scoreParser(
  template: Pick<JudgeTemplateContent, 'scoreFormat' | 'labels' | 'minScore' | 'maxScore'>,
): (answer: string, finishReason?: string | null) => ParsedJudgement {
  const [before, after] = template.scoreFormat.split(SCORE_PLACEHOLDER) as [string, string];
  const labels = template.labels;
  const scoreGroup = labels
    ? `(${Object.keys(labels)
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join('|')})`
    : NUMBER;
  const pattern = new RegExp(
    `${literalPattern(before)}${scoreGroup}${literalPattern(after)}`,
    labels ? '' : 'i',
  );
  return (answer, finishReason) => {
    const match = pattern.exec(answer);
    if (match) {
      const value = labels ? labels[match[1]!]! : Number(match[1]);
      if (Number.isFinite(value)) {
        return value >= template.minScore && value <= template.maxScore
          ? { kind: 'score', value }
          : { kind: 'out_of_range', value };
      }
    }
    if (finishReason === 'content_filter' || REFUSAL.test(answer)) return { kind: 'refusal' };
    return { kind: 'unparseable' };
  };
}
