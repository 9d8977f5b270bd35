// console-lib.mjs: what the admin console's browser tests share. Headless Debian Chromium driven by
// playwright-core; axe-core for the accessibility pass; an API client of its own (Node's fetch, a bearer token
// from the instance's admin) to check what the API holds after each action in the page.
//
// Environment: GATEHOUSE_URL (the instance: www/ at /, the API at /api/), GATEHOUSE_SHOTS (screenshots),
// GATEHOUSE_PLAYWRIGHT and GATEHOUSE_AXE (the folders playwright-core and axe-core were installed into),
// GATEHOUSE_CHROMIUM, GATEHOUSE_ADMIN_PASSWORD (the instance's admin "admin").
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(join(process.env.GATEHOUSE_PLAYWRIGHT, 'node_modules', '_'));
const { chromium } = require('playwright-core');

export const base = process.env.GATEHOUSE_URL;
/** Where the console is served: /console/ beside signin.html (nginx, Apache), /gatehouse/console/ (lighttpd). */
export const consolePath = process.env.GATEHOUSE_CONSOLE_PATH || '/console/';
export const adminPassword = process.env.GATEHOUSE_ADMIN_PASSWORD;
const shots = process.env.GATEHOUSE_SHOTS;
let step = 0;
let scenarioName = '';

export function check(cond, what) {
	if (!cond) throw new Error(`step ${step}: ${what}`);
	console.log(`ok: ${what}`);
}

/** A screenshot of the page as it is, named after the scenario and step. */
export async function shot(page, name) {
	step++;
	mkdirSync(shots, { recursive: true });
	await page.screenshot({ path: join(shots, `${scenarioName}-${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/**
 * Screenshots at 390 and 1440 px wide, and the layout check: at either width nothing but a table's own
 * scrolling box may be wider than the window (no horizontal scrolling of the page).
 */
export async function shotBoth(page, name) {
	for (const width of [390, 1440]) {
		await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
		await page.waitForTimeout(50);
		const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		check(over <= 0, `${name} at ${width} px: no horizontal scrolling (${over} px too wide)`);
		await shot(page, `${name}-${width}`);
	}
}

const axeSource = readFileSync(join(process.env.GATEHOUSE_AXE, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** axe-core over the page as it is (WCAG 2.1 A and AA rules): no serious or critical finding. */
export async function axe(page, what) {
	// evaluate() runs through the DevTools protocol, which the page's CSP does not govern: the page itself
	// loads nothing but its own files.
	if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(axeSource);
	const res = await page.evaluate(async () => {
		const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
		return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, target: v.nodes[0] && v.nodes[0].target.join(' ') }));
	});
	const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	if (res.length) console.log(`axe ${what}: ${JSON.stringify(res)}`);
	check(bad.length === 0, `axe on ${what}: no serious or critical finding (${JSON.stringify(bad)})`);
}

/** The API, as a program sees it: call('GET', '/admin/users/') with the admin's token. */
export async function apiClient(username = 'admin', password = adminPassword) {
	const login = await fetch(`${base}/api/auth/login`, { method: 'POST', body: new URLSearchParams({ username, password }) });
	if (login.status !== 200) throw new Error(`API login of ${username}: ${login.status}`);
	const { access_token: token } = await login.json();
	const call = async (method, path, json) => {
		const res = await fetch(`${base}/api${path}`, {
			method, headers: { Authorization: `Bearer ${token}`, ...(json ? { 'Content-Type': 'application/json' } : {}) },
			body: json ? JSON.stringify(json) : undefined,
		});
		const text = await res.text();
		let body = null;
		try { body = JSON.parse(text); } catch { body = text; }
		return { status: res.status, body };
	};
	call.token = token;
	return call;
}

/** The user called name, as GET /admin/users/?search= finds it (null when none). */
// until(fn, ms): polls the async predicate fn every 100 ms until it holds (true) or ms pass (false). For states a
// page's message cannot tell apart from the previous action's.
export async function until(fn, ms = 10000) {
	for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
		if (await fn())
			return true;
	return false;
}

export async function userNamed(call, name) {
	const r = await call('GET', `/admin/users/?search=${encodeURIComponent(name)}&limit=200`);
	return r.body.users.find((u) => u.username === name) || null;
}

/** Opens the console at hash; signs in on the way (the console sends the browser there) and comes back. */
export async function openConsole(page, hash, username = 'admin', password = adminPassword) {
	await page.goto(`${base}${consolePath}${hash}`);
	await page.waitForURL(/\/signin\.html\?/);
	const u = new URL(page.url());
	check(u.searchParams.get('mode') === 'cookie' && u.searchParams.get('rd') === `${consolePath}${hash}`,
		`the console sends a browser without a session to sign in, rd = ${consolePath}${hash}`);
	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL((x) => x.pathname === consolePath);
	await page.waitForSelector('#nav:not([hidden])');
}

/**
 * Runs scenarios[name](page, context, browser): a 1440x900 context, every console error, page error and
 * CSP violation recorded (a failing API answer the page expects, e.g. 422, is logged by Chromium as a failed
 * load: those of the allowed statuses are not script errors). Exits 1 at the first failed check.
 */
export async function run(scenarios, name, { allowed = [400, 401, 403, 404, 409, 422, 429] } = {}) {
	scenarioName = name + (process.env.GATEHOUSE_SHOT_TAG || "");
	const browser = await chromium.launch({
		executablePath: process.env.GATEHOUSE_CHROMIUM || '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	let rc = 0;
	const errors = [];
	try {
		const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
		await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
		const watch = (page) => {
			page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
			page.on('pageerror', (e) => errors.push(String(e)));
			page.setDefaultTimeout(20000);
		};
		context.on('page', watch);
		const page = await context.newPage();
		if (!scenarios[name]) throw new Error(`no scenario ${name}`);
		await scenarios[name](page, context, browser);
		const re = new RegExp(`status of (${allowed.join('|')})`);
		const real = errors.filter((e) => !re.test(e));
		check(real.length === 0, `no script error or CSP violation (${real.join(' | ')})`);
	} catch (e) {
		console.log(`not ok: ${e.message}`);
		if (errors.length) console.log(`console errors so far: ${errors.join(' | ')}`);
		rc = 1;
	} finally {
		await browser.close();
	}
	process.exit(rc);
}
