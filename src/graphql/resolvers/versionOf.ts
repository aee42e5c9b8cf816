import type { Context } from '../context.js';

/** The `version` field of any object that carries a `versionId`, through the request's loader. */
export function versionOf(parent: { versionId: number }, _: unknown, ctx: Context) {
  return ctx.loaders.version.load(parent.versionId);
}
