// ui.js: small DOM helpers the console's pages share: element building, live messages, dialogs, forms with
// per-field errors, sortable tables with pagination, a user picker, downloads. No inline style or script is
// ever written (the console runs under a strict Content-Security-Policy), so visibility is the hidden attribute.

/** h('tag.class', {attr: value, onclick: fn}, children...): an element. Text children are text nodes. */
export function h(spec, attrs = {}, ...children) {
	const [tag, ...classes] = spec.split('.');
	const el = document.createElement(tag);
	if (classes.length) el.className = classes.join(' ');
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) continue;
		if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
		else if (k === 'text') el.textContent = v;
		else if (k in el && k !== 'list' && k !== 'form') el[k] = v;
		else el.setAttribute(k, v === true ? '' : v);
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false) continue;
		el.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return el;
}

let uid = 0;
/** A unique id for labels and descriptions. */
export function nextId(prefix = 'f') {
	uid += 1;
	return `${prefix}-${uid}`;
}

/** Shows text in the page's status region (polite) or alert region (errors). */
export function announce(text, kind = 'ok') {
	const el = document.getElementById(kind === 'error' ? 'alert' : 'status');
	el.textContent = '';
	el.className = `message ${kind}`;
	// A change of text is what screen readers announce.
	window.setTimeout(() => { el.textContent = text; }, 10);
}

/** Clears the page's alert and status regions. */
export function clearAnnouncements() {
	for (const id of ['alert', 'status']) {
		const el = document.getElementById(id);
		el.textContent = '';
		el.className = 'message';
	}
}

/** ISO timestamp -> a short local date and time, '—' for null. */
export function when(iso) {
	if (!iso) return '—';
	const d = new Date(iso);
	return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A number with the locale's grouping. */
export function count(n) {
	return Number(n || 0).toLocaleString();
}

/** debounce(fn, ms): fn called once input has been quiet for ms. */
export function debounce(fn, ms) {
	let t = null;
	return (...args) => {
		window.clearTimeout(t);
		t = window.setTimeout(() => fn(...args), ms);
	};
}

/**
 * A labelled form field: field({ name, label, type, value, options, hint, required }) returns
 * { wrap, input, error } where error is the element its problems are shown in (aria-describedby).
 */
export function field({ name, label, type = 'text', value = '', options, hint, required, autocomplete, list, min }) {
	const id = nextId(name);
	const errId = `${id}-error`;
	const hintId = hint ? `${id}-hint` : null;
	let input;
	if (options) {
		input = h('select', { id, name });
		for (const o of options) {
			const [v, t] = Array.isArray(o) ? o : [o, o];
			input.append(h('option', { value: v, text: t, selected: v === value }));
		}
	} else {
		input = h('input', { id, name, type, value: value ?? '', required, autocomplete: autocomplete || 'off', min });
		if (list) input.setAttribute('list', list);
	}
	input.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
	const error = h('p.field-error', { id: errId });
	const wrap = h('div.field', {}, h('label', { htmlFor: id, text: label }), input,
		hint ? h('p.hint', { id: hintId, text: hint }) : null, error);
	return { wrap, input, error };
}

/** Marks fields (a map name -> field()) with the problems of a 422 or 409; returns the texts not placed. */
export function showFieldErrors(fields, r) {
	for (const f of Object.values(fields)) {
		f.error.textContent = '';
		f.input.removeAttribute('aria-invalid');
	}
	if (!r) return [];
	const left = [];
	const place = (name, text) => {
		const f = fields[name];
		if (!f) {
			left.push(text);
			return;
		}
		f.error.textContent = f.error.textContent ? `${f.error.textContent} ${text}` : text;
		f.input.setAttribute('aria-invalid', 'true');
	};
	const d = r.body && r.body.detail;
	if (r.status === 422 && Array.isArray(d)) {
		for (const e of d) {
			const loc = Array.isArray(e.loc) ? e.loc : [];
			place(String(loc[loc.length - 1] ?? ''), /[.!?]$/.test(e.msg) ? e.msg : `${e.msg}.`);
		}
	} else if (r.status === 422 && typeof d === 'string') {
		left.push(d.endsWith('.') ? d : `${d}.`);
	} else if (r.status === 409 && typeof d === 'string') {
		if (/^username/i.test(d)) place('username', `${d}.`);
		else if (/^email/i.test(d)) place('email', `${d}.`);
		else left.push(d.endsWith('.') ? d : `${d}.`);
	}
	const first = Object.values(fields).find((f) => f.input.getAttribute('aria-invalid') === 'true');
	if (first) first.input.focus();
	return left;
}

/**
 * A modal dialog (<dialog>, so focus stays inside and Escape closes it). Returns { dialog, body, alert, close }.
 * The opener gets focus back when it closes.
 */
export function dialog(title, { onclose } = {}) {
	const opener = document.activeElement;
	const titleId = nextId('dlg');
	const alert = h('div.message', { role: 'alert' });
	const body = h('div.dialog-body');
	const closeBtn = h('button.secondary.close', { type: 'button', text: 'Close' });
	const dlg = h('dialog', { 'aria-labelledby': titleId },
		h('div.dialog-head', {}, h('h2', { id: titleId, text: title }), closeBtn), alert, body);
	const close = () => dlg.close();
	closeBtn.addEventListener('click', close);
	dlg.addEventListener('close', () => {
		dlg.remove();
		if (onclose) onclose();
		if (opener && document.contains(opener)) opener.focus();
	});
	document.body.append(dlg);
	dlg.showModal();
	return { dialog: dlg, body, alert, close };
}

/** Shows a message in a dialog's (or page's) alert element. */
export function say(el, text, kind = 'error') {
	el.className = `message ${kind}`;
	el.textContent = text;
}

/** Copies text to the clipboard; falls back to selecting it. Resolves true when copied. */
export async function copyText(text, input) {
	try {
		await navigator.clipboard.writeText(text);
		return true;
	} catch {
		if (input) {
			input.focus();
			input.select();
		}
		return false;
	}
}

/** A secret shown once: a read-only field with a Copy button. */
export function secretBox(label, value, note) {
	const f = field({ name: 'secret', label, value });
	f.input.readOnly = true;
	f.input.classList.add('secret');
	const status = h('span.copy-status', { role: 'status' });
	const btn = h('button.secondary', {
		type: 'button', text: 'Copy',
		onclick: async () => { status.textContent = (await copyText(value, f.input)) ? 'Copied.' : 'Selected: press Ctrl+C to copy.'; },
	});
	return h('div.secret-box', {}, h('p.warning', { text: note }), f.wrap, h('div.actions', {}, btn, status));
}

/** Saves a Blob as a file with the given name. */
export function download(blob, name) {
	const url = URL.createObjectURL(blob);
	const a = h('a', { href: url, download: name, hidden: true });
	document.body.append(a);
	a.click();
	a.remove();
	window.setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The file name of a Content-Disposition header, or fallback. */
export function fileName(headers, fallback) {
	const m = /filename="?([^";]+)"?/.exec(headers.get('Content-Disposition') || '');
	return m ? m[1] : fallback;
}

