// gatehouse.js: what the sign-in pages share. The API's address comes from <meta name="gatehouse-api">.

/** The API's base path, e.g. "/api", from the page's meta tag (same origin only). */
export function apiBase() {
	const meta = document.querySelector('meta[name="gatehouse-api"]');
	const base = meta ? meta.content : '/api';
	return /^\/[A-Za-z0-9._~\/-]*$/.test(base) ? base.replace(/\/$/, '') : '/api';
}

/**
 * Where to go after signing in: rd when it is a path on this origin, else "/". Refuses absolute URLs (a scheme
 * and a host), protocol-relative ones (//evil), backslashes (/\evil, which browsers read as //evil), control
 * characters and anything that resolves to another origin. rd arrives decoded once by URLSearchParams, so an
 * encoded form (%2F%2Fevil) is seen as what it decodes to, and a doubly encoded one is no path at all.
 */
export function safeReturn(rd) {
	if (typeof rd !== 'string' || rd === '' || rd.length > 2048) return '/';
	if (/[\u0000-\u001f\u007f-\u009f\\]/.test(rd)) return '/';
	if (rd[0] !== '/' || rd[1] === '/') return '/';
	let url;
	try {
		url = new URL(rd, window.location.origin);
	} catch {
		return '/';
	}
	if (url.origin !== window.location.origin) return '/';
	return url.pathname + url.search + url.hash;
}

/** Calls the API with the session cookie; resolves to { status, body } (body parsed when JSON). */
export async function api(path, { method = 'GET', form, json, headers = {} } = {}) {
	const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
	if (form) init.body = new URLSearchParams(form);
	if (json) {
		init.body = JSON.stringify(json);
		init.headers['Content-Type'] = 'application/json';
	}
	let res;
	try {
		res = await fetch(apiBase() + path, init);
	} catch {
		return { status: 0, body: null, headers: new Headers() };
	}
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

/** The detail of a problem body as one readable sentence. */
export function problemText(body, fallback) {
	if (!body) return fallback;
	if (typeof body.detail === 'string') return body.detail;
	if (Array.isArray(body.detail) && body.detail.length > 0) {
		return body.detail.map((d) => d.msg).join('. ');
	}
	return fallback;
}

/** Shows a message in a live region (role="alert" announces it) and returns focus to where it helps. */
export function say(el, text, kind = 'error') {
	el.className = 'message ' + kind;
	el.textContent = text;
}
