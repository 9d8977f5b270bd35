// users.js: the users page. Everything is asked of the server page by page (search, status filter, sort and
// paging are query parameters of GET /admin/users/), so 100,000 users cost what 25 do. State lives in the hash
// (#users?search=&status=&sort=&order=&skip=), so a reload or the sign-in round trip comes back to the same view.
import { api, problemText } from './api.js';
import { parseHash, setParams } from './app.js';
import {
	announce, count, debounce, dialog, download, field, fileName, h, pager, say, secretBox, showFieldErrors,
	sortableTable, when,
} from './ui.js';

const LIMIT = 25;
const ROLES = ['viewer', 'editor', 'admin'];

/**
 * A password of `length` characters (default 20, about 119 bits) from the browser's CSPRNG: 59 symbols, one
 * random byte each, bytes at or above the largest multiple of 59 dropped so that no symbol is likelier (no modulo
 * bias). NIST SP 800-63B 5.1.1.2: the length is what the server asks for at least.
 */
export function generatePassword(length = 20) {
	const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_';
	const out = [];
	const buf = new Uint8Array(1);
	while (out.length < length) {
		crypto.getRandomValues(buf);
		if (buf[0] < 256 - (256 % alphabet.length)) out.push(alphabet[buf[0] % alphabet.length]);
	}
	return out.join('');
}

// The server's password_min_length (8..256) is not in /auth/config/ (that body is the reference API's), but the
// OpenAPI document it serves gives it as the password properties' minLength. That document is about 50 KB, so it
// is asked for lazily, the first time a password is generated, never on the page's first load (which stays under
// 100 KB), and kept for the page's life; a generated password the server still refuses (the setting raised
// since) drops it, so the next attempt reads it again. Reading the number from a 422's message would need the
// refusal first and would parse a sentence; the document gives it as data, before anything is sent.
let schemasAsked = null;

/**
 * The configured minimum password length in characters for `schema`'s password property (AdminUserCreate,
 * PasswordReset), from <api>/openapi.json; 8 (the server's default) when the document cannot be read.
 */
async function passwordMinimum(schema) {
	if (!schemasAsked) {
		schemasAsked = api('/openapi.json', { noAuth: true }).then((r) => {
			const s = r.status === 200 && r.body && r.body.components && r.body.components.schemas;
			if (!s) schemasAsked = null;	// not kept: asked again next time
			return s || {};
		});
	}
	const s = await schemasAsked;
	const n = s[schema] && s[schema].properties && s[schema].properties.password && s[schema].properties.password.minLength;
	return Number.isInteger(n) && n > 0 ? n : 8;
}

/** Forgets the minimum learned, after the server refused a generated password (its setting changed). */
function forgetMinimum() {
	schemasAsked = null;
}

/** A generated password the server accepts: 20 characters, or the configured minimum when that is longer. */
async function acceptedPassword(schema) {
	return generatePassword(Math.max(20, await passwordMinimum(schema)));
}

function statusBadge(s) {
	return h(`span.badge.status-${s}`, { text: s });
}

