// keys.js: an admin's view of everyone's API keys (GET /admin/api-keys/, filtered by user), create one for a
// user with a scope and an expiry (the raw key shown once, with a Copy button), revoke.
import { api, problemText } from './api.js';
import { parseHash, setParams } from './app.js';
import { announce, dialog, field, h, pager, say, secretBox, showFieldErrors, sortableTable, userPicker, when } from './ui.js';

const LIMIT = 25;
const names = new Map();

/** Up to 10 users whose name or email contains text, for the pickers. */
export async function findUsers(text) {
	const q = new URLSearchParams({ limit: '10', sort: 'username', status: 'active' });
	if (text) q.set('search', text);
	const r = await api(`/admin/users/?${q}`);
	if (r.status !== 200) return [];
	r.body.users.forEach((u) => names.set(u.id, u.username));
	return r.body.users;
}

async function nameOf(id) {
	if (!names.has(id)) {
		const r = await api(`/admin/users/${id}`);
		names.set(id, r.status === 200 ? r.body.username : id);
	}
	return names.get(id);
}

/** datetime-local value -> an ISO timestamp with an offset, or null. */
export function isoFromLocal(v) {
	if (!v) return null;
	const d = new Date(v);
	return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

/** The key creation form: fields name, scope, expires_at. Used here and on My account. */
export function keyFields() {
	return {
		name: field({ name: 'name', label: 'Key name', required: true, hint: 'What the key is for, e.g. "backup script".' }),
		scope: field({ name: 'scope', label: 'Scope', options: [['full', 'Full: read and write'], ['read_only', 'Read only']], value: 'read_only' }),
		expires_at: field({ name: 'expires_at', label: 'Expires (optional)', type: 'datetime-local', hint: 'Empty: never. Local time.' }),
	};
}

export async function render(root) {
	const p = parseHash().params;
	const state = { user: p.get('user') || '', skip: Math.max(0, Number.parseInt(p.get('skip') || '0', 10) || 0) };
	const picker = userPicker({ name: 'user_filter', label: 'Filter by user', hint: 'Type part of a name, pick it; empty shows everyone.', search: findUsers });
	if (state.user) picker.set(state.user, await nameOf(state.user));
	const apply = h('button.secondary', { type: 'button', text: 'Apply filter' });
	const create = h('button', { type: 'button', text: 'New API key', onclick: () => createKey(load) });
	const list = h('div.list');
	root.append(h('div.toolbar', {}, picker.wrap, h('div.toolbar-actions', {}, apply, create)), list);

	const save = () => {
		const q = new URLSearchParams();
		if (state.user) q.set('user', state.user);
		if (state.skip) q.set('skip', String(state.skip));
		setParams(q);
	};
	apply.addEventListener('click', async () => {
		const id = await picker.resolve();
		if (id === null) {
			picker.error.textContent = 'No active user has that name. Pick one from the suggestions.';
			picker.input.setAttribute('aria-invalid', 'true');
			picker.input.focus();
			return;
		}
		picker.error.textContent = '';
		picker.input.removeAttribute('aria-invalid');
		state.user = id;
		state.skip = 0;
		save();
		load();
	});
	picker.input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); apply.click(); } });

	const columns = [
		{ label: 'Name', cell: (k) => k.name },
		{ label: 'Owner', cell: (k) => names.get(k.user_id) || k.user_id },
		{ label: 'Key', cell: (k) => h('code', { text: k.fingerprint }) },
		{ label: 'Scope', cell: (k) => (k.scope === 'read_only' ? 'read only' : k.scope) },
		{ label: 'State', cell: (k) => h(`span.badge.status-${k.is_active ? 'active' : 'disabled'}`, { text: k.is_active ? 'active' : 'revoked' }) },
		{ label: 'Expires', cell: (k) => (k.expires_at ? when(k.expires_at) : 'never') },
		{ label: 'Last used', cell: (k) => when(k.last_used_at) },
		{ label: 'Created', cell: (k) => when(k.created_at) },
		{
			label: 'Actions',
			cell: (k) => (k.is_active ? h('button.secondary.small.danger', { type: 'button', text: 'Revoke', 'aria-label': `Revoke ${k.name}`, onclick: () => revoke(k, `/admin/api-keys/${k.id}`, load) }) : ''),
		},
	];

	async function load() {
		const q = new URLSearchParams({ skip: String(state.skip), limit: String(LIMIT) });
		if (state.user) q.set('user_id', state.user);
		const r = await api(`/admin/api-keys/?${q}`);
		if (r.status !== 200) {
			list.replaceChildren(h('p.message.error', { text: problemText(r, 'The keys could not be listed') }));
			return;
		}
		await Promise.all([...new Set(r.body.items.map((k) => k.user_id))].map(nameOf));
		const t = sortableTable(state.user ? `API keys of ${names.get(state.user)}` : 'API keys of every user', columns, {}, () => {});
		t.render(r.body.items, 'No API keys.');
		list.replaceChildren(h('div.table-wrap', { tabindex: '0', 'aria-label': 'API keys table' }, t.table),
			pager('API keys', { skip: state.skip, limit: LIMIT, total: r.body.total }, (skip) => { state.skip = skip; save(); load(); }));
	}
	await load();
}

