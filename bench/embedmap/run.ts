/**
 * bench/embedmap: the embedding map's time to load and draw n points in headless Chromium
 * (WebGL on SwiftShader, i.e. on the CPU: there is no GPU here), against the raw fetch of the
 * same binary coordinates and ordinals from inside the same page, in one run.
 *
 *   map:      navigation to /versions/{id}/map?p=... until regl-scatterplot reports n points drawn
 *             (the view's data-points, set from the library's own point count after `draw`)
 *   baseline: fetch(coordinatesUrl) + fetch(ordinalsUrl) to ArrayBuffers, in an open map page
 *   frames:   requestAnimationFrame deltas during a wheel zoom and a drag pan of the drawn map
 *
 * The projections are stored directly (synthetic Gaussian blobs, n points each, in the real
 * projections / projection_chunks tables): drawing does not depend on how the coordinates were
 * computed, and projecting 10^6 real vectors is the job's cost, not the view's. Each figure is the
 * median of --rounds runs, each in a fresh browser context (cold cache).
 *
 *   npm run bench:embedmap -- [--sizes 100000,1000000] [--rounds 3]
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { projectionChunks, projections } from '../../src/db/schema.js';
import { CHUNK_POINTS } from '../../src/embeddings/projections.js';
import { ensureSpace } from '../../src/embeddings/spaces.js';
import { fromGlobalId, toGlobalId } from '../../src/globalId.js';
import { mulberry32 } from '../../src/mulberry32.js';
import { ensureWebBuilt } from '../../test/helpers/browser.js';
import { createDataset, createVersion } from '../../test/helpers/fixtures.js';
import { launchWebGlBrowser } from '../../test/helpers/webglBrowser.js';
import { startTestServer } from '../../test/helpers/testServer.js';

const { values: args } = parseArgs({
  options: { sizes: { type: 'string', default: '100000,1000000' }, rounds: { type: 'string', default: '3' } },
});
const SIZES = args.sizes.split(',').map(Number);
const ROUNDS = Number(args.rounds);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

/**
 * Page-side: a wheel zoom on the map's canvas (30 wheel events, one per animation frame), then a
 * drag pan (mouse down, 30 moves, one per frame, mouse up), as dom-2d-camera (regl-scatterplot's
 * camera) receives them from a mouse. Resolves the frame times (requestAnimationFrame deltas):
 * regl-scatterplot draws in its own animation frame callback whenever the camera moved.
 */
const MAP_GESTURES = `(async () => {
  const canvas = document.querySelector('[data-testid="embedding-map"] canvas');
  const box = canvas.getBoundingClientRect();
  const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const run = async (steps, act) => {
    const deltas = [];
    let last = await frame();
    for (let i = 0; i < steps; i++) {
      act(i);
      const now = await frame();
      deltas.push(now - last);
      last = now;
    }
    return deltas;
  };
  const mouse = (type, x, y, buttons) => new MouseEvent(type, { clientX: x, clientY: y, bubbles: true, cancelable: true, view: window, button: 0, buttons });
  const wheel = await run(30, () => canvas.dispatchEvent(new WheelEvent('wheel', { deltaY: -40, clientX: cx, clientY: cy, bubbles: true, cancelable: true, view: window })));
  await frame();
  canvas.dispatchEvent(mouse('mousedown', cx, cy, 1));
  const pan = await run(30, (i) => window.dispatchEvent(mouse('mousemove', cx + (i + 1) * 6, cy + (i + 1) * 3, 1)));
  window.dispatchEvent(mouse('mouseup', cx + 180, cy + 90, 0));
  return { wheel, pan };
})()`;

/** Browser globals of the callbacks that run inside the page. */
declare const document: { querySelector(s: string): { dataset: Record<string, string> } | null };

