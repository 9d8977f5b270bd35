// console-scale.mjs: the users page on 100,000 users. Every list request must carry a limit of at most a page;
// times are printed for the log, not asserted.   node console-scale.mjs scale
import { apiClient, check, openConsole, run, shotBoth } from './console-lib.mjs';

const scenarios = {
	async scale(page) {
		const call = await apiClient();
		const lists = [];
		page.on('request', (r) => { if (/\/api\/admin\/(users|api-keys|audit-logs)\/?\?/.test(r.url())) lists.push(r.url()); });
		let t0 = Date.now();
		await openConsole(page, '#users');
		await page.waitForSelector('table caption');
		console.log(`sign-in to a shown users page: ${Date.now() - t0} ms`);
		const total = (await call('GET', '/admin/users/?limit=1')).body.total;
		check((await page.textContent('.pager-count')).includes(`of ${total.toLocaleString('en-US')}`) || (await page.textContent('.pager-count')).includes(`of ${total.toLocaleString()}`), `the total: ${total}`);
		check(await page.locator('tbody tr').count() === 25, '25 rows, not 100,000');
		check((await page.textContent('#queue-title .count')).replace(/\D/g, '') === '2000' && await page.locator('.queue-list li').count() === 10, 'the queue counts 2,000 pending and lists the 10 oldest');
		await shotBoth(page, 'scale-users');
		t0 = Date.now();
		await page.getByLabel('Search users').fill('load99999');
		await page.waitForFunction(() => document.querySelector('caption').textContent.includes('matching'));
		console.log(`search load99999: ${Date.now() - t0} ms (300 ms of it the debounce)`);
		check(await page.locator('tbody tr').count() === 1 && (await page.textContent('tbody')).includes('load99999@example.com'), 'the search finds the one user');
		await page.getByLabel('Search users').fill('');
		await page.waitForFunction(() => !document.querySelector('caption').textContent.includes('matching'));
		t0 = Date.now();
		await page.getByRole('button', { name: /^Email/ }).click();
		await page.waitForFunction(() => document.querySelector('th[aria-sort="ascending"]') && document.querySelector('th[aria-sort="ascending"]').textContent.startsWith('Email'));
		await page.getByRole('button', { name: /^Email/ }).click();
		await page.waitForFunction(() => document.querySelector('th[aria-sort="descending"]'));
		console.log(`sort by email, both ways: ${Date.now() - t0} ms`);
		const top = (await call('GET', '/admin/users/?sort=email&order=desc&limit=1')).body.users[0].username;
		check((await page.textContent('tbody tr td[data-label="Name"]')) === top, `email descending starts with ${top}, as the API`);
		t0 = Date.now();
		const last = Math.floor((total - 1) / 25) * 25;
		await page.goto(`${page.url().split('#')[0]}#users?skip=${last}`);
		await page.reload();
		await page.waitForFunction((n) => document.querySelector('.pager-count') && document.querySelector('.pager-count').textContent.replace(/\D/g, '').startsWith(String(n + 1)), last);
		console.log(`the last page (skip=${last}): ${Date.now() - t0} ms`);
		check(await page.getByRole('button', { name: 'Next page' }).isDisabled(), 'the last page: Next is disabled');
		check(await page.locator('tbody tr').count() === total - last, `it holds the last ${total - last} users`);
		// The pickers of the keys page search; they never list everyone.
		await page.goto(`${page.url().split('#')[0]}#keys`);
		await page.waitForSelector('table caption');
		await page.getByLabel('Filter by user').pressSequentially('load4242', { delay: 20 });
		await page.waitForFunction(() => [...document.querySelectorAll('datalist option')].some((o) => o.value === 'load4242'));
		check(true, 'the keys page\'s user filter suggests load4242 from a search');
		const big = lists.filter((u) => Number(new URL(u).searchParams.get('limit') || 50) > 25);
		check(big.length === 0, `no list request asked for more than 25 rows (${lists.length} requests; ${big.join(' ')})`);
		check(lists.every((u) => new URL(u).searchParams.has('limit')), 'every list request names its limit');
	},
};

await run(scenarios, process.argv[2]);
