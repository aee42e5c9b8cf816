import {
  isObject,
  kindOf,
  metadataKey,
  mustBeString,
  optionalText,
  setOwn,
  type FormatSpec,
  type Rec,
} from './fieldSource.js';
import { RecordError } from './recordError.js';

const SHAREGPT_ROLES: ReadonlyMap<string, string> = new Map([
  ['human', 'user'],
  ['gpt', 'assistant'],
  ['system', 'system'],
]);

/**
 * sharegpt: `conversations` (required) is an array of {from, value} turns, mapped to messages
 * {role, content} with from human -> user, gpt -> assistant, system -> system and any other
 * value (bing, chatgpt, ...) unchanged. Other keys on a turn are kept on the message (a turn that
 * also has its own `role` or `content` key is a RecordError). An optional top-level `system`
 * string, when non-empty, becomes a leading {role: 'system'} message. Optional `metadata`, merged
 * with the extra keys as in every other format.
 */
export const SHAREGPT: FormatSpec = {
  messages: {
    keys: ['conversations', 'system'],
    read: (r) => {
      const turns = r.conversations;
      if (turns === undefined) throw new RecordError('"conversations" is missing');
      if (!Array.isArray(turns))
        throw new RecordError(`"conversations" must be an array (got ${kindOf(turns)})`);
      const system = optionalText(r.system, 'system');
      const messages: Rec[] = [];
      if (system) messages.push({ role: 'system', content: system });
      for (let i = 0; i < turns.length; i += 1) {
        const turn: unknown = turns[i];
        if (!isObject(turn)) {
          throw new RecordError(`"conversations[${i}]" must be a JSON object (got ${kindOf(turn)})`);
        }
        const from = turn.from;
        const value = turn.value;
        if (typeof from !== 'string') throw mustBeString(`conversations[${i}].from`, from);
        if (typeof value !== 'string') throw mustBeString(`conversations[${i}].value`, value);
        const message: Rec = { role: SHAREGPT_ROLES.get(from) ?? from, content: value };
        for (const key of Object.keys(turn)) {
          if (key === 'from' || key === 'value') continue;
          if (key === 'role' || key === 'content') {
            throw new RecordError(`"conversations[${i}]" has both "from"/"value" and "${key}"`);
          }
          setOwn(message, key, turn[key]);
        }
        messages.push(message);
      }
      return messages;
    },
  },
  metadata: metadataKey,
};