ensureWebBuilt();
const server = await startTestServer();
try {
  const db = server.database.db;
  await createDataset(server, 'bench-map');
  const version = (await createVersion(server, 'bench-map', [{ prompt: 'p', response: 'r' }])).version;
  const space = await ensureSpace(db, await server.embedders.embedderFor(null));

  /** A COMPLETE projection of n points in 20 seeded Gaussian blobs, stored as the job stores one. */
  async function storeProjection(n: number): Promise<string> {
    const random = mulberry32(n);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const centres = Array.from({ length: 20 }, () => [gauss() * 10, gauss() * 10]);
    const xy = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const c = centres[i % 20]!;
      xy[2 * i] = c[0]! + gauss();
      xy[2 * i + 1] = c[1]! + gauss();
    }
    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, xy[2 * i]!);
      maxX = Math.max(maxX, xy[2 * i]!);
      minY = Math.min(minY, xy[2 * i + 1]!);
      maxY = Math.max(maxY, xy[2 * i + 1]!);
    }
    const [row] = await db
      .insert(projections)
      .values({
        versionId: fromGlobalId(version.id).id,
        spaceId: space.id,
        method: 'PCA',
        params: { synthetic: true },
        library: 'bench/embedmap synthetic blobs',
        status: 'COMPLETE',
        n,
        details: { bounds: { minX, minY, maxX, maxY } },
        computedAt: new Date(),
      })
      .returning();
    for (let chunk = 0; chunk * CHUNK_POINTS < n; chunk++) {
      const start = chunk * CHUNK_POINTS;
      const count = Math.min(CHUNK_POINTS, n - start);
      const ordinals = Uint32Array.from({ length: count }, (_, i) => start + i);
      const part = xy.slice(2 * start, 2 * (start + count));
      await db.insert(projectionChunks).values({
        projectionId: row!.id,
        chunk,
        count,
        ordinals: Buffer.from(ordinals.buffer),
        xy: Buffer.from(part.buffer),
      });
    }
    return toGlobalId('Projection', row!.id);
  }

  const browser = await launchWebGlBrowser();
  console.log(`backend ${server.database.backend}; load ${loadavg()[0]!.toFixed(1)}; rounds ${ROUNDS}`);
  console.log(
    'points     | raw fetch (ms) | map load+draw (ms) | ratio | in-page load / draw (ms) | wheel zoom frame median / p90 (ms) | drag pan frame median / p90 (ms)',
  );
  try {
    for (const n of SIZES) {
      const id = await storeProjection(n);
      const mapPath = `/versions/${encodeURIComponent(version.id)}/map?p=${encodeURIComponent(id)}`;
      const raw: number[] = [];
      const map: number[] = [];
      const inner: { load: number; draw: number }[] = [];
      const wheel: number[] = [];
      const pan: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // The map's time: navigation start to drawn, on the page's own clock.
        const fresh = await browser.createBrowserContext();
        const mapPage = await fresh.newPage();
        await mapPage.setViewport({ width: 1400, height: 1000 });
        mapPage.setDefaultTimeout(600_000);
        await mapPage.goto(server.url + mapPath);
        const drawnAt = await mapPage.waitForFunction(
          (count: number) =>
            document.querySelector('[data-testid="embedding-map"]')?.dataset.points === String(count)
              ? performance.now()
              : false,
          { polling: 20 },
          n,
        );
        map.push((await drawnAt.jsonValue()) as number);
        inner.push(
          await mapPage.evaluate(() => {
            // No named inner functions here: tsx would wrap them in a helper the page lacks.
            const entries = ['qdc-map-loaded', 'qdc-map-drawn'].map(
              (name) =>
                (performance.getEntriesByName(name).at(-1) as { detail?: { ms: number } } | undefined)?.detail
                  ?.ms ?? NaN,
            );
            return { load: entries[0]!, draw: entries[1]! };
          }),
        );
        // The baseline: the same bytes fetched raw from the same page.
        const paths = [
          `/v1/projections/${encodeURIComponent(id)}/coordinates`,
          `/v1/projections/${encodeURIComponent(id)}/ordinals`,
        ];
        raw.push(
          await mapPage.evaluate(async (urls: string[]) => {
            const t = performance.now();
            await Promise.all(urls.map((u) => fetch(`${u}?fresh=${t}`).then((r) => r.arrayBuffer())));
            return performance.now() - t;
          }, paths),
        );
        // Pan/zoom frame times, checked to have moved the view (the canvas's pixels change).
        const canvas = (await mapPage.$('[data-testid="embedding-map"] canvas'))!;
        const before = Buffer.from(await canvas.screenshot());
        const frames = (await mapPage.evaluate(MAP_GESTURES)) as { wheel: number[]; pan: number[] };
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (Buffer.from(await canvas.screenshot()).equals(before))
          throw new Error('pan/zoom did not move the map');
        wheel.push(...frames.wheel);
        pan.push(...frames.pan);
        await fresh.close();
      }
      const r = median(raw);
      const m = median(map);
      console.log(
        `${n.toLocaleString('en-US').padEnd(10)} | ${r.toFixed(0).padStart(14)} | ${m.toFixed(0).padStart(18)} | ${(m / r).toFixed(1).padStart(5)} | ${median(inner.map((i) => i.load)).toFixed(0)} / ${median(inner.map((i) => i.draw)).toFixed(0)} | ${median(wheel).toFixed(1)} / ${percentile(wheel, 0.9).toFixed(1)} | ${median(pan).toFixed(1)} / ${percentile(pan, 0.9).toFixed(1)}`,
      );
    }
  } finally {
    await browser.close();
  }
} finally {
  await server.stop();
}
console.log(`done in ${(performance.now() / 1000).toFixed(0)} s`);