export async function render(root, ctx) {
	const p = parseHash().params;
	const state = {
		search: p.get('search') || '',
		status: p.get('status') || '',
		sort: p.get('sort') || 'created_at',
		order: p.get('order') === 'desc' ? 'desc' : 'asc',
		skip: Math.max(0, Number.parseInt(p.get('skip') || '0', 10) || 0),
	};
	const save = () => {
		const q = new URLSearchParams();
		if (state.search) q.set('search', state.search);
		if (state.status) q.set('status', state.status);
		if (state.sort !== 'created_at') q.set('sort', state.sort);
		if (state.order !== 'asc') q.set('order', state.order);
		if (state.skip) q.set('skip', String(state.skip));
		setParams(q);
	};

	// The approval queue.
	const queue = h('section.queue', { 'aria-labelledby': 'queue-title', hidden: true });

	// The toolbar.
	const search = field({ name: 'search', label: 'Search users', value: state.search, hint: 'Name or email; accents and case do not matter.' });
	search.input.type = 'search';
	const status = field({
		name: 'status', label: 'Status', value: state.status,
		options: [['', 'Any status'], ['active', 'Active'], ['pending', 'Pending'], ['disabled', 'Disabled']],
	});
	const newBtn = h('button', { type: 'button', text: 'New user', onclick: () => createUser(reload) });
	const exportBtn = h('button.secondary', { type: 'button', text: 'Export CSV', onclick: () => exportCsv(exportBtn) });
	const toolbar = h('div.toolbar', {}, search.wrap, status.wrap, h('div.toolbar-actions', {}, newBtn, exportBtn));

	const listArea = h('div.list', { 'aria-busy': 'false' });
	root.append(queue, toolbar, listArea);

	const columns = [
		{ key: 'username', label: 'Name', sort: 'username', cell: (u) => h('span.name', { text: u.username }) },
		{ key: 'email', label: 'Email', sort: 'email', cell: (u) => u.email || '—' },
		{ key: 'roles', label: 'Roles', cell: (u) => (u.roles && u.roles.length ? u.roles.join(', ') : '—') },
		{ key: 'status', label: 'Status', sort: 'status', cell: (u) => statusBadge(u.status) },
		{ key: 'last_login_at', label: 'Last login', sort: 'last_login_at', cell: (u) => when(u.last_login_at) },
		{ key: 'created_at', label: 'Created', sort: 'created_at', cell: (u) => when(u.created_at) },
		{
			key: 'actions', label: 'Actions',
			cell: (u) => h('button.secondary.small', {
				type: 'button', text: 'Manage', 'aria-label': `Manage ${u.username}`,
				onclick: () => manageUser(u, ctx, reload),
			}),
		},
	];

	let seq = 0;
	async function loadList(focusTable = false) {
		const my = ++seq;
		const q = new URLSearchParams({ skip: String(state.skip), limit: String(LIMIT), sort: state.sort, order: state.order });
		if (state.search) q.set('search', state.search);
		if (state.status) q.set('status', state.status);
		listArea.setAttribute('aria-busy', 'true');
		const r = await api(`/admin/users/?${q}`);
		if (my !== seq) return;	// a newer search answered first
		listArea.setAttribute('aria-busy', 'false');
		if (r.status !== 200) {
			listArea.replaceChildren(h('p.message.error', { text: problemText(r, 'The users could not be listed') }));
			return;
		}
		const { users, total } = r.body;
		if (state.skip > 0 && state.skip >= total) {
			state.skip = Math.max(0, Math.floor((total - 1) / LIMIT) * LIMIT);
			save();
			loadList(focusTable);
			return;
		}
		const t = sortableTable(state.search || state.status ? `Users matching the filters (${count(total)})` : `All users (${count(total)})`,
			columns, state, (sort, order) => {
				state.sort = sort;
				state.order = order;
				state.skip = 0;
				save();
				loadList(true).then(() => {
					const b = [...listArea.querySelectorAll('th button')].find((x) => x.textContent.startsWith(columns.find((c) => c.sort === sort).label));
					if (b) b.focus();
				});
			});
		t.render(users, state.search || state.status ? 'No user matches these filters.' : 'No users yet.');
		listArea.replaceChildren(h('div.table-wrap', { tabindex: '0', 'aria-label': 'Users table' }, t.table),
			pager('Users', { skip: state.skip, limit: LIMIT, total }, (skip) => {
				state.skip = skip;
				save();
				loadList().then(() => {
					const b = listArea.querySelector('.pager button:not([disabled])');
					if (b) b.focus();
				});
			}));
	}

	async function loadQueue() {
		const r = await api('/admin/users/?status=pending&limit=10&sort=created_at&order=asc');
		if (r.status !== 200) return;
		const { users, total } = r.body;
		queue.hidden = total === 0;
		const title = h('h2', { id: 'queue-title' }, 'Waiting for approval ', h('span.count', { text: count(total), 'aria-label': `${total} pending` }));
		const list = h('ul.queue-list', {}, users.map((u) => {
			const role = field({ name: 'role', label: `Role for ${u.username}`, options: ROLES, value: 'viewer' });
			return h('li', {},
				h('span.name', { text: u.username }), h('span.muted', { text: u.email || '' }),
				h('span.muted', { text: `registered ${when(u.created_at)}` }), role.wrap,
				h('div.actions', {},
					h('button.small', { type: 'button', text: 'Approve', 'aria-label': `Approve ${u.username}`, onclick: () => decide(u, 'approve', role.input.value) }),
					h('button.secondary.small.danger', { type: 'button', text: 'Reject', 'aria-label': `Reject ${u.username}`, onclick: () => confirmReject(u) })));
		}));
		queue.replaceChildren(title, list);
		if (total > users.length) {
			queue.append(h('p.muted', {}, `The ${users.length} oldest are shown; `, h('a', { href: '#users?status=pending', text: 'see all pending users' }), '.'));
		}
	}

	async function decide(u, how, role) {
		const r = await api(`/admin/users/${u.id}/${how}/`, how === 'approve' ? { method: 'POST', json: { role } } : { method: 'POST' });
		if (r.status === 200 || r.status === 204) {
			announce(how === 'approve' ? `Approved ${u.username} as ${role}.` : `Rejected ${u.username}; the registration is removed.`);
			await reload();
			const next = queue.querySelector('button') || search.input;
			next.focus();
		} else announce(problemText(r, `Could not ${how} ${u.username}`), 'error');
	}

	function confirmReject(u) {
		const d = dialog(`Reject ${u.username}?`);
		d.body.append(h('p', { text: `Rejecting removes the registration of ${u.username}${u.email ? ` (${u.email})` : ''}. It cannot be undone.` }),
			h('div.actions', {},
				h('button.danger', { type: 'button', text: `Reject ${u.username}`, onclick: () => { d.close(); decide(u, 'reject'); } }),
				h('button.secondary', { type: 'button', text: 'Cancel', onclick: d.close })));
		d.body.querySelector('button.secondary').focus();
	}

	async function reload() {
		await Promise.all([loadList(), loadQueue()]);
	}

	const onSearch = debounce(() => {
		state.search = search.input.value.trim();
		state.skip = 0;
		save();
		loadList();
	}, 300);
	search.input.addEventListener('input', onSearch);
	status.input.addEventListener('change', () => {
		state.status = status.input.value;
		state.skip = 0;
		save();
		loadList();
	});
	await reload();
}

