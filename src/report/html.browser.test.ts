// The HTML reports in a real browser (Debian's chromium, driven headless by playwright-core): the DOM says what
// a person sees, the console stays clean, filters work with JavaScript and everything shows without it, the
// page fits a phone and prints without the filters, and a hostile snapshot injects no markup or script.
// Screenshots go to $NFDOCTOR_SCREENSHOTS or a temporary directory (never committed). Skipped without chromium.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { diagnoseSnapshotFile } from '../fleet/diagnose-file.ts';
import { FleetAggregator } from '../fleet/aggregate.ts';
import { renderFleetHtml } from './fleet-html.ts';
import { renderDiagnosisHtml } from './diagnose-html.ts';
import { openSnapshot } from '../sources/snapshot-reader.ts';
import { buildHostModel } from '../model/host-model.ts';
import { runChecks } from '../checks/engine.ts';
import { CHECKS } from '../checks/index.ts';
import { LAB_SNAPSHOTS } from '../testing/lab-roots.ts';

const CHROMIUM = '/usr/bin/chromium';
const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;
const HOSTILE_HOST = `"><img src=x onerror=window.__pwned=3>`;

let dir: string;
let shots: string;
let browser: Browser;

/** The missing-xt-recent snapshot with markup in its modprobe.d line and in its file (host) name. */
function hostileSnapshot(): string {
  const tree = join(dir, 'hostile-tree');
  mkdirSync(tree);
  execFileSync('tar', ['-xzf', join(LAB_SNAPSHOTS, 'missing-xt-recent.tar.gz'), '-C', tree]);
  writeFileSync(
    join(tree, 'root/etc/modprobe.d/nflab-no-xt-recent.conf'),
    `install xt_recent /bin/false ${HOSTILE}\n`,
  );
  const out = join(dir, `${HOSTILE_HOST}.tar.gz`);
  execFileSync('tar', ['-czf', out, '-C', tree, '.']);
  return out;
}

async function open(
  html: string,
  name: string,
  options: { javaScriptEnabled?: boolean; width?: number } = {},
) {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, html);
  const context = await browser.newContext({
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    viewport: { width: options.width ?? 1000, height: 900 },
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      errors.push(m.text());
    }
  });
  page.on('pageerror', (e) => errors.push(e.message));
  const requests: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) {
      requests.push(r.url());
    }
  });
  await page.goto(`file://${file}`);
  return { page, errors, requests, close: () => context.close() };
}

/** Every in-page link points at an element that exists. */
async function brokenAnchors(page: Page): Promise<string[]> {
  return inPage(
    page,
    `[...document.querySelectorAll('a[href^="#"]')].map((a) => a.getAttribute('href')).filter((h) => !document.getElementById(h.slice(1)))`,
  );
}

/** Evaluates an expression in the page; all(selector) is querySelectorAll as an array. Strings, because this
 * project compiles without the DOM library. */
async function inPage<T>(page: Page, expression: string): Promise<T> {
  return await page.evaluate(
    `(() => { const all = (s) => [...document.querySelectorAll(s)]; return ${expression}; })()`,
  );
}

async function visibleCards(page: Page): Promise<number> {
  return inPage<number>(page, `all('section.card').filter((c) => !c.hidden).length`);
}

const available = existsSync(CHROMIUM);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nfdoctor-html-'));
  shots = process.env.NFDOCTOR_SCREENSHOTS ?? join(dir, 'screenshots');
  mkdirSync(shots, { recursive: true });
  if (available) {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }
});

