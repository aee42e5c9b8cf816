/**
 * Local Hugging Face dataset directories (a `git clone` of a Hub dataset, or a snapshot from the
 * hub cache): which files hold a split, and what the dataset card (README.md YAML front matter)
 * says about the dataset.
 *
 * A split's files are found the way the Hub finds them: first the card's `configs` (`data_files`
 * with `split` and `path` globs, of the config named `default` or the first one), else the file
 * name conventions: `data/<split>-00000-of-00002.parquet`, `<split>.jsonl`, `data/<split>.parquet`,
 * `<config>/<split>/0000.parquet` (see splitOfPath). Shards are read in path order.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { DatasetFields } from '../catalog/datasets.js';
import { BadInputError } from '../errors.js';
import type { Shard } from './ingest.js';

const DATA_EXTENSIONS = ['.parquet', '.jsonl', '.jsonl.gz', '.ndjson', '.json', '.json.gz'];
/** JSON files of a snapshot that are not data. */
const METADATA_FILES = new Set(['dataset_info.json', 'dataset_infos.json', 'state.json', 'croissant.json']);
const SKIP_DIRS = new Set(['.git', '.cache', '.huggingface', 'node_modules']);
/** The usual split names, and the shorthand forms file names use for them. */
const SPLIT_ALIASES: Record<string, readonly string[]> = {
  train: ['train', 'training'],
  validation: ['validation', 'valid', 'val', 'dev'],
  test: ['test', 'testing'],
};

export interface DatasetCard {
  /** The YAML front matter, parsed (an empty object when the README has none). */
  yaml: Record<string, unknown>;
  /** The README's body after the front matter. */
  body: string;
}

/** Reads DIR/README.md (null when there is none); malformed YAML is a BadInputError. */
export async function readDatasetCard(dir: string): Promise<DatasetCard | null> {
  let text: string;
  try {
    text = await readFile(join(dir, 'README.md'), 'utf8');
  } catch {
    return null;
  }
  const match = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  if (!match) return { yaml: {}, body: text };
  let yaml: unknown;
  try {
    yaml = parseYaml(match[1]!);
  } catch (error) {
    throw new BadInputError(
      `${join(dir, 'README.md')}: the YAML front matter cannot be parsed: ${(error as Error).message}`,
    );
  }
  return {
    yaml:
      yaml !== null && typeof yaml === 'object' && !Array.isArray(yaml)
        ? (yaml as Record<string, unknown>)
        : {},
    body: text.slice(match[0].length),
  };
}

const firstText = (value: unknown): string | null => {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (Array.isArray(value)) return value.map(firstText).find((v) => v !== null) ?? null;
  return null;
};
const texts = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).flatMap((v) =>
    typeof v === 'string' && v.trim() ? [v.trim()] : [],
  );

/**
 * The catalog's dataset fields from a card: name <- pretty_name, license <- license (the first),
 * task <- task_categories (the first; else task_ids), sourceUri <- source_datasets (the first;
 * else homepage / url), tags <- tags, language:<code> and size:<category>, description <- the
 * body's first paragraph of prose. The whole front matter is kept as the dataset's card.
 */
export function datasetFieldsFromCard(card: DatasetCard): DatasetFields {
  const y = card.yaml;
  const fields: DatasetFields = {};
  const name = firstText(y.pretty_name);
  if (name) fields.name = name;
  const license = firstText(y.license);
  if (license) fields.license = license;
  const task = firstText(y.task_categories) ?? firstText(y.task_ids);
  if (task) fields.task = task;
  const source = firstText(y.source_datasets) ?? firstText(y.homepage) ?? firstText(y.url);
  if (source) fields.sourceUri = source;
  const tags = [
    ...texts(y.tags),
    ...texts(y.language).map((l) => `language:${l}`),
    ...texts(y.size_categories).map((s) => `size:${s}`),
  ];
  // The catalog takes at most 50 tags of 1 to 64 characters.
  const usable = [...new Set(tags)].filter((t) => t.length <= 64).slice(0, 50);
  if (usable.length) fields.tags = usable;
  const description = firstParagraph(card.body);
  if (description) fields.description = description;
  if (Object.keys(y).length) fields.card = y;
  return fields;
}

function firstParagraph(body: string): string | null {
  for (const block of body.split(/\r?\n\s*\r?\n/)) {
    const text = block.trim();
    if (!text || /^(#|<|\||```|!\[|- |\* |\[)/.test(text)) continue;
    return text.replace(/\s+/g, ' ').slice(0, 2000);
  }
  return null;
}

/** Every data file under `dir` (relative paths with '/', sorted), hidden and cache folders skipped. */
async function dataFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      if (entry.name.startsWith('.') && entry.isDirectory()) continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) await walk(path);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        const lower = entry.name.toLowerCase();
        if (DATA_EXTENSIONS.some((ext) => lower.endsWith(ext)))
          found.push(relative(dir, path).split(sep).join('/'));
      }
    }
  };
  await walk(dir);
  return found.sort();
}

