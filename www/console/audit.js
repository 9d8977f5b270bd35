// audit.js: the audit log (manage_settings): filters (user, action, resource type, dates, search), pages, sort,
// and exports as CSV or JSON with the same filters, all done by GET /admin/audit-logs/ on the server.
import { api, problemText } from './api.js';
import { parseHash, setParams } from './app.js';
import { announce, download, field, fileName, h, pager, showFieldErrors, sortableTable, userPicker, when } from './ui.js';
import { findUsers, isoFromLocal } from './keys.js';

const LIMIT = 50;
const ACTIONS = ['user.login.success', 'user.login.failure', 'login.throttled', 'user.logout', 'user.create', 'user.update',
	'user.deactivate', 'user.approve', 'user.reject', 'user.delete', 'user.reset_password', 'user.change_password',
	'user.change_password.failure', 'user.register', 'user.refresh.reuse_detected', 'user.revoke', 'user.import',
	'user.export', 'api_key.create', 'api_key.revoke', 'audit.export', 'audit.rekey'];
const FILTERS = ['user_id', 'action', 'resource_type', 'date_from', 'date_to', 'search'];

/** A datetime-local value (YYYY-MM-DDTHH:MM) from an ISO timestamp, in local time. */
function localFromIso(iso) {
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return '';
	const pad = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export async function render(root) {
	const p = parseHash().params;
	const state = { sort: p.get('sort') || 'created_at', order: p.get('order') === 'asc' ? 'asc' : 'desc', skip: Math.max(0, Number.parseInt(p.get('skip') || '0', 10) || 0) };
	for (const k of FILTERS) state[k] = p.get(k) || '';

	const listId = 'audit-actions';
	const f = {
		user_id: userPicker({ name: 'user_id', label: 'User', search: (t) => findUsersAny(t) }),
		action: field({ name: 'action', label: 'Action', value: state.action, list: listId }),
		resource_type: field({ name: 'resource_type', label: 'Resource type', value: state.resource_type, options: [['', 'Any'], ['user', 'user'], ['api_key', 'api_key']] }),
		date_from: field({ name: 'date_from', label: 'From', type: 'datetime-local', value: state.date_from ? localFromIso(state.date_from) : '' }),
		date_to: field({ name: 'date_to', label: 'To', type: 'datetime-local', value: state.date_to ? localFromIso(state.date_to) : '' }),
		search: field({ name: 'search', label: 'Search', value: state.search, hint: 'Words in the action, names or details.' }),
	};
	f.search.input.type = 'search';
	if (state.user_id) {
		const r = await api(`/admin/users/${state.user_id}`);
		f.user_id.set(state.user_id, r.status === 200 ? r.body.username : state.user_id);
	}
	const apply = h('button', { type: 'submit', text: 'Apply filters' });
	const reset = h('button.secondary', { type: 'button', text: 'Clear filters' });
	const csv = h('button.secondary', { type: 'button', text: 'Export CSV' });
	const json = h('button.secondary', { type: 'button', text: 'Export JSON' });
	const form = h('form.filters', { noValidate: true, 'aria-label': 'Audit log filters' },
		Object.values(f).map((x) => x.wrap), h('datalist', { id: listId }, ACTIONS.map((a) => h('option', { value: a }))),
		h('div.toolbar-actions', {}, apply, reset, csv, json));
	const list = h('div.list');
	const chain = h('section.chain', { 'aria-labelledby': 'chain-title' });
	root.append(chain, form, list);
	renderChain(chain);

	const save = () => {
		const q = new URLSearchParams();
		for (const k of FILTERS) if (state[k]) q.set(k, state[k]);
		if (state.sort !== 'created_at') q.set('sort', state.sort);
		if (state.order !== 'desc') q.set('order', state.order);
		if (state.skip) q.set('skip', String(state.skip));
		setParams(q);
	};
	const query = () => {
		const q = new URLSearchParams();
		for (const k of FILTERS) if (state[k]) q.set(k, state[k]);
		return q;
	};
	async function readForm() {
		const id = await f.user_id.resolve();
		if (id === null) {
			showFieldErrors(f, null);
			f.user_id.error.textContent = 'No user has that name. Pick one from the suggestions.';
			f.user_id.input.setAttribute('aria-invalid', 'true');
			f.user_id.input.focus();
			return false;
		}
		state.user_id = id;
		state.action = f.action.input.value.trim();
		state.resource_type = f.resource_type.input.value;
		state.date_from = isoFromLocal(f.date_from.input.value) || '';
		state.date_to = isoFromLocal(f.date_to.input.value) || '';
		state.search = f.search.input.value.trim();
		return true;
	}
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		if (!(await readForm())) return;
		state.skip = 0;
		save();
		load(true);
	});
	reset.addEventListener('click', () => {
		for (const k of FILTERS) state[k] = '';
		f.user_id.set('', '');
		for (const k of FILTERS.slice(1)) f[k].input.value = '';
		state.skip = 0;
		save();
		load();
	});
	for (const [btn, fmt] of [[csv, 'csv'], [json, 'json']]) {
		btn.addEventListener('click', async () => {
			if (!(await readForm())) return;
			btn.disabled = true;
			const r = await api(`/admin/audit-logs/export/${fmt}?${query()}`, { raw: true, headers: { Accept: fmt === 'csv' ? 'text/csv' : 'application/json' } });
			btn.disabled = false;
			if (r.status === 200) {
				download(r.blob, fileName(r.headers, `audit-log.${fmt}`));
				announce(`The ${fmt.toUpperCase()} export was downloaded.`);
			} else announce(problemText(r, 'The export failed'), 'error');
		});
	}

	const detailText = (d) => {
		if (d === null || d === undefined) return '';
		const s = typeof d === 'string' ? d : JSON.stringify(d);
		return s.length > 160 ? `${s.slice(0, 157)}…` : s;
	};
	const columns = [
		{ label: 'When', sort: 'created_at', cell: (l) => when(l.created_at) },
		{ label: 'User', sort: 'username', cell: (l) => l.username || '—' },
		{ label: 'Action', sort: 'action', cell: (l) => h('code', { text: l.action }) },
		{ label: 'Resource', sort: 'resource_type', cell: (l) => [l.resource_type, l.resource_name || l.resource_id].filter(Boolean).join(' ') || '—' },
		{ label: 'Address', sort: 'ip_address', cell: (l) => l.ip_address || '—' },
		{ label: 'Details', cell: (l) => h('span.details', { text: detailText(l.details) }) },
	];

	async function load(focus = false) {
		const q = query();
		q.set('skip', String(state.skip));
		q.set('limit', String(LIMIT));
		q.set('sort', state.sort);
		q.set('order', state.order);
		const r = await api(`/admin/audit-logs/?${q}`);
		if (r.status !== 200) {
			const left = showFieldErrors(f, r);
			list.replaceChildren(h('p.message.error', { text: r.status === 422 && left.length === 0 ? 'Check the highlighted filters.' : problemText(r, 'The audit log could not be read') }));
			return;
		}
		showFieldErrors(f, null);
		const t = sortableTable(`Audit log entries (${r.body.total})`, columns, state, (sort, order) => {
			state.sort = sort;
			state.order = order;
			state.skip = 0;
			save();
			load().then(() => {
				const b = [...list.querySelectorAll('th button')].find((x) => x.textContent.startsWith(columns.find((c) => c.sort === sort).label));
				if (b) b.focus();
			});
		});
		t.render(r.body.logs, 'No entries match these filters.');
		list.replaceChildren(h('div.table-wrap', { tabindex: '0', 'aria-label': 'Audit log table' }, t.table),
			pager('Audit log', { skip: state.skip, limit: LIMIT, total: r.body.total }, (skip) => { state.skip = skip; save(); load(); }));
		if (focus) list.querySelector('caption').scrollIntoView({ block: 'nearest' });
	}
	await load();
}

