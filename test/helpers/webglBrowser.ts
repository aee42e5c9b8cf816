/**
 * Headless Chromium with WebGL for the embedding map (test/web.embeddingMap.test.ts and
 * bench/embedmap): the shared launcher turns the GPU off, which leaves no WebGL at all; here
 * WebGL runs on SwiftShader (software, through ANGLE), so no GPU is needed.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';
import { CHROMIUM } from './browser.js';

export async function launchWebGlBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
    ],
  });
}
