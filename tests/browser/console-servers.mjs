// console-servers.mjs: the console as another web server serves it from the shipped configuration (lighttpd at
// /gatehouse/console/, Apache from the shared-hosting .htaccess): the page arrives with the strict CSP, signs in,
// lists users and creates one, which the API then holds.   node console-servers.mjs smoke
import { apiClient, base, check, consolePath, openConsole, run, shot, userNamed } from './console-lib.mjs';

const scenarios = {
	async smoke(page) {
		const res = await fetch(`${base}${consolePath}`);
		const csp = res.headers.get('content-security-policy') || '';
		check(res.status === 200 && (await res.text()).includes('<title>gatehouse console</title>'), `${consolePath} serves the console's index.html`);
		check(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"), `with the strict CSP (${csp})`);
		await openConsole(page, '#users');
		await page.waitForSelector('table caption');
		await page.getByRole('button', { name: 'New user' }).click();
		const dlg = page.getByRole('dialog', { name: 'New user' });
		await dlg.getByLabel('Username').fill('served-user');
		await dlg.getByLabel('Password', { exact: true }).fill('served-pass-1');
		await dlg.getByRole('button', { name: 'Create user' }).click();
		await page.waitForFunction(() => !document.querySelector('dialog'));
		await shot(page, 'served');
		const call = await apiClient();
		check(await userNamed(call, 'served-user') !== null, 'the user created in the page is in the API');
	},
};

await run(scenarios, process.argv[2]);
