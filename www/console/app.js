// app.js: the console's shell. Obtains an access token (cookie mode; else off to sign in and back), reads the
// caller's capabilities from /auth/me/permissions/, shows only the sections they allow, and routes #hash to a
// page module. A viewer (no manage_users) sees their own account only.
import { api, forget, on, problemText, refresh, toSignIn } from './api.js';
import { clearAnnouncements, h } from './ui.js';

const pages = {
	overview: { title: 'Overview', cap: 'manage_users', load: () => import('./overview.js') },
	users: { title: 'Users', cap: 'manage_users', load: () => import('./users.js') },
	keys: { title: 'API keys', cap: 'manage_users', load: () => import('./keys.js') },
	audit: { title: 'Audit log', cap: 'manage_settings', load: () => import('./audit.js') },
	account: { title: 'My account', cap: null, load: () => import('./account.js') },
};

const ctx = { me: null, perms: {}, lastRoute: null };
const banner = document.getElementById('banner');

function showBanner(text) {
	document.getElementById('banner-text').textContent = text;
	banner.hidden = false;
}

on('unavailable', (status) => {
	showBanner(status === 0
		? 'The server could not be reached. Check the connection, then retry.'
		: `The service is not available right now (${status}). Nothing was changed by the last action unless it says so. Retry in a moment.`);
});
on('available', () => { banner.hidden = true; });
document.getElementById('banner-retry').addEventListener('click', () => {
	banner.hidden = true;
	if (!ctx.me) boot();
	else route();
});

/** The route from the hash: #users?search=x -> { name: 'users', params }. */
export function parseHash() {
	const raw = window.location.hash.replace(/^#/, '');
	const [name, query] = raw.split('?');
	return { name, params: new URLSearchParams(query || '') };
}

/** Replaces the hash's parameters without a new history entry per keystroke. */
export function setParams(params, push = false) {
	const { name } = parseHash();
	const q = params.toString();
	const url = `#${name}${q ? `?${q}` : ''}`;
	if (push) window.location.hash = url;
	else window.history.replaceState(null, '', url);
}

function allowed(page) {
	return !page.cap || ctx.perms[page.cap] === true;
}

function defaultRoute() {
	return ctx.perms.manage_users ? 'users' : 'account';
}

async function route() {
	const { name } = parseHash();
	let page = pages[name];
	if (!page || !allowed(page)) {
		window.history.replaceState(null, '', `#${defaultRoute()}`);
		page = pages[defaultRoute()];
	}
	const key = window.location.hash;
	const firstRoute = !ctx.lastRoute;
	const changedPage = firstRoute || ctx.lastRoute.split('?')[0] !== key.split('?')[0];
	ctx.lastRoute = key;
	for (const a of document.querySelectorAll('#nav a')) {
		if (a.getAttribute('href') === `#${parseHash().name}`) a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	}
	document.getElementById('page-title').textContent = page.title;
	document.title = `${page.title} · gatehouse console`;
	if (changedPage) clearAnnouncements();
	const container = document.getElementById('page');
	const mod = await page.load();
	const fresh = h('div', { id: 'page' });
	container.replaceWith(fresh);
	await mod.render(fresh, ctx);
	// Moving to another section puts focus at its start (as a page load would); the first load leaves focus
	// where the browser puts it, so Tab reaches the skip link first.
	if (changedPage && !firstRoute) document.getElementById('main').focus();
}

async function boot() {
	// The access token comes from the refresh cookie of a cookie-mode sign-in; a site session alone does not
	// reach the admin API, so without the cookie the sign-in page is next (and brings the browser back here).
	const f = await refresh();
	if (f.status !== 200) {
		if (f.status === 0 || f.status >= 502) {
			showBanner(problemText(f, 'The service is not available'));
			return;
		}
		toSignIn(document.cookie.includes('geolens_csrf') ? 'expired' : 'signin');
		return;
	}
	const me = await api('/auth/me/');
	if (me.status !== 200) {
		if (me.status === 0 || me.status >= 500) return;	// the banner says why; Retry boots again
		document.getElementById('alert').textContent = problemText(me, 'Could not read your account');
		return;
	}
	const perms = await api('/auth/me/permissions/');
	if (perms.status !== 200) return;
	ctx.me = me.body;
	ctx.perms = perms.body.permissions || {};
	for (const li of document.querySelectorAll('#nav li[data-cap]')) li.hidden = ctx.perms[li.dataset.cap] !== true;
	document.getElementById('nav').hidden = false;
	document.getElementById('who-name').textContent = `Signed in as ${me.body.username}`;
	document.getElementById('who').hidden = false;
	window.addEventListener('hashchange', route);
	await route();
}

document.getElementById('signout').addEventListener('click', async () => {
	const r = await api('/auth/logout/', { method: 'POST', no401: true });
	if (r.status === 204 || r.status === 401) {
		forget();
		window.location.assign('../signin.html?signedout=1');
		return;
	}
	document.getElementById('alert').textContent = problemText(r, 'Signing out failed');
});

boot();
export { ctx, toSignIn };
