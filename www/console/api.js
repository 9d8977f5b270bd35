// api.js: the console's only way to the API. It holds the access token in memory (never in storage), gets it
// with the reference's cookie mode (the refresh token lives in an HttpOnly cookie scoped to <api>/auth, the CSRF
// token in the script-readable geolens_csrf cookie), refreshes it once when a call answers 401, and sends the
// browser to the sign-in page, with the console's address as rd, when no refresh is possible any more.

const meta = document.querySelector('meta[name="gatehouse-api"]');
const rawBase = meta ? meta.content : '/api';
/** The API's base path ("/api"), from <meta name="gatehouse-api">, same origin only. */
export const apiBase = /^\/[A-Za-z0-9._~\/-]*$/.test(rawBase) ? rawBase.replace(/\/$/, '') : '/api';

let token = null;
let refreshing = null;
const listeners = { unavailable: [], available: [], signedOut: [] };

/**
 * on('unavailable', fn(status)) when the API answers 502/503/504 or cannot be reached; on('available', fn) when
 * it answers again; on('signedOut', fn).
 */
export function on(what, fn) {
	listeners[what].push(fn);
}

function emit(what, arg) {
	listeners[what].forEach((fn) => fn(arg));
}

function csrfCookie() {
	const m = document.cookie.match(/(?:^|;\s*)geolens_csrf=([^;]*)/);
	return m ? decodeURIComponent(m[1]) : '';
}

/** The sign-in page's address with rd = this page, in cookie mode (relative, so any mount point works). */
export function signInUrl(extra = '') {
	const here = window.location.pathname + window.location.search + window.location.hash;
	return `../signin.html?mode=cookie&rd=${encodeURIComponent(here)}${extra}`;
}

/** Leaves for the sign-in page; the console comes back to where it was. */
export function toSignIn(reason = 'expired') {
	emit('signedOut', reason);
	window.location.assign(signInUrl(`&reason=${encodeURIComponent(reason)}`));
}

async function send(path, { method = 'GET', json, headers = {}, raw = false } = {}) {
	const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
	if (token && !init.headers.Authorization) init.headers.Authorization = `Bearer ${token}`;
	if (json !== undefined) {
		init.body = JSON.stringify(json);
		init.headers['Content-Type'] = 'application/json';
	}
	let res;
	try {
		res = await fetch(apiBase + path, init);
	} catch {
		return { status: 0, body: null, headers: new Headers() };
	}
	if (raw && res.ok) return { status: res.status, blob: await res.blob(), headers: res.headers };
	let body = null;
	if ((res.headers.get('Content-Type') || '').includes('json')) {
		try {
			body = await res.json();
		} catch {
			body = null;
		}
	}
	return { status: res.status, body, headers: res.headers };
}

/**
 * A new access token from the refresh cookie. Resolves true when one was obtained. Calls made at the same time
 * share one refresh (the refresh token rotates).
 */
export function refresh() {
	if (!refreshing) {
		refreshing = (async () => {
			const csrf = csrfCookie();
			if (!csrf) return { status: 401 };
			token = null;
			const r = await send('/auth/refresh/', {
				method: 'POST', headers: { 'X-GeoLens-Auth-Mode': 'cookie', 'X-CSRF-Token': csrf },
			});
			if (r.status === 200 && r.body && r.body.access_token) token = r.body.access_token;
			return r;
		})().finally(() => { refreshing = null; });
	}
	return refreshing;
}

/**
 * Calls the API with the access token: resolves to { status, body, headers } (or { status, blob } with raw).
 * A 401 is answered by one refresh and one retry; when that fails too the browser goes to sign in. 502, 503,
 * 504 and an unreachable server are reported to the 'unavailable' listeners and returned.
 */
export async function api(path, opts = {}) {
	if (!token && !opts.noAuth) await refresh();
	let r = await send(path, opts);
	if (r.status === 401 && !opts.noAuth && !opts.no401) {
		const f = await refresh();
		if (f.status !== 200) {
			if (f.status === 0 || f.status >= 502) {
				emit('unavailable', f.status);
				return f;
			}
			toSignIn('expired');
			return new Promise(() => {});	// the page is leaving
		}
		r = await send(path, opts);
	}
	if (r.status === 0 || r.status === 502 || r.status === 503 || r.status === 504) emit('unavailable', r.status);
	else emit('available');
	return r;
}

/** Forgets the access token (after signing out). */
export function forget() {
	token = null;
}

/** The detail of a problem body as one readable sentence. */
export function problemText(r, fallback = 'The request failed') {
	const body = r && r.body;
	if (r && r.status === 0) return 'The server could not be reached. Check the connection and try again.';
	if (r && (r.status === 502 || r.status === 503 || r.status === 504)) {
		const wait = Number(r.headers && r.headers.get('Retry-After')) || 0;
		return `The service is not available right now (${r.status}).` + (wait ? ` Try again in ${wait} s.` : ' Try again shortly.');
	}
	if (r && r.status === 429) {
		const wait = Number(r.headers && r.headers.get('Retry-After')) || 0;
		return 'Too many requests.' + (wait ? ` Try again in ${wait} s.` : ' Try again shortly.');
	}
	if (!body) return `${fallback} (${r ? r.status : '?'}).`;
	if (typeof body.detail === 'string') return body.detail.endsWith('.') ? body.detail : `${body.detail}.`;
	if (Array.isArray(body.detail) && body.detail.length > 0) return body.detail.map((d) => d.msg).join('. ') + '.';
	return `${fallback} (${r.status}).`;
}
