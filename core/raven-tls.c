/* raven-tls.c: TLS credentials and server sessions with GnuTLS.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-tls.h"

G_DEFINE_QUARK(raven_tls_error, raven_tls_error)

struct RavenTlsContext {
	gatomicrefcount ref;
	gnutls_certificate_credentials_t credentials;
	gnutls_priority_t priority;
	gnutls_datum_t ticket_key; /* session resumption without state */
};

static void
context_free(RavenTlsContext *context)
{
	if (context->credentials)
		gnutls_certificate_free_credentials(context->credentials);
	if (context->priority)
		gnutls_priority_deinit(context->priority);
	if (context->ticket_key.data) {
		gnutls_memset(context->ticket_key.data, 0,
		              context->ticket_key.size);
		gnutls_free(context->ticket_key.data);
	}
	g_free(context);
}

static gboolean
set_priority(RavenTlsContext *context, const char *priority, GError **error)
{
	const char *where = NULL;
	int rc = gnutls_priority_init2(
		&context->priority,
		priority ? priority : RAVEN_TLS_DEFAULT_PRIORITY, &where, 0);

	if (rc < 0) {
		g_set_error(error, RAVEN_TLS_ERROR, RAVEN_TLS_ERROR_PRIORITY,
		            "tls.priority is not valid near '%s': %s",
		            where ? where : "", gnutls_strerror(rc));
		return FALSE;
	}
	return TRUE;
}

RavenTlsContext *
raven_tls_context_new(const char *certificate_path,
                      const char *key_path,
                      const char *priority,
                      GError **error)
{
	RavenTlsContext *context = g_new0(RavenTlsContext, 1);
	int rc;

	g_atomic_ref_count_init(&context->ref);
	rc = gnutls_certificate_allocate_credentials(&context->credentials);
	if (rc >= 0)
		rc = gnutls_certificate_set_x509_key_file2(
			context->credentials, certificate_path, key_path,
			GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc < 0) {
		g_set_error(error, RAVEN_TLS_ERROR, RAVEN_TLS_ERROR_CREDENTIALS,
		            "cannot use certificate %s with key %s: %s",
		            certificate_path, key_path, gnutls_strerror(rc));
		context_free(context);
		return NULL;
	}
	gnutls_certificate_set_known_dh_params(context->credentials,
	                                       GNUTLS_SEC_PARAM_MEDIUM);
	if (!set_priority(context, priority, error)) {
		context_free(context);
		return NULL;
	}
	if (gnutls_session_ticket_key_generate(&context->ticket_key) < 0)
		context->ticket_key.data = NULL;
	return context;
}

RavenTlsContext *
raven_tls_context_ref(RavenTlsContext *context)
{
	g_atomic_ref_count_inc(&context->ref);
	return context;
}

void
raven_tls_context_unref(RavenTlsContext *context)
{
	if (context != NULL && g_atomic_ref_count_dec(&context->ref))
		context_free(context);
}

gnutls_session_t
raven_tls_session_new(RavenTlsContext *context, int fd, GError **error)
{
	gnutls_session_t session = NULL;
	int rc;

	rc = gnutls_init(&session,
	                 GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
	if (rc >= 0)
		rc = gnutls_priority_set(session, context->priority);
	if (rc >= 0)
		rc = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE,
		                            context->credentials);
	if (rc >= 0 && context->ticket_key.data != NULL)
		rc = gnutls_session_ticket_enable_server(session,
		                                         &context->ticket_key);
	if (rc < 0) {
		g_set_error(error, RAVEN_TLS_ERROR, RAVEN_TLS_ERROR_SESSION,
		            "cannot start a TLS session: %s",
		            gnutls_strerror(rc));
		if (session)
			gnutls_deinit(session);
		return NULL;
	}
	gnutls_certificate_server_set_request(session, GNUTLS_CERT_IGNORE);
	gnutls_transport_set_int(session, fd);
	return session;
}
