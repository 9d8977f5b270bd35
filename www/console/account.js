// account.js: My account, for every signed-in user: who I am, change my password, my API keys, sign out
// everywhere. A viewer who opens the console sees this page only.
import { api, forget, problemText } from './api.js';
import { announce, field, h, say, showFieldErrors, sortableTable, when } from './ui.js';
import { keyDialog, revoke } from './keys.js';

export async function render(root, ctx) {
	const me = ctx.me;
	root.append(h('section', { 'aria-labelledby': 'me-title' },
		h('h2', { id: 'me-title', text: 'Profile' }),
		h('dl.facts', {},
			h('dt', { text: 'Username' }), h('dd', { text: me.username }),
			h('dt', { text: 'Email' }), h('dd', { text: me.email || '—' }),
			h('dt', { text: 'Roles' }), h('dd', { text: (me.roles || []).join(', ') || '—' }),
			h('dt', { text: 'Last login' }), h('dd', { text: when(me.last_login_at) }))));

	// Change password.
	const alert = h('div.message', { role: 'alert' });
	const f = {
		current_password: field({ name: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password' }),
		new_password: field({ name: 'new_password', label: 'New password', type: 'password', autocomplete: 'new-password', hint: 'At least 8 characters.' }),
		repeat: field({ name: 'repeat', label: 'Repeat the new password', type: 'password', autocomplete: 'new-password' }),
	};
	const submit = h('button', { type: 'submit', text: 'Change password' });
	const form = h('form.narrow', { noValidate: true, 'aria-labelledby': 'pw-title' }, alert, Object.values(f).map((x) => x.wrap), h('div.actions', {}, submit));
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		showFieldErrors(f, null);
		if (f.new_password.input.value !== f.repeat.input.value) {
			f.repeat.error.textContent = 'The two new passwords differ.';
			f.repeat.input.setAttribute('aria-invalid', 'true');
			f.repeat.input.focus();
			say(alert, 'The two new passwords differ.');
			return;
		}
		submit.disabled = true;
		const r = await api('/auth/change-password/', {
			method: 'POST', json: { current_password: f.current_password.input.value, new_password: f.new_password.input.value }, no401: true,
		});
		submit.disabled = false;
		if (r.status === 204) {
			// Every session ended, this one too: sign in again with the new password.
			forget();
			window.location.assign(`../signin.html?mode=cookie&reason=password&rd=${encodeURIComponent(window.location.pathname + '#account')}`);
			return;
		}
		if (r.status === 400) {
			f.current_password.error.textContent = 'The current password is not right.';
			f.current_password.input.setAttribute('aria-invalid', 'true');
			f.current_password.input.focus();
			say(alert, 'The current password is not right.');
			return;
		}
		const left = showFieldErrors(f, r);
		say(alert, r.status === 422 && left.length === 0 ? 'Check the highlighted fields.' : problemText(r, 'The password was not changed'));
	});
	root.append(h('section', { 'aria-labelledby': 'pw-title' }, h('h2', { id: 'pw-title', text: 'Change password' }),
		h('p.muted', { text: 'Changing it signs you out everywhere and ends your API keys.' }), form));

	// My API keys.
	const keyList = h('div.list');
	const columns = [
		{ label: 'Name', cell: (k) => k.name },
		{ label: 'Key', cell: (k) => h('code', { text: k.fingerprint }) },
		{ label: 'Scope', cell: (k) => (k.scope === 'read_only' ? 'read only' : k.scope) },
		{ label: 'Expires', cell: (k) => (k.expires_at ? when(k.expires_at) : 'never') },
		{ label: 'Last used', cell: (k) => when(k.last_used_at) },
		{ label: 'Actions', cell: (k) => (k.is_active ? h('button.secondary.small.danger', { type: 'button', text: 'Revoke', 'aria-label': `Revoke ${k.name}`, onclick: () => revoke(k, `/auth/api-keys/${k.id}`, loadKeys) }) : 'revoked') },
	];
	async function loadKeys() {
		const r = await api('/auth/api-keys/?limit=200');
		if (r.status !== 200) {
			keyList.replaceChildren(h('p.message.error', { text: problemText(r, 'Your keys could not be listed') }));
			return;
		}
		const t = sortableTable('My API keys', columns, {}, () => {});
		t.render(r.body.items, 'You have no API keys.');
		keyList.replaceChildren(h('div.table-wrap', { tabindex: '0', 'aria-label': 'My API keys table' }, t.table));
	}
	root.append(h('section', { 'aria-labelledby': 'keys-title' }, h('h2', { id: 'keys-title', text: 'My API keys' }),
		h('div.actions', {}, h('button', {
			type: 'button', text: 'New API key',
			onclick: () => keyDialog('New API key for me', {}, (body) => api('/auth/api-keys/', { method: 'POST', json: body }), loadKeys),
		})), keyList));

	// Sign out everywhere.
	const out = h('button.danger', {
		type: 'button', text: 'Sign out everywhere',
		onclick: async () => {
			const r = await api('/auth/logout/', { method: 'POST', no401: true });
			if (r.status === 204 || r.status === 401) {
				forget();
				window.location.assign('../signin.html?signedout=1');
			} else announce(problemText(r, 'Signing out failed'), 'error');
		},
	});
	root.append(h('section', { 'aria-labelledby': 'out-title' }, h('h2', { id: 'out-title', text: 'Sessions' }),
		h('p.muted', { text: 'Ends every session of your account, in every browser and program that signed in with your password. API keys keep working.' }), out));
	await loadKeys();
}
