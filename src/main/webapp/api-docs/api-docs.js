// Swagger UI on the server's own OpenAPI document. When this tab is signed in to the console, its
// token is put in "Authorize" already (the same sessionStorage entry; it is never saved anywhere
// else); otherwise the person pastes one there.
(function () {
  var token = null;
  try {
    token = sessionStorage.getItem('jobserver.token');
  } catch (e) {
    // storage disabled: the Authorize button still works
  }
  var note = document.getElementById('token-note');
  note.textContent = token
    ? 'Using the token you signed in to the console with.'
    : 'Use "Authorize" to enter a bearer token.';

  window.ui = SwaggerUIBundle({
    // MicroProfile OpenAPI serves the document at the server's root, not under the context root
    // the console is deployed at; its "servers" carry the context root.
    url: '/openapi',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null, // no calls to an outside validator
    persistAuthorization: false, // the token stays in sessionStorage only, never localStorage
    tryItOutEnabled: false,
    displayRequestDuration: true,
    onComplete: function () {
      if (token) window.ui.preauthorizeApiKey('bearer', token);
    },
  });
})();
