#!/usr/bin/env node
// The storefront's browser journey, end to end against a running platform:
//
//   node e2e/journey.mjs --base http://127.0.0.1:4000 --screenshots DIR
//        [--store URL]          the store (default <base>/store/); e.g. the
//                               dev server: --store http://127.0.0.1:3000/store/
//        [--allow-query-text]   accept requests that send query text (npm run
//                               dev); by default every store request must be
//                               a persisted document id
//        [--timeout MS]         per step (default 15000)
//
// 1. the GraphiQL playground at <base>/ loads; a query typed into its editor
//    runs and the result pane shows data;
// 2. at the store: sign up a new user, search the catalogue, open a product and
//    note its stock, add two to the cart, place the order, find it in "my
//    orders" with the right total, see the stock lowered by two, cancel it
//    and see the stock restored; an order for more than the stock shows the
//    error and changes nothing (same stock, no new order).
// axe runs on every store page (serious or critical violations fail the
// run); every step leaves a screenshot in DIR. Exit 0 on success, 1 on a
// failure (with the step and the reason), 2 on bad arguments.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

let args;
try {
  args = parseArgs({
    options: {
      base: { type: 'string', default: 'http://127.0.0.1:4000' },
      store: { type: 'string' },
      screenshots: { type: 'string', default: 'e2e/screenshots' },
      'allow-query-text': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '15000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (error) {
  console.error(`journey: ${error.message}\nusage: node e2e/journey.mjs --base URL [--store URL] --screenshots DIR`);
  process.exit(2);
}
if (args.help) {
  console.log('usage: node e2e/journey.mjs --base URL [--store URL] --screenshots DIR [--allow-query-text] [--timeout MS]');
  process.exit(0);
}

const base = args.base.replace(/\/+$/, '');
const store = new URL(args.store ?? `${base}/store/`);
if (!store.pathname.endsWith('/')) store.pathname += '/';
const shots = resolve(args.screenshots);
const timeout = Number(args.timeout);
mkdirSync(shots, { recursive: true });
// Screenshots of an earlier run would mix with this one's.
for (const name of readdirSync(shots)) if (/^\d\d-[a-z0-9-]+\.png$/.test(name)) rmSync(join(shots, name));

const storeUrl = (path) => new URL(path.replace(/^\//, ''), store).toString();
const log = (message) => console.log(`journey: ${message}`);

class StepFailure extends Error {}
function check(condition, message) {
  if (!condition) throw new StepFailure(message);
}

let shotCount = 0;
let currentStep = 'start';
async function screenshot(page, name) {
  shotCount += 1;
  const file = join(shots, `${String(shotCount).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const axeReports = [];
async function axe(page, name) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeReports.push({ page: name, violations: results.violations.length, serious: bad.length });
  if (bad.length > 0) {
    const detail = bad
      .map((v) => `  [${v.impact}] ${v.id}: ${v.help}\n${v.nodes.slice(0, 5).map((n) => `      ${n.target.join(' ')}`).join('\n')}`)
      .join('\n');
    throw new StepFailure(`axe found ${bad.length} serious/critical violation(s) on ${name}:\n${detail}`);
  }
}

/** Phones first: the store must not scroll sideways. */
async function noSidewaysScroll(page, name) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  check(scroll <= width + 1, `${name} scrolls sideways on a ${width}px-wide screen (content is ${scroll}px wide)`);
}

/** A store page is done loading: no spinner left. */
async function settled(page) {
  await page.waitForLoadState('load');
  await page.locator('main [role="status"]:has(.animate-spin)').first().waitFor({ state: 'detached', timeout }).catch(() => {});
}

async function storePage(page, name) {
  await settled(page);
  await noSidewaysScroll(page, name);
  await axe(page, name);
  await screenshot(page, name);
}

const cents = (text) => {
  const m = /(-?)\$([\d,]+)\.(\d\d)/.exec(text ?? '');
  check(m, `not a price: ${JSON.stringify(text)}`);
  return (m[1] ? -1 : 1) * (Number(m[2].replace(/,/g, '')) * 100 + Number(m[3]));
};

async function step(name, fn) {
  currentStep = name;
  const started = Date.now();
  await fn();
  log(`ok  ${name} (${Date.now() - started} ms)`);
}

async function playground(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  try {
    await step('the playground loads', async () => {
      const response = await page.goto(`${base}/`);
      check(response?.ok(), `GET ${base}/ answered ${response?.status()}`);
      await page.locator('.graphiql-container, textarea#q').first().waitFor();
      await screenshot(page, 'playground');
    });
    const query = '{ products(first: 2) { edges { node { name priceCents } } } }';
    await step('a query typed into the playground runs', async () => {
      if (await page.locator('.graphiql-container').count()) {
        const editor = page.locator('.graphiql-query-editor .CodeMirror').first();
        await editor.click();
        await page.keyboard.press('ControlOrMeta+A');
        await page.keyboard.press('Backspace');
        // insertText types the text as one input (CodeMirror's bracket
        // auto-closing only reacts to single key presses).
        await page.keyboard.insertText(query);
        const typed = await page.evaluate(() => document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror?.getValue());
        check(typed === undefined || typed === query, `the editor holds ${JSON.stringify(typed)}, not the typed query`);
        // GraphiQL picks the operation name from the editor after a short
        // debounce; running at once may still send the old document's name.
        const result = page.locator('.result-window');
        let text = '';
        for (let attempt = 0; attempt < 3 && !/"edges"/.test(text); attempt += 1) {
          await page.waitForTimeout(750);
          await page.locator('.graphiql-execute-button').first().click();
          await result.filter({ hasText: /"(edges|errors)"/ }).waitFor();
          text = await result.innerText();
        }
        check(/"data"/.test(text) && /"name"/.test(text), `the result pane shows no data:\n${text.slice(0, 500)}`);
      } else {
        // The router's fallback page (a build without the GraphiQL bundle).
        await page.locator('textarea#q').fill(query);
        await page.locator('#run').click();
        await page.locator('#out').filter({ hasText: '"edges"' }).waitFor();
      }
      await screenshot(page, 'playground-result');
    });
  } finally {
    await context.close();
  }
}

async function storeJourney(browser) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // Every GraphQL request the store makes: persisted ids only (production).
  const requests = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname.endsWith('/graphql')) {
      let body = {};
      try {
        body = JSON.parse(request.postData() ?? '{}');
      } catch {}
      requests.push({ documentId: body.documentId, hasQuery: typeof body.query === 'string', step: currentStep });
    }
  });

  const email = `journey-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@tessera.test`;
  const password = 'journey-password';
  let product;

  const openProduct = async (id) => {
    await page.goto(storeUrl(`product/?id=${encodeURIComponent(id)}`));
    await page.getByTestId('stock').waitFor();
  };
  const readStock = async () => Number(await page.getByTestId('stock').innerText());
  /** Opens the product page until its stock reads `expected` (a few seconds at most). */
  const expectStock = async (expected, why) => {
    let seen;
    for (let i = 0; i < 10; i += 1) {
      await openProduct(product.id);
      seen = await readStock();
      if (seen === expected) return;
      await page.waitForTimeout(500);
    }
    throw new StepFailure(`${why}: the product page shows stock ${seen}, expected ${expected}`);
  };
  const orderCards = () => page.getByTestId('order');
  const openOrders = async () => {
    await page.goto(storeUrl('orders/'));
    await page.locator('[data-testid="orders"], main p:has-text("no orders yet")').first().waitFor();
  };

  try {
    await step('the store opens', async () => {
      const response = await page.goto(store.toString());
      check(response?.ok(), `GET ${store} answered ${response?.status()}`);
      await page.getByRole('heading', { name: 'Catalogue', level: 1 }).waitFor();
      await page.getByTestId('product-list').waitFor();
      await storePage(page, 'catalogue');
    });

    await step('page through the catalogue', async () => {
      const cards = page.locator('[data-testid="product-list"] > li');
      const first = await cards.count();
      check(first > 0, 'the catalogue is empty');
      const more = page.getByRole('button', { name: 'Load more products' });
      if ((await more.count()) > 0) {
        await more.click();
        await page.waitForFunction(
          (n) => document.querySelectorAll('[data-testid="product-list"] > li').length > n,
          first,
          { timeout },
        );
        const ids = await page.locator('[data-testid="product-list"] h3 a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        check(new Set(ids).size === ids.length, 'the next page repeated products');
        log(`    ${first} products, then ${ids.length} after "Load more"`);
        await screenshot(page, 'catalogue-page-2');
      } else {
        log(`    the whole catalogue fits one page (${first} products)`);
      }
    });

    await step(`sign up as ${email}`, async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign up' }).click();
      await page.getByRole('heading', { name: 'Create an account' }).waitFor();
      await storePage(page, 'sign-up');
      await page.getByLabel('Name').fill('Journey Tester');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await page.getByRole('button', { name: 'Log out' }).waitFor();
      await page.getByRole('heading', { name: 'Catalogue', level: 1 }).waitFor();
      await screenshot(page, 'signed-up');
    });

    await step('search the catalogue', async () => {
      await page.getByRole('searchbox', { name: 'Search by name' }).fill('oak');
      await page.getByLabel('In stock only').check();
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.waitForURL(/[?&]q=oak/);
      await page.waitForFunction(() => {
        const items = [...document.querySelectorAll('[data-testid="product-list"] h3')];
        return items.length > 0 && items.every((h) => /oak/i.test(h.textContent ?? ''));
      }, undefined, { timeout });
      const names = await page.locator('[data-testid="product-list"] h3').allInnerTexts();
      check(names.length > 0, 'the search for "oak" found nothing');
      await storePage(page, 'search-results');
    });

    await step('open a product and note its stock', async () => {
      const links = page.locator('[data-testid="product-list"] h3 a');
      const count = await links.count();
      for (let i = 0; i < count && !product; i += 1) {
        await links.nth(i).click();
        await page.getByTestId('stock').waitFor();
        const stock = await readStock();
        if (stock >= 3 && stock < 999) {
          const id = new URL(page.url()).searchParams.get('id');
          product = {
            id,
            name: await page.getByTestId('product-name').innerText(),
            priceCents: cents(await page.getByTestId('product-price').innerText()),
            stock,
          };
        } else {
          await page.goBack();
          await page.getByTestId('product-list').waitFor();
        }
      }
      check(product, 'no product in the search results has at least 3 in stock');
      const shipping = await page.getByTestId('shipping-estimate').innerText();
      log(`    product ${product.name} (${product.id}): stock ${product.stock}, price ${product.priceCents} cents, shipping ${shipping}`);
      await storePage(page, 'product');
    });

    await step('add two to the cart', async () => {
      await page.getByLabel('Quantity').fill('2');
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.getByTestId('added').waitFor();
      check((await page.getByTestId('cart-count').innerText()).trim() === '2', 'the cart count is not 2');
      await page.getByRole('link', { name: /^Cart/ }).click();
      await page.getByTestId('cart-line').first().waitFor();
      check((await page.getByTestId('cart-line').count()) === 1, 'the cart does not have exactly one line');
      check(cents(await page.getByTestId('cart-subtotal').innerText()) === 2 * product.priceCents, 'the cart subtotal is not twice the price');
      await storePage(page, 'cart');
    });

    let order;
    await step('place the order', async () => {
      await page.getByRole('link', { name: 'Checkout' }).click();
      await page.getByRole('button', { name: 'Place order' }).waitFor();
      await storePage(page, 'checkout');
      await page.getByRole('button', { name: 'Place order' }).click();
      await page.getByTestId('order-placed').waitFor();
      order = {
        id: (await page.getByTestId('order-id').innerText()).trim(),
        totalCents: cents(await page.getByTestId('order-total').innerText()),
      };
      check(order.totalCents === 2 * product.priceCents, `the order total is ${order.totalCents}, expected ${2 * product.priceCents}`);
      check((await page.getByTestId('cart-count').innerText()).trim() === '0', 'the cart was not emptied');
      await storePage(page, 'order-placed');
    });

    await step('the order is in "my orders" with the right total', async () => {
      await page.getByRole('link', { name: 'See my orders' }).click();
      const card = page.locator(`[data-testid="order"][data-order-id="${order.id}"]`);
      await card.waitFor();
      check((await orderCards().count()) === 1, 'a new user should have exactly one order');
      check((await card.getAttribute('data-status')) === 'PLACED', 'the order is not PLACED');
      check(cents(await card.getByTestId('order-total').innerText()) === order.totalCents, 'my orders shows another total');
      check((await card.innerText()).includes(product.name), 'the order line does not name the product');
      await storePage(page, 'my-orders');
    });

    await step('the stock went down by two', async () => {
      await expectStock(product.stock - 2, 'after the order');
      await screenshot(page, 'stock-lowered');
    });

    await step('cancel the order', async () => {
      await openOrders();
      const card = page.locator(`[data-testid="order"][data-order-id="${order.id}"]`);
      await card.getByRole('button', { name: /Cancel order/ }).click();
      await page.locator(`[data-testid="order"][data-order-id="${order.id}"][data-status="CANCELLED"]`).waitFor();
      check((await card.getByRole('button', { name: /Cancel order/ }).count()) === 0, 'a cancelled order still offers cancelling');
      await storePage(page, 'order-cancelled');
    });

    await step('the stock is restored', async () => {
      await expectStock(product.stock, 'after cancelling');
      await screenshot(page, 'stock-restored');
    });

    await step('an order for more than the stock fails and changes nothing', async () => {
      const tooMany = product.stock + 1;
      await page.getByLabel('Quantity').fill('1');
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.getByTestId('added').waitFor();
      await page.goto(storeUrl('cart/'));
      const quantity = page.getByLabel(`Quantity of ${product.name}`);
      await quantity.fill(String(tooMany));
      await page.waitForFunction(
        (n) => document.querySelector('[data-testid="cart-count"]')?.textContent?.trim() === String(n),
        tooMany,
        { timeout },
      );
      await page.getByRole('link', { name: 'Checkout' }).click();
      await page.getByRole('button', { name: 'Place order' }).click();
      const alert = page.getByTestId('error');
      await alert.waitFor();
      const message = await alert.innerText();
      check(/not enough stock/i.test(message), `the error does not say the stock is short: ${message}`);
      check(message.includes(product.name), `the error does not name the product: ${message}`);
      check((await page.getByTestId('order-placed').count()) === 0, 'an order was placed');
      check((await page.getByTestId('cart-count').innerText()).trim() === String(tooMany), 'the cart changed');
      await storePage(page, 'insufficient-stock');
      await expectStock(product.stock, 'after the refused order');
      await openOrders();
      check((await orderCards().count()) === 1, 'the refused order shows up in my orders');
      check((await page.locator(`[data-testid="order"][data-status="PLACED"]`).count()) === 0, 'a placed order appeared');
      await screenshot(page, 'no-new-order');
    });

    await step('log in again with the new account', async () => {
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log in' }).waitFor();
      await page.goto(storeUrl('login/?next=%2Forders%2F'));
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      await storePage(page, 'log-in');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'My orders' }).waitFor();
      await orderCards().first().waitFor();
      await screenshot(page, 'logged-in-orders');
    });

    await step('an expired session asks to log in again', async () => {
      await page.evaluate(() => {
        const key = 'tessera.session.v1';
        const s = JSON.parse(localStorage.getItem(key) ?? 'null');
        if (s) localStorage.setItem(key, JSON.stringify({ ...s, expiresAt: new Date(Date.now() - 1000).toISOString() }));
      });
      await page.goto(storeUrl('orders/'));
      await page.getByText('Your session has expired').first().waitFor();
      await storePage(page, 'session-expired');
    });

    await step(args['allow-query-text'] ? 'the store’s GraphQL requests' : 'the store sent persisted document ids only', async () => {
      check(requests.length > 0, 'the store made no GraphQL requests');
      const withText = requests.filter((r) => r.hasQuery);
      if (!args['allow-query-text']) {
        check(withText.length === 0, `${withText.length} request(s) sent query text (first during "${withText[0]?.step}")`);
        const noId = requests.filter((r) => typeof r.documentId !== 'string');
        check(noId.length === 0, `${noId.length} request(s) had no documentId`);
      }
      log(`    ${requests.length} GraphQL requests, ${requests.length - withText.length} by documentId, ${withText.length} with query text`);
    });
    await step('the catalogue on a desktop screen', async () => {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(store.toString());
      await page.getByTestId('product-list').waitFor();
      await storePage(page, 'catalogue-desktop');
    });
    check(pageErrors.length === 0, `uncaught errors in the page:\n  ${pageErrors.join('\n  ')}`);
  } catch (error) {
    await screenshot(page, 'failure').catch(() => {});
    throw error;
  } finally {
    await context.close();
  }
}

const browser = await chromium
  .launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] })
  .catch((error) => {
    console.error(`journey: cannot start Chromium (${process.env.CHROMIUM || '/usr/bin/chromium'}; set CHROMIUM): ${error.message}`);
    process.exit(1);
  });
let failed = false;
try {
  log(`playground at ${base}/, store at ${store}, screenshots in ${shots}`);
  await playground(browser);
  await storeJourney(browser);
  log(`axe: ${axeReports.length} store pages checked, no serious or critical violations; moderate/minor: ${axeReports.reduce((n, r) => n + r.violations, 0)}`);
  log(`PASSED (${shotCount} screenshots)`);
} catch (error) {
  failed = true;
  const reason = error instanceof StepFailure ? error.message : (error?.stack ?? String(error));
  console.error(`journey: FAILED at "${currentStep}": ${reason}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