async function exportCsv(btn) {
	btn.disabled = true;
	const r = await api('/admin/users/export.csv', { raw: true, headers: { Accept: 'text/csv' } });
	btn.disabled = false;
	if (r.status === 200) {
		download(r.blob, fileName(r.headers, 'users.csv'));
		announce('The CSV export was downloaded.');
	} else announce(problemText(r, 'The export failed'), 'error');
}

function createUser(reload) {
	const d = dialog('New user');
	const f = {
		username: field({ name: 'username', label: 'Username', required: true, hint: '3 to 150 characters.' }),
		email: field({ name: 'email', label: 'Email (optional)', type: 'email' }),
		password: field({ name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'new-password', hint: 'At least 8 characters. Give it to the user safely.' }),
		role: field({ name: 'role', label: 'Role', options: ROLES, value: 'viewer' }),
	};
	let generated = null;	// the last password Generate gave
	const show = h('button.secondary.small', {
		type: 'button', text: 'Generate',
		onclick: async () => {
			show.disabled = true;
			const pw = await acceptedPassword('AdminUserCreate');
			show.disabled = false;
			generated = pw;
			f.password.input.type = 'text';
			f.password.input.value = pw;
			f.password.input.focus();
			f.password.input.select();
		},
	});
	f.password.wrap.insertBefore(show, f.password.error);
	const submit = h('button', { type: 'submit', text: 'Create user' });
	const form = h('form', { noValidate: true }, Object.values(f).map((x) => x.wrap), h('div.actions', {}, submit));
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		submit.disabled = true;
		const email = f.email.input.value.trim();
		const r = await api('/admin/users/', {
			method: 'POST',
			json: { username: f.username.input.value, password: f.password.input.value, email: email === '' ? null : email, role: f.role.input.value },
		});
		submit.disabled = false;
		if (r.status === 201) {
			d.close();
			announce(`Created user ${r.body.username}.`);
			await reload();
			return;
		}
		if (r.status === 422 && generated !== null && f.password.input.value === generated) forgetMinimum();
		const left = showFieldErrors(f, r);
		if (r.status === 422 || r.status === 409) say(d.alert, left.length ? left.join(' ') : 'Check the highlighted fields.');
		else say(d.alert, problemText(r, 'The user could not be created'));
	});
	d.body.append(form);
	f.username.input.focus();
}

