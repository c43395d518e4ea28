// Dialogs: "Run a job" (create a job of a type with data, now or at a time) and a confirmation for
// actions that cannot be undone. Native <dialog>: focus is trapped and Escape closes it.

import { api } from './api.js';
import { h, localInputToIso } from './ui.js';

/** Example data for the built-in types, so that "Run a job" shows what a type expects. */
const EXAMPLES = {
  sleep: { duration_ms: '5000' },
  job_export: { status: 'error' },
  data_retention: { older_than_days: '30' },
  http: { url: 'https://hooks.example.com/jobs', body: '{"hello":"world"}', 'header.X-Request-Source': 'jobserver' },
};

export function openCreateDialog({ types, toast, navigate, preset }) {
  const typeSelect = h('select', { id: 'create-type', name: 'type', required: true }, h('option', { value: '' }, 'Loading types…'));
  const description = h('p', { class: 'help', id: 'create-type-help' });
  const data = h('textarea', {
    id: 'create-data',
    name: 'data',
    rows: '7',
    spellcheck: 'false',
    class: 'mono',
    'aria-describedby': 'create-data-help',
  });
  const priority = h('input', { id: 'create-priority', name: 'priority', type: 'number', step: '1', value: String(preset?.priority ?? 0) });
  const runAt = h('input', { id: 'create-run-at', name: 'run_at', type: 'datetime-local', 'aria-describedby': 'create-run-at-help' });
  const message = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Run job');
  let typeList = [];
  let dataTouched = !!preset;

  if (preset) data.value = JSON.stringify(preset.data || {}, null, 2);
  data.addEventListener('input', () => (dataTouched = true));

  const describeType = () => {
    const t = typeList.find((x) => x.type === typeSelect.value);
    description.textContent = t && t.description ? t.description : '';
    if (!dataTouched) data.value = JSON.stringify(EXAMPLES[typeSelect.value] || {}, null, 2);
  };
  typeSelect.addEventListener('change', describeType);

  const dialog = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': 'create-title' },
    h(
      'form',
      { method: 'dialog', class: 'form' },
      h('h2', { id: 'create-title' }, preset ? 'Run a copy' : 'Run a job'),
      h('label', { for: 'create-type' }, 'Type'),
      typeSelect,
      description,
      h('label', { for: 'create-data' }, 'Data (JSON)'),
      data,
      h('p', { class: 'help', id: 'create-data-help' }, 'Keys and text values, passed to the job. Leave {} for none.'),
      h(
        'div',
        { class: 'form-row' },
        h('div', {}, h('label', { for: 'create-priority' }, 'Priority'), priority),
        h('div', {}, h('label', { for: 'create-run-at' }, 'Run at (optional)'), runAt),
      ),
      h('p', { class: 'help', id: 'create-run-at-help' }, 'Empty: as soon as a worker is free. Your local time.'),
      message,
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { type: 'button', value: 'cancel', onclick: () => dialog.close() }, 'Cancel'),
        submit,
      ),
    ),
  );

  dialog.querySelector('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    message.textContent = '';
    const body = { type: typeSelect.value };
    if (!body.type) {
      message.textContent = 'Choose a type.';
      typeSelect.focus();
      return;
    }
    const text = data.value.trim();
    if (text) {
      try {
        body.data = JSON.parse(text);
      } catch (err) {
        message.textContent = `Data is not valid JSON: ${err.message}`;
        data.focus();
        return;
      }
      if (body.data === null || typeof body.data !== 'object' || Array.isArray(body.data)) {
        message.textContent = 'Data must be a JSON object, like {"duration_ms": "5000"}.';
        data.focus();
        return;
      }
      // job data is text (as in Mattermost); numbers and booleans are taken as their text
      for (const [key, value] of Object.entries(body.data)) {
        if (typeof value === 'number' || typeof value === 'boolean') body.data[key] = String(value);
        else if (typeof value !== 'string') {
          message.textContent = `data.${key} must be text, a number or true/false, not ${value === null ? 'null' : Array.isArray(value) ? 'a list' : 'an object'}.`;
          data.focus();
          return;
        }
      }
    }
    if (priority.value !== '') {
      if (!/^-?\d+$/.test(priority.value)) {
        message.textContent = 'Priority must be a whole number.';
        priority.focus();
        return;
      }
      body.priority = Number(priority.value);
    }
    if (runAt.value) body.run_at = localInputToIso(runAt.value);
    submit.disabled = true;
    try {
      const job = await api.create(body);
      dialog.close();
      toast(`Created ${job.type} job ${job.id}.`, 'ok');
      navigate(`/jobs/${encodeURIComponent(job.id)}`);
    } catch (err) {
      message.textContent = err.describe ? err.describe() : String(err);
    } finally {
      submit.disabled = false;
    }
  });
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();

  types()
    .then((list) => {
      typeList = list;
      typeSelect.replaceChildren(
        h('option', { value: '' }, 'Choose a type…'),
        ...list.map((t) => h('option', { value: t.type, selected: preset && preset.type === t.type }, t.type)),
      );
      if (preset) describeType();
      typeSelect.focus();
    })
    .catch((err) => {
      typeSelect.replaceChildren(h('option', { value: '' }, 'Types could not be loaded'));
      message.textContent = err.describe ? err.describe() : String(err);
    });
}

/** Asks before an action; resolves true when confirmed. The safe choice has the focus. */
export function confirmDialog({ title, body, confirm, cancel = 'Cancel', danger = false }) {
  return new Promise((resolve) => {
    const keep = h('button', { type: 'button', id: 'confirm-no', autofocus: true }, cancel);
    const yes = h('button', { type: 'button', id: 'confirm-yes', class: danger ? 'danger' : 'primary' }, confirm);
    const dialog = h(
      'dialog',
      { class: 'dialog dialog-small', 'aria-labelledby': 'confirm-title', role: 'alertdialog' },
      h('h2', { id: 'confirm-title' }, title),
      h('p', {}, body),
      h('div', { class: 'dialog-actions' }, keep, yes),
    );
    let answer = false;
    keep.addEventListener('click', () => dialog.close());
    yes.addEventListener('click', () => {
      answer = true;
      dialog.close();
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    keep.focus();
  });
}