afterAll(async () => {
  await (browser as Browser | undefined)?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!available)('HTML reports in headless chromium', () => {
  it('fleet: verdict, chart, causes, host links, filters, phone, print, and nothing injected', async () => {
    const agg = new FleetAggregator();
    for (const name of [
      'missing-xt-recent-notest',
      'modules-load-fails',
      'ipset-missing-set',
      'linode-modules-load',
      'healthy',
    ]) {
      agg.add(await diagnoseSnapshotFile(join(LAB_SNAPSHOTS, `${name}.tar.gz`)));
    }
    agg.add(await diagnoseSnapshotFile(hostileSnapshot()));
    const garbage = join(dir, `${HOSTILE}.tar.gz`.replaceAll('/', '_'));
    writeFileSync(garbage, 'not a snapshot');
    agg.add(await diagnoseSnapshotFile(garbage));
    const report = agg.finish();
    const html = renderFleetHtml(report, '0.0.0');
    const { page, errors, requests, close } = await open(html, 'fleet');

    expect(await page.textContent('#verdict')).toMatch(/^7 hosts: 4 with problems, 1 with warnings only/);
    expect(await inPage(page, `all('svg.chart rect').length`)).toBe(report.groups.length);
    expect(await inPage(page, `all('svg.chart a').map((a) => a.getAttribute('href'))`)).toEqual(
      report.groups.map((g) => `#${g.id}`),
    );
    expect(await inPage(page, `all('section.card').map((c) => c.id)`)).toEqual(
      report.groups.map((g) => g.id),
    );
    expect(await brokenAnchors(page)).toEqual([]);
    // The hostile host is in the xt_recent group (its block line is another cause key: the markup is part of it).
    expect(await page.textContent('#unreadable')).toContain(HOSTILE.replaceAll('/', '_'));
    expect(await page.content()).not.toContain(HOSTILE);
    expect(await inPage(page, 'document.body.textContent')).toContain(HOSTILE);
    expect(await inPage(page, `all('img').length`)).toBe(0);
    expect(await inPage(page, `all('script').length`)).toBe(1);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();

    // Filters: the form shows with JavaScript; unticking error hides every error cause; one check shows only it.
    expect(await page.isVisible('#filters')).toBe(true);
    const total = report.groups.length;
    const errorGroups = report.groups.filter((g) => g.severity === 'error').length;
    await page.uncheck('#filters input[value=error]');
    expect(await visibleCards(page)).toBe(total - errorGroups);
    await page.check('#filters input[value=error]');
    await page.selectOption('#filters select', 'ipset/set-unavailable');
    expect(
      await inPage(page, `all('section.card').filter((c) => !c.hidden).map((c) => c.dataset.check)`),
    ).toEqual(['ipset/set-unavailable']);
    await page.selectOption('#filters select', '');
    expect(await visibleCards(page)).toBe(total);
    await page.screenshot({ path: join(shots, 'fleet.png'), fullPage: true });

    // Print: no filter form, every cause shown even if filtered out on screen.
    await page.uncheck('#filters input[value=warning]');
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('#filters')).toBe(false);
    expect(
      await page.evaluate(
        `[...document.querySelectorAll('section.card')].filter((c) => getComputedStyle(c).display !== 'none').length`,
      ),
    ).toBe(total);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await close();

    // A phone: nothing wider than the screen.
    const phone = await open(html, 'fleet-phone', { width: 390 });
    expect(await phone.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.page.screenshot({ path: join(shots, 'fleet-phone.png') });
    expect(phone.errors).toEqual([]);
    await phone.close();

    // Without JavaScript: no filter form, every cause visible.
    const nojs = await open(html, 'fleet-nojs', { javaScriptEnabled: false });
    expect(await nojs.page.isVisible('#filters')).toBe(false);
    expect(await visibleCards(nojs.page)).toBe(total);
    await nojs.close();
  }, 120_000);

  it('diagnose: root cause first, links between causes and effects, evidence and fix', async () => {
    const model = await buildHostModel(await openSnapshot(join(LAB_SNAPSHOTS, 'missing-xt-recent.tar.gz')));
    const result = runChecks(CHECKS, model);
    const { page, errors, close } = await open(renderDiagnosisHtml(model, result, '0.0.0'), 'diagnose');
    expect(await page.textContent('#verdict')).toMatch(/^Firewall problem: 4 error\(s\)/);
    const first = page.locator('section.card').first();
    expect(await first.getAttribute('data-check')).toBe('kmod/module-unavailable');
    expect(await first.textContent()).toContain('install xt_recent /bin/false');
    expect(await first.locator('dt', { hasText: 'Which causes' }).count()).toBe(1);
    expect(await inPage(page, `all('section.card').length`)).toBe(result.findings.length);
    expect(await brokenAnchors(page)).toEqual([]);
    expect(await inPage(page, `all('svg.chart rect').length`)).toBe(
      new Set(result.findings.map((f) => f.checkId)).size,
    );
    await page.screenshot({ path: join(shots, 'diagnose.png'), fullPage: true });
    expect(errors).toEqual([]);
    await close();
    expect(readFileSync(join(shots, 'diagnose.png')).subarray(1, 4).toString()).toBe('PNG');
  }, 60_000);
});
