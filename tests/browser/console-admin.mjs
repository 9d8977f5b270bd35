// console-admin.mjs: the console's API keys page (everyone's keys, filter by user, create for a user with scope
// and expiry, shown once with Copy, revoke) and audit log (filters, pages, sort, CSV and JSON exports), each
// action checked against what the API then holds.   node console-admin.mjs SCENARIO
import { readFileSync } from 'node:fs';
import { apiClient, axe, base, check, openConsole, run, shot, shotBoth, userNamed } from './console-lib.mjs';

const scenarios = {
	async keys(page) {
		const call = await apiClient();
		const owner = await userNamed(call, 'key-owner');
		await openConsole(page, '#keys');
		await page.waitForSelector('table caption');
		const all = (await call('GET', '/admin/api-keys/?limit=1')).body.total;
		check((await page.textContent('.pager-count')).includes(`of ${all}`), `every user's keys: ${all}, as the API counts`);
		await axe(page, 'the API keys page');
		await shotBoth(page, 'keys');
		// Create for key-owner: past expiry refused at its field, then a good one.
		await page.getByRole('button', { name: 'New API key' }).click();
		const dlg = page.getByRole('dialog', { name: 'New API key' });
		await dlg.getByLabel('For user').pressSequentially('key-ow', { delay: 20 });
		await page.waitForFunction(() => [...document.querySelectorAll('dialog datalist option')].some((o) => o.value === 'key-owner'));
		check(true, 'typing part of the name suggests key-owner');
		await dlg.getByLabel('For user').fill('key-owner');
		await dlg.getByLabel('Key name').fill('nightly export');
		await dlg.getByLabel('Scope').selectOption('full');
		await dlg.getByLabel('Expires (optional)').fill('2001-01-01T00:00');
		await dlg.getByRole('button', { name: 'Create key' }).click();
		await page.waitForFunction(() => document.querySelector('dialog input[name=expires_at]').getAttribute('aria-invalid') === 'true');
		check((await dlg.textContent()).match(/future/i) !== null, '422 (expiry in the past) at the expiry field');
		await dlg.getByLabel('Expires (optional)').fill('2032-02-29T08:30');
		await dlg.getByRole('button', { name: 'Create key' }).click();
		const raw = await dlg.getByLabel('API key').inputValue();
		check(/^gak_[A-Za-z0-9_-]{43}$/.test(raw), 'the raw key is shown once');
		await dlg.getByRole('button', { name: 'Copy' }).click();
		await dlg.getByText('Copied.').waitFor();
		check(await page.evaluate(() => navigator.clipboard.readText()) === raw, 'Copy puts it on the clipboard');
		await shot(page, 'key-created');
		const held = (await call('GET', `/admin/api-keys/?user_id=${owner.id}`)).body.items.find((k) => k.name === 'nightly export');
		const want = new Date(2032, 1, 29, 8, 30).toISOString().slice(0, 16);
		check(held && held.scope === 'full' && held.expires_at.startsWith(want), `the API holds it for key-owner, full, expiring ${want} (${held && held.expires_at})`);
		const me = await fetch(`${base}/api/auth/me/`, { headers: { 'X-Api-Key': raw } });
		check(me.status === 200 && (await me.json()).username === 'key-owner', 'the key authenticates key-owner');
		await page.keyboard.press('Escape');
		check(!(await page.content()).includes(raw), 'closed, the raw key is nowhere in the page');
		// Filter by user.
		await page.getByLabel('Filter by user').fill('key-owner');
		await page.getByRole('button', { name: 'Apply filter' }).click();
		await page.waitForFunction(() => document.querySelector('caption').textContent.includes('of key-owner'));
		const mine = (await call('GET', `/admin/api-keys/?user_id=${owner.id}`)).body;
		const owners = await page.$$eval('tbody td[data-label="Owner"]', (tds) => [...new Set(tds.map((t) => t.textContent))]);
		check(owners.join() === 'key-owner' && (await page.locator('tbody tr').count()) === mine.total, `filtered: key-owner's ${mine.total} keys only`);
		check(new URL(page.url()).hash === `#keys?user=${owner.id}`, 'the filter is kept in the address');
		await page.getByLabel('Filter by user').fill('nobody-by-that-name');
		await page.getByRole('button', { name: 'Apply filter' }).click();
		await page.getByText('No active user has that name').waitFor();
		check(true, 'an unknown name is explained at the field');
		await page.getByLabel('Filter by user').fill('key-owner');
		// Revoke.
		await page.getByRole('button', { name: 'Revoke nightly export' }).click();
		await page.getByRole('dialog', { name: 'Revoke nightly export?' }).getByRole('button', { name: 'Revoke nightly export', exact: true }).click();
		await page.waitForFunction(() => document.getElementById('status').textContent.includes('Revoked'));
		const gone = (await call('GET', `/admin/api-keys/?user_id=${owner.id}`)).body.items.find((k) => k.name === 'nightly export');
		check(!gone || gone.is_active === false, 'the API no longer holds it active');
		check((await fetch(`${base}/api/auth/me/`, { headers: { 'X-Api-Key': raw } })).status === 401, 'the key no longer authenticates');
	},

	async audit(page) {
		const call = await apiClient();
		const owner = await userNamed(call, 'key-owner');
		await openConsole(page, '#audit');
		await page.waitForSelector('table caption');
		const total = (await call('GET', '/admin/audit-logs/?limit=1')).body.total;
		check(total > 50, `the log holds ${total} entries (more than a page)`);
		check((await page.textContent('caption')).includes(`(${total})`), 'the caption shows the total');
		check(await page.locator('tbody tr').count() === 50, 'one page of 50');
		await axe(page, 'the audit log');
		await shotBoth(page, 'audit');
		// Pages.
		await page.getByRole('button', { name: 'Next page' }).click();
		await page.waitForFunction(() => document.querySelector('.pager-count').textContent.startsWith('51'));
		const p2 = (await call('GET', '/admin/audit-logs/?limit=50&skip=50')).body.logs.map((l) => l.action);
		check((await page.$$eval('tbody td[data-label="Action"]', (tds) => tds.map((t) => t.textContent))).join() === p2.join(), 'page 2 is the API\'s entries 51-100');
		// Filter by action.
		await page.getByLabel('Action').fill('user.create');
		await page.getByRole('button', { name: 'Apply filters' }).click();
		await page.waitForFunction(() => document.querySelector('.pager-count').textContent.startsWith('1'));
		const creates = (await call('GET', '/admin/audit-logs/?action=user.create&limit=1')).body.total;
		await page.waitForFunction((n) => document.querySelector('caption').textContent.includes(`(${n})`), creates);
		const actions = await page.$$eval('tbody td[data-label="Action"]', (tds) => [...new Set(tds.map((t) => t.textContent))]);
		check(actions.join() === 'user.create', `action user.create: ${creates} entries, only that action`);
		// Sort by user, ascending.
		await page.getByRole('button', { name: /^User/ }).click();
		await page.waitForFunction(() => document.querySelector('th[aria-sort="ascending"]'));
		const sorted = (await call('GET', '/admin/audit-logs/?action=user.create&sort=username&order=asc&limit=50')).body.logs.map((l) => l.id);
		const firstUser = (await call('GET', '/admin/audit-logs/?action=user.create&sort=username&order=asc&limit=1')).body.logs[0].username || '—';
		check((await page.textContent('tbody tr td[data-label="User"]')) === firstUser && sorted.length > 0, 'sorted by user as the API sorts');
		// User, search and dates.
		await page.getByLabel('Action').fill('');
		await page.getByLabel('User', { exact: true }).fill('key-owner');
		await page.getByRole('button', { name: 'Apply filters' }).click();
		const byUser = (await call('GET', `/admin/audit-logs/?user_id=${owner.id}&limit=1`)).body.total;
		await page.waitForFunction((n) => document.querySelector('caption').textContent.includes(`(${n})`), byUser);
		check(new URL(page.url()).hash.includes(`user_id=${owner.id}`), `user key-owner: ${byUser} entries, the filter in the address`);
		await page.getByLabel('User', { exact: true }).fill('');
		await page.getByLabel('Search').fill('key-owner');
		await page.getByRole('button', { name: 'Apply filters' }).click();
		const bySearch = (await call('GET', '/admin/audit-logs/?search=key-owner&limit=1')).body.total;
		await page.waitForFunction((n) => document.querySelector('caption').textContent.includes(`(${n})`), bySearch);
		check(bySearch > 0, `search key-owner: ${bySearch} entries, as the API finds`);
		await page.getByLabel('From').fill('2001-01-01T00:00');
		await page.getByLabel('To').fill('2001-12-31T00:00');
		await page.getByRole('button', { name: 'Apply filters' }).click();
		await page.waitForFunction(() => document.querySelector('caption').textContent.includes('(0)'));
		check((await page.textContent('tbody')).includes('No entries match'), 'dates in 2001: no entries, said so');
		await page.getByLabel('To').fill('2100-01-01T00:00');
		await page.getByRole('button', { name: 'Apply filters' }).click();
		await page.waitForFunction((n) => document.querySelector('caption').textContent.includes(`(${n})`), bySearch);
		check(true, 'dates around now: the same entries again');
		// Exports with the filters.
		const [csvDl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
		const csv = readFileSync(await csvDl.path(), 'utf8').trim().split('\n');
		check(csvDl.suggestedFilename().endsWith('.csv') && csv.length === bySearch + 1, `CSV: the header and ${bySearch} lines (${csv.length - 1})`);
		const [jsonDl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
		const json = JSON.parse(readFileSync(await jsonDl.path(), 'utf8'));
		const rows = Array.isArray(json) ? json : (json.logs || json.items || []);
		check(jsonDl.suggestedFilename().endsWith('.json') && rows.length === bySearch, `JSON: ${bySearch} entries (${rows.length})`);
		await shot(page, 'audit-filtered');
		await page.getByRole('button', { name: 'Clear filters' }).click();
		await page.waitForFunction(() => document.querySelector('caption').textContent.match(/\((\d+)\)/)[1] > 50);
		check(!/user_id|action|search|date_|resource/.test(new URL(page.url()).hash), `Clear filters empties them from the address too (${new URL(page.url()).hash})`);
	},

	// The chain's state at the top of the audit log page: verified, with the head to keep.
	async 'chain-ok'(page) {
		const call = await apiClient();
		await openConsole(page, '#audit');
		await page.waitForSelector('#chain-state');
		const v = (await call('GET', '/admin/audit-logs/verify')).body;
		const text = await page.textContent('#chain-state');
		check(text.startsWith('Verified') && text.includes(v.head.split(':')[1]), `the page says verified, with the head (${text})`);
	},

	// After a row was edited in the database: the page names the row and says what to do.
	async 'chain-broken'(page) {
		await openConsole(page, '#audit');
		await page.waitForSelector('#chain-state');
		const text = await page.textContent('#chain-state');
		check(/^Broken at entry 7: its contents do not match/.test(text) && text.includes('gatehousectl verify-audit'), `the page names the broken entry (${text})`);
		await axe(page, 'the audit log with a broken chain');
		await shotBoth(page, 'audit-chain-broken');
	},
};

await run(scenarios, process.argv[2]);
