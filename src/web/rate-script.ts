/** The rating form's script (served from 'self'; the CSP allows no inline script). */
export const RATE_SCRIPT = `
const form = document.getElementById('rating');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const status = document.getElementById('rating-status');
  const token = document.querySelector('meta[name="nxt-token"]').content;
  const body = {
    taskId: form.dataset.task, mode: form.dataset.mode, index: Number(form.dataset.index),
    rater: document.getElementById('rater').value,
    correctness: Number(document.getElementById('correctness').value),
    helpfulness: Number(document.getElementById('helpfulness').value),
    comment: document.getElementById('comment').value,
  };
  const response = await fetch('/run/' + encodeURIComponent(form.dataset.run) + '/rate', {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-nxt-token': token }, body: JSON.stringify(body),
  });
  status.textContent = response.ok ? 'saved' : 'not saved (' + response.status + ')';
});
`;