function stem(name: string): string {
  const lower = name.toLowerCase();
  const ext = DATA_EXTENSIONS.find((e) => lower.endsWith(e)) ?? '';
  return name.slice(0, name.length - ext.length);
}

/**
 * The split a file belongs to by the Hub's naming conventions: its stem without the shard suffix
 * ("train-00000-of-00002" -> train, "train_sft.jsonl" -> train_sft), or, for a bare shard name
 * ("0000.parquet", "part-0.parquet"), its folder ("default/train/0000.parquet" -> train). Common
 * aliases are normalized (valid, val, dev -> validation; training -> train; testing -> test).
 */
function splitOfPath(path: string): string | null {
  const parts = path.split('/');
  let name = stem(parts.pop()!).replace(/-\d+-of-\d+$/, '');
  while (/^(?:\d+|part[-_]?\d*|shard[-_]?\d*|data)$/i.test(name) || name === '') {
    const parent = parts.pop();
    if (parent === undefined) return null;
    name = parent;
  }
  const lower = name.toLowerCase();
  for (const [split, aliases] of Object.entries(SPLIT_ALIASES)) if (aliases.includes(lower)) return split;
  return name;
}

/** A Hub data_files glob ("data/train-*", "**\/*.parquet") as a RegExp over '/' paths. */
function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
        if (glob[i + 1] === '/') i++;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else out += /[.+^${}()|[\]\\]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${out}$`);
}

/** The card's data_files for each split of its default (else first) config. */
function cardSplits(card: DatasetCard | null): Map<string, string[]> | null {
  const configs = card?.yaml.configs;
  if (!Array.isArray(configs) || configs.length === 0) return null;
  const config = configs.find((c) => (c as Record<string, unknown>)?.config_name === 'default') ?? configs[0];
  const files = (config as Record<string, unknown>)?.data_files;
  const splits = new Map<string, string[]>();
  if (typeof files === 'string') splits.set('train', [files]);
  else if (Array.isArray(files)) {
    for (const entry of files) {
      if (typeof entry === 'string') splits.set('train', [...(splits.get('train') ?? []), entry]);
      else if (entry && typeof entry === 'object') {
        const { split, path } = entry as { split?: unknown; path?: unknown };
        const globs = texts(path);
        if (typeof split === 'string' && globs.length)
          splits.set(split, [...(splits.get(split) ?? []), ...globs]);
      }
    }
  }
  return splits.size ? splits : null;
}

export interface SplitFiles {
  split: string;
  shards: Shard[];
  /** Every split the directory has. */
  splits: string[];
}

/**
 * The shards of `split` (default: "train" when there is one, else the only split) in `dir`. No
 * data file, an unknown split, or an ambiguous default are BadInputErrors listing what there is.
 */
export async function findSplitFiles(dir: string, split?: string): Promise<SplitFiles> {
  if (!(await stat(dir)).isDirectory()) throw new BadInputError(`${dir} is not a directory`);
  const card = await readDatasetCard(dir);
  const files = await dataFiles(dir);
  if (files.length === 0) {
    throw new BadInputError(
      `${dir} holds no data files (${DATA_EXTENSIONS.join(', ')}): is it a Hugging Face dataset directory?`,
    );
  }
  const bySplit = new Map<string, string[]>();
  const declared = cardSplits(card);
  if (declared) {
    for (const [name, globs] of declared) {
      const patterns = globs.map(globToRegExp);
      bySplit.set(
        name,
        files.filter((f) => patterns.some((p) => p.test(f))),
      );
    }
  } else {
    for (const file of files) {
      const name = splitOfPath(file) ?? (files.length === 1 ? 'train' : null);
      if (METADATA_FILES.has(file.split('/').pop()!.toLowerCase())) continue;
      if (name) bySplit.set(name, [...(bySplit.get(name) ?? []), file]);
    }
  }
  const splits = [...bySplit.keys()].sort();
  if (splits.length === 0) {
    throw new BadInputError(
      `${dir}: no file is named after a split (train, validation, test); files: ${files.slice(0, 10).join(', ')}`,
    );
  }
  const chosen = split ?? (bySplit.has('train') ? 'train' : splits.length === 1 ? splits[0]! : undefined);
  if (chosen === undefined) {
    throw new BadInputError(`${dir} has the splits ${splits.join(', ')}: choose one with --split`);
  }
  const paths = bySplit.get(chosen);
  if (!paths || paths.length === 0) {
    throw new BadInputError(
      `${dir} has no files for split "${chosen}"${splits.length ? ` (splits: ${splits.join(', ')})` : ''}`,
      { split: chosen },
    );
  }
  return {
    split: chosen,
    splits,
    shards: paths.map((name) => ({
      name,
      path: join(dir, ...name.split('/')),
      kind: name.toLowerCase().endsWith('.parquet') ? 'parquet' : 'json',
    })),
  };
}
