// The sample practice's consent banner. Analytics beacons of the leadflow snippet stay off
// until the visitor accepts; the choice is remembered in this site's own storage.
(() => {
  const banner = document.getElementById('consent-banner');
  const tell = (ok) => {
    if (window.leadflow && window.leadflow.consent) window.leadflow.consent({ analytics: ok });
    else window.leadflowAnalyticsConsent = ok;
  };
  const choice = localStorage.getItem('analytics');
  if (choice) {
    tell(choice === 'yes');
    if (banner) banner.hidden = true;
  }
  const answer = (ok) => () => {
    localStorage.setItem('analytics', ok ? 'yes' : 'no');
    tell(ok);
    banner.hidden = true;
  };
  if (banner) {
    document.getElementById('accept-analytics').addEventListener('click', answer(true));
    document.getElementById('decline-analytics').addEventListener('click', answer(false));
  }
})();
