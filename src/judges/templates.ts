/**
 * Judge templates in the catalog: the built-ins (seeded at startup), user templates, and their
 * versions. A changed template is a new version; upserting the same content again returns the
 * version that has it, so `name@version` always names one exact text.
 */
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { judgeTemplates, type JudgeTemplateRow } from '../db/schema.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { BUILTIN_TEMPLATES } from '../metrics/judge/builtinTemplates.js';
import {
  checkTemplate,
  templateHash,
  type JudgeTemplateContent,
  type JudgeTemplateSpec,
} from '../metrics/judge/judgeTemplate.js';

export interface JudgeTemplateInput extends JudgeTemplateContent {
  name: string;
  description?: string | null;
  citation?: string | null;
}

/** Inserts version 1 of each built-in template that is missing. */
export async function seedJudgeTemplates(db: Executor): Promise<number> {
  const rows = BUILTIN_TEMPLATES.map((t) => ({
    name: t.name,
    version: 1,
    kind: t.kind,
    description: t.description,
    citation: t.citation,
    system: t.system,
    user: t.user,
    scoreFormat: t.scoreFormat,
    labels: t.labels,
    minScore: t.minScore,
    maxScore: t.maxScore,
    hash: templateHash(t),
    builtIn: true,
  }));
  const inserted = await db
    .insert(judgeTemplates)
    .values(rows)
    .onConflictDoNothing({ target: [judgeTemplates.name, judgeTemplates.version] })
    .returning({ id: judgeTemplates.id });
  return inserted.length;
}

/**
 * Stores a template: a new version when its content differs from every stored version of the
 * name, else the version that already has this content. Built-in names are refused.
 */
export async function upsertJudgeTemplate(
  db: Executor,
  input: JudgeTemplateInput,
): Promise<JudgeTemplateRow> {
  const name = input.name.trim();
  const content: JudgeTemplateContent = {
    kind: input.kind,
    system: input.system ?? '',
    user: input.user,
    scoreFormat: input.scoreFormat,
    labels: input.labels ?? null,
    minScore: input.minScore,
    maxScore: input.maxScore,
  };
  checkTemplate(name, content);
  if (BUILTIN_TEMPLATES.some((t) => t.name === name)) {
    throw new BadInputError(`"${name}" is a built-in template; store yours under another name`, {
      field: 'name',
      template: name,
    });
  }
  const hash = templateHash(content);
  return db.transaction(async (tx) => {
    // One writer per name at a time, so two upserts cannot take the same version number.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`judge_template:${name}`}))`);
    const [same] = await tx
      .select()
      .from(judgeTemplates)
      .where(and(eq(judgeTemplates.name, name), eq(judgeTemplates.hash, hash)))
      .orderBy(desc(judgeTemplates.version))
      .limit(1);
    if (same) return same;
    const [latest] = await tx
      .select({ version: judgeTemplates.version })
      .from(judgeTemplates)
      .where(eq(judgeTemplates.name, name))
      .orderBy(desc(judgeTemplates.version))
      .limit(1);
    const [row] = await tx
      .insert(judgeTemplates)
      .values({
        name,
        version: (latest?.version ?? 0) + 1,
        ...content,
        description: input.description?.trim() ?? '',
        citation: input.citation?.trim() ?? '',
        hash,
        builtIn: false,
      })
      .returning();
    return row!;
  });
}

/** Every template (newest version of each name, or every version), ordered by name and version. */
export async function listJudgeTemplates(
  db: Executor,
  options: { name?: string | null; allVersions?: boolean } = {},
): Promise<JudgeTemplateRow[]> {
  const rows = await db
    .select()
    .from(judgeTemplates)
    .where(options.name ? eq(judgeTemplates.name, options.name) : undefined)
    .orderBy(asc(judgeTemplates.name), desc(judgeTemplates.version));
  if (options.allVersions) return rows;
  const seen = new Set<string>();
  return rows.filter((row) => !seen.has(row.name) && seen.add(row.name));
}

/** `name` (its newest version) or `name@version`; BAD_USER_INPUT naming what exists otherwise. */
export async function resolveJudgeTemplate(db: Executor, reference: string): Promise<JudgeTemplateRow> {
  const match = /^(.+?)(?:@([1-9][0-9]{0,8}))?$/.exec(reference.trim());
  const name = match?.[1] ?? reference;
  const version = match?.[2] ? Number(match[2]) : null;
  const versions = await listJudgeTemplates(db, { name, allVersions: true });
  const row = version === null ? versions[0] : versions.find((v) => v.version === version);
  if (!row) {
    if (versions.length > 0) {
      throw new BadInputError(
        `judge template ${name} has no version ${version}; its versions are ${versions.map((v) => v.version).join(', ')}`,
        { template: reference },
      );
    }
    const names = (await listJudgeTemplates(db)).map((t) => t.name);
    throw new BadInputError(`no judge template "${name}"; the templates are ${names.join(', ')}`, {
      template: reference,
      templates: names,
    });
  }
  return row;
}

export async function judgeTemplateByRef(db: Executor, reference: string): Promise<JudgeTemplateSpec> {
  const row = await resolveJudgeTemplate(db, reference).catch((error: unknown) => {
    if (error instanceof BadInputError) throw new NotFoundError(error.message);
    throw error;
  });
  return specOf(row);
}

export function specOf(row: JudgeTemplateRow): JudgeTemplateSpec {
  return {
    name: row.name,
    version: row.version,
    kind: row.kind,
    system: row.system,
    user: row.user,
    scoreFormat: row.scoreFormat,
    labels: row.labels ?? null,
    minScore: row.minScore,
    maxScore: row.maxScore,
    hash: row.hash,
  };
}