function manageUser(u, ctx, reload) {
	const d = dialog(`Manage ${u.username}`);
	const self = ctx.me && ctx.me.id === u.id;
	const role = (u.roles && u.roles[0]) || 'viewer';
	d.body.append(h('dl.facts', {},
		h('dt', { text: 'Status' }), h('dd', {}, statusBadge(u.status)),
		h('dt', { text: 'Created' }), h('dd', { text: when(u.created_at) }),
		h('dt', { text: 'Last login' }), h('dd', { text: when(u.last_login_at) })));
	if (self) d.body.append(h('p.muted', { text: 'This is your own account: your role and status cannot be changed here, and your password is changed under My account.' }));

	if (u.status === 'pending') {
		d.body.append(h('p', { text: 'This user registered and waits for approval; approve or reject in the queue above.' }));
	} else {
		// Edit email, role and status.
		const f = {
			email: field({ name: 'email', label: 'Email', type: 'email', value: u.email || '' }),
			role: field({ name: 'role', label: 'Role', options: ROLES, value: role }),
			status: field({ name: 'status', label: 'Status', options: [['active', 'Active'], ['disabled', 'Disabled']], value: u.status === 'active' ? 'active' : 'disabled' }),
		};
		const save = h('button', { type: 'submit', text: 'Save changes' });
		const form = h('form', { noValidate: true, 'aria-label': `Edit ${u.username}` }, h('h3', { text: 'Details' }), Object.values(f).map((x) => x.wrap), h('div.actions', {}, save));
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			const patch = {};
			const email = f.email.input.value.trim();
			if (email !== (u.email || '')) patch.email = email === '' ? null : email;
			if (f.role.input.value !== role) patch.role = f.role.input.value;
			const st = f.status.input.value;
			if (st !== (u.status === 'active' ? 'active' : 'disabled')) patch.status = st;
			if (Object.keys(patch).length === 0) {
				say(d.alert, 'Nothing changed.', 'info');
				return;
			}
			save.disabled = true;
			const r = await api(`/admin/users/${u.id}`, { method: 'PATCH', json: patch });
			save.disabled = false;
			if (r.status === 200) {
				Object.assign(u, r.body);
				say(d.alert, `Saved the changes to ${u.username}.`, 'ok');
				announce(`Saved the changes to ${u.username}.`);
				showFieldErrors(f, null);
				reload();
				return;
			}
			const left = showFieldErrors(f, r);
			say(d.alert, r.status === 422 || r.status === 409 ? (left.length ? left.join(' ') : 'Check the highlighted fields.') : problemText(r, 'The changes were not saved'));
		});
		d.body.append(form);
	}

	const actions = h('div.actions.wrap');
	if (u.status === 'active') {
		actions.append(h('button.secondary', {
			type: 'button', text: 'Deactivate',
			onclick: async () => {
				const r = await api(`/admin/users/${u.id}/deactivate/`, { method: 'POST' });
				if (r.status === 200) {
					say(d.alert, `${u.username} is deactivated; their sessions and API keys ended.`, 'ok');
					announce(`Deactivated ${u.username}.`);
					reload();
				} else say(d.alert, problemText(r, 'Could not deactivate'));
			},
		}));
	}
	if (u.status !== 'pending') actions.append(h('button.secondary', { type: 'button', text: 'Reset password', onclick: () => resetPassword(u, d) }));
	actions.append(h('button.danger', { type: 'button', text: 'Delete', onclick: () => deleteUser(u, d, reload) }));
	d.body.append(h('h3', { text: 'Actions' }), actions);
	const first = d.body.querySelector('input, select, button');
	if (first) first.focus();
}

