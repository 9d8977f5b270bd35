// console-users.mjs: the users page and the overview of the admin console, end to end in headless Chromium;
// after each action the API is asked what it now holds.   node console-users.mjs SCENARIO
import { readFileSync } from 'node:fs';
import { apiClient, axe, base, check, openConsole, run, shot, shotBoth, until, userNamed } from './console-lib.mjs';

const scenarios = {
	// Create: every 422 entry at its field, the 409s at theirs; then a good one, which the API then holds.
	async create(page) {
		const call = await apiClient();
		await openConsole(page, '#users');
		await page.waitForSelector('table caption');
		await axe(page, 'the users page');
		await shotBoth(page, 'users');
		await page.getByRole('button', { name: 'New user' }).click();
		const dlg = page.getByRole('dialog', { name: 'New user' });
		await dlg.getByLabel('Username').fill('ab');
		await dlg.getByLabel('Email (optional)').fill('not-an-address');
		await dlg.getByLabel('Password', { exact: true }).fill('short');
		await dlg.getByRole('button', { name: 'Create user' }).click();
		await page.waitForSelector('dialog [aria-invalid="true"]');
		await axe(page, 'the create dialog with errors');
		await shotBoth(page, 'create-422');
		const errs = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('dialog .field')]
			.map((f) => [f.querySelector('input,select').name, {
				text: f.querySelector('.field-error').textContent,
				invalid: f.querySelector('input,select').getAttribute('aria-invalid'),
				described: (f.querySelector('input,select').getAttribute('aria-describedby') || '').includes(f.querySelector('.field-error').id),
			}])));
		console.log(JSON.stringify(errs));
		check(/at least 3/.test(errs.username.text) && errs.username.invalid === 'true' && errs.username.described, '422: the username entry is at the username field');
		check(/email/i.test(errs.email.text) && errs.email.invalid === 'true', '422: the email entry is at the email field');
		check(/at least 8/.test(errs.password.text) && errs.password.invalid === 'true', '422: the password entry is at the password field');
		check(errs.role.text === '' && errs.role.invalid !== 'true', 'the role field, which was fine, shows nothing');
		check(await page.evaluate(() => document.activeElement.name) === 'username', 'focus goes to the first field in error');
		check((await call('GET', '/admin/users/?search=not-an-address')).body.total === 0, 'nothing was created');
		// 409 on the username, then on the email.
		await call('POST', '/admin/users/', { username: 'taken-name', password: 'taken-pass-1', email: 'taken@example.com', role: 'viewer' });
		await dlg.getByLabel('Username').fill('taken-name');
		await dlg.getByLabel('Email (optional)').fill('fresh@example.com');
		await dlg.getByLabel('Password', { exact: true }).fill('fresh-pass-1');
		await dlg.getByRole('button', { name: 'Create user' }).click();
		await page.waitForFunction(() => document.querySelector('dialog input[name=username]').getAttribute('aria-invalid') === 'true'
			&& /already taken/.test(document.querySelector('dialog input[name=username]').closest('.field').textContent));
		check(await page.evaluate(() => document.querySelector('dialog input[name=email]').getAttribute('aria-invalid')) !== 'true', '409 Username already taken: at the username field only');
		await dlg.getByLabel('Username').fill('Fresh-User');
		await dlg.getByLabel('Email (optional)').fill('TAKEN@example.com');
		await dlg.getByRole('button', { name: 'Create user' }).click();
		await page.waitForFunction(() => /already registered/.test(document.querySelector('dialog input[name=email]').closest('.field').textContent));
		check(await page.evaluate(() => document.querySelector('dialog input[name=username]').getAttribute('aria-invalid')) !== 'true', '409 Email already registered: at the email field only');
		await shot(page, 'create-409');
		// A good one, with the role editor.
		await dlg.getByLabel('Email (optional)').fill('fresh@example.com');
		await dlg.getByLabel('Role').selectOption('editor');
		await dlg.getByRole('button', { name: 'Create user' }).click();
		await page.waitForFunction(() => !document.querySelector('dialog'));
		await page.waitForFunction(() => document.getElementById('status').textContent.includes('Created user Fresh-User'));
		const u = await userNamed(call, 'Fresh-User');
		check(u && u.email === 'fresh@example.com' && u.roles.join() === 'editor' && u.status === 'active', 'the API holds Fresh-User, editor, active, with the email');
		const login = await fetch(`${base}/api/auth/login`, { method: 'POST', body: new URLSearchParams({ username: 'Fresh-User', password: 'fresh-pass-1' }) });
		check(login.status === 200, 'the password typed in the form signs Fresh-User in');
		const total = (await call('GET', '/admin/users/?limit=1')).body.total;
		await page.waitForFunction((n) => document.querySelector('caption').textContent.includes(`(${n})`), total);
		check(true, `the table's total counts the new user (${total})`);
	},

	// Search (debounced, accent-insensitive), status filter, sort, pagination with the total.
	async browse(page) {
		const call = await apiClient();
		await openConsole(page, '#users');
		await page.waitForSelector('table caption');
		const total = (await call('GET', '/admin/users/?limit=1')).body.total;
		check(total > 25, `the instance holds ${total} users (more than a page)`);
		check((await page.textContent('caption')).includes(`(${total})`) && (await page.textContent('.pager-count')).includes(`of ${total}`), 'the table shows the total');
		check(await page.locator('tbody tr').count() === 25, 'one page of 25 rows');
		// Count the list requests while typing: the search is debounced.
		const seen = [];
		page.on('request', (r) => { if (r.url().includes('/api/admin/users/?') && r.url().includes('search=')) seen.push(r.url()); });
		await page.getByLabel('Search users').pressSequentially('zoe mull', { delay: 30 });
		await page.waitForFunction(() => document.querySelector('caption').textContent.includes('matching'));
		await page.waitForTimeout(400);
		check(seen.length === 1, `typing 8 characters sent one search (${seen.length})`);
		check(await page.locator('tbody tr').count() === 1 && (await page.textContent('tbody')).includes('Zoë Müller'), '"zoe mull" finds Zoë Müller (accent-insensitive, as the API)');
		check(new URL(page.url()).hash === '#users?search=zoe+mull', 'the search is kept in the address');
		await shot(page, 'search');
		await page.getByLabel('Search users').fill('');
		await page.waitForFunction(() => !document.querySelector('caption').textContent.includes('matching'));
		// Status filter.
		await page.getByLabel('Status').selectOption('disabled');
		await page.waitForFunction(() => document.querySelector('caption').textContent.includes('matching'));
		const disabled = (await call('GET', '/admin/users/?status=disabled&limit=1')).body.total;
		check((await page.textContent('caption')).includes(`(${disabled})`), `status disabled: ${disabled} users, as the API counts`);
		const statuses = await page.$$eval('tbody td[data-label="Status"]', (tds) => [...new Set(tds.map((t) => t.textContent))]);
		check(statuses.join() === 'disabled', 'only disabled users are listed');
		await page.getByLabel('Status').selectOption('');
		await page.waitForFunction(() => !document.querySelector('caption').textContent.includes('matching'));
		// Sort by name, both ways, by keyboard.
		await page.getByRole('button', { name: /^Name/ }).focus();
		await page.keyboard.press('Enter');
		await page.waitForFunction(() => document.querySelector('th[aria-sort="ascending"]') && document.querySelector('th[aria-sort="ascending"]').textContent.startsWith('Name'));
		const asc = (await call('GET', '/admin/users/?sort=username&order=asc&limit=25')).body.users.map((u) => u.username);
		const shown = await page.$$eval('tbody td[data-label="Name"]', (tds) => tds.map((t) => t.textContent));
		check(shown.join() === asc.join(), 'sorted by name ascending, as the API sorts');
		check(await page.evaluate(() => document.activeElement.textContent.startsWith('Name')), 'focus stays on the sort button');
		await page.keyboard.press('Enter');
		await page.waitForFunction(() => document.querySelector('th[aria-sort="descending"]'));
		const desc = (await call('GET', '/admin/users/?sort=username&order=desc&limit=25')).body.users.map((u) => u.username);
		check((await page.$$eval('tbody td[data-label="Name"]', (tds) => tds.map((t) => t.textContent))).join() === desc.join(), 'then descending');
		// Pages.
		await page.getByRole('button', { name: 'Next page' }).click();
		await page.waitForFunction(() => document.querySelector('.pager-count').textContent.startsWith('26'));
		const p2 = (await call('GET', '/admin/users/?sort=username&order=desc&limit=25&skip=25')).body.users.map((u) => u.username);
		check((await page.$$eval('tbody td[data-label="Name"]', (tds) => tds.map((t) => t.textContent))).join() === p2.join(), 'page 2 is the API\'s rows 26-50');
		check(new URL(page.url()).hash.includes('skip=25'), 'the page is kept in the address');
		await page.reload();
		await page.waitForFunction(() => document.querySelector('.pager-count') && document.querySelector('.pager-count').textContent.startsWith('26'));
		check(true, 'a reload comes back to the same page and sort');
		await shotBoth(page, 'page-2');
	},

	// Edit email, role, status; deactivate; guards on oneself.
	async edit(page) {
		const call = await apiClient();
		await openConsole(page, '#users?search=edit-me');
		await page.getByRole('button', { name: 'Manage edit-me' }).click();
		const dlg = page.getByRole('dialog', { name: 'Manage edit-me' });
		await axe(page, 'the manage dialog');
		await dlg.getByLabel('Email').fill('edited@example.com');
		await dlg.getByLabel('Role').selectOption('editor');
		await dlg.getByRole('button', { name: 'Save changes' }).click();
		await dlg.getByText('Saved the changes').waitFor();
		let u = await userNamed(call, 'edit-me');
		check(u.email === 'edited@example.com' && u.roles.join() === 'editor', 'the API holds the new email and role');
		await dlg.getByLabel('Email').fill('taken@example.com');
		await dlg.getByRole('button', { name: 'Save changes' }).click();
		await page.waitForFunction(() => /already registered/.test(document.querySelector('dialog input[name=email]').closest('.field').textContent));
		check(true, '409 on PATCH: Email already registered at the email field');
		await dlg.getByLabel('Email').fill('bad address');
		await dlg.getByRole('button', { name: 'Save changes' }).click();
		await page.waitForFunction(() => /valid email/.test(document.querySelector('dialog input[name=email]').closest('.field').textContent));
		check((await userNamed(call, 'edit-me')).email === 'edited@example.com', '422 at the email field; nothing changed');
		await dlg.getByLabel('Email').fill('edited@example.com');
		await dlg.getByLabel('Status').selectOption('disabled');
		await dlg.getByRole('button', { name: 'Save changes' }).click();
		await dlg.getByText('Saved the changes').waitFor();
		// The text may still be the previous save's: poll the API for the state itself.
		check(await until(async () => (await userNamed(call, 'edit-me')).status === 'disabled'),
			'status disabled: the API holds it');
		await dlg.getByLabel('Status').selectOption('active');
		await dlg.getByRole('button', { name: 'Save changes' }).click();
		await dlg.getByText('Saved the changes').waitFor();
		check(await until(async () => (await userNamed(call, 'edit-me')).status === 'active'), 'and active again');
		await dlg.getByRole('button', { name: 'Close', exact: true }).click();
		// Deactivate.
		await page.getByRole('button', { name: 'Manage edit-me' }).click();
		await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
		await page.getByRole('dialog').getByText('is deactivated').waitFor();
		u = await userNamed(call, 'edit-me');
		check(u.status === 'disabled' && u.is_active === false, 'Deactivate: the API holds the user disabled');
		await page.keyboard.press('Escape');
		// Guards on oneself: readable messages, nothing changed.
		await page.getByLabel('Search users').fill('admin');
		await page.getByRole('button', { name: 'Manage admin' }).waitFor();
		await page.getByRole('button', { name: 'Manage admin' }).click();
		const me = page.getByRole('dialog', { name: 'Manage admin' });
		await me.getByRole('button', { name: 'Deactivate' }).click();
		await me.getByText('Cannot deactivate your own account.').waitFor();
		check(true, 'deactivating oneself: "Cannot deactivate your own account."');
		await me.getByLabel('Role').selectOption('viewer');
		await me.getByRole('button', { name: 'Save changes' }).click();
		await me.getByText('Cannot change your own role or disable your own account.').waitFor();
		check(true, 'demoting oneself: "Cannot change your own role or disable your own account."');
		await shot(page, 'self-guard');
		await me.getByRole('button', { name: 'Delete' }).click();
		await page.getByRole('dialog', { name: 'Delete admin?' }).getByRole('button', { name: 'Delete admin', exact: true }).click();
		await page.getByText('Cannot delete your own account.').waitFor();
		check(true, 'deleting oneself: "Cannot delete your own account."');
		const a = await userNamed(call, 'admin');
		check(a.status === 'active' && a.roles.join() === 'admin', 'the admin is still an active admin');
	},

	// The approval queue with its count; approve with a role, reject after a confirmation.
	async queue(page) {
		const call = await apiClient();
		await openConsole(page, '#users');
		const pending = (await call('GET', '/admin/users/?status=pending&limit=1')).body.total;
		await page.waitForSelector('.queue:not([hidden])');
		check((await page.textContent('#queue-title .count')) === String(pending), `the queue shows its count (${pending})`);
		await axe(page, 'the users page with the approval queue');
		await shotBoth(page, 'queue');
		await page.getByLabel('Role for pend-one').selectOption('editor');
		await page.getByRole('button', { name: 'Approve pend-one' }).click();
		await page.waitForFunction((n) => document.querySelector('#queue-title .count') === null || document.querySelector('#queue-title .count').textContent === String(n), pending - 1);
		const one = await userNamed(call, 'pend-one');
		check(one.status === 'active' && one.roles.join() === 'editor', 'approve: the API holds pend-one active, editor');
		await page.getByRole('button', { name: 'Reject pend-two' }).click();
		await page.getByRole('dialog', { name: 'Reject pend-two?' }).getByRole('button', { name: 'Reject pend-two', exact: true }).click();
		await page.waitForFunction(() => document.getElementById('status').textContent.includes('Rejected pend-two'));
		check(await userNamed(call, 'pend-two') === null, 'reject: the API no longer has pend-two');
		check((await call('GET', '/admin/users/?status=pending&limit=1')).body.total === pending - 2, 'two fewer pending users');
	},

	// Reset a password, typed and generated (shown once, with Copy), and delete with a confirmation naming the user.
	async reset(page) {
		const call = await apiClient();
		await openConsole(page, '#users?search=reset-me');
		await page.getByRole('button', { name: 'Manage reset-me' }).click();
		await page.getByRole('dialog').getByRole('button', { name: 'Reset password' }).click();
		let dlg = page.getByRole('dialog', { name: 'Reset the password of reset-me' });
		await dlg.getByLabel('New password').fill('short');
		await dlg.getByRole('button', { name: 'Reset password' }).click();
		await page.waitForFunction(() => /at least 8/.test(document.querySelector('dialog input[name=password]').closest('.field').textContent));
		check(true, '422 at the password field');
		await dlg.getByLabel('New password').fill('typed-pass-9');
		await dlg.getByRole('button', { name: 'Reset password' }).click();
		await dlg.getByText('was reset').waitFor();
		let login = await fetch(`${base}/api/auth/login`, { method: 'POST', body: new URLSearchParams({ username: 'reset-me', password: 'typed-pass-9' }) });
		check(login.status === 200, 'the typed password signs reset-me in');
		await page.keyboard.press('Escape');
		await page.getByRole('button', { name: 'Manage reset-me' }).click();
		await page.getByRole('dialog').getByRole('button', { name: 'Reset password' }).click();
		dlg = page.getByRole('dialog', { name: 'Reset the password of reset-me' });
		await dlg.getByLabel('Generate one (shown once)').check();
		await dlg.getByRole('button', { name: 'Reset password' }).click();
		const secret = dlg.getByLabel('Generated password');
		await secret.waitFor();
		const generated = await secret.inputValue();
		check(generated.length === 20, 'a generated password of 20 characters is shown');
		await dlg.getByRole('button', { name: 'Copy' }).click();
		await dlg.getByText('Copied.').waitFor();
		check(await page.evaluate(() => navigator.clipboard.readText()) === generated, 'Copy puts it on the clipboard');
		await shot(page, 'generated-password');
		login = await fetch(`${base}/api/auth/login`, { method: 'POST', body: new URLSearchParams({ username: 'reset-me', password: generated }) });
		check(login.status === 200, 'the generated password signs reset-me in');
		login = await fetch(`${base}/api/auth/login`, { method: 'POST', body: new URLSearchParams({ username: 'reset-me', password: 'typed-pass-9' }) });
		check(login.status === 401, 'the typed one no longer does');
		await page.keyboard.press('Escape');
		check(!(await page.content()).includes(generated), 'closed, the generated password is nowhere in the page');
		// Delete.
		await page.getByRole('button', { name: 'Manage reset-me' }).click();
		await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
		dlg = page.getByRole('dialog', { name: 'Delete reset-me?' });
		check((await dlg.textContent()).includes('reset-me'), 'the confirmation names the user');
		await axe(page, 'the delete confirmation');
		await shotBoth(page, 'delete-confirm');
		await dlg.getByRole('button', { name: 'Cancel' }).click();
		check(await userNamed(call, 'reset-me') !== null, 'Cancel deletes nothing');
		await page.getByRole('button', { name: 'Manage reset-me' }).click();
		await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
		await page.getByRole('dialog', { name: 'Delete reset-me?' }).getByRole('button', { name: 'Delete reset-me', exact: true }).click();
		await page.waitForFunction(() => document.getElementById('status').textContent.includes('Deleted reset-me'));
		check(await userNamed(call, 'reset-me') === null, 'the API no longer has reset-me');
	},

	// An instance with password_min_length = 24 (65-console-users.bats): a generated password, for a new user and
	// for a reset, is 24 characters and accepted; the page's first load does not fetch the OpenAPI document the
	// minimum is read from.
	async minimum(page) {
		const min = 24;
		const call = await apiClient();
		const short = await call('POST', '/admin/users/', { username: 'short-pw', password: 'x'.repeat(20), role: 'viewer' });
		check(short.status === 422, `the instance refuses a password of 20 characters (${short.status}): the setting is in force`);
		const asked = [];
		page.on('request', (r) => { if (r.url().includes('openapi.json')) asked.push(r.url()); });
		await openConsole(page, '#users');
		await page.waitForSelector('table caption');
		check(asked.length === 0, 'the first load of the users page does not fetch the OpenAPI document');
		// Create with a generated password.
		await page.getByRole('button', { name: 'New user' }).click();
		const dlg = page.getByRole('dialog', { name: 'New user' });
		await dlg.getByLabel('Username').fill('gen-new');
		await dlg.getByRole('button', { name: 'Generate' }).click();
		await page.waitForFunction(() => document.querySelector('dialog input[name=password]').value !== '');
		const made = await dlg.getByLabel('Password', { exact: true }).inputValue();
		check(made.length === min && /^[A-Za-z0-9_-]+$/.test(made), `Generate gives ${min} characters (${made.length})`);
		await dlg.getByRole('button', { name: 'Create user' }).click();
		await page.waitForFunction(() => document.getElementById('status').textContent.includes('Created user gen-new'));
		check(await userNamed(call, 'gen-new') !== null, 'the API holds gen-new');
		let login = await fetch(`${base}/api/auth/login`, { method: 'POST', body: new URLSearchParams({ username: 'gen-new', password: made }) });
		check(login.status === 200, 'the generated password signs gen-new in');
		// Reset with a generated password.
		await page.getByLabel('Search users').fill('gen-new');
		await page.getByRole('button', { name: 'Manage gen-new' }).click();
		await page.getByRole('dialog').getByRole('button', { name: 'Reset password' }).click();
		const rd = page.getByRole('dialog', { name: 'Reset the password of gen-new' });
		await rd.getByLabel('Generate one (shown once)').check();
		await rd.getByRole('button', { name: 'Reset password' }).click();
		const secret = rd.getByLabel('Generated password');
		await secret.waitFor();
		const reset = await secret.inputValue();
		check(reset.length === min && reset !== made, `the reset's generated password has ${min} characters (${reset.length})`);
		login = await fetch(`${base}/api/auth/login`, { method: 'POST', body: new URLSearchParams({ username: 'gen-new', password: reset }) });
		check(login.status === 200, 'the reset\'s generated password signs gen-new in');
		login = await fetch(`${base}/api/auth/login`, { method: 'POST', body: new URLSearchParams({ username: 'gen-new', password: made }) });
		check(login.status === 401, 'the first one no longer does');
		check(asked.length === 1, `the OpenAPI document was fetched once, when first needed (${asked.length})`);
	},

	// CSV export: a download of what GET /admin/users/export.csv gives; and the overview's counts.
	async export(page) {
		const call = await apiClient();
		await openConsole(page, '#users');
		const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
		const csv = readFileSync(await dl.path(), 'utf8');
		const total = (await call('GET', '/admin/users/?limit=1')).body.total;
		check(/^users-.*\.csv$/.test(dl.suggestedFilename()) || dl.suggestedFilename().endsWith('.csv'), `a CSV file is downloaded (${dl.suggestedFilename()})`);
		check(csv.startsWith('"email"') || csv.startsWith('email'), 'with the export\'s header');
		check(csv.trim().split('\n').length === total + 1, `one line per user (${total}) and the header`);
		await page.getByRole('link', { name: 'Overview' }).click();
		await page.waitForSelector('.cards');
		const stats = (await call('GET', '/admin/stats/')).body;
		const cards = await page.$$eval('.card a', (as) => Object.fromEntries(as.map((a) => [a.querySelector('.card-label').textContent, a.querySelector('.card-n').textContent.replace(/\D/g, '')])));
		console.log(JSON.stringify(cards), JSON.stringify(stats.users_by_status));
		check(cards['Users in total'] === String(stats.total_users), 'the overview shows total_users');
		for (const [k, v] of Object.entries(stats.users_by_status)) check(cards[k[0].toUpperCase() + k.slice(1)] === String(v), `and ${k}: ${v}`);
		await axe(page, 'the overview');
		await shotBoth(page, 'overview');
		await page.getByRole('link', { name: /Pending/ }).click();
		await page.waitForFunction(() => document.querySelector('caption') && document.querySelector('caption').textContent.includes('matching'));
		check(await page.getByLabel('Status').inputValue() === 'pending', 'a card leads to the users of that status');
	},
};

await run(scenarios, process.argv[2]);
