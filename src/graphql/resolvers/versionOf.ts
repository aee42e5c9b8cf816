import type { Context } from '../context.js';
import { referenced } from './referenced.js';

/** The `version` field of any object that carries a `versionId`, through the request's loader. */
export function versionOf(parent: { versionId: number }, _: unknown, ctx: Context) {
  return referenced(ctx.loaders.version, parent.versionId, 'version');
}
