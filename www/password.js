// password.js: POST /auth/change-password/ with the session cookie. Success ends every session, this one too.
import { api, problemText, say } from './gatehouse.js';

const form = document.getElementById('change');
const message = document.getElementById('message');
const submit = document.getElementById('submit');
const f = {
	current_password: document.getElementById('current_password'),
	new_password: document.getElementById('new_password'),
	repeat: document.getElementById('repeat'),
};

function mark(name, on) {
	if (f[name]) f[name].setAttribute('aria-invalid', on ? 'true' : 'false');
}

function needSignIn() {
	say(message, 'You are not signed in. Sign in first, then come back to change your password.');
	const link = document.createElement('a');
	link.href = 'signin.html?rd=' + encodeURIComponent('/password.html');
	link.textContent = ' Sign in';
	message.append(link);
	form.hidden = true;
	document.getElementById('lead').hidden = true;
}

api('/auth/me/').then(({ status, body }) => {
	if (status === 200 && body) {
		document.getElementById('who').textContent = body.username;
		f.current_password.focus();
	} else needSignIn();
});

form.addEventListener('submit', async (event) => {
	event.preventDefault();
	Object.keys(f).forEach((k) => mark(k, false));
	if (f.current_password.value === '' || f.new_password.value === '') {
		const first = f.current_password.value === '' ? 'current_password' : 'new_password';
		mark(first, true);
		say(message, first === 'current_password' ? 'Enter your current password.' : 'Enter a new password.');
		f[first].focus();
		return;
	}
	if (f.new_password.value !== f.repeat.value) {
		mark('repeat', true);
		say(message, 'The two new passwords differ. Type the same one twice.');
		f.repeat.focus();
		return;
	}
	submit.disabled = true;
	const { status, body } = await api('/auth/change-password/', {
		method: 'POST',
		json: { current_password: f.current_password.value, new_password: f.new_password.value },
	});
	submit.disabled = false;
	if (status === 204) {
		form.reset();
		form.hidden = true;
		say(message, 'Your password is changed, and every session has ended. Sign in again with the new one.', 'ok');
		const link = document.createElement('a');
		link.href = 'signin.html';
		link.textContent = ' Sign in';
		message.append(link);
		link.focus();
		return;
	}
	if (status === 401) {
		needSignIn();
	} else if (status === 400) {
		mark('current_password', true);
		say(message, 'The current password is not right.');
		f.current_password.focus();
	} else if (status === 422) {
		const entries = Array.isArray(body && body.detail) ? body.detail : [];
		entries.forEach((d) => mark(Array.isArray(d.loc) ? d.loc[d.loc.length - 1] : '', true));
		say(message, entries.length > 0 ? entries.map((d) => d.msg).join('. ') + '.'
			: problemText(body, 'The new password was not accepted.'));
		f.new_password.focus();
	} else if (status === 429) {
		say(message, 'Too many attempts. Try again in a little while.');
	} else {
		say(message, status === 0 ? 'The server could not be reached. Try again.'
			: `Changing the password failed (${status}): ${problemText(body, 'please try again')}.`);
	}
});
