// overview.js: the counts of GET /admin/stats/.
import { api, problemText } from './api.js';
import { count, h } from './ui.js';

export async function render(root) {
	const r = await api('/admin/stats/');
	if (r.status !== 200) {
		root.append(h('p.message.error', { text: problemText(r, 'The statistics could not be read') }));
		return;
	}
	const s = r.body;
	const by = s.users_by_status || {};
	const card = (label, n, href) => h('li.card', {}, h('a', { href }, h('span.card-n', { text: count(n) }), h('span.card-label', { text: label })));
	const names = new Set(['active', 'pending', 'disabled', ...Object.keys(by)]);
	root.append(h('section', { 'aria-labelledby': 'stats-title' },
		h('h2', { id: 'stats-title', text: 'Users' }),
		h('ul.cards', {}, card('Users in total', s.total_users, '#users'),
			[...names].map((k) => card(k[0].toUpperCase() + k.slice(1), by[k] || 0, `#users?status=${encodeURIComponent(k)}`)))));
}
