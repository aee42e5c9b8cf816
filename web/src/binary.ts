/**
 * Packed arrays from the public binary routes (`GET /v1/projections/{id}/...`), on this origin
 * with the session's API key: how the embedding map gets 10^5..10^6 points without JSON.
 */
import { apiKey, GraphQLRequestError, NetworkError } from './api';

export async function fetchBinary(path: string): Promise<ArrayBuffer> {
  const headers: Record<string, string> = {};
  const key = apiKey();
  if (key) headers.authorization = `Bearer ${key}`;
  let response: Response;
  try {
    response = await fetch(path, { headers });
  } catch (error) {
    throw new NetworkError(`the server could not be reached (${(error as Error).message})`);
  }
  if (!response.ok) {
    // Errors come as JSON with extensions.code, like GraphQL's.
    const body = (await response.json().catch(() => null)) as {
      errors?: { message: string; extensions?: { code?: string } }[];
    } | null;
    const first = body?.errors?.[0];
    throw new GraphQLRequestError(
      first?.message ?? `HTTP ${response.status}`,
      first?.extensions?.code ?? 'INTERNAL_SERVER_ERROR',
      response.status,
    );
  }
  return response.arrayBuffer();
}

export const float32s = async (path: string) => new Float32Array(await fetchBinary(path));
export const uint32s = async (path: string) => new Uint32Array(await fetchBinary(path));
