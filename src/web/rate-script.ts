/**
 * The rating form's script (served from 'self'; the CSP allows no inline script). A rating is sent only
 * when the rater named themselves and chose both scores; otherwise the status says what is missing.
 */
export const RATE_SCRIPT = `
const form = document.getElementById('rating');
const field = (id) => document.getElementById(id);
function missing() {
  const problems = [];
  for (const id of ['rater', 'correctness', 'helpfulness']) {
    const empty = field(id).value.trim() === '';
    field(id).setAttribute('aria-invalid', String(empty));
    if (empty) problems.push(id === 'rater' ? 'give your name as rater' : 'choose a ' + id + ' score');
  }
  return problems;
}
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const status = document.getElementById('rating-status');
  const problems = missing();
  if (problems.length > 0) {
    status.textContent = 'not saved: ' + problems.join(', ');
    return;
  }
  const token = document.querySelector('meta[name="nxt-token"]').content;
  const body = {
    taskId: form.dataset.task, mode: form.dataset.mode, index: Number(form.dataset.index),
    rater: field('rater').value,
    correctness: Number(field('correctness').value),
    helpfulness: Number(field('helpfulness').value),
    comment: field('comment').value,
  };
  status.textContent = 'saving…';
  const response = await fetch('/run/' + encodeURIComponent(form.dataset.run) + '/rate', {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-nxt-token': token }, body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  status.textContent = response.ok ? 'saved' : 'not saved: ' + (answer.error || 'status ' + response.status);
});
`;