function resetPassword(u, parent) {
	parent.close();
	const d = dialog(`Reset the password of ${u.username}`);
	const typed = field({ name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password', hint: 'At least 8 characters.' });
	const modeTyped = h('input', { type: 'radio', name: 'mode', id: 'mode-typed', value: 'typed', checked: true });
	const modeGen = h('input', { type: 'radio', name: 'mode', id: 'mode-gen', value: 'generated' });
	const sync = () => { typed.wrap.hidden = !modeTyped.checked; };
	modeTyped.addEventListener('change', sync);
	modeGen.addEventListener('change', sync);
	const submit = h('button', { type: 'submit', text: 'Reset password' });
	const form = h('form', { noValidate: true },
		h('fieldset', {}, h('legend', { text: 'New password' }),
			h('div.radio', {}, modeTyped, h('label', { htmlFor: 'mode-typed', text: 'Type one' })),
			h('div.radio', {}, modeGen, h('label', { htmlFor: 'mode-gen', text: 'Generate one (shown once)' }))),
		typed.wrap, h('p.muted', { text: `Every session and API key of ${u.username} ends.` }), h('div.actions', {}, submit));
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		const generated = modeGen.checked;
		submit.disabled = true;
		const password = generated ? await acceptedPassword('PasswordReset') : typed.input.value;
		const r = await api(`/admin/users/${u.id}/reset-password/`, { method: 'POST', json: { password } });
		submit.disabled = false;
		if (r.status === 204) {
			announce(`Reset the password of ${u.username}.`);
			if (generated) {
				form.replaceWith(secretBox('Generated password', password, `The new password of ${u.username}. It is shown only now: copy it and give it to them safely.`));
				d.body.querySelector('button').focus();
			} else {
				form.replaceWith(h('p.message.ok', { text: `The password of ${u.username} was reset.` }));
				d.dialog.querySelector('.close').focus();
			}
			return;
		}
		if (r.status === 422 && generated) forgetMinimum();
		const left = showFieldErrors({ password: typed }, generated ? null : r);
		say(d.alert, r.status === 422 && !generated && left.length === 0 ? 'Check the password.' : problemText(r, 'The password was not reset'));
	});
	d.body.append(form);
	modeTyped.focus();
}

function deleteUser(u, parent, reload) {
	parent.close();
	const d = dialog(`Delete ${u.username}?`);
	d.body.append(
		h('p', {}, 'This deletes the account ', h('strong', { text: u.username }), u.email ? ` (${u.email})` : '', ', its sessions and its API keys. It cannot be undone.'),
		h('div.actions', {},
			h('button.danger', {
				type: 'button', text: `Delete ${u.username}`,
				onclick: async () => {
					const r = await api(`/admin/users/${u.id}`, { method: 'DELETE' });
					if (r.status === 204) {
						d.close();
						announce(`Deleted ${u.username}.`);
						reload();
					} else say(d.alert, problemText(r, 'The user was not deleted'));
				},
			}),
			h('button.secondary', { type: 'button', text: 'Cancel', onclick: d.close })));
	d.body.querySelector('button.secondary').focus();
}
