// Live updates by polling the native API: simple, works through every proxy, and a person sees a
// job created elsewhere within a few seconds. Polling pauses while the tab is hidden (no load on
// the server from forgotten tabs) and resumes at once when it is shown again.

import { formatTime, h } from './ui.js';

let lastOk = 0;
let lastError = null;
let indicator = null;
let banner = null;

/** Runs `task` now and then every `ms` after each run ends, until the returned stop is called. */
export function every(ms, task) {
  let timer = null;
  let stopped = false;
  let running = false;

  const run = async () => {
    timer = null;
    if (stopped || running) return;
    if (document.hidden) return; // resumed by the visibility listener
    running = true;
    try {
      await task();
      reportOk();
    } catch (err) {
      reportError(err);
    } finally {
      running = false;
      if (!stopped) timer = setTimeout(run, ms);
    }
  };
  const onVisible = () => {
    if (!document.hidden && !running && !stopped) {
      clearTimeout(timer);
      run();
    }
  };
  document.addEventListener('visibilitychange', onVisible);
  run();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    },
    /** Run again now (after an action, so its effect shows at once). */
    now() {
      if (stopped) return;
      clearTimeout(timer);
      run();
    },
  };
}

function reportOk() {
  lastOk = Date.now();
  lastError = null;
  paint();
}

/** The data on screen may be stale: the light says so, with the reason on hover. */
function reportError(err) {
  lastError = err;
  paint();
}

/** The header's "Live" light: green while answers come, red with the reason when they stop. */
export function liveIndicator() {
  indicator = h('span', { class: 'live', role: 'status', 'aria-live': 'polite' });
  paint();
  return indicator;
}

/** A line under the header while answers fail: what is wrong and how old the data on screen is. */
export function staleBanner() {
  banner = h('div', { class: 'stale-banner', role: 'alert', hidden: true });
  paint();
  return banner;
}

function paint() {
  paintBanner();
  if (!indicator) return;
  let state;
  let text;
  let title;
  if (lastError) {
    state = 'error';
    text = lastError.status === 0 ? 'Offline, retrying' : 'Updates failing';
    title = lastError.describe ? lastError.describe() : String(lastError);
  } else if (document.hidden) {
    state = 'paused';
    text = 'Paused';
    title = 'Updates pause while this tab is hidden';
  } else if (lastOk) {
    state = 'ok';
    text = 'Live';
    title = `Updates every few seconds; last at ${formatTime(new Date(lastOk).toISOString())}`;
  } else {
    state = 'wait';
    text = 'Connecting';
    title = 'Waiting for the first answer';
  }
  indicator.className = `live live-${state}`;
  indicator.title = title;
  indicator.replaceChildren(h('span', { class: 'live-dot', 'aria-hidden': 'true' }), text);
}

function paintBanner() {
  if (!banner) return;
  if (!lastError) {
    banner.hidden = true;
    return;
  }
  const reason = lastError.describe ? lastError.describe() : String(lastError);
  const since = lastOk ? ` What you see is from ${formatTime(new Date(lastOk).toISOString())}.` : '';
  const text = `${reason}${since} Retrying…`;
  if (banner.textContent !== text) banner.textContent = text;
  banner.hidden = false;
}

document.addEventListener('visibilitychange', paint);

// The age of the last answer, refreshed every second so "Live" never shows over stale data.
setInterval(() => {
  if (lastOk && !lastError && !document.hidden && Date.now() - lastOk > 15000) {
    lastError = { status: 0, describe: () => 'No answer from the server for 15 s' };
  }
  paint();
}, 1000);
