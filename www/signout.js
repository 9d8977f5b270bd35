// signout.js: POST /auth/logout/ with the session cookie (a button, so another site cannot sign you out with a
// link), then back to the sign-in page.
import { api, problemText, say } from './gatehouse.js';

const form = document.getElementById('signout');
const message = document.getElementById('message');
const submit = document.getElementById('submit');

form.addEventListener('submit', async (event) => {
	event.preventDefault();
	submit.disabled = true;
	const { status, body } = await api('/auth/logout/', { method: 'POST' });
	submit.disabled = false;
	if (status === 204 || status === 401) {
		// 401: no session any more; either way the browser is signed out now.
		window.location.replace('signin.html?signedout=1');
		return;
	}
	say(message, status === 0 ? 'The server could not be reached. Try again.'
		: `Signing out failed (${status}): ${problemText(body, 'please try again')}.`);
	submit.focus();
});
submit.focus();
