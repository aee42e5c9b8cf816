/**
 * The first view of a browser navigation to a sample browser URL, answered inside the HTML: the
 * server runs the very GraphQL operations the app would send first (the session check, the first
 * page of rows and the version), side by side with the navigation's own credentials, embeds their
 * results as JSON for the app to use instead of asking again, and draws the first rows as plain
 * HTML so they show before the app's JavaScript has loaded (src/http/webRoutes.ts streams the page:
 * the rows go out as soon as their operation is answered). The app replaces them when it starts.
 *
 * The operation texts must equal the app's (web/src/auth.tsx, web/src/views/Samples.tsx): the app
 * takes an embedded result only for the same text and variables, so a drift costs a request, never
 * a wrong answer (test/web.firstView.test.ts checks that no request is needed).
 */

/** The app's session check (web/src/auth.tsx). */
export const SESSION_QUERY = '{ serverInfo { auth version backend } }';

const SAMPLE_FIELDS = 'id ordinal prompt response reference messages { role content } metadata';

/** The sample browser's version, with what its controls need (web/src/views/Samples.tsx, VERSION). */
export const SAMPLE_BROWSER_QUERY = `query SampleBrowserVersion($id: ID!) {
  version(id: $id) {
    id version sampleCount dataset { slug name }
    metrics { metric status definition { sampleValue } }
    embeddings { embedded space { key } }
  }
}`;

/**
 * Its first page of rows in plain ordinal order (web/src/views/Samples.tsx, FIRST_ROWS), asked for
 * beside the version so that the rows wait for nothing else; the few version fields are for the
 * drawn heading.
 */
export const SAMPLE_ROWS_QUERY = `query SampleBrowserFirstRows($id: ID!, $first: Int) {
  version(id: $id) {
    id version sampleCount dataset { slug name }
    firstRows: sampleRows(first: $first) {
      pageInfo { hasNextPage endCursor }
      edges { node { ordinal scores sample { ${SAMPLE_FIELDS} } } }
    }
  }
}`;

/** The sample browser's page size (web/src/views/Samples.tsx). */
export const FIRST_PAGE_SIZE = 200;

export interface Operation {
  query: string;
  variables: Record<string, unknown>;
}

/**
 * The operations to answer in the HTML for this URL: the sample browser in plain ordinal order
 * (no columns, sort or filter in the query string), else none.
 */
export function firstViewOperations(url: URL): Operation[] {
  const match = /^\/versions\/([^/]+)\/samples\/?$/.exec(url.pathname);
  if (!match) return [];
  if (url.searchParams.get('columns') || url.searchParams.get('sort') || url.searchParams.get('ranges'))
    return [];
  let id: string;
  try {
    id = decodeURIComponent(match[1]!);
  } catch {
    return [];
  }
  return [
    { query: SESSION_QUERY, variables: {} },
    { query: SAMPLE_ROWS_QUERY, variables: { id, first: FIRST_PAGE_SIZE } },
    { query: SAMPLE_BROWSER_QUERY, variables: { id } },
  ];
}

export interface AnsweredOperation extends Operation {
  /** The GraphQL response body ({ data } or { data, errors }). */
  result: { data?: unknown; errors?: unknown[] };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a <script> element: no `</script>`, `<!--` or line separators. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

interface RowsResult {
  version: {
    version: number;
    sampleCount: number;
    dataset: { slug: string };
    firstRows?: {
      edges: {
        node: {
          ordinal: number;
          sample: {
            prompt: string | null;
            response: string | null;
            reference: string | null;
            messages: { role: string; content: string }[] | null;
          };
        };
      }[];
    };
  } | null;
}

/** Whether an operation was answered with data and no error (only those are embedded). */
export function usable(op: AnsweredOperation | null): op is AnsweredOperation {
  return op !== null && !op.result.errors?.length && op.result.data != null;
}

/**
 * The first rows (of SAMPLE_ROWS_QUERY's answer) as static HTML in the app's classes, the first
 * 30: what fits a screen and more. Empty when there is no usable answer.
 */
export function renderRows(answer: AnsweredOperation | null): string {
  if (!usable(answer) || answer.query !== SAMPLE_ROWS_QUERY) return '';
  const rows = answer.result.data as RowsResult;
  const version = rows?.version;
  if (!version?.firstRows) return '';
  const field = (name: string, text: string | null) =>
    text === null
      ? ''
      : `<div class="field field-${name}"><span class="role">${name}</span><pre>${escapeHtml(text)}</pre></div>`;
  const cards = version.firstRows.edges.slice(0, 30).map(({ node }) => {
    const { sample } = node;
    const body = sample.messages
      ? `<div class="messages">${sample.messages
          .map(
            (m) =>
              `<div class="message role-${escapeHtml(m.role)}"><span class="role">${escapeHtml(m.role)}</span><pre>${escapeHtml(m.content)}</pre></div>`,
          )
          .join('')}</div>`
      : field('prompt', sample.prompt) + field('response', sample.response);
    return `<article class="sample" data-ordinal="${node.ordinal}"><header><span class="ordinal">#${node.ordinal}</span></header>${body}${field('reference', sample.reference)}</article>`;
  });
  return (
    `<div data-first-view="server"><header class="top"><span class="brand">qdc explorer</span></header><main>` +
    `<div class="samples-page"><h1>Samples of ${escapeHtml(version.dataset.slug)} v${version.version}</h1>` +
    `<p class="count">${version.sampleCount.toLocaleString('en-US')} samples</p>` +
    `<div class="sample-scroller">${cards.join('')}</div></div></main></div>`
  );
}

/** Where a page is split to stream it: the app's empty root element, which the rows fill. */
export const ROOT_ELEMENT = '<div id="root"></div>';

/**
 * The answered operations as a JSON script element (which no CSP blocks, because it never runs),
 * or nothing. Operations that failed are left out, so the app asks again and shows the error as
 * it always does.
 */
export function answersElement(answered: readonly (AnsweredOperation | null)[]): string {
  const kept = answered.filter(usable);
  if (kept.length === 0) return '';
  return `<script type="application/json" id="qdc-first-view">${scriptJson(kept)}</script>`;
}
