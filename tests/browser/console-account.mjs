// console-account.mjs: the console for a viewer, My account (password, own keys, sign out everywhere), the
// sign-in round trip of an expired session, the API being down, keyboard-only use, page weight and both colour
// schemes.   node console-account.mjs SCENARIO
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient, axe, base, check, openConsole, run, shot, shotBoth, userNamed } from './console-lib.mjs';

const login = (username, password) => fetch(`${base}/api/auth/login`, { method: 'POST', body: new URLSearchParams({ username, password }) });

const scenarios = {
	// A viewer sees their own account only, and the page asks nothing of the admin API.
	async viewer(page) {
		const admin = [];
		page.on('request', (r) => { if (r.url().includes('/api/admin/')) admin.push(r.url()); });
		await openConsole(page, '#users', 'viewer-vic', 'viewer-pass-1');
		await page.waitForSelector('#me-title');
		check(new URL(page.url()).hash === '#account', `#users sends a viewer to #account (${page.url()})`);
		const links = await page.$$eval('#nav a', (as) => as.filter((a) => a.offsetParent !== null).map((a) => a.textContent));
		check(links.join() === 'My account', `the viewer's navigation holds My account only (${links})`);
		for (const hash of ['#keys', '#audit', '#overview']) {
			await page.goto(`${base}/console/${hash}`);
			await page.waitForSelector('#me-title');
			check(new URL(page.url()).hash === '#account', `${hash} sends a viewer to #account`);
		}
		check(admin.length === 0, `no request to the admin API (${admin.join(' ')})`);
		check((await page.textContent('main')).includes('viewer-vic'), 'the page names the viewer');
		await axe(page, 'My account');
		await shotBoth(page, 'viewer-account');
	},

	// Change my password: wrong current and mismatch explained; success ends every session, back to sign in.
	async password(page) {
		await openConsole(page, '#account', 'pw-user', 'pw-user-pass-1');
		const other = await login('pw-user', 'pw-user-pass-1');
		const otherToken = (await other.json()).access_token;
		await page.getByLabel('Current password').fill('wrong-pass-1');
		await page.getByLabel('New password', { exact: true }).fill('pw-user-pass-2');
		await page.getByLabel('Repeat the new password').fill('pw-user-pass-3');
		await page.getByRole('button', { name: 'Change password' }).click();
		await page.getByText('The two new passwords differ.').first().waitFor();
		check(await page.getAttribute('input[name=repeat]', 'aria-invalid') === 'true', 'a mismatch is shown at the repeat field, nothing sent');
		await page.getByLabel('Repeat the new password').fill('pw-user-pass-2');
		await page.getByRole('button', { name: 'Change password' }).click();
		await page.getByText('The current password is not right.').first().waitFor();
		check(await page.getAttribute('input[name=current_password]', 'aria-invalid') === 'true', '400: shown at the current password');
		await shot(page, 'password-wrong-current');
		check((await login('pw-user', 'pw-user-pass-1')).status === 200, 'the password is unchanged');
		await page.getByLabel('Current password').fill('pw-user-pass-1');
		await page.getByRole('button', { name: 'Change password' }).click();
		await page.waitForURL(/signin\.html/);
		check((await page.textContent('[role=alert]')).includes('password was changed'), 'the sign-in page says why');
		check((await login('pw-user', 'pw-user-pass-1')).status === 401 && (await login('pw-user', 'pw-user-pass-2')).status === 200, 'the API takes the new password only');
		const me = await fetch(`${base}/api/auth/me/`, { headers: { Authorization: `Bearer ${otherToken}` } });
		check(me.status === 401, 'another session of the user ended');
		await page.getByLabel('Username').fill('pw-user');
		await page.getByLabel('Password').fill('pw-user-pass-2');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.waitForURL((u) => u.pathname === '/console/' && u.hash === '#account');
		await page.waitForSelector('#me-title');
		check(true, 'signed in again, back on My account');
	},

	// My API keys: created (shown once, copied), usable, revoked.
	async mykeys(page) {
		await openConsole(page, '#account', 'viewer-vic', 'viewer-pass-1');
		await page.getByRole('button', { name: 'New API key' }).click();
		const dlg = page.getByRole('dialog', { name: 'New API key for me' });
		await dlg.getByRole('button', { name: 'Create key' }).click();
		await page.waitForFunction(() => /at least 1/.test(document.querySelector('dialog input[name=name]').closest('.field').textContent));
		check(true, '422 (empty name) at the name field');
		await dlg.getByLabel('Key name').fill('my laptop');
		await dlg.getByLabel('Scope').selectOption('read_only');
		await dlg.getByLabel('Expires (optional)').fill('2031-06-30T12:00');
		await dlg.getByRole('button', { name: 'Create key' }).click();
		const raw = await dlg.getByLabel('API key').inputValue();
		check(/^gak_[A-Za-z0-9_-]{43}$/.test(raw), 'the raw key is shown');
		await dlg.getByRole('button', { name: 'Copy' }).click();
		await dlg.getByText('Copied.').waitFor();
		check(await page.evaluate(() => navigator.clipboard.readText()) === raw, 'Copy puts it on the clipboard');
		await axe(page, 'the new key dialog');
		await shotBoth(page, 'my-key-shown');
		const me = await fetch(`${base}/api/auth/me/`, { headers: { 'X-Api-Key': raw } });
		check(me.status === 200 && (await me.json()).username === 'viewer-vic', 'the key authenticates viewer-vic');
		const call = await apiClient('viewer-vic', 'viewer-pass-1');
		const k = (await call('GET', '/auth/api-keys/')).body.items.find((x) => x.name === 'my laptop');
		check(k && k.scope === 'read_only' && k.expires_at.startsWith('2031-06-30'), `the API holds it read-only, expiring 2031-06-30 (${k && k.expires_at})`);
		await page.keyboard.press('Escape');
		check(!(await page.content()).includes(raw), 'closed, the raw key is nowhere in the page');
		check((await page.textContent('table')).includes('my laptop'), 'the key is listed');
		await page.getByRole('button', { name: 'Revoke my laptop' }).click();
		await page.getByRole('dialog', { name: 'Revoke my laptop?' }).getByRole('button', { name: 'Revoke my laptop', exact: true }).click();
		await page.waitForFunction(() => document.getElementById('status').textContent.includes('Revoked'));
		const after = await fetch(`${base}/api/auth/me/`, { headers: { 'X-Api-Key': raw } });
		check(after.status === 401, 'the revoked key no longer authenticates');
	},

	// Sign out everywhere: every session of the user ends, the browser goes to sign in.
	async everywhere(page) {
		await openConsole(page, '#account', 'viewer-vic', 'viewer-pass-1');
		const other = (await (await login('viewer-vic', 'viewer-pass-1')).json()).access_token;
		await page.getByRole('button', { name: 'Sign out everywhere' }).click();
		await page.waitForURL(/signin\.html\?signedout=1/);
		const me = await fetch(`${base}/api/auth/me/`, { headers: { Authorization: `Bearer ${other}` } });
		check(me.status === 401, 'a session elsewhere ended too');
		await page.goto(`${base}/console/#account`);
		await page.waitForURL(/signin\.html/);
		check(true, 'the console asks to sign in again');
	},

	// An expired session: the next action goes to sign in, then back to the same view.
	async expired(page) {
		await openConsole(page, '#users?search=member');
		await page.waitForFunction(() => document.querySelector('caption') && document.querySelector('caption').textContent.includes('matching'));
		const call = await apiClient();
		await call('POST', '/auth/logout/');	// ends every session of admin, the console's too
		await page.getByLabel('Status').selectOption('active');
		await page.waitForURL(/signin\.html/);
		const u = new URL(page.url());
		check(u.searchParams.get('reason') === 'expired' && u.searchParams.get('rd').startsWith('/console/#users?search=member'), `sent to sign in with rd = the view (${u.searchParams.get('rd')})`);
		check((await page.textContent('[role=alert]')).includes('session has ended'), 'the sign-in page says the session ended');
		await shotBoth(page, 'expired-signin');
		await page.getByLabel('Username').fill('admin');
		await page.getByLabel('Password').fill(process.env.GATEHOUSE_ADMIN_PASSWORD);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.waitForURL((x) => x.pathname === '/console/');
		await page.waitForFunction(() => document.querySelector('caption') && document.querySelector('caption').textContent.includes('matching'));
		check(await page.getByLabel('Search users').inputValue() === 'member', 'back on the users page with the same search');
	},

	// The API down: a write under a held database lock answers 503, then gatehouse stopped gives 502; both read
	// as sentences, and the console recovers when the API is back.
	async outage(page) {
		await openConsole(page, '#users');
		await page.waitForSelector('table caption');
		const lock = spawn('sqlite3', [join(process.env.GATEHOUSE_INST, 'gatehouse.db')], { stdio: ['pipe', 'ignore', 'inherit'] });
		lock.stdin.write('PRAGMA busy_timeout=5000;\nBEGIN IMMEDIATE;\nSELECT 1;\n');
		await new Promise((r) => setTimeout(r, 500));
		await page.getByRole('button', { name: 'New user' }).click();
		const dlg = page.getByRole('dialog', { name: 'New user' });
		await dlg.getByLabel('Username').fill('during-outage');
		await dlg.getByLabel('Password', { exact: true }).fill('outage-pass-1');
		await dlg.getByRole('button', { name: 'Create user' }).click();
		await dlg.getByText('not available right now (503)').waitFor();
		check(!(await page.locator('#banner').isHidden()), '503: the banner says the service is not available');
		await axe(page, 'the 503 state');
		await shotBoth(page, 'unavailable-503');
		lock.stdin.end('ROLLBACK;\n.quit\n');
		await new Promise((r) => lock.on('exit', r));
		await dlg.getByRole('button', { name: 'Create user' }).click();
		await page.waitForFunction(() => !document.querySelector('dialog'));
		const call = await apiClient();
		check(await userNamed(call, 'during-outage') !== null, 'once the lock is gone the same form creates the user');
		await page.locator('#banner').waitFor({ state: 'hidden' });
		check(true, 'and the banner goes away');
		// gatehouse stopped: nginx answers 502.
		const pid = Number(readFileSync(join(process.env.GATEHOUSE_INST, 'gatehouse.pid'), 'utf8'));
		process.kill(pid, 'SIGTERM');
		for (let i = 0; i < 100; i++) {
			try { process.kill(pid, 0); } catch { break; }
			await new Promise((r) => setTimeout(r, 50));
		}
		await page.getByRole('link', { name: 'Overview' }).click();
		await page.locator('#banner:not([hidden])').waitFor();
		const text = await page.textContent('#banner');
		check(/not available right now \(502\)|could not be reached/.test(text), `gatehouse stopped: "${text.trim()}"`);
		await shot(page, 'unavailable-502');
	},

	// Keyboard only: skip link, navigation, a dialog opened, filled and sent, focus always visible.
	async keyboard(page) {
		await openConsole(page, '#users');
		await page.waitForSelector('table caption');
		await page.reload();
		await page.waitForSelector('table caption');
		const focusVisible = () => page.evaluate(() => {
			const el = document.activeElement;
			const s = getComputedStyle(el);
			return { tag: el.tagName, text: (el.textContent || el.name || '').trim().slice(0, 30), outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 };
		});
		await page.keyboard.press('Tab');
		let f = await focusVisible();
		check(f.text === 'Skip to content' && f.outline, 'Tab: the skip link first, with a visible outline');
		// Walk forward to "New user", checking every stop has a visible focus indicator.
		let seen = 0;
		for (let i = 0; i < 30; i++) {
			await page.keyboard.press('Tab');
			f = await focusVisible();
			seen++;
			check(f.outline, `focus on ${f.tag} "${f.text}" is visible`);
			if (f.text === 'New user') break;
		}
		check(f.text === 'New user', `"New user" reached by Tab in ${seen} steps`);
		await page.keyboard.press('Enter');
		await page.getByRole('dialog', { name: 'New user' }).waitFor();
		check(await page.evaluate(() => document.activeElement.name) === 'username', 'the dialog opens with focus in its first field');
		await page.keyboard.type('keyboard-user');
		await page.keyboard.press('Tab');
		await page.keyboard.type('keys@example.com');
		await page.keyboard.press('Tab');
		await page.keyboard.type('keyboard-pass-1');
		await shot(page, 'keyboard-dialog');
		await page.keyboard.press('Enter');
		await page.waitForFunction(() => !document.querySelector('dialog'));
		const call = await apiClient();
		const u = await userNamed(call, 'keyboard-user');
		check(u && u.email === 'keys@example.com', 'Enter in the form created the user');
		check(await page.evaluate(() => document.activeElement.textContent) === 'New user', 'focus returns to "New user"');
		await page.keyboard.press('Enter');
		await page.getByRole('dialog', { name: 'New user' }).waitFor();
		await page.keyboard.press('Escape');
		await page.waitForFunction(() => !document.querySelector('dialog'));
		check(await page.evaluate(() => document.activeElement.textContent) === 'New user', 'Escape closes a dialog, focus back on its opener');
	},

	// The first load of the users page (cold cache) weighs under 100 KB on the wire; dark mode passes axe too.
	async weight(page, context) {
		await openConsole(page, '#users');
		await page.waitForSelector('table caption');
		const fresh = await context.newPage();
		const cdp = await context.newCDPSession(fresh);
		await cdp.send('Network.enable');
		await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
		let bytes = 0;
		const files = [];
		cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
		cdp.on('Network.responseReceived', (e) => files.push(e.response.url.replace(base, '')));
		await fresh.goto(`${base}/console/#users`);
		await fresh.waitForSelector('table caption');
		await fresh.waitForLoadState('networkidle');
		console.log(`first load of the users page: ${bytes} bytes over ${files.length} responses: ${files.join(' ')}`);
		check(bytes > 0 && bytes < 100 * 1024, `under 100 KB transferred (${(bytes / 1024).toFixed(1)} KB)`);
		await fresh.emulateMedia({ colorScheme: 'dark' });
		await axe(fresh, 'the users page, dark');
		await shotBoth(fresh, 'users-dark');
		await fresh.emulateMedia({ colorScheme: 'light' });
		const bg = await fresh.evaluate(() => getComputedStyle(document.body).backgroundColor);
		await fresh.emulateMedia({ colorScheme: 'dark' });
		const bgDark = await fresh.evaluate(() => getComputedStyle(document.body).backgroundColor);
		check(bg !== bgDark, `light and dark differ (${bg} / ${bgDark})`);
	},
};

await run(scenarios, process.argv[2], { allowed: process.argv[2] === 'outage' ? [400, 401, 403, 404, 409, 422, 429, 502, 503] : undefined });
