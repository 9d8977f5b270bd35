// scenarios.mjs: the sign-in pages in a real headless Chromium (Debian's), driven by playwright-core.
//
//   node tests/browser/scenarios.mjs SCENARIO
//
// Environment: GATEHOUSE_URL (http://127.0.0.1:PORT, the instance gatehouse-run started: www/ at /, the API at
// /api/, a protected location at /protected/), GATEHOUSE_SHOTS (a folder for one screenshot per step),
// GATEHOUSE_PLAYWRIGHT (the folder playwright-core was installed into), GATEHOUSE_USER and GATEHOUSE_PASSWORD.
// Prints what each step saw; exits 1 with the reason at the first step that fails.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(join(process.env.GATEHOUSE_PLAYWRIGHT, 'node_modules', '_'));
const { chromium } = require('playwright-core');

const base = process.env.GATEHOUSE_URL;
const shots = process.env.GATEHOUSE_SHOTS;
const user = process.env.GATEHOUSE_USER;
const password = process.env.GATEHOUSE_PASSWORD;
const scenario = process.argv[2];
let step = 0;

function check(cond, what) {
	if (!cond) throw new Error(`step ${step}: ${what}`);
	console.log(`ok: ${what}`);
}

async function shot(page, name) {
	step++;
	mkdirSync(shots, { recursive: true });
	await page.screenshot({ path: join(shots, `${scenario}-${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function signIn(page, name, pw) {
	await page.getByLabel('Username').fill(name);
	await page.getByLabel('Password').fill(pw);
	await page.getByRole('button', { name: 'Sign in' }).click();
}

async function sessionCookie(context) {
	return (await context.cookies()).find((c) => c.name === 'gatehouse_session');
}

const scenarios = {
	// Sign in through signin.html, reach /protected/, sign out, be sent back to sign in.
	async protect(page, context) {
		const res = await page.goto(`${base}/protected/?from=browser`);
		await shot(page, 'redirected-to-signin');
		const url = new URL(page.url());
		check(url.pathname === '/signin.html', `an unauthenticated visit lands on the sign-in page (${page.url()})`);
		check(url.searchParams.get('rd') === '/protected/?from=browser', 'rd names the page asked for');
		check(res.status() === 200, 'the sign-in page loads');
		await signIn(page, user, password);
		await page.waitForURL(`${base}/protected/?from=browser`);
		await shot(page, 'protected-page');
		check((await page.textContent('h1')).includes('Protected'), 'the protected page is shown after signing in');
		const c = await sessionCookie(context);
		check(c && c.httpOnly && c.sameSite === 'Lax' && c.path === '/', 'gatehouse_session is HttpOnly, Lax, Path=/');
		check(await page.evaluate(() => !document.cookie.includes('gatehouse_session')), 'scripts cannot read it');
		await page.getByRole('link', { name: 'Sign out' }).click();
		await page.waitForURL(`${base}/signout.html`);
		await shot(page, 'signout-page');
		await page.getByRole('button', { name: 'Sign out' }).click();
		await page.waitForURL(/\/signin\.html\?signedout=1$/);
		await shot(page, 'signed-out');
		check(!(await sessionCookie(context)), 'the cookie is gone after signing out');
		await page.goto(`${base}/protected/`);
		await shot(page, 'protected-again');
		check(new URL(page.url()).pathname === '/signin.html', 'the protected page sends us to sign in again');
	},

	// Wrong password, a throttled account and an empty form each say what happened, in the alert region.
	async errors(page) {
		await page.goto(`${base}/signin.html`);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await shot(page, 'empty-form');
		check((await page.textContent('[role=alert]')).includes('Enter your username and password'),
			'an empty form is explained');
		check(await page.getAttribute('#username', 'aria-invalid') === 'true', 'the field is marked invalid');
		await signIn(page, user, 'not-the-password');
		await page.waitForSelector('[role=alert].error');
		await shot(page, 'wrong-password');
		check((await page.textContent('[role=alert]')).includes('do not match'), '401 says the credentials do not match');
		check(await page.evaluate(() => document.activeElement.id) === 'username', 'focus returns to the form');
		// One attempt at a time: each waits for the button, which is disabled while a request is in flight.
		for (let i = 0; i < 4; i++) {
			await signIn(page, 'throttled', 'wrong-password-1');
			await page.waitForSelector('#submit:not([disabled])');
		}
		await page.waitForFunction(() => document.querySelector('[role=alert]').textContent.includes('Too many'));
		await shot(page, 'throttled');
		check(/Try again in \d+ seconds?/.test(await page.textContent('[role=alert]')), '429 says how long to wait');
		await signIn(page, 'pending-user', 'pending-pass-1');
		await page.waitForFunction(() => document.querySelector('[role=alert]').textContent.includes('approve'));
		await shot(page, 'pending');
		check(true, '403 (pending) says an administrator must approve');
	},

	// rd: only paths on this origin are followed; everything else goes to /.
	async redirects(page, context) {
		const cases = [
			['/protected/x?y=1#z', '/protected/x?y=1#z'],
			['//evil.example/', '/'],
			['https://evil.example/', '/'],
			['/\\evil.example/', '/'],
			['/\t/evil.example/', '/'],
			['%2F%2Fevil.example', '/'],
			['javascript:alert(1)', '/'],
			['http:/evil.example', '/'],
			['\\/evil.example', '/'],
			['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
		];
		for (const [rd, want] of cases) {
			await context.clearCookies();
			await page.goto(`${base}/signin.html?rd=${encodeURIComponent(rd)}`);
			await signIn(page, user, password);
			await page.waitForURL((u) => !u.pathname.endsWith('/signin.html'));
			const got = new URL(page.url());
			check(got.origin === base && got.pathname + got.search + got.hash === want,
				`rd ${JSON.stringify(rd)} goes to ${want} (${page.url()})`);
		}
		// The raw, undecoded forms nginx might hand over: rd=//evil and rd=%252F%252Fevil.
		for (const raw of ['//evil.example', '%252F%252Fevil.example', '%5C%5Cevil.example']) {
			await context.clearCookies();
			await page.goto(`${base}/signin.html?rd=${raw}`);
			await signIn(page, user, password);
			await page.waitForURL((u) => !u.pathname.endsWith('/signin.html'));
			check(new URL(page.url()).origin === base, `raw rd=${raw} stays on this origin (${page.url()})`);
		}
		await shot(page, 'after-redirects');
	},

	// Change the password while signed in: every session ends, the new password works.
	async password(page, context) {
		await page.goto(`${base}/password.html`);
		await shot(page, 'not-signed-in');
		check((await page.textContent('[role=alert]')).includes('not signed in'), 'signed out: asked to sign in first');
		await page.goto(`${base}/signin.html?rd=/password.html`);
		await signIn(page, 'changer', 'changer-pass-1');
		await page.waitForURL(`${base}/password.html`);
		await page.waitForFunction(() => document.getElementById('who').textContent === 'changer');
		await shot(page, 'form');
		await page.getByLabel('Current password').fill('wrong-one-1');
		await page.getByLabel(/^New password/).fill('changer-pass-2');
		await page.getByLabel('Repeat the new password').fill('changer-pass-2');
		await page.getByRole('button', { name: 'Change password' }).click();
		await page.waitForSelector('[role=alert].error');
		await shot(page, 'wrong-current');
		check((await page.textContent('[role=alert]')).includes('current password is not right'), '400 is explained');
		await page.getByLabel('Current password').fill('changer-pass-1');
		await page.getByLabel(/^New password/).fill('short');
		await page.getByLabel('Repeat the new password').fill('short');
		await page.getByRole('button', { name: 'Change password' }).click();
		await page.waitForFunction(() => document.querySelector('[role=alert]').textContent.includes('at least 8'));
		await shot(page, 'too-short');
		check(true, '422 (too short) is explained');
		await page.getByLabel(/^New password/).fill('changer-pass-2');
		await page.getByLabel('Repeat the new password').fill('changer-pass-2');
		await page.getByRole('button', { name: 'Change password' }).click();
		await page.waitForSelector('[role=alert].ok');
		await shot(page, 'changed');
		check(!(await sessionCookie(context)), 'the session cookie is deleted');
		await page.goto(`${base}/protected/`);
		check(new URL(page.url()).pathname === '/signin.html', 'the old session no longer opens /protected/');
		await signIn(page, 'changer', 'changer-pass-2');
		await page.waitForURL(`${base}/protected/`);
		check(true, 'the new password signs in');
	},

	// The reference's cookie mode, as its web admin page uses it: login and refresh from a page, the refresh
	// token only in an HttpOnly cookie, the CSRF token read from document.cookie.
	async cookiemode(page, context) {
		await page.goto(`${base}/signin.html`);
		const out = await page.evaluate(async ([u, p]) => {
			const login = await fetch('/api/auth/login', {
				method: 'POST', credentials: 'same-origin', headers: { 'X-GeoLens-Auth-Mode': 'cookie' },
				body: new URLSearchParams({ username: u, password: p }),
			});
			const tokens = await login.json();
			const csrf = (document.cookie.match(/(?:^|; )geolens_csrf=([^;]*)/) || [])[1];
			const bad = await fetch('/api/auth/refresh/', {
				method: 'POST', credentials: 'same-origin', headers: { 'X-GeoLens-Auth-Mode': 'cookie' },
			});
			const good = await fetch('/api/auth/refresh/', {
				method: 'POST', credentials: 'same-origin',
				headers: { 'X-GeoLens-Auth-Mode': 'cookie', 'X-CSRF-Token': csrf },
			});
			const fresh = await good.json();
			const me = await fetch('/api/auth/me/', { headers: { Authorization: `Bearer ${fresh.access_token}` } });
			const logout = await fetch('/api/auth/logout/', {
				method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': document.cookie.match(/geolens_csrf=([^;]*)/)[1] },
			});
			const after = await fetch('/api/auth/refresh/', {
				method: 'POST', credentials: 'same-origin',
				headers: { 'X-GeoLens-Auth-Mode': 'cookie', 'X-CSRF-Token': csrf },
			});
			return {
				login: login.status, refreshInBody: tokens.refresh_token, csrf: Boolean(csrf),
				readable: document.cookie.includes('geolens_refresh'), bad: bad.status,
				badDetail: (await bad.json()).detail, good: good.status, me: me.status, logout: logout.status,
				after: after.status, cookiesLeft: document.cookie,
			};
		}, [user, password]);
		await shot(page, 'cookie-mode');
		console.log(JSON.stringify(out));
		check(out.login === 200 && out.refreshInBody === null, 'cookie-mode login: refresh_token null in the body');
		check(out.csrf && !out.readable, 'geolens_csrf is readable by scripts, geolens_refresh is not');
		const refresh = (await context.cookies()).find((c) => c.name === 'geolens_refresh');
		check(!refresh, 'logout deleted the refresh cookie');
		check(out.bad === 403 && out.badDetail === 'Missing CSRF token', 'refresh without X-CSRF-Token: 403');
		check(out.good === 200 && out.me === 200, 'refresh with the CSRF token: a working access token');
		check(out.logout === 204 && out.after === 401, 'logout by cookie: 204, then the cookie is dead');
		check(!out.cookiesLeft.includes('geolens_csrf'), 'logout deleted the CSRF cookie');
	},
};

const browser = await chromium.launch({
	executablePath: process.env.GATEHOUSE_CHROMIUM || '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let rc = 0;
try {
	const context = await browser.newContext();
	const page = await context.newPage();
	const errors = [];
	page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
	page.on('pageerror', (e) => errors.push(String(e)));
	page.setDefaultTimeout(30000);
	if (!scenarios[scenario]) throw new Error(`no scenario ${scenario}`);
	await scenarios[scenario](page, context);
	// A Content-Security-Policy violation or a script error is a failure too (401/403 answers the pages expect
	// are logged by Chromium as failed loads; those are not script errors).
	const real = errors.filter((e) => !/status of (401|403|404|429|400|422)/.test(e));
	check(real.length === 0, `no script error or CSP violation (${real.join(' | ')})`);
} catch (e) {
	console.log(`not ok: ${e.message}`);
	rc = 1;
} finally {
	await browser.close();
}
process.exit(rc);
