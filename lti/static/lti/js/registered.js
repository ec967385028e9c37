// LTI Dynamic Registration: tell the LMS's window that registration is over.
// https://www.imsglobal.org/spec/lti-dr/v1p0#step-4-registration-completed-and-activation
(window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
