// signin.js: signs in with a site session (X-Gatehouse-Auth-Mode: session) and returns to rd when it is a path
// on this origin. With mode=cookie (what the admin console asks for) it signs in with the reference's cookie mode
// instead (X-GeoLens-Auth-Mode: cookie): the refresh token goes into its HttpOnly cookie, from which the console
// takes its access tokens; reason=expired says why the console sent the browser here.
import { api, problemText, safeReturn, say } from './gatehouse.js';

const params = new URLSearchParams(window.location.search);
const target = safeReturn(params.get('rd'));
const cookieMode = params.get('mode') === 'cookie';
const form = document.getElementById('signin');
const message = document.getElementById('message');
const submit = document.getElementById('submit');
const fields = { username: document.getElementById('username'), password: document.getElementById('password') };

function invalid(name, on) {
	if (fields[name]) fields[name].setAttribute('aria-invalid', on ? 'true' : 'false');
}

function showSignedIn(user) {
	document.getElementById('title').textContent = 'Signed in';
	document.getElementById('lead').textContent = 'Your session is active.';
	document.getElementById('who').textContent = user.username;
	document.getElementById('continue').href = target;
	form.hidden = true;
	document.getElementById('signed-in').hidden = false;
	document.getElementById('continue').focus();
}

async function onSubmit(event) {
	event.preventDefault();
	invalid('username', false);
	invalid('password', false);
	const username = fields.username.value;
	const password = fields.password.value;
	const missing = [];
	if (username.trim() === '') missing.push('username');
	if (password === '') missing.push('password');
	if (missing.length > 0) {
		missing.forEach((name) => invalid(name, true));
		say(message, missing.length === 2 ? 'Enter your username and password.' : `Enter your ${missing[0]}.`);
		fields[missing[0]].focus();
		return;
	}
	submit.disabled = true;
	submit.textContent = 'Signing in…';
	const { status, body, headers } = await api('/auth/login', {
		method: 'POST',
		form: { username, password },
		headers: cookieMode ? { 'X-GeoLens-Auth-Mode': 'cookie' } : { 'X-Gatehouse-Auth-Mode': 'session' },
	});
	submit.disabled = false;
	submit.textContent = 'Sign in';
	if (status === 200) {
		say(message, 'Signed in. Taking you back…', 'ok');
		window.location.replace(target);
		return;
	}
	fields.password.value = '';
	if (status === 401) {
		invalid('username', true);
		invalid('password', true);
		say(message, 'That username and password do not match an account. Check them and try again.');
		fields.username.focus();
	} else if (status === 403) {
		say(message, problemText(body, 'This account cannot sign in.') === 'Your account is awaiting approval'
			? 'Your account is waiting for an administrator to approve it.'
			: 'This account is not active. Ask an administrator to enable it.');
		fields.username.focus();
	} else if (status === 429) {
		const wait = Number(headers.get('Retry-After')) || 0;
		say(message, wait > 0
			? `Too many failed attempts. Try again in ${wait} second${wait === 1 ? '' : 's'}.`
			: 'Too many failed attempts. Try again in a little while.');
		fields.password.focus();
	} else if (status === 422) {
		const entries = Array.isArray(body && body.detail) ? body.detail : [];
		entries.forEach((d) => invalid(Array.isArray(d.loc) ? d.loc[d.loc.length - 1] : '', true));
		say(message, entries.length > 0
			? entries.map((d) => `${Array.isArray(d.loc) ? d.loc[d.loc.length - 1] : 'input'}: ${d.msg}`).join('. ')
			: problemText(body, 'The form was not accepted.'));
		fields.username.focus();
	} else if (status === 0) {
		say(message, 'The server could not be reached. Check your connection and try again.');
	} else {
		say(message, `Signing in failed (${status}): ${problemText(body, 'please try again later')}.`);
	}
}

form.addEventListener('submit', onSubmit);

if (cookieMode) {
	// The console needs its own sign-in (a site session does not reach the admin API): always show the form.
	document.getElementById('lead').textContent = 'Sign in to open the admin console.';
	if (params.get('reason') === 'expired') {
		say(message, 'Your session has ended. Sign in again to continue where you were.', 'info');
	} else if (params.get('reason') === 'password') {
		say(message, 'Your password was changed and every session ended. Sign in with the new password.', 'ok');
	}
	fields.username.focus();
} else if (params.get('signedout') === '1') {
	say(message, 'You are signed out.', 'ok');
	fields.username.focus();
} else {
	checkSignedIn();
}

// Already signed in? Say so instead of asking again.
function checkSignedIn() {
	api('/auth/me/').then(({ status, body }) => {
		if (status === 200 && body && body.username) showSignedIn(body);
		else fields.username.focus();
	});
}
