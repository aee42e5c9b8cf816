import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

/**
 * Rejects operations whose selections nest deeper than `maxDepth` (fragments are followed).
 *
 * A fragment adds the same height wherever it is spread, so each fragment's height is computed
 * once and reused: the rule runs in time linear in the document, before authentication, however
 * often fragments spread each other (following every spread instead is exponential in a chain of
 * fragments that each spread the next twice).
 */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
    /** Height of each fragment; a fragment still being measured counts 0 (a cycle, refused elsewhere). */
    const heights = new Map<string, number>();
    const fragmentHeight = (name: string): number => {
      const known = heights.get(name);
      if (known !== undefined) return known;
      heights.set(name, 0);
      const height = heightOf(fragments.get(name)?.selectionSet);
      heights.set(name, height);
      return height;
    };
    const heightOf = (set: SelectionSetNode | undefined): number => {
      if (!set) return 0;
      let max = 0;
      for (const sel of set.selections) {
        const height =
          sel.kind === Kind.FIELD
            ? 1 + heightOf(sel.selectionSet)
            : sel.kind === Kind.INLINE_FRAGMENT
              ? heightOf(sel.selectionSet)
              : fragmentHeight(sel.name.value);
        if (height > max) max = height;
      }
      return max;
    };
    return {
      OperationDefinition(node) {
        const depth = heightOf(node.selectionSet);
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`query is ${depth} levels deep; the limit is ${maxDepth}`, { nodes: [node] }),
          );
        }
      },
    };
  };
}
