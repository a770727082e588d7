// Principal MFA self-service page: wires the controls to their actions and renders every view from
// the one state object. Plain ES modules from this origin, no dependencies, no build step.
import { byId } from './lib/dom.js';
import { copyText } from './lib/clipboard.js';
import { bindClick, bindSubmit, run } from './lib/run.js';
import { onUpdate, state, update } from './lib/state.js';
import { loadAudit, loadAuditPageOf, openAudit } from './actions/audit.js';
import { activateDevice, cancelEnrolment, registerDevice, startEnrolment } from './actions/enrol.js';
import { confirmCodesSaved, downloadCodes } from './actions/recovery.js';
import { closeRemoveConfirm, openRemoveConfirm, regenerateCodes, removeDevice, renameDevice, toggleMfa } from './actions/settings.js';
import { returnToSignIn, signIn, signOut } from './actions/sign-in.js';
import { finishPageSignIn, startPageSignIn } from './actions/oidc-sign-in.js';
import { nextOrgPage, loadOrgPrincipals, openOrg, resetPrincipal, unlockPrincipal } from './actions/org.js';
import { backToDashboard } from './actions/status.js';
import { registerPasskey, removePasskey, renameAuthenticator } from './actions/authenticators.js';
import { signInWithPasskey } from './actions/passkey-sign-in.js';
import * as authenticatorsView from './views/authenticators.js';
import * as auditView from './views/audit.js';
import * as dashboardView from './views/dashboard.js';
import * as enrolView from './views/enrol.js';
import * as layoutView from './views/layout.js';
import * as orgView from './views/org.js';
import * as messagesView from './views/messages.js';
import * as recoveryView from './views/recovery.js';

const VIEWS = [layoutView, dashboardView, authenticatorsView, enrolView, recoveryView, auditView, orgView, messagesView];

onUpdate((current) => {
  for (const view of VIEWS) view.render(current);
});
messagesView.bind({ returnToSignIn });

bindClick('page-sign-in', startPageSignIn);
bindSubmit('signin-form', signIn);
bindClick('sign-out', signOut);
bindClick('signin-passkey', signInWithPasskey);

bindSubmit('passkey-form', registerPasskey);
authenticatorsView.bind({
  rename: (id, form) => void run(form, () => renameAuthenticator(id, /** @type {HTMLInputElement} */ (form.querySelector('input')))),
  remove: (id, button) => void run(button, () => removePasskey(id)),
});

bindClick('start-enrol', startEnrolment);
bindClick('restart-enrol', startEnrolment);
bindSubmit('device-form', registerDevice);
bindSubmit('activate-form', activateDevice);
bindClick('enrol-cancel', cancelEnrolment);
bindClick('enrol-cancel-2', cancelEnrolment);
bindClick('copy-key', () => copyText(state.enrolment?.secret ?? '', byId('manual-key'), 'Key copied to the clipboard.'));

bindClick('download-codes', downloadCodes);
bindClick('copy-codes', () => copyText((state.recoveryCodes ?? []).join('\n'), byId('recovery-codes'), 'Recovery codes copied to the clipboard.'));
bindClick('codes-saved', confirmCodesSaved);

bindSubmit('toggle-form', toggleMfa);
bindSubmit('rename-form', renameDevice);
bindSubmit('regen-form', regenerateCodes);
byId('remove-start').addEventListener('click', openRemoveConfirm);
byId('remove-cancel').addEventListener('click', closeRemoveConfirm);
bindSubmit('remove-form', removeDevice);

bindClick('open-audit', openAudit);
bindSubmit('audit-form', () => loadAudit(1));
bindClick('audit-prev', () => loadAuditPageOf('audit-prev'));
bindClick('audit-next', () => loadAuditPageOf('audit-next'));
bindClick('audit-back', backToDashboard);

bindClick('policy-enrol', startEnrolment);
bindClick('open-org', openOrg);
bindSubmit('org-filter-form', () => loadOrgPrincipals(null));
bindClick('org-next', nextOrgPage);
bindClick('org-unlock', unlockPrincipal);
bindClick('org-reset', resetPrincipal);
bindClick('org-back', backToDashboard);

// The first render; focus stays where the browser put it on load.
update({});
// Back from the sign-in pages: exchange the code (errors show in the sign-in card).
if (new URLSearchParams(location.search).has('state')) run(byId('page-sign-in'), finishPageSignIn);