/** The chain's verification state (GET /admin/audit-logs/verify), with a button to check again. */
async function renderChain(section) {
	const again = h('button.secondary.small', { type: 'button', text: 'Verify again', onclick: () => renderChain(section).then(() => section.querySelector('button').focus()) });
	section.replaceChildren(h('h2', { id: 'chain-title', text: 'Integrity' }), h('p.muted', { text: 'Checking the hash chain…' }));
	const r = await api('/admin/audit-logs/verify');
	let state;
	if (r.status !== 200) state = h('p.message.error', { text: problemText(r, 'The chain could not be checked') });
	else if (r.body.valid) {
		state = h('p.message.ok', { id: 'chain-state' }, `Verified: all ${r.body.rows.toLocaleString()} entries are intact and in order. `,
			'Head (keep it elsewhere as an anchor): ', h('code', { text: r.body.head }));
	} else {
		state = h('p.message.error', { id: 'chain-state' }, `Broken at entry ${r.body.broken_at_row}: ${r.body.reason}. `,
			'Entries may have been edited or removed outside gatehouse; run gatehousectl verify-audit on the server.');
	}
	section.replaceChildren(h('h2', { id: 'chain-title', text: 'Integrity' }), state, again);
}

/** Users of any status for the audit filter. */
async function findUsersAny(text) {
	const q = new URLSearchParams({ limit: '10', sort: 'username' });
	if (text) q.set('search', text);
	const r = await api(`/admin/users/?${q}`);
	return r.status === 200 ? r.body.users : [];
}