/**
 * A table with sortable columns. columns: [{ key, label, sort (the API's sort name, optional), cell(row) }].
 * state: { sort, order } ; onsort(sort, order). Returns { table, render(rows) }.
 */
export function sortableTable(caption, columns, state, onsort) {
	const thead = h('thead');
	const tbody = h('tbody');
	const table = h('table', {}, h('caption', { text: caption }), thead, tbody);
	const headRow = h('tr');
	for (const c of columns) {
		const th = h('th', { scope: 'col' });
		if (c.sort) {
			const active = state.sort === c.sort;
			th.setAttribute('aria-sort', active ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none');
			th.append(h('button.sort', {
				type: 'button',
				onclick: () => onsort(c.sort, active && state.order === 'asc' ? 'desc' : 'asc'),
			}, c.label, h('span.arrow', { 'aria-hidden': 'true', text: active ? (state.order === 'asc' ? ' ▲' : ' ▼') : '' })));
		} else th.textContent = c.label;
		headRow.append(th);
	}
	thead.append(headRow);
	return {
		table,
		render(rows, empty = 'Nothing to show.') {
			tbody.replaceChildren();
			if (rows.length === 0) {
				tbody.append(h('tr', {}, h('td.empty', { colSpan: columns.length, text: empty })));
				return;
			}
			for (const row of rows) {
				tbody.append(h('tr', {}, columns.map((c) => h('td', { 'data-label': c.label }, c.cell(row)))));
			}
		},
	};
}

/** Pagination: "1–25 of 1,234" and Previous/Next. onpage(skip). */
export function pager(label, { skip, limit, total }, onpage) {
	const from = total === 0 ? 0 : skip + 1;
	const to = Math.min(skip + limit, total);
	const pages = Math.max(1, Math.ceil(total / limit));
	const page = Math.floor(skip / limit) + 1;
	return h('nav.pager', { 'aria-label': `${label} pages` },
		h('p.pager-count', { role: 'status', text: `${count(from)}–${count(to)} of ${count(total)} · page ${count(page)} of ${count(pages)}` }),
		h('button.secondary', { type: 'button', text: 'Previous page', disabled: skip === 0, onclick: () => onpage(Math.max(0, skip - limit)) }),
		h('button.secondary', { type: 'button', text: 'Next page', disabled: skip + limit >= total, onclick: () => onpage(skip + limit) }));
}

/**
 * A user picker for 100,000 users: a text input bound to a <datalist> filled from a debounced server search.
 * search(text) resolves to [{ id, username }]. Returns { wrap, input, value() -> id or '' , set(id, name) }.
 */
export function userPicker({ name = 'user', label, hint, search }) {
	const listId = nextId('users');
	const f = field({ name, label, hint, list: listId });
	f.input.type = 'search';
	const list = h('datalist', { id: listId });
	f.wrap.append(list);
	const known = new Map();
	let chosen = { id: '', name: '' };
	const refill = debounce(async () => {
		const found = await search(f.input.value.trim());
		list.replaceChildren(...found.map((u) => h('option', { value: u.username })));
		found.forEach((u) => known.set(u.username, u.id));
	}, 250);
	f.input.addEventListener('input', refill);
	return {
		...f,
		value() {
			const t = f.input.value.trim();
			if (t === '') return '';
			if (t === chosen.name) return chosen.id;
			return known.get(t) || null;	// null: typed, but not a known user
		},
		set(id, uname) {
			chosen = { id, name: uname };
			f.input.value = uname;
		},
		async resolve() {
			const t = f.input.value.trim();
			if (t === '' || known.has(t) || t === chosen.name) return this.value();
			(await search(t)).forEach((u) => known.set(u.username, u.id));
			return this.value();
		},
	};
}
