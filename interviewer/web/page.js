// Run once in the web app's page (interviewer/web/app.py passes it to demo.load):
// - Ctrl/Cmd+Enter submits the answer; plain Enter is a new line;
// - a new question moves the focus to the answer box; Escape closes the delete confirmation, and goes back to
//   the answer from End's question about an unsent answer (app.py's ASKED focuses its first choice);
// - one polite live region reads each new interviewer message and each feedback once;
// - Gradio's upload area is named as it reads, and the charts are images with a text alternative.
() => {
  document.addEventListener('keydown', (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === 'Enter' && ev.target.closest && ev.target.closest('#answer-box')) {
      ev.preventDefault();
      const button = document.querySelector('#submit-btn');
      if (button) button.click();
    }
  });
  // Gradio 6's upload area is named "Click to upload or drop files" while it shows "Drop File Here - or -
  // Click to Upload": screen-reader users must hear what sighted users read (axe: label-content-name-mismatch).
  const nameUploads = () => document.querySelectorAll('#upload .upload-container').forEach((el) => {
    const shown = el.innerText.replace(/\s+/g, ' ').trim();
    if (shown && el.getAttribute('aria-label') !== shown) el.setAttribute('aria-label', shown);
  });
  let asked = '';
  const focusAnswer = () => {  // keyboard users: a question just asked is answered without hunting for the box
    const bots = document.querySelectorAll('#chat [data-testid=bot]');
    const last = bots.length ? bots[bots.length - 1].innerText : '';
    if (/Question \d+ of \d+/.test(last) && last !== asked) {
      asked = last;
      const box = document.querySelector('#answer-box textarea');
      if (box && box.offsetParent !== null) box.focus();
    }
  };
  // One polite live region: each new interviewer message and each feedback is read once, when it has stopped
  // changing (a streamed follow-up is read whole, not token by token).
  const live = document.createElement('div');
  live.id = 'announcer';
  live.setAttribute('aria-live', 'polite');
  live.setAttribute('role', 'status');
  live.style.cssText = 'position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);';
  document.body.appendChild(live);
  let said = '', quiet = null;
  const announce = () => {
    const bots = document.querySelectorAll('#chat [data-testid=bot]');
    const last = bots.length ? bots[bots.length - 1].innerText.trim() : '';
    const card = document.querySelector('#feedback .iv-score');
    const news = [last, card ? 'Feedback: ' + card.innerText.trim() : ''].filter(Boolean).join('. ');
    if (news && news !== said && last !== '…') { said = news; live.textContent = news; }
  };
  const charts = () => document.querySelectorAll('#summary-plot svg, #progress-plot svg').forEach((svg) => {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', svg.closest('#summary-plot')
      ? 'Bar chart of the average score per criterion; the table above gives the same figures.'
      : 'Line chart of scores over time; the table of sessions below gives the same figures.');
  });
  document.addEventListener('keydown', (ev) => {  // Escape closes the delete confirmation, or End's question
    const confirm = document.querySelector('#delete-confirm');
    if (ev.key === 'Escape' && confirm && confirm.offsetParent !== null) document.querySelector('#delete-no').click();
    const ask = document.querySelector('#end-ask');
    if (ev.key === 'Escape' && ask && ask.offsetParent !== null) document.querySelector('#end-back').click();
  });

  new MutationObserver(() => {
    nameUploads();
    focusAnswer();
    charts();
    clearTimeout(quiet);
    quiet = setTimeout(announce, 600);
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
  nameUploads();
}