/** Asks, then revokes a key by DELETE path; calls after() on success. */
export function revoke(k, path, after) {
	const d = dialog(`Revoke ${k.name}?`);
	d.body.append(h('p', {}, 'Programs using ', h('code', { text: k.fingerprint }), ' lose access at once. This cannot be undone.'),
		h('div.actions', {},
			h('button.danger', {
				type: 'button', text: `Revoke ${k.name}`,
				onclick: async () => {
					const r = await api(path, { method: 'DELETE' });
					if (r.status === 204) {
						d.close();
						announce(`Revoked the key ${k.name}.`);
						after();
					} else say(d.alert, problemText(r, 'The key was not revoked'));
				},
			}),
			h('button.secondary', { type: 'button', text: 'Cancel', onclick: d.close })));
	d.body.querySelector('button.secondary').focus();
}

/** Shows the create form in a dialog; post(body) performs the request. */
export function keyDialog(title, extra, post, after) {
	const d = dialog(title);
	const f = { ...extra, ...keyFields() };
	const submit = h('button', { type: 'submit', text: 'Create key' });
	const form = h('form', { noValidate: true }, Object.values(f).map((x) => x.wrap), h('div.actions', {}, submit));
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		const body = { name: f.name.input.value, scope: f.scope.input.value };
		const exp = isoFromLocal(f.expires_at.input.value);
		if (exp) body.expires_at = exp;
		const r = await post(body, f, d);
		if (!r) return;
		if (r.status === 201) {
			form.replaceWith(secretBox('API key', r.body.key, `The key ${r.body.name} (${r.body.fingerprint}). It is shown only now: copy it and store it safely.`));
			d.body.querySelector('button').focus();
			announce(`Created the API key ${r.body.name}.`);
			after();
			return;
		}
		const left = showFieldErrors(f, r);
		say(d.alert, r.status === 422 ? (left.length ? left.join(' ') : 'Check the highlighted fields.') : problemText(r, 'The key was not created'));
	});
	d.body.append(form);
	Object.values(f)[0].input.focus();
}

function createKey(after) {
	const picker = userPicker({ name: 'user_id', label: 'For user', hint: 'Active users only.', search: findUsers });
	keyDialog('New API key', { user_id: picker }, async (body, f, d) => {
		const id = await picker.resolve();
		if (!id) {
			showFieldErrors(f, null);
			picker.error.textContent = 'Pick an active user from the suggestions.';
			picker.input.setAttribute('aria-invalid', 'true');
			say(d.alert, 'Choose whom the key is for.');
			picker.input.focus();
			return null;
		}
		return api('/admin/api-keys/', { method: 'POST', json: { ...body, user_id: id } });
	}, after);
}
